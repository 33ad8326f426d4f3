"""Text normalisation shared by search, intake, gaps and the channels.

``normalize``: Traditional -> Simplified (OpenCC), full-width and compatibility forms -> plain (NFKC),
runs of whitespace -> one space. ``half_width``: only the full-width ASCII block (１２３ＡＢＣ．) -> ASCII,
for input such as menu choices where NFKC's other foldings (① -> 1) are not wanted.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
TRAILING_PUNCTUATION = "。.!！、"


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    # NFKC folds full-width ASCII (ＡＢＣ１２３) and compatibility forms; Chinese punctuation stays.
    text = unicodedata.normalize("NFKC", text)
    text = _t2s().convert(text)
    return re.sub(r"\s+", " ", text).strip()


def half_width(text: str) -> str:
    """１２３ＡＢＣ．－ -> 123ABC.- (and the ideographic space -> a space); nothing else changes."""
    return text.translate(FULL_WIDTH)


def strip_trailing_punctuation(text: str) -> str:
    """'取消人工。' -> '取消人工', '1、' -> '1': what users and speech recognition add after a short answer."""
    return text.strip().rstrip(TRAILING_PUNCTUATION).strip()
