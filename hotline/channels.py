"""The channels requests reach the hotline through, and the identities of their users: the one place a new
channel is named.

A user of a conversational channel is identified by a sender id ``<channel>:<user>`` (``wechat:<openid>``,
``miniprogram:<openid>``, ``web:<visitor id>``): Rasa's sender_id, a handoff's sender and a work order's
``caller_user``. A notice to that caller (``wo_notice.recipient``) is addressed ``caller:<sender id>``.
Orders from the other channels (phone, 12345) are registered by staff or by the 12345 sync and have no
sender id.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import UnknownChannel

MAX_SENDER = 160
CALLER = "caller:"


@dataclass(frozen=True)
class Channel:
    code: str
    label: str  # what staff and callers read: the order's 来源渠道, the handoff console
    conversational: bool = False  # users talk to the bot and have sender ids "<code>:<user>"
    polls: bool = False  # its client polls for operators' messages (web chat, mini-program)

    @property
    def outbox(self) -> bool:
        """Operators' messages to its users wait in the handoff outbox for the channel's sender
        (channels/wechat/notify.py delivers the official account's)."""
        return self.conversational and not self.polls


CHANNELS: dict[str, Channel] = {
    c.code: c
    for c in (
        Channel("wechat", "微信公众号", conversational=True),
        Channel("miniprogram", "微信小程序", conversational=True, polls=True),
        Channel("web", "网站", conversational=True, polls=True),
        Channel("phone", "电话"),
        Channel("12345", "12345转办"),
    )
}


def get(code: str | None) -> Channel | None:
    return CHANNELS.get(code) if isinstance(code, str) else None


def codes() -> list[str]:
    return list(CHANNELS)


def labels() -> dict[str, str]:
    return {code: c.label for code, c in CHANNELS.items()}


def label(code: str | None, default: str = "") -> str:
    channel = get(code)
    return channel.label if channel is not None else default


def sender_id(channel: str, user: str) -> str:
    """('wechat', 'o-abc') -> 'wechat:o-abc'."""
    known = get(channel)
    if known is None or not known.conversational:
        raise UnknownChannel(f"无法识别的会话渠道：{channel}", details={"channel": channel})
    return f"{channel}:{user}"


def parse_sender(sender: str | None) -> tuple[str, str] | None:
    """'wechat:o-abc' -> ('wechat', 'o-abc'); None unless it names a conversational channel and a user."""
    channel, _, user = (sender or "").partition(":")
    known = get(channel)
    if known is None or not known.conversational or not user or len(sender) > MAX_SENDER:
        return None
    return channel, user


def require_sender(sender: str | None) -> tuple[str, str]:
    """parse_sender, or UnknownChannel naming what was wrong (never a guess such as "web")."""
    parsed = parse_sender(sender)
    if parsed is None:
        # the message names no user id: a web visitor's id is their secret
        raise UnknownChannel(
            "无法识别会话的来源渠道",
            details={"channel": (sender or "").partition(":")[0][:20], "channels": conversational()},
        )
    return parsed


def conversational() -> list[str]:
    return [code for code, c in CHANNELS.items() if c.conversational]


def caller_recipient(sender: str) -> str:
    """The notice recipient for a caller: 'wechat:o-abc' -> 'caller:wechat:o-abc'."""
    return CALLER + sender


def caller_prefix(channel: str) -> str:
    """The start of every notice recipient on a channel, for a LIKE: 'caller:wechat:'."""
    return f"{CALLER}{channel}:"


def parse_recipient(recipient: str | None) -> tuple[str, str] | None:
    """'caller:wechat:o-abc' -> ('wechat', 'o-abc'); None for other recipients (unit:, supervisor:, center)."""
    if not recipient or not recipient.startswith(CALLER):
        return None
    return parse_sender(recipient[len(CALLER) :])


def user_of(sender: str | None) -> str:
    """'wechat:o-abc' -> 'o-abc'; '' for anything that is not a sender id."""
    parsed = parse_sender(sender)
    return parsed[1] if parsed is not None else ""


# The custom JSON message our actions add to a turn's replies (sources, work order, KB match); the conversation path
# takes it out of the replies the user sees.
META_KEY = "hotline_meta"
