"""Supervision (监督): high-frequency matters (高频事项), the problem list (第三十三条), surge alerts and duplicate
groups (第三十四条). Domain code: no Flask, no Rasa."""
