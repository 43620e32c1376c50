"""Chat channels (``/v2/Services/{ServiceSid}/Channels``): create, fetch, list, update, delete,
by SID or unique name. A Flex channel is one of its flow's service: chat renders the store's row,
and an update or delete through chat is an update or delete of that one record (attributes with
``"status": "INACTIVE"`` end its Flex chat, as Flex reads them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from ..core import errors, sids
from ..core.paging import PageSpec
from ..core.registry import Operation, described
from ..flex import models as flex_models
from . import events, state
from .state import ATTRIBUTES_RULE, DATE, DOMAIN, ROOT, UNDATED, ChatChannel, ChatState

if TYPE_CHECKING:
    from ..core.context import Answer, Context
    from ..core.paging import View

PATH = f"{ROOT}/{{ServiceSid}}/Channels"
LIST_KEY = "channels"
_LINKS = ("Members", "Messages", "Invites", "Webhooks")


class Listed(NamedTuple):
    """A channel with its counts, as one answer shows it."""

    channel: ChatChannel
    members: int
    messages: int


def _json(view: View, listed: Listed) -> str:
    root = view.root
    channel = listed.channel
    base = f"/Services/{channel.service_sid}/Channels/{channel.sid}"
    return state.dump(
        {
            "sid": channel.sid,
            "account_sid": channel.account_sid,
            "service_sid": channel.service_sid,
            "friendly_name": channel.friendly_name,
            "unique_name": channel.unique_name,
            "attributes": channel.attributes,
            "type": channel.type,
            "date_created": DATE(channel.date_created),
            "date_updated": DATE(channel.date_updated),
            "created_by": channel.created_by,
            "members_count": listed.members,
            "messages_count": listed.messages,
            "url": f"{root}{base}",
            "links": {**state.links(root, base, _LINKS), "last_message": None},
        }
    )


def listed(chat: ChatState, channel: ChatChannel) -> Listed:
    return Listed(
        channel,
        len(chat.members.get(channel.sid, ())),
        len(chat.messages.get(channel.sid, ())),
    )


def _unique(context: Context, chat: ChatState, service_sid: str, name: Any, sid: str) -> None:
    if name is not None and any(
        other.unique_name == name and other.sid != sid
        for other in state.channels_of(context, chat, service_sid)
    ):
        raise errors.unique_name_taken()


def _create(context: Context) -> Answer:
    store, args = context.store, context.args
    chat = state.of(context)
    service = state.service(context, chat, context.path[0])
    _unique(context, chat, service.sid, args.get("unique_name"), "")
    now = store.clock.now()
    channel = ChatChannel(
        store.sids.new(sids.CHANNEL),
        context.account_sid,
        service.sid,
        args.get("friendly_name"),
        args.get("unique_name"),
        args.get("attributes", "{}"),
        args.get("type", "public"),
        args.get("created_by", "system"),
        now,
        now,
        store.next_seq(),
    )
    chat.channels[channel.sid] = channel
    return (_json, listed(chat, channel))


def _fetch(context: Context) -> Answer:
    chat = state.of(context)
    service = state.service(context, chat, context.path[0])
    return (_json, listed(chat, state.channel(context, chat, service.sid, context.sid)))


def _seq(listed: Listed) -> int:
    return listed.channel.seq


_PAGES = PageSpec(None, LIST_KEY, _json, _seq, ("Type",))


def _list(context: Context) -> Answer:
    kinds = context.values("Type")

    chat = state.of(context)
    service = state.service(context, chat, context.path[0])
    every = [
        listed(chat, channel)
        for channel in state.channels_of(context, chat, service.sid)
        if not kinds or channel.type in kinds
    ]
    return context.page(_PAGES, every)


_ROW_FIELDS = {"friendly_name": "chat_friendly_name", "unique_name": "chat_unique_name"}


def _update(context: Context) -> Answer:
    store, args = context.store, context.args
    chat = state.of(context)
    service = state.service(context, chat, context.path[0])
    channel = state.channel(context, chat, service.sid, context.sid)
    _unique(context, chat, service.sid, args.get("unique_name"), channel.sid)
    changes = {k: v for k, v in args.items() if k in ("friendly_name", "unique_name", "attributes")}
    if channel.sid in chat.channels:
        if changes or "created_by" in args:
            channel = channel._replace(
                **changes,
                created_by=args.get("created_by", channel.created_by),
                date_updated=store.clock.now(),
            )
            chat.channels[channel.sid] = channel
    elif changes:
        flex_models.update_chat_channel(
            store,
            context.account_sid,
            channel.sid,
            {_ROW_FIELDS.get(k, k): v for k, v in changes.items()},
        )
        channel = state.channel(context, chat, service.sid, channel.sid)
    if context.webhooks_enabled and (changes or "created_by" in args):
        params = events.channel(channel)
        context.send(events.fire(chat, channel.sid, "onChannelUpdated", params, "API"))
    return (_json, listed(chat, channel))


def _delete(context: Context) -> None:
    store = context.store
    chat = state.of(context)
    service = state.service(context, chat, context.path[0])
    channel = state.channel(context, chat, service.sid, context.sid)
    if context.webhooks_enabled:
        params = events.channel(channel)
        params["DateDestroyed"] = DATE(store.clock.now())
        del params["DateUpdated"]
        context.send(events.fire(chat, channel.sid, "onChannelDestroyed", params, "API"))
    if chat.channels.pop(channel.sid, None) is None:
        flex_models.delete_channel(
            store, context.account_sid, channel.sid
        )  # the Flex channel goes too
    for kept in (chat.members, chat.messages, chat.webhooks):
        kept.pop(channel.sid, None)


_INSTANCE = f"{PATH}/{{Sid}}"
OPERATIONS = (
    Operation(
        "create_chat_channel",
        "POST",
        PATH,
        _create,
        described(DOMAIN.host, "POST", PATH, ATTRIBUTES_RULE, *UNDATED),
        body="form",
        status=201,
        summary="create a chat channel",
        domain=DOMAIN.name,
    ),
    Operation(
        "list_chat_channels",
        "GET",
        PATH,
        _list,
        described(DOMAIN.host, "GET", PATH),
        list_key=LIST_KEY,
        summary="a page of the service's chat channels (Flex's among them), oldest first",
        domain=DOMAIN.name,
    ),
    Operation(
        "fetch_chat_channel",
        "GET",
        _INSTANCE,
        _fetch,
        summary="one chat channel, by SID or unique name",
        domain=DOMAIN.name,
    ),
    Operation(
        "update_chat_channel",
        "POST",
        _INSTANCE,
        _update,
        described(DOMAIN.host, "POST", _INSTANCE, ATTRIBUTES_RULE, *UNDATED),
        body="form",
        summary="change a chat channel's names or attributes (`INACTIVE` ends a Flex chat)",
        domain=DOMAIN.name,
    ),
    Operation(
        "delete_chat_channel",
        "DELETE",
        _INSTANCE,
        _delete,
        status=204,
        summary="remove a chat channel (a Flex channel with it)",
        domain=DOMAIN.name,
    ),
)
