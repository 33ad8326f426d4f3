"""The bot's input channel for our app (runs inside the bot's Rasa 3.6 environment, not in the app).

It is Rasa's REST channel with one difference: the answer carries the NLU result of the message with the bot's
replies, ``{"messages": [...], "intent": {...}, "intent_ranking": [...]}``. Without it the app had to read the
whole tracker back after every turn (``GET /conversations/{id}/tracker``), which replays every event of the
conversation in the bot a second time and cost the bot about as much as the turn itself under load.

The message is parsed once: the parse is handed to Rasa with the message (``UserMessage.parse_data``), which
uses it instead of parsing again, so the conversation is exactly what the REST channel would have made of it.
Before Rasa sees the parse, a question asked with a request's words ("投诉举报的工单省里会复核吗") is made a
``consult`` (``hotline.acts.reframe``); the original intent rides along as the metadata ``hotline_asked_as``.
Registered in ``bot/credentials.yml``; the URL is ``/webhooks/hotline/webhook``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from hotline.acts import META_KEY, reframe


class HotlineInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "hotline"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("hotline_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            sender_id = await self._extract_sender(request)
            text = self._extract_message(request)
            collector = CollectingOutputChannel()
            # "rest": the conversation looks exactly as if it had come through Rasa's REST channel
            message = UserMessage(text, collector, sender_id, input_channel="rest", metadata=self.get_metadata(request))
            agent = request.app.ctx.agent
            parse: dict[str, Any] = {}
            if agent is not None and agent.processor is not None:
                parse = await agent.processor.parse_message(message)
                # a question about complaints, work orders or the hotline is a consultation (hotline/acts.py); the
                # intent NLU saw goes to the actions in the metadata, which may offer the act after the answer
                parse, asked_as = reframe(parse, text or "")
                if asked_as is not None:
                    message.metadata = {**(message.metadata or {}), META_KEY: asked_as}
                    parse["metadata"] = message.metadata  # UserUttered lets the parse's own metadata win
                message.parse_data = parse
            await on_new_message(message)
            return response.json(
                {
                    "messages": collector.messages,
                    "intent": parse.get("intent") or {},
                    "intent_ranking": parse.get("intent_ranking") or [],
                }
            )

        return webhook
