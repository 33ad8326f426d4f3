"""While a human operator has a user's conversation (the handoff package), the user's messages go to the
operator, not to Rasa — on WeChat as on the web chat: both go through ``Handoffs.divert``."""

from __future__ import annotations


def to_operator(handoffs, sender: str, text: str) -> list[str] | None:
    """None when the bot should answer; else what to tell the user now (maybe nothing)."""
    if handoffs is None:
        return None
    diverted = handoffs.divert(sender, text)
    return None if diverted is None else diverted["replies"]
