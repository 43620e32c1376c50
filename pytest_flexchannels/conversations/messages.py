"""Conversation messages (``.../Conversations/{ConversationSid}/Messages``): create, fetch, list
(``Order`` asc or desc), update, delete. Each message has the conversation's next ``index``,
which deleting one does not give again. A message restarts the conversation's timers and
brings an inactive one back to ``active``; a closed conversation takes none."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core import errors
from ..core.paging import PageSpec
from ..core.registry import described
from . import events, state
from .records import Conversation, ConversationMessage, ConversationsState
from .state import ATTRIBUTES, DATE

if TYPE_CHECKING:
    from ..core.context import Answer, Context
    from ..core.paging import View

LIST_KEY = "messages"


def _json(view: View, message: ConversationMessage) -> str:
    root, resource = view.root, view.resource
    base = state.base(resource, message.chat_service_sid)
    at = f"{root}{base}/Conversations/{message.conversation_sid}/Messages/{message.sid}"
    shown: dict[str, Any] = {
        "account_sid": message.account_sid,
        "conversation_sid": message.conversation_sid,
        "sid": message.sid,
        "index": message.position,
        "author": message.author,
        "body": message.body,
        "media": None
        if message.media_sid is None
        else [{"sid": message.media_sid, "category": "media"}],
        "attributes": message.attributes,
        "participant_sid": message.participant_sid,
        "date_created": DATE(message.date_created),
        "date_updated": DATE(message.date_updated),
        "url": at,
        "delivery": None,
        "links": {
            "delivery_receipts": f"{at}/Receipts",
            "channel_metadata": f"{at}/ChannelMetadata",
        },
        "content_sid": message.content_sid,
    }
    if base:
        shown = {"chat_service_sid": message.chat_service_sid, **shown}
    return state.dump(shown)


def _create(context: Context) -> Answer:
    chat, conversation, _ = state.parent(context)
    message, sent = state.post_message(
        context, chat, conversation, context.args, "API", enabled=context.webhooks_enabled
    )
    context.send(sent)
    return (_json, message)


def _found(context: Context) -> tuple[ConversationsState, Conversation, ConversationMessage]:
    chat, conversation, path = state.parent(context)
    message = chat.messages.get(conversation.sid, {}).get(path[1])
    if message is None:
        raise errors.missing(context.resource)
    return chat, conversation, message


def _fetch(context: Context) -> Answer:
    return (_json, _found(context)[2])


def _index(message: ConversationMessage) -> int:
    return message.position


def _reversed(message: ConversationMessage) -> int:
    # Newest first: a position that falls as the index grows (page tokens carry no sign).
    return (1 << 48) - message.position


_ASC = PageSpec(None, LIST_KEY, _json, _index, ("Order",))
_DESC = PageSpec(None, LIST_KEY, _json, _reversed, ("Order",))


def _list(context: Context) -> Answer:
    descending = context.args.get("order") == "desc"
    chat, conversation, _ = state.parent(context)
    every = list(chat.messages.get(conversation.sid, {}).values())
    if descending:
        every.reverse()
    return context.page(_DESC if descending else _ASC, every)


def _update(context: Context) -> Answer:
    store, args = context.store, context.args
    chat, conversation, message = _found(context)
    changes = {
        name: args[name]
        for name in ("author", "body", "attributes", "date_created")
        if name in args
    }
    message = message._replace(**changes, date_updated=args.get("date_updated", store.clock.now()))
    chat.messages[conversation.sid][message.sid] = message
    if context.webhooks_enabled:
        params = events.message(message, conversation.messaging_service_sid)
        params["DateUpdated"] = DATE(message.date_updated)
        context.send(events.fire(chat, conversation.sid, "onMessageUpdated", params, "API"))
    return (_json, message)


def _delete(context: Context) -> None:
    store = context.store
    chat, conversation, message = _found(context)
    del chat.messages[conversation.sid][message.sid]
    if context.webhooks_enabled:
        params = events.message(message, conversation.messaging_service_sid)
        params["DateRemoved"] = DATE(store.clock.now())
        context.send(events.fire(chat, conversation.sid, "onMessageRemoved", params, "API"))


_PATH = "/{ConversationSid}/Messages"
OPERATIONS = (
    *state.declare(
        "create_conversation_message",
        "POST",
        _PATH,
        _create,
        described(state.DOMAIN.host, "POST", f"{state.ROOT}{_PATH}", ATTRIBUTES),
        body="form",
        status=201,
        summary="post a message in a conversation (an inactive one becomes active)",
    ),
    *state.declare(
        "list_conversation_messages",
        "GET",
        _PATH,
        _list,
        described(state.DOMAIN.host, "GET", f"{state.ROOT}{_PATH}"),
        list_key=LIST_KEY,
        summary="a page of a conversation's messages, by index (`Order=desc`: newest first)",
    ),
    *state.declare(
        "fetch_conversation_message", "GET", f"{_PATH}/{{Sid}}", _fetch, summary="one message"
    ),
    *state.declare(
        "update_conversation_message",
        "POST",
        f"{_PATH}/{{Sid}}",
        _update,
        described(state.DOMAIN.host, "POST", f"{state.ROOT}{_PATH}/{{Sid}}", ATTRIBUTES),
        body="form",
        summary="edit a message",
    ),
    *state.declare(
        "delete_conversation_message",
        "DELETE",
        f"{_PATH}/{{Sid}}",
        _delete,
        status=204,
        summary="remove a message",
    ),
)
