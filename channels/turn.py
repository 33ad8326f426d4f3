"""One conversation turn, the same for every channel (web chat, mini-program, official account).

A channel translates its platform's message into ``(sender, text, metadata)``, calls
:meth:`Conversation.handle` and translates the :class:`TurnResult` back (JSON, WeChat text). The turn itself:

1. "取消人工" and its kin: close the user's queued or open handoff, or say that there is none (never queue);
2. the handoff divert: while a human operator has the conversation, the message goes to them (``Handoffs.divert``);
3. the bot: the Rasa call through :class:`RasaClient` (its TurnGate bounds concurrency; ``Busy`` carries
   ``retry_after``), and the handoff the bot may just have opened (action_handoff).

When the bot cannot take the turn, :meth:`Conversation.handle` raises :class:`BotUnavailable` (``Busy`` for lack of
capacity, code ``bot_timeout`` when Rasa did not answer in time); :data:`BUSY_REPLY` is what to tell the user.
Nothing here knows Flask or a platform.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from handoff.service import CANCEL_WORDS, CANCELLED_NOTE
from hotline.errors import BotUnavailable
from hotline.text import strip_trailing_punctuation

from .conversation import BUSY_REPLY, RasaClient
from .errors import Busy

log = logging.getLogger(__name__)

__all__ = ["BUSY_REPLY", "BotUnavailable", "Busy", "Conversation", "TurnResult", "is_handoff_cancel"]

NO_HANDOFF_NOTE = (
    "您当前没有排队中的人工服务，也没有正在进行的人工服务，可以继续向智能助手提问；需要人工时请发送“转人工”。"
)
# beyond the handoff package's own words (which also end an open handoff inside Handoffs.divert)
MORE_CANCEL_WORDS = ("不要人工了", "不要人工", "不用人工了", "不转人工了", "不用转人工", "不要转人工", "取消人工服务")
HANDOFF_INTENT = {"name": "handoff", "confidence": 1.0}


def is_handoff_cancel(text: str) -> bool:
    """ "取消人工", "取消转人工", "不要人工了"…: the user wants no human operator (whether or not one is queued)."""
    words = strip_trailing_punctuation((text or "").strip()).replace(" ", "")
    return words in CANCEL_WORDS or words in MORE_CANCEL_WORDS


@dataclass
class TurnResult:
    replies: list[dict] = field(default_factory=list)
    intent: dict = field(default_factory=lambda: {"name": None, "confidence": 0.0})
    sources: list[dict] = field(default_factory=list)
    work_order: dict | None = None
    handoff: dict | None = None
    # the bot did not take this turn: it went to the operator or was a handoff command ("取消人工")
    diverted: bool = False
    asking: dict | None = None  # the form question the turn ended on (ChatResult.asking)

    def as_dict(self) -> dict:
        """The /api/chat contract (ChatOut)."""
        return {
            "replies": self.replies,
            "intent": self.intent,
            "sources": self.sources,
            "work_order": self.work_order,
            "handoff": self.handoff,
        }

    @property
    def texts(self) -> list[str]:
        return [r["text"] for r in self.replies if r.get("text")]


def _texts(texts: list[str]) -> list[dict]:
    return [{"text": t, "buttons": []} for t in texts]


class Conversation:
    def __init__(self, rasa: RasaClient, handoffs=None):
        self.rasa = rasa
        self.handoffs = handoffs

    def handle(self, sender: str, text: str, metadata: dict | None = None) -> TurnResult:
        """One user message in, the turn's result out. Raises BotUnavailable (Busy: retry after
        ``exc.retry_after`` seconds) when the bot could not take it."""
        if self.handoffs is not None:
            if is_handoff_cancel(text):
                closed = self.handoffs.cancel(sender)
                return TurnResult(
                    _texts([CANCELLED_NOTE if closed else NO_HANDOFF_NOTE]), HANDOFF_INTENT, diverted=True
                )
            diverted = self.handoffs.divert(sender, text)
            if diverted is not None:
                return TurnResult(
                    _texts(diverted["replies"]), HANDOFF_INTENT, handoff=diverted["handoff"], diverted=True
                )
        try:
            chat = self.rasa.send(sender, text, metadata)
        except BotUnavailable as exc:
            log.warning("bot unavailable for %s (%s): %s", sender, exc.code, exc.message)
            raise
        # the bot may just have queued a handoff (action_handoff): the web page then polls for the operator
        handoff = self.handoffs.active(sender) if self.handoffs is not None else None
        return TurnResult(chat.replies, chat.intent, chat.sources, chat.work_order, handoff, asking=chat.asking)
