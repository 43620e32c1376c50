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

from ..chat.state import ATTRIBUTES_PARAM, derived_sid
from ..core import errors, sids
from ..core.clock import later
from ..core.registry import Domain, Operation, Param
from ..core.render import format_date
from ..core.webhooks import Webhook
from ..core.world import Store
from ..flex import models as flex_models
from . import events
from .records import (
    AddressConfiguration as AddressConfiguration,
)
from .records import (
    Binding as Binding,
)
from .records import (
    Conversation as Conversation,
)
from .records import (
    ConversationMessage as ConversationMessage,
)
from .records import (
    ConversationsState as ConversationsState,
)
from .records import (
    ConversationWebhook as ConversationWebhook,
)
from .records import (
    Participant as Participant,
)

DATE = format_date
ATTRIBUTES = ATTRIBUTES_PARAM  # JSON text, or Chat's 50304 (the Conversations API answers it too)
DOMAIN = Domain("conversations", "conversations", "/conversations")
ROOT = "/v1/Conversations"
SCOPED = "/v1/Services/{ChatServiceSid}/Conversations"
# The longest timer taken (modelled: Twilio states none): a date past it would pass year 9999.
LONGEST_TIMER = timedelta(days=36500)


class Scope(Protocol):
    """What the helpers read of a request's context (the simulated agent and the interactions
    make one too): the store, the account, the request's path as its API names it, the values of
    the path's parameters, and where webhooks the request fires go."""

    @property
    def store(self) -> Store: ...

    @property
    def account_sid(self) -> str: ...

    @property
    def resource(self) -> str: ...

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
