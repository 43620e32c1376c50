"""Chat's records and one account's chat state, and how chat sees the store's Flex channels.

A Flex channel stays the store's row: chat renders it as a chat channel (its friendly and unique
names, the attributes Flex writes or the Chat API set) and changes it through the store. The
chat state keeps what only chat has: services, channels made through the Chat API, members,
users, messages and webhooks. The user and first member of a Flex channel are made here the
first time chat reads the account after the channel was made (from the row's immutable facts).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from ..core import errors, sids, surrogates
from ..core.context import Scope
from ..core.order import Order
from ..core.registry import Domain, Rule
from ..core.render import format_date
from ..core.world import Store
from ..flex import models as flex_models
from ..flex.models import (
    ACCOUNT,
    ATTRIBUTES,
    CHAT_NAME,
    CHAT_UNIQUE_NAME,
    CREATED,
    FLOW,
    IDENTITY,
    SEQ,
    SERVICE,
    SID,
    UPDATED,
    USER,
    USER_NAME,
    FlexFlow,
    flex_attributes,
)

if TYPE_CHECKING:
    from ..flex.models import ChannelRow


DOMAIN = Domain("chat", "chat", "/chat")
ROOT = "/v2/Services"
T = TypeVar("T")


class Service(NamedTuple):
    sid: str
    account_sid: str
    friendly_name: str
    date_created: datetime
    date_updated: datetime
    seq: int
    # The service-level webhooks (none until an update sets them).
    pre_webhook_url: str | None = None
    post_webhook_url: str | None = None
    webhook_method: str = "POST"
    webhook_filters: tuple[str, ...] = ()
    pre_webhook_retry_count: int = 0
    post_webhook_retry_count: int = 0


class ChatChannel(NamedTuple):
    """A chat channel as chat shows it (a Flex channel's is made from its row)."""

    sid: str
    account_sid: str
    service_sid: str
    friendly_name: str | None
    unique_name: str | None
    attributes: str
    type: str
    created_by: str
    date_created: datetime
    date_updated: datetime
    seq: int


class Member(NamedTuple):
    sid: str
    account_sid: str
    channel_sid: str
    service_sid: str
    identity: str
    role_sid: str
    attributes: str
    last_consumed_message_index: int | None
    date_created: datetime
    date_updated: datetime
    seq: int


class User(NamedTuple):
    sid: str
    account_sid: str
    service_sid: str
    identity: str
    friendly_name: str | None
    attributes: str
    role_sid: str
    date_created: datetime
    date_updated: datetime
    seq: int


class ChatMessage(NamedTuple):
    """A chat message, an immutable record (what ``fc.agent_reply`` and ``fc.messages`` give)."""

    sid: str
    account_sid: str
    service_sid: str
    channel_sid: str
    author: str  # the API's ``from``
    body: str
    attributes: str
    position: int  # the API's ``index``: 0, 1, ... in the channel
    last_updated_by: str | None
    was_edited: bool
    date_created: datetime
    date_updated: datetime


class Webhook(NamedTuple):
    sid: str
    account_sid: str
    service_sid: str
    channel_sid: str
    type: str
    url: str | None
    method: str | None
    filters: tuple[str, ...]
    triggers: tuple[str, ...]
    flow_sid: str | None
    retry_count: int | None
    date_created: datetime
    date_updated: datetime
    seq: int


def _index(message: ChatMessage) -> int:
    return message.position


class ChatState:
    """One account's chat: what only chat has (Flex channels are the store's rows)."""

    def __init__(self) -> None:
        self.services: dict[str, Service] = {}
        self.channels: dict[str, ChatChannel] = {}  # made through the Chat API
        self.members: dict[str, dict[str, Member]] = {}  # by channel SID, then member SID
        self.users: dict[str, dict[str, User]] = {}  # by service SID, then identity
        self.messages: dict[str, Order[ChatMessage]] = {}  # by channel SID, in index order
        self.message_sids: dict[str, ChatMessage] = {}
        self.next_index: dict[str, int] = {}
        self.webhooks: dict[str, dict[str, Webhook]] = {}  # by channel SID, then webhook SID
        self.seen = 0  # the last Flex channel (by position) whose user and member are made

    def messages_of(self, channel_sid: str) -> Order[ChatMessage]:
        found = self.messages.get(channel_sid)
        if found is None:
            found = self.messages[channel_sid] = Order(_index)
        return found


def derived_sid(prefix: str, *parts: str) -> str:
    """A SID that follows from others (a service's roles, a Flex channel's first member): the
    same for the same run, and never drawn from the seeded source (whose order it would shift)."""
    digest = hashlib.blake2b(":".join(parts).encode(), digest_size=16).hexdigest()
    return f"{prefix}{digest}"


def role(service_sid: str, kind: str) -> str:
    """The service's default role of a kind (``service user``, ``channel user``, ...)."""
    return derived_sid(sids.ROLE, service_sid, kind)


def of(context: Scope) -> ChatState:
    """The caller's chat state, the user and member of every Flex channel made since chat last
    looked included (under the store's lock, which the caller holds)."""
    store, account_sid = context.store, context.account_sid
    state = store.state(account_sid, ChatState)
    _sync(store, state, account_sid)
    return state


def _sync(store: Store, state: ChatState, account_sid: str) -> None:
    for flow in flex_models.flex_flows(store, account_sid):
        if flow.chat_service_sid not in state.services:
            state.services[flow.chat_service_sid] = Service(
                flow.chat_service_sid,
                account_sid,
                "Flex Chat Service",
                flow.date_created,
                flow.date_created,
                flow.seq,
            )
    for row in flex_models.rows_since(store, account_sid, state.seen):
        service_sid, identity = row[SERVICE], row[IDENTITY]
        owner = flex_models.flex_flow(store, account_sid, row[FLOW])
        if owner is not None:
            _flex_webhook(state, row, owner)
        users = state.users.setdefault(service_sid, {})
        if identity not in users:
            users[identity] = User(
                row[USER],
                account_sid,
                service_sid,
                identity,
                row[USER_NAME],  # the chat user's friendly name
                "{}",
                role(service_sid, "service user"),
                row[CREATED],
                row[CREATED],
                row[SEQ],
            )
        member = Member(
            derived_sid(sids.MEMBER, row[SID], identity),
            account_sid,
            row[SID],
            service_sid,
            identity,
            role(service_sid, "channel user"),
            "{}",
            None,
            row[CREATED],
            row[CREATED],
            row[SEQ],
        )
        state.members.setdefault(row[SID], {})[member.sid] = member
        state.seen = row[SEQ]


def _flex_webhook(state: ChatState, row: ChannelRow, flow: FlexFlow) -> None:
    """The channel webhook Flex adds to a channel of a flow that hands its messages on: to the
    flow's Studio flow, or to an external flow's ``Integration.Url`` on each message sent
    (modelled on what bridges observe), retried as ``Integration.RetryCount`` says (3 when
    not set, as documented)."""
    integration = flow.integration
    retry_count = integration.get("retry_count", 3)
    filters: tuple[str, ...]
    if flow.integration_type == "external" and integration.get("url"):
        kind, url, method, filters = "webhook", integration["url"], "POST", ("onMessageSent",)
    elif flow.integration_type == "studio" and integration.get("flow_sid"):
        kind, url, method, filters = "studio", None, None, ()
    else:
        return
    webhook = Webhook(
        derived_sid(sids.WEBHOOK, row[SID], "flex"),
        row[ACCOUNT],
        row[SERVICE],
        row[SID],
        kind,
        url,
        method,
        filters,
        (),
        integration.get("flow_sid") if kind == "studio" else None,
        retry_count,
        row[CREATED],
        row[CREATED],
        row[SEQ],
    )
    state.webhooks.setdefault(row[SID], {})[webhook.sid] = webhook


def service(context: Scope, state: ChatState, sid: str) -> Service:
    found = state.services.get(sid)
    if found is None:
        raise errors.missing(context.resource)
    return found


def _view(store: Store, account_sid: str, row: ChannelRow) -> ChatChannel:
    attributes = row[ATTRIBUTES]
    if attributes is None:
        attributes = flex_attributes(
            row, flex_models.flow_channel_type(store, account_sid, row[FLOW])
        )
    return ChatChannel(
        row[SID],
        row[ACCOUNT],
        row[SERVICE],
        row[CHAT_NAME],
        row[CHAT_UNIQUE_NAME],
        attributes,
        "private",  # Flex makes its chat channels private
        "system",
        row[CREATED],
        row[UPDATED],
        row[SEQ],
    )


def channels_of(context: Scope, state: ChatState, service_sid: str) -> list[ChatChannel]:
    """Every channel of a service, Flex's and chat's own, in creation order (a scan)."""
    store, account_sid = context.store, context.account_sid
    found = [
        _view(store, account_sid, row)
        for row in flex_models.rows_since(store, account_sid, 0)
        if row[SERVICE] == service_sid
    ]
    found += [c for c in state.channels.values() if c.service_sid == service_sid]
    found.sort(key=lambda channel: channel.seq)
    return found


def channel(context: Scope, state: ChatState, service_sid: str, key: str) -> ChatChannel:
    """A channel of the service by SID or unique name, as chat shows it, or the 404."""
    store, account_sid = context.store, context.account_sid
    row = flex_models.get_row(store, account_sid, key)
    if row is not None and row[SERVICE] == service_sid:
        return _view(store, account_sid, row)
    own = state.channels.get(key)
    if own is not None and own.service_sid == service_sid:
        return own
    for candidate in channels_of(context, state, service_sid):
        if candidate.unique_name == key:
            return candidate
    raise errors.missing(context.resource)


def channel_sid(context: Scope, state: ChatState, service_sid: str, key: str) -> str:
    """``channel(...)``'s SID, without rendering the channel when ``key`` is its SID (what the
    paths under a channel need on every message)."""
    row = flex_models.get_row(context.store, context.account_sid, key)
    if row is not None and row[SERVICE] == service_sid:
        return key
    return channel(context, state, service_sid, key).sid


def members_of(state: ChatState, channel_sid: str) -> dict[str, Member]:
    return state.members.setdefault(channel_sid, {})


def user_of(
    context: Scope, state: ChatState, service_sid: str, identity: str, friendly: str | None
) -> User:
    """The service's user of an identity, made (as chat does for a new member) if none."""
    users = state.users.setdefault(service_sid, {})
    found = users.get(identity)
    if found is None:
        store = context.store
        now = store.clock.now()
        found = users[identity] = User(
            store.sids.new(sids.USER),
            context.account_sid,
            service_sid,
            identity,
            friendly,
            "{}",
            role(service_sid, "service user"),
            now,
            now,
            store.next_seq(),
        )
    return found


def attributes_json(wire: str, raw: Any) -> str:
    """Attributes: JSON text (no lone surrogate, NaN or Infinity), or Chat's own error."""
    try:
        surrogates.loads(raw)
    except (ValueError, RecursionError):
        raise errors.attributes_not_json() from None
    return str(raw)


attributes_json.__name__ = "JSON text"  # as the table of operations names it
ATTRIBUTES_RULE = Rule(
    "Attributes", "refused with Chat's own error unless JSON text", check=attributes_json
)
# Twilio lets a request set a record's dates; the fake's are its clock's (not modelled).
UNDATED = (
    Rule("DateCreated", "not modelled: the fake's clock dates records", skip=True),
    Rule("DateUpdated", "not modelled: the fake's clock dates records", skip=True),
)
DATE = format_date


def links(root: str, base: str, names: tuple[str, ...]) -> dict[str, str]:
    return {name.lower(): f"{root}{base}/{name}" for name in names}


def dump(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False)


def post_message(
    context: Scope,
    chat: ChatState,
    service_sid: str,
    channel_sid: str,
    author: str,
    body: str,
    attributes: str,
    last_updated_by: str | None = None,
) -> ChatMessage:
    """A new message in a channel (what the API's create and the simulated agent do)."""
    store = context.store
    now = store.clock.now()
    position = chat.next_index.get(channel_sid, 0)
    chat.next_index[channel_sid] = position + 1
    message = ChatMessage(
        store.sids.new(sids.MESSAGE),
        context.account_sid,
        service_sid,
        channel_sid,
        author,
        body,
        attributes,
        position,
        last_updated_by,
        False,
        now,
        now,
    )
    chat.messages_of(channel_sid).append(message)
    chat.message_sids[message.sid] = message
    return message
