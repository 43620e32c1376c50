"""The simulated agent: what a Flex agent does in a chat channel, as the fake's control methods
(``fc.agent_reply``, ``fc.deactivate``) do it, with the webhooks it fires (``Source=SDK``)."""

from __future__ import annotations

from typing import NamedTuple

from ..core import errors, sids
from ..core.webhooks import Webhook
from ..core.world import Store
from ..flex import models as flex_models
from ..flex.models import SERVICE
from . import events, state
from .state import ChatMessage, ChatState, Member

AGENT = "agent"  # the identity an agent replies as when the test names none (modelled)
_AGENT_ATTRIBUTES = '{"member_type": "agent"}'


class _Acting(NamedTuple):
    """The scope the agent acts in: the account, and the channel path an error would name."""

    store: Store
    account_sid: str
    resource: str


def _scope(store: Store, account_sid: str, channel_sid: str) -> tuple[_Acting, ChatState, str]:
    row = flex_models.get_row(store, account_sid, channel_sid)
    if row is None:
        raise errors.UnknownSidError(channel_sid, account_sid)
    service_sid = row[SERVICE]
    acting = _Acting(store, account_sid, f"/v2/Services/{service_sid}/Channels/{channel_sid}")
    return acting, state.of(acting), service_sid


def reply(
    store: Store,
    account_sid: str,
    channel_sid: str,
    body: str,
    author: str | None,
    attributes: str | None,
) -> tuple[ChatMessage, list[Webhook]]:
    """The agent posts ``body`` in the channel (joining it first, as an agent accepting the
    task does): the stored message, and the webhooks that hear it."""
    identity = author or AGENT
    with store.lock:
        acting, chat, service_sid = _scope(store, account_sid, channel_sid)
        sent: list[Webhook] = []
        members = state.members_of(chat, channel_sid)
        if not any(member.identity == identity for member in members.values()):
            now = store.clock.now()
            member = Member(
                store.sids.new(sids.MEMBER),
                account_sid,
                channel_sid,
                service_sid,
                identity,
                state.role(service_sid, "channel user"),
                _AGENT_ATTRIBUTES,
                None,
                now,
                now,
                store.next_seq(),
            )
            members[member.sid] = member
            state.user_of(acting, chat, service_sid, identity, identity)
            params = events.member(member, "JOINED")
            sent += events.fire(chat, channel_sid, "onMemberAdded", params, "SDK", identity)
        message = state.post_message(
            acting, chat, service_sid, channel_sid, identity, body, attributes or "{}"
        )
        sent += events.fire(
            chat, channel_sid, "onMessageSent", events.message(message), "SDK", identity
        )
        return message, sent


def ended(store: Store, account_sid: str, channel_sid: str) -> list[Webhook]:
    """What a channel the agent ended fires: ``onChannelUpdated`` (its attributes now say
    ``INACTIVE``), then ``onMemberRemoved`` as each agent leaves it."""
    with store.lock:
        acting, chat, service_sid = _scope(store, account_sid, channel_sid)
        members = state.members_of(chat, channel_sid)
        agents = [m for m in members.values() if m.attributes == _AGENT_ATTRIBUTES]
        identity = agents[0].identity if agents else None
        channel = state.channel(acting, chat, service_sid, channel_sid)
        sent = events.fire(
            chat, channel_sid, "onChannelUpdated", events.channel(channel), "SDK", identity
        )
        for agent in agents:
            del members[agent.sid]
            params = events.member(agent, "LEFT")
            params["DateRemoved"] = state.DATE(store.clock.now())
            sent += events.fire(chat, channel_sid, "onMemberRemoved", params, "SDK", agent.identity)
        return sent


def messages(store: Store, account_sid: str, channel_sid: str) -> list[ChatMessage]:
    """The channel's messages, in index order."""
    with store.lock:
        _, chat, _ = _scope(store, account_sid, channel_sid)
        return list(chat.messages.get(channel_sid, ()))
