"""Conversations (``/v1/Conversations``, and in a named service): create, fetch (by SID or
unique name), list (``State``), update (names, attributes, ``State``, ``Timers.*``), delete.
``closed`` is final: a closed conversation cannot change again (it can be deleted)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.paging import PageSpec
from ..core.registry import Rule, date_time, described, one_of
from . import events, state
from .records import Conversation
from .state import ATTRIBUTES, DATE, duration

if TYPE_CHECKING:
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


def _json(view: View, conversation: Conversation) -> str:
    root, resource = view.root, view.resource
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


def _create(context: Context) -> Answer:
    chat, service_sid, _ = state.scope(context)
    conversation = state.create_conversation(context, chat, service_sid, context.args)
    return (_json, conversation)


def _fetch(context: Context) -> Answer:
    return (_json, state.parent(context)[1])


def _seq(conversation: Conversation) -> int:
    return conversation.seq


_PAGES = PageSpec(None, LIST_KEY, _json, _seq, ("State",))


def _list(context: Context) -> Answer:
    wanted = context.args.get("state")
    start, end = context.args.get("start_date"), context.args.get("end_date")

    chat, service_sid, _ = state.scope(context)
    every = [
        c
        for c in chat.conversations.values()
        if c.chat_service_sid == service_sid
        and (wanted is None or c.state == wanted)
        and (start is None or c.date_created >= start)
        and (end is None or c.date_created <= end)
    ]
    return context.page(_PAGES, every)


def _update(context: Context) -> Answer:
    chat, conversation, _ = state.parent(context)
    conversation, sent = state.update_conversation(context, chat, conversation, context.args)
    context.send(sent)
    return (_json, conversation)


def _delete(context: Context) -> None:
    store = context.store
    chat, conversation, _ = state.parent(context)
    if context.webhooks_enabled:
        params = events.conversation(conversation)
        params["DateRemoved"] = DATE(store.clock.now())
        context.send(events.fire(chat, conversation.sid, "onConversationRemoved", params, "API"))
    chat.forget(conversation.sid)


_NO_INITIALIZING = "the fake has no initializing state"
_TIMER = "an ISO 8601 duration Twilio takes, or its timer errors; the description says string"
# Create's, and update's too, in create's order (update's description lists the same names in
# another order: the fake names the first bad value in create's).
_WRITABLE = described(
    state.DOMAIN.host,
    "POST",
    state.ROOT,
    ATTRIBUTES,
    Rule("State", f"{_NO_INITIALIZING}; Conversations' own error", check=state.conversation_state),
    Rule("Timers.Inactive", _TIMER, check=duration),
    Rule("Timers.Closed", _TIMER, check=duration),
    names={"Timers.": "timer_", "Bindings.Email.": "email_"},
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
        described(
            state.DOMAIN.host,
            "GET",
            state.ROOT,
            Rule("StartDate", "an ISO 8601 date; the description says string", check=date_time),
            Rule("EndDate", "an ISO 8601 date; the description says string", check=date_time),
            Rule("State", _NO_INITIALIZING, check=one_of(("active", "inactive", "closed"))),
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
