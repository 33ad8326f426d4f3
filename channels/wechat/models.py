"""Tables of the WeChat channels: what we remember of an official-account user, processed message ids,
notice deliveries, and the mini-program's sessions and subscriptions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.clock import utcnow
from hotline.db import Base, UTCDateTime

TS = UTCDateTime()


class WeChatUser(Base):
    """An official-account follower as the channel needs to know them: the 48-hour customer-service window
    opens with each message of theirs; the location of the conversation; the numbered choices they were
    last offered; photos waiting for the complaint they are about to file."""

    __tablename__ = "wx_user"

    sender: Mapped[str] = mapped_column(String(120), primary_key=True)  # wechat:<openid>
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    last_message_at: Mapped[datetime | None] = mapped_column(TS)  # last message *from* the user
    location_label: Mapped[str] = mapped_column(String(200), default="")
    region: Mapped[str] = mapped_column(String(60), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    location_at: Mapped[datetime | None] = mapped_column(TS)
    choices: Mapped[list] = mapped_column(JSON, default=list)  # payloads of the last numbered choices
    wants_location: Mapped[bool] = mapped_column(Boolean, default=False)  # the bot just asked "where?"
    # the form question the bot just asked ("事情大概发生在什么时候？…"), "" when none is pending
    asking: Mapped[str] = mapped_column(String(300), default="", server_default="")
    pending_media: Mapped[list] = mapped_column(JSON, default=list)  # media ids for the next work order
    updated_at: Mapped[datetime] = mapped_column(TS, default=utcnow, onupdate=utcnow)


class WeChatSeen(Base):
    """Message ids already taken (MsgId, or FromUserName+CreateTime of an event) when no Redis is shared:
    the primary key makes the database refuse the second of WeChat's retries, on every replica."""

    __tablename__ = "wx_seen"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(TS, default=utcnow, index=True)


class WeChatDelivery(Base):
    """How a caller notice (``wo_notice``) went out on WeChat: the row is also the claim that keeps two
    workers from sending it twice."""

    __tablename__ = "wx_delivery"
    __table_args__ = (Index("ix_wx_delivery_status_next", "status", "next_attempt_at"),)

    notice_id: Mapped[int] = mapped_column(ForeignKey("wo_notice.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))  # sending | sent | retry | undeliverable | failed
    via: Mapped[str] = mapped_column(String(20), default="")  # custom | template | subscribe
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(TS)
    last_error: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(TS, default=utcnow, onupdate=utcnow)


class MiniProgramSession(Base):
    """Our own session of a mini-program user after code2session; only the token's SHA-256 is stored and
    WeChat's session_key is never kept."""

    __tablename__ = "mp_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    unionid: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(TS)


class MiniProgramSubscription(Base):
    """订阅消息: each time the user accepts a template in wx.requestSubscribeMessage we may send one message."""

    __tablename__ = "mp_subscription"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    template_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    remaining: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(TS, default=utcnow, onupdate=utcnow)


class MiniProgramUser(Base):
    """Where a mini-program user is, for the hot policies pushed to a region: the region of the last location
    they shared in the chat, or the province/city they chose (whichever came last)."""

    __tablename__ = "mp_user"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    region: Mapped[str] = mapped_column(String(60), default="")
    region_source: Mapped[str] = mapped_column(String(20), default="")  # location | chosen
    region_at: Mapped[datetime | None] = mapped_column(TS)


class PushCampaign(Base):
    """One urgent article pushed to the drivers of its region (热点政策推送): queued after the publisher saw
    the preview; one per article version, so a second click never queues it twice."""

    __tablename__ = "wx_push_campaign"
    __table_args__ = (UniqueConstraint("article_id", "article_version", name="uq_wx_push_campaign_article"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_article.id", ondelete="CASCADE"), index=True)
    article_version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    region: Mapped[str] = mapped_column(String(60))
    preview: Mapped[dict] = mapped_column(JSON, default=dict)  # the counts the publisher confirmed
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)


class PushDelivery(Base):
    """One recipient of a campaign (``wechat:<openid>`` or ``miniprogram:<openid>``): unique per campaign, and
    the row is the claim that keeps two workers (or a retry) from sending it twice."""

    __tablename__ = "wx_push_delivery"
    __table_args__ = (
        UniqueConstraint("campaign_id", "recipient", name="uq_wx_push_delivery_recipient"),
        Index("ix_wx_push_delivery_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("wx_push_campaign.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(String(20))  # official | miniprogram
    status: Mapped[str] = mapped_column(String(20))  # pending | sending | retry | sent | skipped | failed
    via: Mapped[str] = mapped_column(String(20), default="")  # custom | template | subscribe
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(TS)
    last_error: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
