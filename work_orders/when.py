"""When a complaint's event happened, as callers say it (今天下午两点, 昨天晚上八点, 上周五, 前天, 11月3号), resolved
to a China-time date or date-time. Chinese numerals go through ``cn2an``; the words themselves are always kept
beside the resolved value, so a wrong resolution never loses what the caller said.

Pure functions over a given "now" (a China-time datetime): no clock is read here.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import cn2an

NUM = r"(?:\d{1,2}|[零一二两三四五六七八九十]{1,3})"
WEEKDAY = r"[一二三四五六日天]"
# days that name no one day, as callers say them: kept as words (resolved to no date); a message saying one is kept
# whole ("大概是上个月底")
VAGUE = (
    rf"上(?:个)?(?:周末|周|星期|礼拜)(?!{WEEKDAY})|上个?月(?:底|初|中)?|前几天|前两天|这几天|这两天|前段时间|前一阵子?"
    # a stretch up to now ("这个月一直这样", "停运好几个月了")
    rf"|这个月|本月|这个?(?:星期|礼拜|周)(?!{WEEKDAY})|最近|近期|这段时间|这一?阵子?|(?:这|好)几个月|好几天|好几个?(?:星期|礼拜|周)"
    r"|大半年|半年多?|一年多"
)
VAGUE_RE = re.compile(VAGUE)
# the moment of speaking, as an answer to "when" ("就现在", "正在发生", "此刻"): never searched for in a story, where
# "我现在要投诉昨天那个司机" names another time
NOW_RE = re.compile(r"^(?:就是|就|是|应该是)?(?:刚才|刚刚|现在|此刻|此时|眼下|这会儿?|当下|正在|还在)")
DAY = (
    r"(?:大前天|前天|昨天|昨日|今天|今日|刚才|刚刚|今早|今晨|今晚|昨晚|昨夜|前晚|"
    rf"上(?:个)?(?:周|星期|礼拜){WEEKDAY}|(?:本|这)(?:个)?(?:周|星期|礼拜){WEEKDAY}|(?:周|星期|礼拜){WEEKDAY}|"
    rf"(?:\d{{4}}年)?\d{{1,2}}月\d{{1,2}}[日号]|\d{{1,2}}[日号](?!线)|{VAGUE})"
)
PART = r"(?:早上|早晨|上午|中午|下午|傍晚|晚上|夜里|夜间|凌晨|半夜)"
CLOCK = rf"(?:{NUM}[点时](?:钟)?(?:半|多|一刻|三刻|{NUM}分?)?(?:左右)?|\d{{1,2}}[:：]\d{{2}})"
TIME_RE = re.compile(rf"({DAY}\s*(?:{PART})?\s*(?:{CLOCK})?|{PART}\s*{CLOCK}|\d{{1,2}}[:：]\d{{2}})")

_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_EVENING = ("下午", "傍晚", "晚上", "夜里", "夜间", "今晚", "昨晚", "昨夜", "前晚")
# a night's small hours are said with its evening ("昨天夜里两点", "晚上12点"): 1 to 4 and 12 o'clock are past midnight
_LATE_NIGHT = ("晚上", "夜里", "夜间", "今晚", "昨晚", "昨夜", "前晚", "半夜")
_DAY_OFFSETS = (
    ("大前天", 3),
    ("前天", 2),
    ("前晚", 2),
    ("昨", 1),
    ("今", 0),
)


def number(text: str) -> int | None:
    """一 → 1, 两 → 2, 十二 → 12, 二十三 → 23, "08" → 8."""
    if text.isdigit():
        return int(text)
    try:
        return int(cn2an.cn2an(text, "smart"))
    except (ValueError, KeyError, TypeError):
        return None


def find(text: str) -> str | None:
    """The time phrase in a message, as the caller wrote it (None: the message names no time)."""
    match = TIME_RE.search(text)
    return match.group(0).strip() if match else None


def _day(words: str, today: date) -> date | None:
    if words.startswith(("刚才", "刚刚")):
        return today
    m = re.search(rf"(上|本|这)?(?:个)?(?:周|星期|礼拜)({WEEKDAY})", words)
    if m:
        monday = today - timedelta(days=today.weekday())
        wanted = _WEEKDAYS[m.group(2)]
        if m.group(1) == "上":
            return monday - timedelta(days=7) + timedelta(days=wanted)
        if m.group(1):
            return monday + timedelta(days=wanted)
        back = (today.weekday() - wanted) % 7  # a bare 周五 is the latest one
        return today - timedelta(days=back)
    m = re.search(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]", words)
    if m:
        year = int(m.group(1)) if m.group(1) else today.year
        try:
            day = date(year, int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
        if not m.group(1) and day > today:  # "12月28日" said in January is last year's
            day = day.replace(year=year - 1)
        return day
    m = re.match(r"(\d{1,2})[日号]", words)
    if m:
        try:
            day = today.replace(day=int(m.group(1)))
        except ValueError:
            return None
        if day > today:  # "28号" said on the 3rd is last month's
            last = today.replace(day=1) - timedelta(days=1)
            try:
                day = last.replace(day=int(m.group(1)))
            except ValueError:
                return None
        return day
    for prefix, back in _DAY_OFFSETS:
        if words.startswith(prefix):
            return today - timedelta(days=back)
    return None


def resolve(words: str, now: datetime) -> str | None:
    """The China-time date ("2026-11-29") or date-time ("2026-11-30 14:00") the words name, or None.

    ``now`` is the China-time moment the caller spoke."""
    words = (words or "").strip()
    if not words:
        return None
    if NOW_RE.match(words):
        return now.strftime("%Y-%m-%d %H:%M")
    today = now.date()
    day = _day(words, today)
    clock = re.search(rf"({NUM})[点时](?:钟)?(半|多|一刻|三刻|({NUM})分?)?|(\d{{1,2}})[:：](\d{{2}})", words)
    if clock is None:
        return day.isoformat() if day else None
    if clock.group(4):
        hour, minute = int(clock.group(4)), int(clock.group(5))
    else:
        hour = number(clock.group(1))
        extra = clock.group(2) or ""
        minute = {"半": 30, "一刻": 15, "三刻": 45}.get(extra, 0)
        if clock.group(3):
            minute = number(clock.group(3)) or 0
    if hour is None or hour > 24 or minute > 59:
        return day.isoformat() if day else None
    after_midnight = False
    if (
        any(p in words for p in _LATE_NIGHT)
        and not any(p in words for p in ("下午", "傍晚"))
        and (hour <= 4 or hour == 12)
    ):
        # "昨天夜里两点", "晚上12点": past midnight, at the end of the night named (the next day's early hours)
        hour, after_midnight = hour % 12, day is not None
    elif any(p in words for p in _EVENING) and hour < 12:
        hour += 12
    elif "中午" in words and hour < 3:
        hour += 12
    elif any(p in words for p in ("凌晨", "半夜")) and hour == 12:
        hour = 0
    if hour == 24:
        hour = 0
    if after_midnight and datetime.combine(day + timedelta(days=1), time(hour, minute)) <= now.replace(tzinfo=None):
        day += timedelta(days=1)
    # (else the night's small hours would still be to come: "昨晚两点" said at half past midnight is the small hours
    # of the day before, not two o'clock tonight)
    at = datetime.combine(day or today, time(hour, minute))
    if day is None and at > now.replace(tzinfo=None):
        at -= timedelta(days=1)  # "十点左右" said at three in the morning: the last ten o'clock, not tomorrow's
    return at.strftime("%Y-%m-%d %H:%M")
