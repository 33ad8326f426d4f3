"""Conventions shared by actions: facts for the app ride along as a custom JSON message."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from hotline.channels import META_KEY


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
