"""What the official-account channel remembers of a user between messages (the ``wx_user`` row)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from hotline.clock import aware, utcnow
from hotline.db import Database
from knowledge_base.regions import named_regions

from .models import WeChatUser

WINDOW = timedelta(hours=48)  # customer-service messages are allowed this long after the user wrote
LABEL_FRESH = timedelta(hours=2)  # a driver moves: an old place must not fill in a new complaint
REGION_FRESH = timedelta(hours=24)
CHOICES_FRESH = timedelta(minutes=30)  # a digit refers to the latest numbered list for this long, then to the menu
MAX_PENDING_MEDIA = 9
REGION_RE = re.compile(
    r"^(北京市|天津市|上海市|重庆市|[\u4e00-\u9fa5]{2,7}?(?:省|自治区|特别行政区))?"
    r"([\u4e00-\u9fa5]{1,9}?(?:市|自治州|地区|盟))?"
)


def region_of(label: str) -> str:
    """'河南省新乡市红旗区…' -> '河南省新乡市'; '北京市朝阳区…' -> '北京市'; a label without its province names its
    place by the gazetteer (knowledge_base.regions): '郑州东站' -> '河南省郑州市', '卫辉检查站' -> '河南省新乡市卫辉市';
    nothing recognisable (or two places) -> ''."""
    match = REGION_RE.match(label or "")
    if match and match.group(1):
        return (match.group(1) or "") + (match.group(2) or "")
    named, _words = named_regions(label or "")
    return named[0] if len(named) == 1 else ""


@dataclass
class UserState:
    sender: str
    subscribed: bool = True
    last_message_at: datetime | None = None
    location_label: str = ""
    region: str = ""
    latitude: float | None = None
    longitude: float | None = None
    location_at: datetime | None = None
    choices: list = field(default_factory=list)
    choices_at: datetime | None = None  # when the numbered choices were shown
    wants_location: bool = False
    asking: str = ""  # the form question just asked, to ask again after a location shared out of turn
    pending_media: list = field(default_factory=list)

    def in_window(self, now: datetime, margin: timedelta = timedelta(minutes=10)) -> bool:
        return self.last_message_at is not None and now - self.last_message_at < WINDOW - margin

    def fresh_choices(self, now: datetime) -> list:
        """The payloads of the latest numbered list if it was shown less than CHOICES_FRESH ago, else []."""
        if not self.choices or self.choices_at is None or now - self.choices_at >= CHOICES_FRESH:
            return []
        return self.choices

    def metadata(self, now: datetime) -> dict:
        """Channel facts for Rasa: the complaint form reads ``location_label``, KB search ``region``."""
        meta: dict = {"channel": "wechat"}
        age = now - self.location_at if self.location_at is not None else None
        if age is not None and age < LABEL_FRESH:
            if self.location_label:
                meta["location_label"] = self.location_label
            if self.latitude is not None:
                meta["location"] = {"latitude": self.latitude, "longitude": self.longitude}
        if self.region and age is not None and age < REGION_FRESH:
            meta["region"] = self.region
        return meta


FIELDS = (
    "subscribed",
    "last_message_at",
    "location_label",
    "region",
    "latitude",
    "longitude",
    "location_at",
    "choices",
    "wants_location",
    "asking",
    "pending_media",
)


def _encode_choices(choices: list, at: datetime | None) -> dict:
    # kept in the JSON column `choices` (no schema change): {"items": [payload, ...], "at": ISO time}
    return {"items": list(choices or []), "at": (at or utcnow()).isoformat()}


def _decode_choices(stored) -> tuple[list, datetime | None]:
    if isinstance(stored, dict):
        try:
            at = aware(datetime.fromisoformat(stored["at"])) if stored.get("at") else None
        except (TypeError, ValueError):
            at = None
        return list(stored.get("items") or []), at
    return list(stored or []), None  # rows from before the time was kept: stale


class Users:
    def __init__(self, db: Database):
        self.db = db

    def get(self, sender: str) -> UserState:
        with self.db.session() as s:
            row = s.get(WeChatUser, sender)
            if row is None:
                return UserState(sender)
            state = UserState(sender, **{f: getattr(row, f) for f in FIELDS})
        for name in ("last_message_at", "location_at"):  # SQLite hands back naive UTC
            setattr(state, name, aware(getattr(state, name)))
        state.choices, state.choices_at = _decode_choices(state.choices)
        state.pending_media = list(state.pending_media or [])
        return state

    def update(self, sender: str, **values) -> None:
        """Upsert: two messages of a new user may arrive at once, on two replicas. ``choices`` (a list of
        payloads) is stored with the time it was shown (``choices_at``, default now)."""
        if "choices" in values:
            values["choices"] = _encode_choices(values.pop("choices"), values.pop("choices_at", None))
        for _ in range(2):
            try:
                with self.db.session() as s:
                    row = s.get(WeChatUser, sender)
                    if row is None:
                        row = WeChatUser(sender=sender, subscribed=True, choices=[], pending_media=[])
                        s.add(row)
                    for name, value in values.items():
                        setattr(row, name, value)
                return
            except IntegrityError:
                continue

    def add_media(self, sender: str, media_id: str) -> int:
        pending = self.get(sender).pending_media
        if media_id not in pending:
            pending = (pending + [media_id])[-MAX_PENDING_MEDIA:]
        self.update(sender, pending_media=pending)
        return len(pending)

    def take_media(self, sender: str) -> list[str]:
        pending = self.get(sender).pending_media
        if pending:
            self.update(sender, pending_media=[])
        return pending
