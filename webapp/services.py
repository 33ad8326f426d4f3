"""The composition root: every long-lived service object of the app, the worker and the CLI is built here, in
`build_services` (no Flask imports here). A new service gets a field in `Services` and one line below; views
reach it through `views.common.services()`, jobs through `webapp.jobs.schedule_jobs`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from accounts.service import Accounts
from bot.actions import build_executor
from channels.conversation import RasaClient, RedisSenderLock, TurnGate
from channels.history import ChatHistory
from channels.turn import Conversation
from channels.wechat import WeChatChannels, build_wechat
from handoff import Handoffs
from hotline.db import Database
from hotline.settings import Settings
from knowledge_base.editing import Editor
from knowledge_base.embedder import Embedder, EmbeddingModelMissing
from knowledge_base.gaps import KnowledgeGaps
from knowledge_base.service import KnowledgeBase
from knowledge_base.vocabulary import Vocabulary
from reports.service import SYSTEM, Reports
from supervision.service import Supervision
from sync.service import SyncService
from sync.service import build as build_sync
from work_orders.attachments import AttachmentStore
from work_orders.service import WorkOrders


@dataclass
class Services:
    settings: Settings
    db: Database
    kb: KnowledgeBase
    rasa: RasaClient
    conversation: Conversation  # the turn every channel takes: handoff divert, the bot, the busy reply
    executor: object
    accounts: Accounts
    editor: Editor
    work_orders: WorkOrders
    handoffs: Handoffs
    wechat: WeChatChannels
    gaps: KnowledgeGaps
    attachments: AttachmentStore
    sync: SyncService  # the 12345 link; its outbox listener is on `work_orders` from the start
    chat_history: ChatHistory | None = None  # the web visitor's recent turns (restored on reload)
    vocabulary: Vocabulary | None = None  # the KB's vocabulary (词表) editors keep
    supervision: Supervision | None = None  # high-frequency matters, problem list, surges, duplicate groups
    reports: Reports | None = None  # monthly, annual and special reports (第三十二条)


class _MissingEmbedder:
    """Stands in when no embedding model is installed: the processes that never embed (the worker without the
    12345 KB sync, `user-add`, `sync-log`, …) still start; the first use raises the usual error."""

    def __init__(self, error: EmbeddingModelMissing):
        self.error = error

    def __getattr__(self, name):
        raise self.error


def _embedder(settings: Settings):
    """The model itself loads lazily, on the first text to embed (`serve` warms it up before listening)."""
    try:
        return Embedder(settings.embedding_model)
    except EmbeddingModelMissing as exc:
        return _MissingEmbedder(exc)


def build_services(settings: Settings, migrate: bool = True) -> Services:
    db = Database(settings.database_url)
    if migrate:
        db.migrate()
    kb = KnowledgeBase(db, _embedder(settings), settings.index_path, settings.kb_min_score)
    rasa = RasaClient(
        list(settings.bot_urls),
        settings.rasa_token,
        settings.rasa_timeout,
        TurnGate(settings.chat_concurrency, settings.chat_queue, settings.chat_queue_wait),
        # scale mode: one turn per sender across app replicas (renewed while the turn runs, gone 10 s after its
        # replica died)
        RedisSenderLock.from_url(settings.redis_url, prefix=settings.redis_prefix) if settings.redis_url else None,
    )
    work_orders = WorkOrders(db, settings.callback_sample_rate)
    handoffs = Handoffs(db, work_orders.calendar, settings.service_hours)
    conversation = Conversation(rasa, handoffs)
    gaps = KnowledgeGaps(db)
    attachments = AttachmentStore(settings.var_dir / "attachments")
    supervision = Supervision(db, work_orders, lambda: kb.embedder)

    def report_topics(start, end, region):  # a report's 高频事项: the top 10 of supervision's grouping
        return supervision.topics.topics(SYSTEM, start, end, region=region, limit=10)

    return Services(
        settings=settings,
        db=db,
        kb=kb,
        rasa=rasa,
        conversation=conversation,
        executor=build_executor(
            kb, work_orders, handoffs=handoffs, draft_ttl=timedelta(hours=settings.draft_ttl_hours), gaps=gaps
        ),
        accounts=Accounts(db),
        editor=Editor(kb),
        work_orders=work_orders,
        handoffs=handoffs,
        wechat=build_wechat(settings, db, conversation, work_orders, handoffs, attachments),
        gaps=gaps,
        attachments=attachments,
        sync=build_sync(settings, kb, work_orders),
        chat_history=ChatHistory(db),
        vocabulary=Vocabulary(kb),
        supervision=supervision,
        reports=Reports(db, topics_fn=report_topics),
    )
