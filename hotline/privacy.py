"""Masking of personal data wherever the full value is not needed (logs, lists, pages)."""
from __future__ import annotations

import re

MOBILE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
ID_CARD_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")


def mask_pii(text: str) -> str:
    """13812345678 -> 138****5678; 18-digit resident ID -> first 6 and last 4 kept."""
    text = ID_CARD_RE.sub(lambda m: m.group(1) + "*" * 8 + m.group(3)[-4:].rjust(4, "*"), text)
    return MOBILE_RE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
