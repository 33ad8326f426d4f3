"""Conventions shared by actions: facts for the app ride along as a custom JSON message."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from hotline.channels import META_KEY


def send_meta(dispatcher: CollectingDispatcher, **facts) -> None:
    """The REST channel returns this as {"custom": {...}}; the app strips it from the replies."""
    dispatcher.utter_message(json_message={META_KEY: facts})
