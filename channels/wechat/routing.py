"""While a human operator has a user's conversation (channels.handoff), the user's messages go to the
operator, not to Rasa — on WeChat as on the web chat."""
from __future__ import annotations

from channels.handoff import CANCELLED_NOTE, QUEUED_NOTE, HandoffConflict, is_cancel


def to_operator(handoffs, sender: str, text: str) -> list[str] | None:
    """None when the bot should answer; else what to tell the user now (maybe nothing)."""
    if handoffs is None:
        return None
    current = handoffs.active(sender)
    if current is None:
        return None
    if is_cancel(text):
        handoffs.cancel(sender)
        return [CANCELLED_NOTE]
    try:
        handoffs.user_message(sender, text)
    except HandoffConflict:  # closed a moment ago: the bot answers
        return None
    if current["state"] == "queued" and not current["user_messages"]:
        return [QUEUED_NOTE]
    return []
