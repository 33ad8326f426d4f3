"""Which reports are urgent: safety hazards (第二十一条) and the 层层加码 / 一刀切 / 劝返 reports that the April 2022
notices on keeping logistics open require to be checked at once (“即报即查、即接即办”).

Urgent complaints go first in the operators' ``new`` queue (work_orders.queues) and urgent conversations first in
the handoff queue (handoff.service). Plain keyword lists: cheap, explainable, and they never make a case less urgent.
"""

from __future__ import annotations

from collections.abc import Iterable

# 保通保畅 (April 2022): drivers turned back or blocked by over-strict local controls
BLOCKED = (
    "层层加码",
    "加码",
    "一刀切",
    "劝返",
    "劝离",
    "被返回",
    "不让通行",
    "不让过",
    "不让下高速",
    "不让进",
    "禁止通行",
    "擅自设卡",
    "私设卡点",
    "设卡",
    "封路",
    "堵路",
)


def is_blocked(text: str) -> bool:
    """A report of being turned back or blocked (层层加码 / 一刀切 / 劝返): 即报即查."""
    return any(w in text for w in BLOCKED)


def is_urgent(text: str) -> bool:
    """A safety hazard or a 层层加码 / 一刀切 / 劝返 report."""
    from .intake import is_safety  # the safety words live with the intake form

    return bool(text) and (is_safety(text) or is_blocked(text))


def transcript_urgent(transcript: Iterable) -> bool:
    """Whether what the user said before a handoff (entries ``{"who": "user", "text": ...}``) is urgent."""
    return any(
        isinstance(e, dict) and e.get("who") == "user" and isinstance(e.get("text"), str) and is_urgent(e["text"])
        for e in transcript or ()
    )
