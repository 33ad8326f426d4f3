"""Masking of personal data wherever the full value is not needed (logs, lists, pages).

``mask_pii`` hides the middle digits of phone and ID numbers however they are written:

- mobiles: ``13912345678``, ``139 1234 5678``, ``139-1234-5678``, ``+8613712345678``, ``8613712340000``,
  ``0086 139…`` → ``139****5678`` (the country code, first 3 and last 4 digits stay);
- landlines with an area code: ``0373-3011234``, ``(0373)3011234``, ``0373 3011234``, ``010-12345678``,
  ``+86 373 3011234`` → ``0373-***1234`` (area code and last 4 digits stay);
- 18-digit resident ID numbers, also typed in groups and with a final X/x → ``110101********1234``;
- full-width digits (``１３９…``) and digits spoken in Chinese (``一三九一二三四五六七八``, ``幺`` for 1, 〇/零 for 0,
  mixed with Arabic digits) the same way, each masked digit becoming one ``*``.

Masking is character for character (a masked digit becomes ``*``, everything else stays), so the masked text has
the original's length and layout. Numbers that are not contact data keep their digits: order numbers
(``20260930-00012``), dates and times, plate numbers (``豫G·T1234``), amounts (``200元``), bus lines. A bare local
number without area code (``3011234``) is not recognisable as a phone and is left alone.
"""

from __future__ import annotations

import re

_WIDTH = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        "＋": "+",
        "（": "(",
        "）": ")",
        "－": "-",
        "—": "-",
        "–": "-",
        "‐": "-",
        "‑": "-",
        "\u3000": " ",
        "Ｘ": "X",
        "ｘ": "x",
    }
)
# digits as people say or type them in Chinese (幺 is how 1 is read out in phone numbers)
_SPOKEN = str.maketrans(
    {
        "零": "0",
        "〇": "0",
        "○": "0",
        "洞": "0",
        "一": "1",
        "幺": "1",
        "壹": "1",
        "二": "2",
        "贰": "2",
        "三": "3",
        "叁": "3",
        "四": "4",
        "肆": "4",
        "五": "5",
        "伍": "5",
        "六": "6",
        "陆": "6",
        "七": "7",
        "柒": "7",
        "八": "8",
        "捌": "8",
        "九": "9",
        "玖": "9",
    }
)

_SPOKEN_RE = re.compile("[零〇○洞一幺壹二贰三叁四肆五伍六陆七柒八捌九玖]")
_DIGIT_RE = re.compile(r"\d")
_S = r"[ \t\u00a0-]{0,2}"  # what people put between digits: spaces, hyphens


def _spaced(count: int) -> str:
    """``count`` digits, each pair optionally separated."""
    return r"\d" + rf"(?:{_S}\d)" * (count - 1)


_MOBILE = rf"1{_S}[3-9]{_S}\d{_S}{_spaced(4)}{_S}{_spaced(4)}"
# (pattern, how many digits to keep at the start of the group "body", at its end)
_PATTERNS = (
    # 18-digit resident ID: region (6) + birth date (8) + sequence (3) + check digit or X
    (re.compile(rf"(?<![\d])(?P<body>[1-9](?:{_S}\d){{16}}{_S}[\dXx])(?![\dA-Za-z])"), 6, 4),
    # a mobile with the country code: +86 / 0086 / 86 / (+86)
    (re.compile(rf"(?<![\d+])\(?(?:\+|00)?{_S}86\)?{_S}(?P<body>{_MOBILE})(?!\d)"), 3, 4),
    # a landline with the country code and the area code without its 0: +86 373 3011234, +86-10-12345678
    (
        re.compile(rf"(?<![\d+])\(?(?:\+|00){_S}86\)?{_S}\(?[1-9]\d{{1,2}}\)?{_S}(?P<body>\d(?:{_S}\d){{6,7}})(?!\d)"),
        0,
        4,
    ),
    # a landline with its area code: 0373-3011234, (0373)3011234, 0373 3011234, 010-12345678
    (re.compile(rf"(?<![\d+])(?:\(\s?0\d{{2,3}}\s?\)|0\d{{2,3}}){_S}(?P<body>\d(?:{_S}\d){{6,7}})(?!\d)"), 0, 4),
    # a mobile: 13912345678, 139 1234 5678, 139-1234-5678
    (re.compile(rf"(?<![\d+])(?P<body>{_MOBILE})(?!\d)"), 3, 4),
)


def _mask_pass(chars: list[str], normal: str) -> str:
    """Mask every pattern found in ``normal`` (the text with its digits as ASCII) in ``chars`` (the text as
    written, same length); returns the new normalised text."""
    for pattern, keep_start, keep_end in _PATTERNS:
        for match in pattern.finditer(normal):
            start, end = match.span("body")
            digits = [i for i in range(start, end) if normal[i].isdigit() or normal[i] in "Xx"]
            for i in digits[keep_start : len(digits) - keep_end]:
                chars[i] = "*"
        normal = "".join("*" if c == "*" else n for c, n in zip(chars, normal))
    return normal


def mask_pii(text: str) -> str:
    """13812345678 -> 138****5678; 18-digit resident ID -> first 6 and last 4 kept; see the module doc."""
    if not text:
        return text or ""
    digits = len(_DIGIT_RE.findall(text))
    spoken = len(_SPOKEN_RE.findall(text))
    if digits + spoken < 7:  # the shortest number masked (a landline's local part) has 7 digits
        return text
    chars = list(text)
    # first with Arabic digits only (a Chinese numeral next to a phone must not hide it by making the run
    # longer), then with the spoken Chinese digits too
    normal = text.translate(_WIDTH)
    if digits >= 7:
        normal = _mask_pass(chars, normal)
    if spoken:
        _mask_pass(chars, normal.translate(_SPOKEN))
    return "".join(chars)
