"""Conventions shared by actions: facts for the app ride along as a custom JSON message."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from hotline.channels import META_KEY

# where an order's number is, for a caller who has not got it (the look-up, and the same asked as a question)
NO_NUMBER_REPLY = (
    "工单编号在登记成功时的回复里（形如 20261122-00012）。在同一个微信或同一个网页对话里发送“查询工单”，"
    "会列出您在这里登记的工单；记不清编号的，请拨打12328电话，话务员核实身份后为您查询。"
)


def buttons_of(pairs) -> list[dict]:
    """Buttons from (title, payload) pairs."""
    return [{"title": t, "payload": p} for t, p in pairs]


def send_meta(dispatcher: CollectingDispatcher, **facts) -> None:
    """The REST channel returns this as {"custom": {...}}; the app strips it from the replies."""
    dispatcher.utter_message(json_message={META_KEY: facts})


def int_entity(tracker: Tracker, name: str) -> int | None:
    """The whole-number value of the latest message's entity ``name`` (a button's ``article_id``, a typed
    ``choice``), or None when it is absent or not a number."""
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name:
            try:
                return int(entity.get("value"))
            except (TypeError, ValueError):
                return None
    return None


def last_turn(tracker: Tracker) -> tuple[list[dict], str]:
    """The bot's messages of its last turn (between the previous user message and this one, in this session),
    oldest first, and the previous user message's text ("" when there is none)."""
    messages: list[dict] = []
    seen_user = False
    for event in reversed(list(tracker.events or [])):
        kind = event.get("event")
        if kind == "user":
            if seen_user:
                return messages, event.get("text") or ""
            seen_user = True  # the message being answered now
        elif kind == "session_started":  # an offer of an earlier session (the user came back later) is not pending
            break
        elif kind == "bot" and seen_user:
            messages.insert(0, event)
    return messages, ""


def last_offer(tracker: Tracker) -> list[dict]:
    """The buttons of the bot's last turn (its last message with buttons), or []."""
    for event in reversed(last_turn(tracker)[0]):
        buttons = (event.get("data") or {}).get("buttons") or []
        if buttons:
            return [b for b in buttons if isinstance(b, dict) and b.get("payload")]
    return []


def was_offered(tracker: Tracker, payload: str) -> bool:
    """Whether a message of the bot's last turn had a button whose payload starts with ``payload`` ("/complain")."""
    messages, _ = last_turn(tracker)
    return any(
        str(b.get("payload", "")).startswith(payload)
        for m in messages
        for b in ((m.get("data") or {}).get("buttons") or [])
        if isinstance(b, dict)
    )
