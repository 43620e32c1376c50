"""Conversations' records and one account's conversations state; the scope of a request (the
default conversation service, or the one its path names); conversation timers on the fake's
clock.

A conversation lives in a conversation service: the account's default one (which Flex
Conversations uses: the chat service of the account's first Flex Flow, modelled) or another of
the account's chat services, named by ``/v1/Services/{ChatServiceSid}/...``. Its ``state`` moves
from ``active`` to ``inactive`` to ``closed`` as its timers say, checked whenever the account's
conversations are read (or ``fc.advance`` moves the clock), and ``closed`` is final.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any, Protocol

from ..chat.state import ATTRIBUTES_RULE, derived_sid, role
from ..core import context, errors, sids
from ..core.clock import later
from ..core.registry import Domain, Operation, Param
from ..core.render import format_date
from ..core.webhooks import Webhook
from ..core.world import Store
from ..flex import models as flex_models
from . import events
from .records import (
    AddressConfiguration,
    Binding,
    Conversation,
    ConversationMessage,
    ConversationsState,
    ConversationWebhook,
    Participant,
)

DATE = format_date
ATTRIBUTES = ATTRIBUTES_RULE  # JSON text, or Chat's 50304 (the Conversations API answers it too)
DOMAIN = Domain("conversations", "conversations", "/conversations")
ROOT = "/v1/Conversations"
SCOPED = "/v1/Services/{ChatServiceSid}/Conversations"
# The longest timer taken (modelled: Twilio states none): a date past it would pass year 9999.
LONGEST_TIMER = timedelta(days=36500)


class Scope(context.Scope, Protocol):
    """What Conversations' rules read of whoever acts (the simulated agent and the interactions
    make one too): the core's scope, the values of the path's parameters, and where the webhooks
    it fires go."""

    @property
    def path(self) -> tuple[str, ...]: ...

    def send(self, webhooks: list[Webhook]) -> None: ...


# --- the account's services --------------------------------------------------------------------


def default_service(store: Store, account_sid: str) -> str:
    """The account's default conversation service: its first Flex Flow's chat service, as a
    Flex account's is (modelled); a service of its own for an account without flows."""
    flows = flex_models.flex_flows(store, account_sid)
    if flows:
        return flows[0].chat_service_sid
    return derived_sid(sids.CHAT_SERVICE, account_sid, "conversations")


def services(store: Store, account_sid: str) -> list[str]:
    """Every conversation service of the account, the default first."""
    found = [default_service(store, account_sid)]
    found += [flow.chat_service_sid for flow in flex_models.flex_flows(store, account_sid)]
    return list(dict.fromkeys(found))


def messaging_service(account_sid: str) -> str:
    """The account's default messaging service, which new conversations name (modelled)."""
    return derived_sid(sids.MESSAGING_SERVICE, account_sid, "default messaging service")


def of(context: Scope) -> ConversationsState:
    """The caller's conversations, their due timers fired first (under the store's lock)."""
    store, account_sid = context.store, context.account_sid
    found = store.state(account_sid, ConversationsState)
    if found.timed:
        context.send(sweep(store, found))
    return found


def sweep(store: Store, state: ConversationsState) -> list[Webhook]:
    """Fire every timer that is due on the store's clock: a conversation goes ``inactive``, or
    ``closed``; what hears ``onConversationStateUpdated`` is told (``Reason=TIMER``)."""
    now = store.clock.now()
    sent: list[Webhook] = []
    for sid in sorted(state.timed, key=lambda sid: state.conversations[sid].seq):
        conversation = state.conversations[sid]
        if conversation.date_closed is not None and conversation.date_closed <= now:
            moved = set_state(state, conversation, "closed", conversation.date_closed)
        elif conversation.date_inactive is not None and conversation.date_inactive <= now:
            moved = set_state(state, conversation, "inactive", conversation.date_inactive)
        else:
            continue
        sent += events.state_updated(state, conversation, moved, "TIMER")
    return sent


def due(store: Store) -> list[tuple[str, list[Webhook]]]:
    """Every account's timers that fell due on the store's clock, fired (``fc.advance``)."""
    return [
        (account, sweep(store, kept))
        for account, kept in store.states(ConversationsState)
        if kept.timed
    ]


def orphans(store: Store) -> list[tuple[int, str]]:
    """Every conversation not ``closed``, of every account (``check_orphans``)."""
    return [
        (c.seq, f"conversation {c.sid} ({c.state}) of account {account}")
        for account, kept in store.states(ConversationsState)
        for c in kept.conversations.values()
        if c.state != "closed"
    ]


def set_state(
    state: ConversationsState, conversation: Conversation, to: str, at: datetime
) -> Conversation:
    """``conversation`` in state ``to`` from ``at`` (kept): closed clears both timers, inactive
    its own; active again restarts both from ``at``."""
    changes: dict[str, Any] = {"state": to, "date_updated": at}
    if to == "closed":
        changes.update(date_inactive=None, date_closed=None)
    elif to == "inactive":
        changes["date_inactive"] = None
    elif to == "active":
        conversation = restarted(conversation, at)
    moved = conversation._replace(**changes)
    keep(state, moved)
    return moved


def restarted(conversation: Conversation, at: datetime) -> Conversation:
    """``conversation`` with its timers counted again from ``at`` (its last activity; a timer
    not set stays unset; one that would fall past the clock's end falls due at it)."""
    inactive, closed = conversation.timer_inactive, conversation.timer_closed
    return conversation._replace(
        date_inactive=None if inactive is None else later(at, inactive),
        date_closed=None if closed is None else later(at, closed),
    )


def keep(state: ConversationsState, conversation: Conversation) -> None:
    """Store ``conversation``, and whether a timer of it is pending."""
    state.conversations[conversation.sid] = conversation
    if conversation.date_inactive is not None or conversation.date_closed is not None:
        state.timed.add(conversation.sid)
    else:
        state.timed.discard(conversation.sid)


# --- a request's scope -------------------------------------------------------------------------


def scoped(resource: str) -> bool:
    """Whether a path names its service (``/v1/Services/{ChatServiceSid}/Conversations/...``)."""
    return resource.startswith("/v1/Services/")


def scope(context: Scope) -> tuple[ConversationsState, str, tuple[str, ...]]:
    """The caller's conversations, the service the request is in, and the values of its path's
    parameters after the service's."""
    found = of(context)
    path = context.path
    store, account_sid = context.store, context.account_sid
    if not scoped(context.resource):
        return found, default_service(store, account_sid), path
    if path[0] not in services(store, account_sid):
        raise errors.missing(context.resource)
    return found, path[0], path[1:]


def conversation(
    context: Scope, state: ConversationsState, service_sid: str, key: str
) -> Conversation:
    """A conversation of the service by SID or unique name, or the 404."""
    found = state.conversations.get(key)
    if found is None:
        found = next(
            (c for c in state.conversations.values() if key and c.unique_name == key), None
        )
    if found is None or found.chat_service_sid != service_sid:
        raise errors.missing(context.resource)
    return found


def base(view_resource: str, service_sid: str) -> str:
    """Where a resource's URL starts under the API root: ``/Services/{sid}`` for a request that
    named its service, else nothing."""
    return f"/Services/{service_sid}" if scoped(view_resource) else ""


def dump(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False)


def parent(context: Scope) -> tuple[ConversationsState, Conversation, tuple[str, ...]]:
    """The conversation a request's path names first (in its service), with the caller's
    conversations and the values of the path's parameters after the service's."""
    chat, service_sid, path = scope(context)
    return chat, conversation(context, chat, service_sid, path[0]), path


# --- parameters --------------------------------------------------------------------------------

_DURATION = re.compile(
    r"P(?:(?P<weeks>\d{1,6})W)?(?:(?P<days>\d{1,6})D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d{1,6})H)?(?:(?P<minutes>\d{1,6})M)?(?:(?P<seconds>\d{1,8})S)?)?"
)


def duration(wire: str, raw: Any) -> timedelta | None:
    """A timer: an ISO 8601 duration of weeks, days, hours, minutes and seconds (``PT10M``,
    ``P1D``), at least 1 minute before inactive and 10 before closed; ``PT0S`` turns it off
    (None)."""
    timer = wire.rpartition(".")[2]
    match = _DURATION.fullmatch(str(raw))
    if match is None or str(raw) == "P":
        raise errors.timer_format(timer)
    parts = {name: int(value) for name, value in match.groupdict().items() if value}
    value = timedelta(**parts)
    if not value:
        return None
    if value > LONGEST_TIMER:
        raise errors.timer_format(timer)
    if value < timedelta(minutes=10 if timer == "Closed" else 1):
        raise errors.timer_too_short(timer)
    return value


duration.__name__ = "ISO 8601 duration"


def conversation_state(wire: str, raw: Any) -> str:
    if raw not in ("active", "inactive", "closed"):
        raise errors.conversation_state_invalid()
    return str(raw)


conversation_state.__name__ = "one of active, inactive, closed"


def declare(
    name: str,
    method: str,
    path: str,
    handler: Any,
    params: tuple[Param, ...] = (),
    **settings: Any,
) -> tuple[Operation, Operation]:
    """An operation under ``/v1/Conversations...`` (``path``, relative to it) and its
    service-scoped form under ``/v1/Services/{ChatServiceSid}/Conversations...``, named with
    ``service_`` after the verb (``create_conversation_message``,
    ``create_service_conversation_message``): one declaration, both forms."""
    verb, _, rest = name.partition("_")
    summary = settings.pop("summary", "")
    return (
        Operation(
            name,
            method,
            f"{ROOT}{path}",
            handler,
            params,
            summary=summary,
            domain=DOMAIN.name,
            **settings,
        ),
        Operation(
            f"{verb}_service_{rest}",
            method,
            f"{SCOPED}{path}",
            handler,
            params,
            summary=f"{summary}, in a named service" if summary else "",
            domain=DOMAIN.name,
            **settings,
        ),
    )


_CHANNELS = {"whatsapp": "whatsapp", "messenger": "messenger", "gbm": "gbm"}


def _binding(args: dict[str, Any]) -> Binding | None:
    """The messaging binding a create asks for, checked with its identity: an address with its
    proxy address and no identity (SMS, WhatsApp); or an identity, with a projected address
    for a chat participant of a group."""
    identity, address = args.get("identity"), args.get("address")
    proxy, projected = args.get("proxy_address"), args.get("projected_address")
    if address is not None or proxy is not None:
        if identity is not None:
            raise errors.participant_identity_with_binding()
        if address is None:
            raise errors.participant_address_missing()
        if proxy is None:
            raise errors.participant_proxy_missing()
        if address == proxy:
            raise errors.participant_address_is_proxy()
        channel = address.partition(":")[0] if ":" in address else "sms"
        return Binding(_CHANNELS.get(channel, "sms"), address, proxy, None)
    if identity is None:
        raise errors.participant_identity_missing()
    return None if projected is None else Binding("sms", None, None, projected)


def add_participant(
    context: Any,
    chat: ConversationsState,
    conversation: Conversation,
    args: dict[str, Any],
) -> Participant:
    """A new participant of ``conversation`` (the API's create, an interaction's, a web
    chat's, the simulated agent's joining)."""
    identity, binding = args.get("identity"), _binding(args)
    if conversation.state == "closed":
        raise errors.conversation_closed()
    members = chat.participants.setdefault(conversation.sid, {})
    for other in members.values():
        if identity is not None and other.identity == identity:
            raise errors.participant_exists(identity)
        if (
            binding is not None
            and binding.address is not None
            and other.binding is not None
            and (other.binding.address, other.binding.proxy_address)
            == (binding.address, binding.proxy_address)
        ):
            raise errors.participant_binding_exists(conversation.sid)
    store = context.store
    now = store.clock.now()
    created = args.get("date_created", now)
    participant = Participant(
        store.sids.new(sids.MEMBER),
        context.account_sid,
        conversation.chat_service_sid,
        conversation.sid,
        identity,
        args.get("attributes", "{}"),
        binding,
        args.get("role_sid") or role(conversation.chat_service_sid, "channel user"),
        created,
        args.get("date_updated", created),
        None,
        None,
        store.next_seq(),
    )
    members[participant.sid] = participant
    return participant


def find_participant(
    context: Any, chat: ConversationsState, conversation_sid: str, key: str
) -> Participant:
    """A participant by SID or identity, or the 404 of the request's path."""
    members = chat.participants.get(conversation_sid, {})
    found = members.get(key) or next((p for p in members.values() if p.identity == key), None)
    if found is None:
        raise errors.missing(context.resource)
    return found


def remove_participant(
    context: Any, chat: ConversationsState, participant: Participant
) -> dict[str, str]:
    """Take ``participant`` out of its conversation: the parameters its removal's webhooks
    carry."""
    del chat.participants[participant.conversation_sid][participant.sid]
    params = events.participant(participant)
    params["DateRemoved"] = DATE(context.store.clock.now())
    return params


def _unique_name(chat: ConversationsState, service_sid: str, name: Any, sid: str) -> None:
    if name is not None and any(
        other.unique_name == name and other.chat_service_sid == service_sid and other.sid != sid
        for other in chat.conversations.values()
    ):
        raise errors.conversation_unique_name_taken()


def _timed(conversation: Conversation, args: dict[str, Any], now: datetime) -> Conversation:
    """``conversation`` with the timers a request sets (``PT0S``: off), counted from ``now``
    (saturated at the clock's end: see ``clock.later``)."""
    changes: dict[str, Any] = {}
    if "timer_inactive" in args:
        timer = changes["timer_inactive"] = args["timer_inactive"]
        if conversation.state == "active":
            changes["date_inactive"] = None if timer is None else later(now, timer)
    if "timer_closed" in args:
        timer = changes["timer_closed"] = args["timer_closed"]
        changes["date_closed"] = None if timer is None else later(now, timer)
    return conversation._replace(**changes) if changes else conversation


def create_conversation(
    context: Any, chat: ConversationsState, service_sid: str, args: dict[str, Any]
) -> Conversation:
    """A new conversation in the service (the API's create, an interaction's, a web chat's)."""
    store = context.store
    if args.get("state") == "closed":
        raise errors.conversation_created_closed()
    _unique_name(chat, service_sid, args.get("unique_name"), "")
    now = store.clock.now()
    email = args.get("email_address")
    conversation = Conversation(
        store.sids.new(sids.CHANNEL),
        context.account_sid,
        service_sid,
        args.get("messaging_service_sid") or messaging_service(context.account_sid),
        args.get("friendly_name"),
        args.get("unique_name"),
        args.get("attributes", "{}"),
        args.get("state", "active"),
        args.get("date_created", now),
        args.get("date_updated", args.get("date_created", now)),
        store.next_seq(),
        email=None if email is None else (email, args.get("email_name")),
    )
    conversation = _timed(conversation, args, now)
    keep(chat, conversation)
    return conversation


_NAMES = ("friendly_name", "unique_name", "attributes", "messaging_service_sid")


def update_conversation(
    context: Any, chat: ConversationsState, conversation: Conversation, args: dict[str, Any]
) -> tuple[Conversation, list[Any]]:
    """``conversation`` as ``args`` change it (names, state, timers), and the webhooks that
    hear it: ``onConversationUpdated``, and ``onConversationStateUpdated`` for a new"""
    now = context.store.clock.now()
    wanted = args.get("state")
    if conversation.state == "closed" and args:
        raise errors.conversation_closed()
    _unique_name(chat, conversation.chat_service_sid, args.get("unique_name"), conversation.sid)
    before = conversation
    changes = {name: args[name] for name in _NAMES if name in args}
    if "email_address" in args:
        changes["email"] = (args["email_address"], args.get("email_name"))
    changed = conversation._replace(
        **changes,
        date_updated=args.get("date_updated", now),
        date_created=args.get("date_created", conversation.date_created),
    )
    changed = _timed(changed, args, now)
    keep(chat, changed)
    if wanted is not None and wanted != before.state:
        changed = set_state(chat, changed, wanted, changed.date_updated)
    sent = []
    if context.webhooks_enabled:
        params = events.conversation(changed)
        sent += events.fire(chat, changed.sid, "onConversationUpdated", params, "API")
        if changed.state != before.state:
            sent += events.state_updated(chat, before, changed, "API")
    return changed, sent


LIMIT = 5


def draft_webhook(context: Any, conversation: Conversation, target: str) -> ConversationWebhook:
    """A webhook of ``conversation`` not yet added (no SID), configured by what follows."""
    now = context.store.clock.now()
    method = None if target == "studio" else "post"
    return ConversationWebhook(
        "",
        context.account_sid,
        conversation.chat_service_sid,
        conversation.sid,
        target,
        None,
        method,
        (),
        (),
        None,
        None,
        now,
        now,
        0,
    )


def add_webhook(
    context: Any, chat: ConversationsState, webhook: ConversationWebhook
) -> ConversationWebhook:
    """``webhook`` (a configured draft_webhook) added to its conversation, five at most."""
    webhooks = chat.webhooks.setdefault(webhook.conversation_sid, {})
    if len(webhooks) >= LIMIT:
        raise errors.too_many_conversation_webhooks()
    store = context.store
    webhook = webhook._replace(sid=store.sids.new(sids.WEBHOOK), seq=store.next_seq())
    webhooks[webhook.sid] = webhook
    return webhook


def post_message(
    context: Any,
    chat: ConversationsState,
    conversation: Conversation,
    args: dict[str, Any],
    source: str,
    identity: str | None = None,
    enabled: bool = True,
) -> tuple[ConversationMessage, list[Webhook]]:
    """A new message in ``conversation`` (the API's create and the simulated agent's reply),
    and the webhooks that hear it (when ``enabled``): ``onMessageAdded``, after
    ``onConversationStateUpdated`` for an inactive conversation it brings back."""
    body = args.get("body")
    if body is None and args.get("media_sid") is None and args.get("content_sid") is None:
        raise errors.message_body_missing()
    if conversation.state == "closed":
        raise errors.conversation_closed()
    store = context.store
    now = store.clock.now()
    sent: list[Webhook] = []
    if conversation.state == "inactive":
        before = conversation
        conversation = set_state(chat, conversation, "active", now)
        if enabled:
            sent += events.state_updated(chat, before, conversation, "EVENT")
    elif conversation.timer_inactive or conversation.timer_closed:  # activity restarts them
        conversation = restarted(conversation, now)
        keep(chat, conversation)
    author = args.get("author", "system")
    participant = next(
        (p for p in chat.participants.get(conversation.sid, {}).values() if p.identity == author),
        None,
    )
    index = chat.next_index.get(conversation.sid, 0)
    chat.next_index[conversation.sid] = index + 1
    created = args.get("date_created", now)
    message = ConversationMessage(
        store.sids.new(sids.MESSAGE),
        context.account_sid,
        conversation.chat_service_sid,
        conversation.sid,
        index,
        author,
        body,
        args.get("attributes", "{}"),
        None if participant is None else participant.sid,
        created,
        args.get("date_updated", created),
        args.get("media_sid"),
        args.get("content_sid"),
    )
    chat.messages.setdefault(conversation.sid, {})[message.sid] = message
    if enabled:
        params = events.message(message, conversation.messaging_service_sid)
        sent += events.fire(chat, conversation.sid, "onMessageAdded", params, source, identity)
    return message, sent


def find_address(context: Any, chat: ConversationsState, key: str) -> AddressConfiguration:
    """A configuration by SID or address, or the 404 of the request's path."""
    found = chat.addresses.get(key) or next(
        (a for a in chat.addresses.values() if a.address == key), None
    )
    if found is None:
        raise errors.missing(context.resource)
    return found


AGENT_ATTRIBUTES = '{"member_type": "agent"}'


class Acting:
    """The scope the agent acts in: the account, the conversation's path (what an error
    names), and the webhooks its actions fire, kept until they are sent."""

    webhooks_enabled = True

    def __init__(self, store: Store, account_sid: str, conversation_sid: str) -> None:
        self.store = store
        self.account_sid = account_sid
        self.resource = f"{ROOT}/{conversation_sid}"
        self.path = (conversation_sid,)
        self.sent: list[Webhook] = []

    def send(self, webhooks: list[Webhook]) -> None:
        self.sent += webhooks


def end_chat(acting: Acting, chat: ConversationsState, conversation: Conversation) -> Conversation:
    """The agent ends the chat: each agent leaves (``onParticipantRemoved``) and the
    conversation closes (``onConversationStateUpdated``), as Flex wraps an interaction up."""
    for member in list(chat.participants.get(conversation.sid, {}).values()):
        if member.attributes == AGENT_ATTRIBUTES:
            params = remove_participant(acting, chat, member)
            identity = member.identity
            acting.send(
                events.fire(chat, conversation.sid, "onParticipantRemoved", params, "SDK", identity)
            )
    if conversation.state == "closed":
        return conversation
    closed = set_state(chat, conversation, "closed", acting.store.clock.now())
    acting.send(events.state_updated(chat, conversation, closed, "API"))
    return closed
