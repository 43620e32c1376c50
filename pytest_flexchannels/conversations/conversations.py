"""Conversations (``/v1/Conversations``, and in a named service): create, fetch (by SID or
unique name), list (``State``), update (names, attributes, ``State``, ``Timers.*``), delete.
``closed`` is final: a closed conversation cannot change again (it can be deleted)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from ..core import errors, sids
from ..core.clock import later
from ..core.paging import PageSpec, window_of
from ..core.registry import Param, date_time, one_of, sid
from . import events, state
from .state import ATTRIBUTES, DATE, Conversation, ConversationsState, duration

if TYPE_CHECKING:
    from datetime import datetime

    from ..core.context import Answer, Context
    from ..core.paging import View

LIST_KEY = "conversations"
_LINKS = ("participants", "messages", "webhooks")


def _timers(conversation: Conversation) -> dict[str, str]:
    shown = {}
    if conversation.date_inactive is not None:
        shown["date_inactive"] = DATE(conversation.date_inactive)
    if conversation.date_closed is not None:
        shown["date_closed"] = DATE(conversation.date_closed)
    return shown


def url(root: str, resource: str, conversation: Conversation) -> str:
    return f"{root}{state.base(resource, conversation.chat_service_sid)}/Conversations/" + (
        conversation.sid
    )


def _json(conversation: Conversation, root: str, resource: str) -> str:
    at = url(root, resource, conversation)
    email = conversation.email
    return state.dump(
        {
            "account_sid": conversation.account_sid,
            "chat_service_sid": conversation.chat_service_sid,
            "messaging_service_sid": conversation.messaging_service_sid,
            "sid": conversation.sid,
            "friendly_name": conversation.friendly_name,
            "unique_name": conversation.unique_name,
            "attributes": conversation.attributes,
            "state": conversation.state,
            "date_created": DATE(conversation.date_created),
            "date_updated": DATE(conversation.date_updated),
            "timers": _timers(conversation),
            "url": at,
            "links": {name: f"{at}/{name.capitalize()}" for name in _LINKS},
            "bindings": {} if email is None else {"email": {"address": email[0], "name": email[1]}},
        }
    )


def _one(view: View, conversation: Conversation) -> str:
    return _json(conversation, view.root, view.resource)


def _unique(chat: ConversationsState, service_sid: str, name: Any, sid: str) -> None:
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


def create(
    context: Any, chat: ConversationsState, service_sid: str, args: dict[str, Any]
) -> Conversation:
    """A new conversation in the service (the API's create, an interaction's, a web chat's)."""
    store = context.store
    if args.get("state") == "closed":
        raise errors.conversation_created_closed()
    _unique(chat, service_sid, args.get("unique_name"), "")
    now = store.clock.now()
    email = args.get("email_address")
    conversation = Conversation(
        store.sids.new(sids.CHANNEL),
        context.account_sid,
        service_sid,
        args.get("messaging_service_sid") or state.messaging_service(context.account_sid),
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
    state.keep(chat, conversation)
    return conversation


def _create(context: Context) -> Answer:
    chat, service_sid, _ = state.scope(context)
    conversation = create(context, chat, service_sid, context.args)
    return (_one, conversation)


def _fetch(context: Context) -> Answer:
    chat, service_sid, path = state.scope(context)
    return (_one, state.conversation(context, chat, service_sid, path[0]))


def _seq(conversation: Conversation) -> int:
    return conversation.seq


_PAGES = PageSpec(None, LIST_KEY, partial(_json, resource=state.ROOT), _seq, ("State",))
_SCOPED_PAGES = PageSpec(None, LIST_KEY, partial(_json, resource=state.SCOPED), _seq, ("State",))


def _list(context: Context) -> Answer:
    wanted = context.args.get("state")
    start, end = context.args.get("start_date"), context.args.get("end_date")

    def fetch(
        size: int, offset: int, after: int | None, before: int | None
    ) -> tuple[list[Conversation], bool]:
        chat, service_sid, _ = state.scope(context)
        every = [
            c
            for c in chat.conversations.values()
            if c.chat_service_sid == service_sid
            and (wanted is None or c.state == wanted)
            and (start is None or c.date_created >= start)
            and (end is None or c.date_created <= end)
        ]
        return window_of(every, _seq, size, offset, after, before)

    spec = _SCOPED_PAGES if state.scoped(context.resource) else _PAGES
    return context.page(spec, fetch)


_NAMES = ("friendly_name", "unique_name", "attributes", "messaging_service_sid")


def update(
    context: Any, chat: ConversationsState, conversation: Conversation, args: dict[str, Any]
) -> tuple[Conversation, list[Any]]:
    """``conversation`` as ``args`` change it (names, state, timers), and the webhooks that
    hear it: ``onConversationUpdated``, and ``onConversationStateUpdated`` for a new state."""
    now = context.store.clock.now()
    wanted = args.get("state")
    if conversation.state == "closed" and args:
        raise errors.conversation_closed()
    _unique(chat, conversation.chat_service_sid, args.get("unique_name"), conversation.sid)
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
    state.keep(chat, changed)
    if wanted is not None and wanted != before.state:
        changed = state.set_state(chat, changed, wanted, changed.date_updated)
    sent = []
    if context.webhooks_enabled:
        params = events.conversation(changed)
        sent += events.fire(chat, changed.sid, "onConversationUpdated", params, "API")
        if changed.state != before.state:
            sent += events.state_updated(chat, before, changed, "API")
    return changed, sent


def _update(context: Context) -> Answer:
    chat, service_sid, path = state.scope(context)
    conversation = state.conversation(context, chat, service_sid, path[0])
    conversation, sent = update(context, chat, conversation, context.args)
    context.send(sent)
    return (_one, conversation)


def _delete(context: Context) -> None:
    store = context.store
    chat, service_sid, path = state.scope(context)
    conversation = state.conversation(context, chat, service_sid, path[0])
    if context.webhooks_enabled:
        params = events.conversation(conversation)
        params["DateRemoved"] = DATE(store.clock.now())
        context.send(events.fire(chat, conversation.sid, "onConversationRemoved", params, "API"))
    chat.forget(conversation.sid)


_STATE = Param("State", "state", state.conversation_state)
_WRITABLE = (
    Param("FriendlyName", "friendly_name"),
    Param("UniqueName", "unique_name"),
    Param("DateCreated", "date_created", date_time),
    Param("DateUpdated", "date_updated", date_time),
    Param("MessagingServiceSid", "messaging_service_sid", sid(sids.MESSAGING_SERVICE)),
    ATTRIBUTES,
    _STATE,
    Param("Timers.Inactive", "timer_inactive", duration),
    Param("Timers.Closed", "timer_closed", duration),
    Param("Bindings.Email.Address", "email_address"),
    Param("Bindings.Email.Name", "email_name"),
)

OPERATIONS = (
    *state.declare(
        "create_conversation",
        "POST",
        "",
        _create,
        _WRITABLE,
        body="form",
        status=201,
        summary="create a conversation (active; timers from now)",
    ),
    *state.declare(
        "list_conversations",
        "GET",
        "",
        _list,
        (
            Param("StartDate", "start_date", date_time),
            Param("EndDate", "end_date", date_time),
            Param("State", "state", one_of(("active", "inactive", "closed"))),
        ),
        list_key=LIST_KEY,
        summary="a page of conversations, oldest first (`State`, `StartDate`, `EndDate` filter)",
    ),
    *state.declare(
        "fetch_conversation",
        "GET",
        "/{Sid}",
        _fetch,
        summary="one conversation, by SID or unique name",
    ),
    *state.declare(
        "update_conversation",
        "POST",
        "/{Sid}",
        _update,
        _WRITABLE,
        body="form",
        summary="change a conversation: names, attributes, `State` (closed is final), timers",
    ),
    *state.declare(
        "delete_conversation",
        "DELETE",
        "/{Sid}",
        _delete,
        status=204,
        summary="remove a conversation with its participants, messages and webhooks",
    ),
)
