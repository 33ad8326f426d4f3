"""The app's long-lived service objects (no Flask imports here)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from accounts.service import Accounts
from bot.actions import build_executor
from channels.conversation import RasaClient, TurnGate
from channels.handoff import Handoffs
from channels.wechat import WeChatChannels, build_wechat
from hotline.db import Database
from hotline.settings import Settings
from knowledge_base.editing import Editor
from knowledge_base.embedder import Embedder
from knowledge_base.gaps import KnowledgeGaps
from knowledge_base.service import KnowledgeBase
from work_orders.attachments import AttachmentStore
from work_orders.service import WorkOrders


@dataclass
class Services:
    settings: Settings
    db: Database
    kb: KnowledgeBase
    rasa: RasaClient
    executor: object
    accounts: Accounts
    editor: Editor
    work_orders: WorkOrders
    handoffs: Handoffs
    wechat: WeChatChannels
    gaps: KnowledgeGaps
    attachments: AttachmentStore


def build_services(settings: Settings, migrate: bool = True) -> Services:
    db = Database(settings.database_url)
    if migrate:
        db.migrate()
    kb = KnowledgeBase(db, Embedder(settings.embedding_model), settings.index_path, settings.kb_min_score)
    rasa = RasaClient(settings.rasa_url, settings.rasa_token, settings.rasa_timeout,
                      TurnGate(settings.chat_concurrency, settings.chat_queue, settings.chat_queue_wait))
    work_orders = WorkOrders(db, settings.callback_sample_rate)
    handoffs = Handoffs(db, work_orders.calendar, settings.service_hours)
    gaps = KnowledgeGaps(db)
    attachments = AttachmentStore(settings.var_dir / "attachments")
    return Services(settings=settings, db=db, kb=kb, rasa=rasa,
                    executor=build_executor(kb, work_orders, handoffs=handoffs,
                                            draft_ttl=timedelta(hours=settings.draft_ttl_hours), gaps=gaps),
                    accounts=Accounts(db), editor=Editor(kb), work_orders=work_orders, handoffs=handoffs,
                    wechat=build_wechat(settings, db, rasa, work_orders, handoffs, attachments), gaps=gaps,
                    attachments=attachments)
