"""Splitting article bodies into retrievable chunks."""

from __future__ import annotations

import re


def chunk_paragraphs(paragraphs: list[str], target: int = 300) -> list[str]:
    """Group whole paragraphs into chunks of about ``target`` characters; a paragraph longer
    than that is split at sentence ends."""
    pieces: list[str] = []
    for para in paragraphs:
        if len(para) <= target:
            pieces.append(para)
            continue
        sentence = ""
        for part in re.split(r"(?<=[。！？；!?;])", para):
            if sentence and len(sentence) + len(part) > target:
                pieces.append(sentence)
                sentence = ""
            sentence += part
        if sentence:
            pieces.append(sentence)
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len(chunks[-1]) + len(piece) <= target:
            chunks[-1] += "\n" + piece
        else:
            chunks.append(piece)
    return chunks


def chunk_article(kind: str, body: str, clause_no: str | None = None) -> list[str]:
    """A clause of a regulation is one chunk led by its number; other articles are split by paragraph."""
    if kind == "regulation" and clause_no:
        return [f"{clause_no} {body}"]
    paragraphs = [re.sub(r"[ \t\u3000]+", " ", p).strip() for p in body.splitlines()]
    return chunk_paragraphs([p for p in paragraphs if p]) or [body.strip()]
