"""The bot's replies as WeChat text: buttons become numbered choices ("回复1：满意") or links, and text longer
than WeChat's 2048-byte limit is cut at paragraph, then sentence, boundaries."""

from __future__ import annotations

import re

from hotline.text import half_width, strip_trailing_punctuation

LIMIT = 2048  # bytes of UTF-8, WeChat's limit for a text reply
SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def render(replies: list[dict]) -> tuple[str, list[str]]:
    """One text for all the replies of a turn, and the payloads of the numbered choices it offers."""
    parts: list[str] = []
    choices: list[str] = []
    for reply in replies:
        lines = [reply.get("text") or ""]
        if reply.get("image"):
            lines.append(f'<a href="{reply["image"]}">查看图片</a>')
        for button in reply.get("buttons") or []:
            title, payload = button.get("title") or button.get("payload") or "", button.get("payload") or ""
            if payload.startswith(("http://", "https://")):
                lines.append(f'<a href="{payload}">{title}</a>')
            else:
                choices.append(payload or title)
                lines.append(f"回复{len(choices)}：{title}")
        text = "\n".join(line for line in lines if line)
        if text:
            parts.append(text)
    return "\n\n".join(parts), choices


def choice(text: str, choices: list[str]) -> str | None:
    """The payload behind a reply of "1", "２" or "1." to the last numbered choices, else None."""
    digits = strip_trailing_punctuation(half_width(text))
    if len(digits) <= 3 and digits.isdecimal() and 1 <= int(digits) <= len(choices):  # no 5,000-digit int()
        return choices[int(digits) - 1]
    return None


def split(text: str, limit: int = LIMIT) -> list[str]:
    """Pieces of at most ``limit`` bytes: whole paragraphs if they fit, else whole sentences, else characters."""
    if _size(text) <= limit:
        return [text] if text else []
    pieces: list[str] = []
    current = ""
    for unit in _units(text, limit):
        joined = f"{current}{unit}" if current else unit.lstrip("\n")
        if _size(joined) <= limit:
            current = joined
        else:
            if current.strip():
                pieces.append(current.rstrip("\n"))
            current = unit.lstrip("\n")
    if current.strip():
        pieces.append(current.rstrip("\n"))
    return pieces


def _units(text: str, limit: int):
    for paragraph in re.split(r"(?<=\n)", text):
        if _size(paragraph) <= limit:
            yield paragraph
            continue
        for sentence in SENTENCE_END.split(paragraph):
            if _size(sentence) <= limit:
                yield sentence
                continue
            chunk = ""
            for ch in sentence:
                if _size(chunk + ch) > limit:
                    yield chunk
                    chunk = ""
                chunk += ch
            if chunk:
                yield chunk
