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
