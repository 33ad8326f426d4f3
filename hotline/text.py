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


# what a caller says before and after the question itself ("师傅您好，我想咨询一下，…", "…谢谢"): on normalised text
_LEAD_IN = re.compile(
    r"^(?:(?:你好|您好|哈喽|嗨|喂|师傅|客服|小助手|同志|打扰了|打扰一下|麻烦问一下|麻烦问下|麻烦一下|麻烦你|麻烦您|"
    r"我想请问|想请问|请问一下|请问|问一下|问下|我想问一下|我想问下|我想问|想问一下|想问下|想问|我想咨询一下|我想咨询下|我想咨询|咨询一下|"
    r"咨询下|我想了解一下|了解一下|那个|在吗|在么|在不在|(?:hi|hello|hey)(?![a-z])|嗯+|哦+|啊+)[\s,，.。!！?？、~～:：;；]*)+",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"[\s,，.。!！、~～]*(?:谢谢(?:你|您|师傅)?|多谢|谢啦|谢了|麻烦了|麻烦你了|麻烦您了|拜托了|(?<![a-z])(?:thx|thanks|thank you))"
    r"[\s,，.。!！~～]*$",
    re.IGNORECASE,
)
# a space typed between two Chinese words ("公交卡 丢了 怎么办"): no part of either
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])")
# pictographs and their joiners (😭🙏👍, ❤️): what a chat adds to a question, nothing a document says
_PICTOGRAPHS = re.compile(r"[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D]+")


# what a question is made of: a Chinese character, a Latin letter or a digit (after normalize: full width folded)
_WORD = re.compile(r"[0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def has_words(text: str) -> bool:
    """Whether the text says anything at all: "？", "。。。", "😭😭" or "👍" do not (nothing to search for)."""
    return bool(_WORD.search(unicodedata.normalize("NFKC", text or "")))


def asks_nothing(text: str) -> bool:
    """Whether the text is nothing but a greeting, a lead-in or thanks ("我想问下", "您好 麻烦问一下", "谢谢"), or has no
    words at all: no question yet to search for."""
    bare = re.sub(r"\s+", " ", _PICTOGRAPHS.sub("", normalize(text or ""))).strip()
    return not has_words(_SIGN_OFF.sub("", _LEAD_IN.sub("", bare)))


def question_core(text: str) -> str:
    """The question without the greeting, lead-in and thanks around it ("您好 麻烦问一下 公交卡丢了怎么办 谢谢" ->
    "公交卡丢了怎么办") and without emoji ("公交卡丢了😭"): what says nothing of what is asked but pulls a search
    towards other entries. A text that is nothing but those is returned as it was."""
    bare = re.sub(r"\s+", " ", _PICTOGRAPHS.sub("", text)).strip()
    core = _SIGN_OFF.sub("", _LEAD_IN.sub("", bare)).strip()
    core = _CJK_GAP.sub("", core)
    return core if len(core) >= 2 else bare if len(bare) >= 2 else text
