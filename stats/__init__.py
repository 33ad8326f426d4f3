"""Statistics and supervision (管理办法 第三十一条 – 第三十八条), the package `stats` (not `statistics`, which would
shadow the standard library for everything run from the repository root): metrics over work orders and conversations
(metrics.py), unit scores and the public bulletin (scores.py), the daily dashboard and the weekly bulletin
(monitoring.py), tables for CSV/XLSX exports (exports.py). Domain code: no Flask, no Rasa."""
