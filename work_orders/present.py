"""How an order is shown: to staff (contact data masked unless their role needs it, 第七条) and to callers."""

from __future__ import annotations

from datetime import datetime

from hotline import channels
from hotline.clock import aware, china_time, utcnow
from hotline.privacy import mask_pii

from .guidance import awaiting, blocked_actions, classification_hint
from .lifecycle import REJECT_REASONS, STATES, TYPES, actions_from
from .messages import status_next_step


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return china_time(value).isoformat()


def mask_phone(phone: str) -> str:
    if not phone:
        return ""
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else "*" * len(phone)


def mask_name(name: str) -> str:
    return name[:1] + "*" * (len(name) - 1) if name else ""


def sees_contact(order, viewer) -> bool:
    """Operators call back (回访) and units contact the caller (第二十二条); nobody else needs the number.
    An anonymous caller's identity stays with the operators (第七条). ``queues.contact_clause`` is the same rule
    in SQL: keep the two together."""
    if viewer is None:
        return False
    roles = viewer.roles
    if "operator" in roles or "system" in roles:
        return True
    return "unit" in roles and not order.anonymous and viewer.unit_id is not None and order.unit_id == viewer.unit_id


def _shown(contact: bool):
    """Free text as the viewer sees it: phone and ID numbers masked unless the viewer contacts the caller."""
    return (lambda t: t or "") if contact else (lambda t: mask_pii(t or ""))


def order_dict(order, viewer, unit=None, full: bool = False) -> dict:
    contact = sees_contact(order, viewer)
    text = _shown(contact)
    if contact:
        caller_name, caller_phone = order.caller_name, order.caller_phone
    elif order.anonymous:  # nothing of an anonymous caller, not even masked
        caller_name, caller_phone = "匿名", ""
    else:
        caller_name, caller_phone = mask_name(order.caller_name), mask_phone(order.caller_phone)
    out = {
        "number": order.number,
        "version": order.version,
        "order_type": order.order_type,
        "order_type_label": TYPES.get(order.order_type, ""),
        "domain": order.domain,
        "channel": order.channel,
        "channel_label": channels.label(order.channel),
        "region": order.region,
        "state": order.state,
        "state_label": STATES.get(order.state, ""),
        "title": text(order.title),
        "safety": order.safety,
        "urgent": order.urgent,
        "unit_id": order.unit_id,
        "unit_name": unit.name if unit is not None else "",
        "received_at": _iso(order.received_at),
        "dispatch_due": _iso(order.dispatch_due),
        "due_at": _iso(order.due_at),
        "callback_due": _iso(order.callback_due),
        "overdue": order.overdue_at is not None or order.dispatch_overdue_at is not None,
        "caller_name": caller_name,
        "caller_phone": caller_phone,
        "anonymous": order.anonymous,
    }
    if full:
        out.update(
            {
                "target": text(order.target),
                "facts": text(order.facts),
                "demand": text(order.demand),
                "location": text(order.location),
                "occurred_at": text(order.occurred_at),
                "external_id": order.external_id,
                "reply": text(order.reply),
                "reject_reason": order.reject_reason,
                "reject_reason_label": REJECT_REASONS.get(order.reject_reason, ""),
                "extension_days": order.extension_days,
                "extension_reason": text(order.extension_reason),
                "extension_used": order.extension_used,
                "callback_required": order.callback_required,
                "callback_result": order.callback_result,
                "rating": order.rating,
                "rating_comment": text(order.rating_comment),
                "dispatched_at": _iso(order.dispatched_at),
                "accepted_at": _iso(order.accepted_at),
                "callback_at": _iso(order.callback_at),
                "reply_flag": order.reply_flag or "",
                "return_due": _iso(order.return_due),
                "completed_at": _iso(order.completed_at),
                "province_copied_at": _iso(order.province_copied_at),
                "province_review_due": _iso(order.province_review_due),
                "province_reviewed_at": _iso(order.province_reviewed_at),
                "archived_at": _iso(order.archived_at),
                "actions": actions_from(order.state),
            }
        )
    return out


def guide(order, now: datetime | None = None) -> dict:
    """What the console says beside one order's fields: the actions the service would refuse now (with why),
    whom the order waits for, and the classification the order already implies (work_orders/guidance.py)."""
    return {
        "blocked": blocked_actions(order, now or utcnow()),
        "awaiting": awaiting(order),
        "suggested": classification_hint(order),
    }


def timeline(order, viewer, events, attachments) -> dict:
    """The audit trail and the attachments of an order, their notes and names masked like the order's text."""
    text = _shown(sees_contact(order, viewer))
    return {
        "events": [
            {
                "at": _iso_utc(e.at),
                "actor": e.actor,
                "action": e.action,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "to_state_label": STATES.get(e.to_state, ""),
                "note": text(e.note),
            }
            for e in events
        ],
        "attachments": [
            {
                "id": a.id,
                "kind": a.kind,
                "name": text(a.name),
                "size": a.size,
                "content_type": a.content_type,
                "purged": a.purged_at is not None,
            }
            for a in attachments
        ],
    }


def _iso_utc(value: datetime) -> str:
    return aware(value).isoformat()


def public_status(order, unit=None) -> dict:
    """What a caller may see of their own order: no staff notes, no contact data."""
    return {
        "number": order.number,
        "order_type_label": TYPES.get(order.order_type, ""),
        "title": mask_pii(order.title or ""),
        "state": order.state,
        "state_label": STATES.get(order.state, ""),
        "unit_name": unit.name if unit is not None else "",
        "received_at": _iso(order.received_at),
        "due_at": _iso(order.due_at),
        "reply": order.reply if order.completed_at is not None else "",
        "rating": order.rating,
        "can_rate": order.completed_at is not None and order.state != "rejected" and not order.rating,
        # the deadline and what happens next, in words (work_orders.messages.status_next_step)
        "next_step": status_next_step(
            order.state,
            order.order_type,
            aware(order.dispatch_due) if order.dispatch_due else None,
            aware(order.due_at) if order.due_at else None,
            bool(order.safety),
        ),
    }
