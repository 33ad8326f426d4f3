"""Query/article text normalisation: Traditional -> Simplified (OpenCC), full-width -> half-width."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc


@lru_cache(maxsize=1)
def _t2s() -> "opencc.OpenCC":
    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    # NFKC folds full-width ASCII (ＡＢＣ１２３) and compatibility forms; Chinese punctuation stays.
    text = unicodedata.normalize("NFKC", text)
    text = _t2s().convert(text)
    return re.sub(r"\s+", " ", text).strip()
