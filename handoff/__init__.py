"""Handoff to a human operator (人工客服): the queue, the operators' console side and the delivery of their
messages on the user's own channel (see service.py). A domain package: no Flask and no Rasa."""

from .service import Handoffs

__all__ = ["Handoffs"]
