"""Chat messages (``.../Channels/{ChannelSid}/Messages``): create, fetch, list (``Order`` asc or
desc), update, delete. Each message has the channel's next ``index`` (0, 1, ...), which
deleting one does not give again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core import errors
from ..core.order import Order
from ..core.paging import PageSpec
from ..core.registry import Operation, Rule, described, text
from . import events, state
from .channels import PATH as CHANNELS
from .state import (
    ATTRIBUTES_RULE,
    DATE,
    DOMAIN,
    UNDATED,
    ChatMessage,
    ChatState,
)

if TYPE_CHECKING:
    from ..core.context import Answer, Context
    from ..core.paging import View

PATH = f"{CHANNELS}/{{ChannelSid}}/Messages"
LIST_KEY = "messages"


def _json(view: View, message: ChatMessage) -> str:
    root = view.root
    return state.dump(
        {
            "sid": message.sid,
            "account_sid": message.account_sid,
            "attributes": message.attributes,
            "service_sid": message.service_sid,
            "to": message.channel_sid,
            "channel_sid": message.channel_sid,
            "date_created": DATE(message.date_created),
            "date_updated": DATE(message.date_updated),
            "last_updated_by": message.last_updated_by,
            "was_edited": message.was_edited,
            "from": message.author,
            "body": message.body,
            "index": message.position,
            "type": "text",
            "media": None,
            "url": f"{root}/Services/{message.service_sid}/Channels/{message.channel_sid}"
            f"/Messages/{message.sid}",
        }
    )


def _channel(context: Context, chat: ChatState) -> tuple[str, str]:
    """The request's service and channel SIDs (the channel named by SID or unique name)."""
    service = state.service(context, chat, context.path[0])
    return service.sid, state.channel_sid(context, chat, service.sid, context.path[1])


def _create(context: Context) -> Answer:
    args = context.args
    chat = state.of(context)
    service_sid, channel_sid = _channel(context, chat)
    message = state.post_message(
        context,
        chat,
        service_sid,
        channel_sid,
        args.get("author", "system"),
        args.get("body", ""),
        args.get("attributes", "{}"),
        args.get("last_updated_by"),
    )
    if context.webhooks_enabled:
        context.send(
            events.fire(chat, channel_sid, "onMessageSent", events.message(message), "API")
        )
    return (_json, message)


def _found(context: Context, chat: ChatState, channel_sid: str) -> ChatMessage:
    message = chat.message_sids.get(context.sid)
    if message is None or message.channel_sid != channel_sid:
        raise errors.missing(context.resource)
    return message


def _fetch(context: Context) -> Answer:
    chat = state.of(context)
    return (_json, _found(context, chat, _channel(context, chat)[1]))


def _position(message: ChatMessage) -> int:
    return message.position


def _reversed(message: ChatMessage) -> int:
    # Newest first: a position that falls as the index grows (page tokens carry no sign).
    return (1 << 48) - message.position


_ASC = PageSpec(None, LIST_KEY, _json, _position, ("Order",))
_DESC = PageSpec(None, LIST_KEY, _json, _reversed, ("Order",))


def _list(context: Context) -> Answer:
    descending = context.args.get("order") == "desc"
    spec = _DESC if descending else _ASC

    chat = state.of(context)
    kept: Order[ChatMessage] | tuple[()] = chat.messages.get(_channel(context, chat)[1], ())
    every = list(kept)
    if descending:
        every.reverse()
    return context.page(spec, every)


def _update(context: Context) -> Answer:
    store, args = context.store, context.args
    chat = state.of(context)
    channel_sid = _channel(context, chat)[1]
    message = _found(context, chat, channel_sid)
    if args:
        edited = message.was_edited or "body" in args
        message = message._replace(**args, was_edited=edited, date_updated=store.clock.now())
        chat.messages_of(channel_sid).replace(chat.message_sids[message.sid], message)
        chat.message_sids[message.sid] = message
        if context.webhooks_enabled:
            params = events.message(message)
            params["ModifiedBy"] = message.last_updated_by or message.author
            params["DateUpdated"] = DATE(message.date_updated)
            context.send(events.fire(chat, channel_sid, "onMessageUpdated", params, "API"))
    return (_json, message)


def _delete(context: Context) -> None:
    chat = state.of(context)
    channel_sid = _channel(context, chat)[1]
    message = _found(context, chat, channel_sid)
    chat.messages_of(channel_sid).remove(message)
    del chat.message_sids[message.sid]
    if context.webhooks_enabled:
        params = events.message(message)
        params["DateRemoved"] = DATE(context.store.clock.now())
        context.send(events.fire(chat, channel_sid, "onMessageRemoved", params, "API"))


_INSTANCE = f"{PATH}/{{Sid}}"
_NAMES = {"From": "author"}  # a message's author, as its answer names it
OPERATIONS = (
    Operation(
        "create_chat_message",
        "POST",
        PATH,
        _create,
        described(
            DOMAIN.host,
            "POST",
            PATH,
            ATTRIBUTES_RULE,
            *UNDATED,
            Rule("MediaSid", "any text: the fake keeps no media to look up", check=text),
            names=_NAMES,
        ),
        body="form",
        status=201,
        summary="post a message in a chat channel",
        domain=DOMAIN.name,
    ),
    Operation(
        "list_chat_messages",
        "GET",
        PATH,
        _list,
        described(DOMAIN.host, "GET", PATH),
        list_key=LIST_KEY,
        summary="a page of a chat channel's messages, by index (`Order=desc`: newest first)",
        domain=DOMAIN.name,
    ),
    Operation(
        "fetch_chat_message", "GET", _INSTANCE, _fetch, summary="one message", domain=DOMAIN.name
    ),
    Operation(
        "update_chat_message",
        "POST",
        _INSTANCE,
        _update,
        described(DOMAIN.host, "POST", _INSTANCE, ATTRIBUTES_RULE, *UNDATED, names=_NAMES),
        body="form",
        summary="edit a message",
        domain=DOMAIN.name,
    ),
    Operation(
        "delete_chat_message",
        "DELETE",
        _INSTANCE,
        _delete,
        status=204,
        summary="remove a message",
        domain=DOMAIN.name,
    ),
)
