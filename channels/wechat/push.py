"""Hot policies (热点政策) pushed to the drivers they concern.

A publisher previews an urgent, valid, published article: who it reaches is counted from the same query that
queues it — mini-program users who accepted the hot-policy subscribe message and whose region (last shared
location or chosen province/city) the article covers, and official-account followers whose last shared
location lies in it (inside the 48-hour window a customer-service message, outside it the configured template
message). Confirming queues a campaign with one ``wx_push_delivery`` row per recipient (unique per campaign,
one campaign per article version). The delivery job claims rows with a conditional UPDATE (several workers or
replicas never send one row twice), paces sends (``HOTLINE_WECHAT_PUSH_PER_MINUTE``), stops a pass when WeChat
says the quota is spent (45009), retries transient failures with a growing delay and records every outcome.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from hotline.channels import parse_sender, sender_id
from hotline.clock import aware, china_time, utcnow
from hotline.db import Database
from hotline.errors import NotFound
from hotline.settings import WeChatSettings
from knowledge_base.hot_list import hot_policies as listed_policies
from knowledge_base.hot_list import validity_label
from knowledge_base.models import REGION_NATIONWIDE, Article
from knowledge_base.regions import gazetteer

from .api import WeChatApi
from .errors import NotConfigured, PushRefused, RateLimited, Refused, RegionInvalid, WeChatApiError, WindowClosed
from .miniprogram import Subscriptions
from .models import MiniProgramSubscription, MiniProgramUser, PushCampaign, PushDelivery, WeChatUser
from .users import WINDOW

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
STALE_CLAIM = timedelta(minutes=10)  # a worker that died while sending: the row becomes free again
WINDOW_MARGIN = timedelta(minutes=10)  # as the notices: a window about to close is treated as closed
SUMMARY_CHARS = 300
POLICY_PAGE = "pages/policies/index"  # the mini-program's 热点政策 page


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(minutes=min(60, 2**attempts))


def covers(article_region: str, user_region: str) -> bool:
    """The article concerns a user of this region: nationwide ones everybody, a city's those in the city and its
    counties. A user placed only in the province is not in a city's article (we do not know they are there)."""
    if not article_region or article_region == REGION_NATIONWIDE:
        return True
    return bool(user_region) and (user_region == article_region or user_region.startswith(article_region))


def known_region(region: str) -> bool:
    """A region as articles name it (河南省, 河南省新乡市, 河南省新乡市卫辉市), from the gazetteer."""
    return bool(region) and any(d.region == region for ds in gazetteer().names.values() for d in ds)


def mask_openid(openid: str) -> str:
    return openid[:4] + "…" + openid[-3:] if len(openid) > 8 else "…"


def _in_window(last_message_at: datetime | None, now: datetime) -> bool:
    return last_message_at is not None and now - aware(last_message_at) < WINDOW - WINDOW_MARGIN


@dataclass(frozen=True)
class Recipient:
    recipient: str  # wechat:<openid> | miniprogram:<openid>
    channel: str  # official | miniprogram
    route: str  # subscribe | custom | template | unreachable


class MiniProgramRegions:
    """The region a mini-program user is in: set from a shared location (chat) or chosen on the policies page."""

    def __init__(self, db: Database):
        self.db = db

    def set(self, openid: str, region: str, source: str, now: datetime | None = None) -> dict:
        if source == "chosen" and not known_region(region):
            raise RegionInvalid(f"无法识别的地区：{region[:30]}（示例：河南省新乡市）")
        now = now or utcnow()
        for _ in range(2):  # upsert, racing a concurrent first write
            try:
                with self.db.session() as s:
                    row = s.get(MiniProgramUser, openid)
                    if row is None:
                        row = MiniProgramUser(openid=openid)
                        s.add(row)
                    row.region, row.region_source, row.region_at = region, source, now
                break
            except IntegrityError:
                continue
        return self.get(openid)

    def get(self, openid: str) -> dict:
        with self.db.session() as s:
            row = s.get(MiniProgramUser, openid)
            if row is None or not row.region:
                return {"region": "", "source": "", "updated_at": None}
            at = aware(row.region_at)
            return {"region": row.region, "source": row.region_source, "updated_at": at.isoformat() if at else None}


class Pushes:
    def __init__(
        self,
        db: Database,
        settings: WeChatSettings,
        api: WeChatApi,
        mp_api: WeChatApi,
        subscriptions: Subscriptions,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.db = db
        self.settings = settings
        self.api = api
        self.mp_api = mp_api
        self.subscriptions = subscriptions
        self.sleep = sleep

    # ------------------------------------------------------------------ who it reaches

    def _article(self, s, article_id: int, now: datetime) -> Article:
        article = s.get(Article, article_id)
        if article is None:
            raise NotFound(f"文章 {article_id} 不存在")
        problem = self._unpushable(article, now)
        if problem:
            raise PushRefused(problem)
        return article

    @staticmethod
    def _unpushable(article: Article, now: datetime) -> str:
        if not article.urgent:
            return "只有标记为热点政策的文章可以推送"
        if article.status != "published":
            return "文章尚未发布或已下线，不能推送"
        if article.effective_from is not None and aware(article.effective_from) > now:
            return "政策尚未生效，不能推送"
        if article.expires_at is not None and aware(article.expires_at) <= now:
            return "政策已失效，不能推送"
        return ""

    def recipients(self, article: Article, now: datetime) -> list[Recipient]:
        out: list[Recipient] = []
        with self.db.session() as s:
            template = self.settings.mp_policy_template_id
            if self.mp_api.configured and template:
                rows = s.execute(
                    select(MiniProgramSubscription.openid, MiniProgramUser.region)
                    .outerjoin(MiniProgramUser, MiniProgramUser.openid == MiniProgramSubscription.openid)
                    .where(
                        MiniProgramSubscription.template_id == template,
                        MiniProgramSubscription.remaining > 0,
                        *_in_region(MiniProgramUser.region, article.region),
                    )
                    .order_by(MiniProgramSubscription.openid)
                ).all()
                out += [
                    Recipient(sender_id("miniprogram", openid), "miniprogram", "subscribe")
                    for openid, region in rows
                    if covers(article.region, region or "")
                ]
            if self.api.configured:
                rows = s.execute(
                    select(WeChatUser.sender, WeChatUser.region, WeChatUser.last_message_at)
                    .where(WeChatUser.subscribed.is_(True), *_in_region(WeChatUser.region, article.region))
                    .order_by(WeChatUser.sender)
                ).all()
                for sender, region, last in rows:
                    if not covers(article.region, region or ""):
                        continue
                    if _in_window(last, now):
                        route = "custom"
                    else:
                        route = "template" if self.settings.policy_template_id else "unreachable"
                    out.append(Recipient(sender, "official", route))
        return out

    def preview(self, article_id: int, now: datetime | None = None) -> dict:
        now = now or utcnow()
        with self.db.session() as s:
            article = self._article(s, article_id, now)
            recipients = self.recipients(article, now)
            already = s.scalar(
                select(PushCampaign.id).where(
                    PushCampaign.article_id == article.id, PushCampaign.article_version == article.version
                )
            )
            counts = _route_counts(recipients)
            return {
                "article_id": article.id,
                "version": article.version,
                "title": article.title,
                "region": article.region,
                "validity": validity_label(article, utcnow()),
                **counts,
                "notes": self._notes(counts),
                "campaign_id": already,
            }

    def _notes(self, counts: dict) -> list[str]:
        notes = []
        if not (self.mp_api.configured and self.settings.mp_policy_template_id):
            notes.append(
                "未配置小程序或热点政策订阅消息模板（HOTLINE_MINIPROGRAM_POLICY_TEMPLATE_ID），小程序用户不会收到"
            )
        if not self.api.configured:
            notes.append("未配置公众号 AppSecret，公众号关注者不会收到")
        elif counts["unreachable"]:
            notes.append(
                f"{counts['unreachable']}位关注者超过48小时未互动，且未配置热点政策模板消息"
                "（HOTLINE_WECHAT_POLICY_TEMPLATE_ID），不会收到"
            )
        return notes

    # ------------------------------------------------------------------ queueing

    def queue(self, article_id: int, author: str, now: datetime | None = None) -> dict:
        """Queue the push of an article's current version: one campaign, one delivery row per recipient."""
        now = now or utcnow()
        try:
            with self.db.session() as s:
                article = self._article(s, article_id, now)
                recipients = self.recipients(article, now)
                campaign = PushCampaign(
                    article_id=article.id,
                    article_version=article.version,
                    title=article.title,
                    region=article.region,
                    preview=_route_counts(recipients),
                    created_by=author,
                    created_at=now,
                )
                s.add(campaign)
                s.flush()
                s.add_all(
                    PushDelivery(
                        campaign_id=campaign.id,
                        recipient=r.recipient,
                        channel=r.channel,
                        status="skipped" if r.route == "unreachable" else "pending",
                        via="",
                        attempts=0,
                        next_attempt_at=now,
                        last_error="超过48小时未互动，且未配置热点政策模板消息" if r.route == "unreachable" else "",
                        updated_at=now,
                    )
                    for r in recipients
                )
                campaign_id = campaign.id
        except IntegrityError:
            raise PushRefused("该政策的当前版本已经推送过，请在推送记录中查看送达情况") from None
        log.info("hot policy %s queued for %d recipients by %s", article_id, len(recipients), author)
        return self.report(campaign_id)

    # ------------------------------------------------------------------ delivery

    def run(self, now: datetime | None = None, limit: int | None = None) -> dict:
        """One pass: at most a minute's worth of messages, paced; safe on several workers at once."""
        now = now or utcnow()
        limit = limit or self.settings.push_per_minute
        gap = 60.0 / self.settings.push_per_minute
        counts: dict[str, int] = {}
        for delivery_id, campaign_id, recipient, channel in self._candidates(now, limit):
            if not self._claim(delivery_id, now):
                continue
            if counts:
                self.sleep(gap)
            outcome = self._deliver(delivery_id, campaign_id, recipient, channel, now)
            counts[outcome] = counts.get(outcome, 0) + 1
            if outcome == "quota":  # WeChat's quota is spent: the rest waits for the next pass
                break
        return counts

    def _free(self, now: datetime):
        return or_(
            PushDelivery.status == "pending",
            and_(PushDelivery.status == "retry", PushDelivery.next_attempt_at <= now),
            and_(PushDelivery.status == "sending", PushDelivery.updated_at < now - STALE_CLAIM),
        )

    def _candidates(self, now: datetime, limit: int) -> list[tuple]:
        with self.db.session() as s:
            return [
                tuple(row)
                for row in s.execute(
                    select(PushDelivery.id, PushDelivery.campaign_id, PushDelivery.recipient, PushDelivery.channel)
                    .where(self._free(now))
                    .order_by(PushDelivery.id)
                    .limit(limit)
                ).all()
            ]

    def _claim(self, delivery_id: int, now: datetime) -> bool:
        with self.db.session() as s:  # only one worker's UPDATE matches
            return bool(
                s.execute(
                    update(PushDelivery)
                    .where(PushDelivery.id == delivery_id, self._free(now))
                    .values(status="sending", updated_at=now)
                    .execution_options(synchronize_session=False)
                ).rowcount
            )

    def _deliver(self, delivery_id: int, campaign_id: int, recipient: str, channel: str, now: datetime) -> str:
        with self.db.session() as s:
            campaign = s.get(PushCampaign, campaign_id)
            article = s.get(Article, campaign.article_id)
            problem = "文章已删除" if article is None else self._unpushable(article, now)
            if not problem:
                s.expunge(article)
        if problem:
            return self._finish(delivery_id, "skipped", "", problem, now)
        _channel, openid = parse_sender(recipient) or ("", "")
        try:
            if channel == "miniprogram":
                via = self._to_miniprogram(openid, article, now)
            else:
                via = self._to_follower(recipient, openid, article, now)
        except (Refused, NotConfigured) as exc:
            return self._finish(delivery_id, "skipped", "", exc.message, now)
        except RateLimited as exc:
            self._later(delivery_id, exc.message, now)
            return "quota"
        except WeChatApiError as exc:
            if exc.transient:
                return self._later(delivery_id, exc.message, now)
            return self._finish(delivery_id, "failed", "", exc.message, now)
        if via is None:
            return self._finish(delivery_id, "skipped", "", "超过48小时未互动，且未配置热点政策模板消息", now)
        return self._finish(delivery_id, "sent", via, "", now)

    def _to_follower(self, sender: str, openid: str, article: Article, now: datetime) -> str | None:
        with self.db.session() as s:
            user = s.get(WeChatUser, sender)
            subscribed, last = (user.subscribed, user.last_message_at) if user else (False, None)
        if not subscribed:
            raise Refused("用户已取消关注公众号")
        if _in_window(last, now):
            try:
                self.api.send_text(openid, policy_text(article))
                return "custom"
            except WindowClosed:
                pass  # our record and WeChat's disagree: the template, if there is one
        template = self.settings.policy_template_id
        if not template:
            return None
        data = {
            "first": {"value": f"【热点政策】{article.title}"[:200]},
            "keyword1": {"value": article.region or REGION_NATIONWIDE},
            "keyword2": {"value": validity_label(article, utcnow())},
            "keyword3": {"value": china_time(now).strftime("%Y-%m-%d %H:%M")},
            "remark": {"value": _summary(article.body, 120) + "\n回复“热点政策”查看本地区的热点政策。"},
        }
        self.api.send_template(openid, template, data)
        return "template"

    def _to_miniprogram(self, openid: str, article: Article, now: datetime) -> str:
        template = self.settings.mp_policy_template_id
        if not template:
            raise NotConfigured("未配置热点政策订阅消息模板")
        data = {
            "thing1": {"value": article.title[:20]},
            "thing2": {"value": (article.region or REGION_NATIONWIDE)[:20]},
            "time3": {"value": china_time(now).strftime("%Y-%m-%d %H:%M")},
            "thing4": {"value": _summary(article.body, 20)},
        }
        self.subscriptions.send(
            self.mp_api,
            openid,
            template,
            data,
            f"{POLICY_PAGE}?id={article.id}",
            refused="用户的热点政策订阅授权已用完",
        )
        return "subscribe"

    def _finish(self, delivery_id: int, status: str, via: str, error: str, now: datetime) -> str:
        with self.db.session() as s:
            s.execute(
                update(PushDelivery)
                .where(PushDelivery.id == delivery_id)
                .values(
                    status=status, via=via, last_error=error[:500], updated_at=now, attempts=PushDelivery.attempts + 1
                )
                .execution_options(synchronize_session=False)
            )
        if status != "sent":
            log.warning("hot-policy delivery %s %s: %s", delivery_id, status, error)
        return status

    def _later(self, delivery_id: int, error: str, now: datetime) -> str:
        with self.db.session() as s:
            row = s.get(PushDelivery, delivery_id)
            attempts = (row.attempts or 0) + 1
            if attempts >= MAX_ATTEMPTS:
                row.status = "failed"
            else:
                row.status, row.next_attempt_at = "retry", now + _retry_delay(attempts)
            row.last_error, row.attempts, row.updated_at = error[:500], attempts, now
            status = row.status
        log.warning("hot-policy delivery %s: %s (%s)", delivery_id, error, status)
        return status

    # ------------------------------------------------------------------ reports

    def report(self, campaign_id: int, failures: int = 100) -> dict:
        with self.db.session() as s:
            campaign = s.get(PushCampaign, campaign_id)
            if campaign is None:
                raise NotFound(f"推送 {campaign_id} 不存在")
            out = _campaign_dict(campaign, self._counts(s, [campaign_id]).get(campaign_id, {}))
            rows = s.scalars(
                select(PushDelivery)
                .where(PushDelivery.campaign_id == campaign_id, PushDelivery.status.in_(("failed", "skipped", "retry")))
                .order_by(PushDelivery.id)
                .limit(failures)
            ).all()
            out["failures"] = [
                {
                    "recipient": mask_openid(r.recipient.partition(":")[2]),
                    "channel": r.channel,
                    "status": r.status,
                    "attempts": r.attempts,
                    "error": r.last_error,
                    "updated_at": aware(r.updated_at).isoformat() if r.updated_at else None,
                }
                for r in rows
            ]
            return out

    def campaigns(self, limit: int = 50) -> list[dict]:
        with self.db.session() as s:
            rows = s.scalars(select(PushCampaign).order_by(PushCampaign.id.desc()).limit(limit)).all()
            counts = self._counts(s, [c.id for c in rows])
            return [_campaign_dict(c, counts.get(c.id, {})) for c in rows]

    @staticmethod
    def _counts(s, campaign_ids: list[int]) -> dict[int, dict]:
        out: dict[int, dict] = {}
        if not campaign_ids:
            return out
        rows = s.execute(
            select(PushDelivery.campaign_id, PushDelivery.status, PushDelivery.via, func.count())
            .where(PushDelivery.campaign_id.in_(campaign_ids))
            .group_by(PushDelivery.campaign_id, PushDelivery.status, PushDelivery.via)
        ).all()
        for campaign_id, status, via, n in rows:
            c = out.setdefault(campaign_id, {})
            key = {"sending": "pending", "retry": "pending"}.get(status, status)
            c[key] = c.get(key, 0) + n
            if status == "sent":
                c[f"via_{via}"] = c.get(f"via_{via}", 0) + n
        return out


def hot_policies(db: Database, region: str, now: datetime | None = None, limit: int = 5) -> list[dict]:
    """The urgent, published articles valid now that concern a user of this region, newest first (the list the
    mini-program shows, knowledge_base.hot_list); for a user of unknown region only the nationwide ones: all
    regions' would be noise in a chat reply."""
    items = listed_policies(db, region, now)
    return [p for p in items if (covers(p["region"], region) if region else p["region"] == REGION_NATIONWIDE)][:limit]


def hot_policies_text(items: list[dict], region: str) -> str:
    """The official account's answer to the menu's 热点政策 button (or the words 热点政策)."""
    place = region or "全国"
    if not items:
        tip = "" if region else "\n发送您的位置，可查看所在地区的热点政策。"
        return f"{place}目前没有有效的热点政策。{tip}"
    lines = [f"{place}的热点政策（{len(items)}条）："]
    for i, item in enumerate(items, 1):
        lines.append(f"{i}. {item['title'][:60]}（{item['region']}，有效期{item['validity']}）")
        lines.append("   " + _summary(item["body"], 80))
    if not region:
        lines.append("发送您的位置，可查看所在地区的热点政策。")
    return "\n".join(lines)


def _in_region(column, article_region: str) -> list:
    """The SQL side of ``covers`` (which still decides): the region itself and the places inside it."""
    if not article_region or article_region == REGION_NATIONWIDE:
        return []
    return [column.startswith(article_region, autoescape=True)]


def _route_counts(recipients: list[Recipient]) -> dict:
    counts = {"miniprogram": 0, "custom": 0, "template": 0, "unreachable": 0}
    for r in recipients:
        counts["miniprogram" if r.route == "subscribe" else r.route] += 1
    counts["total"] = counts["miniprogram"] + counts["custom"] + counts["template"]
    return counts


def _campaign_dict(c: PushCampaign, counts: dict) -> dict:
    created = aware(c.created_at)
    return {
        "id": c.id,
        "article_id": c.article_id,
        "article_version": c.article_version,
        "title": c.title,
        "region": c.region,
        "created_by": c.created_by,
        "created_at": created.isoformat() if created else None,
        "preview": dict(c.preview or {}),
        "counts": {
            "recipients": sum(counts.get(k, 0) for k in ("pending", "sent", "skipped", "failed")),
            "pending": counts.get("pending", 0),
            "sent": counts.get("sent", 0),
            "skipped": counts.get("skipped", 0),
            "failed": counts.get("failed", 0),
            "via_subscribe": counts.get("via_subscribe", 0),
            "via_custom": counts.get("via_custom", 0),
            "via_template": counts.get("via_template", 0),
        },
    }


def _summary(body: str, chars: int) -> str:
    text = " ".join((body or "").split())
    return text if len(text) <= chars else text[: chars - 1] + "…"


def policy_text(article: Article) -> str:
    """The customer-service message of a hot policy (well under WeChat's 2048 bytes)."""
    return (
        f"【热点政策】{article.title[:100]}\n适用地区：{article.region or REGION_NATIONWIDE}\n"
        f"有效期：{validity_label(article, utcnow())}\n{_summary(article.body, SUMMARY_CHARS)}\n"
        "回复“热点政策”查看本地区的热点政策；紧急情况请拨打12328。"
    )
