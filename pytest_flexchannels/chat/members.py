"""Chat members (``.../Channels/{ChannelSid}/Members``): create, fetch (by SID or identity),
list (``Identity`` filter), delete. A Flex channel's customer is its first member; a new member's
identity becomes a user of the service if it was none."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core import errors, sids
from ..core.paging import PageSpec
from ..core.registry import Operation, Rule, described
from . import events, state
from .channels import PATH as CHANNELS
from .state import ATTRIBUTES_RULE, DATE, DOMAIN, UNDATED, ChatState, Member

if TYPE_CHECKING:
    from ..core.context import Answer, Context
    from ..core.paging import View

PATH = f"{CHANNELS}/{{ChannelSid}}/Members"
LIST_KEY = "members"


def _json(view: View, member: Member) -> str:
    root = view.root
    return state.dump(
        {
            "sid": member.sid,
            "account_sid": member.account_sid,
            "channel_sid": member.channel_sid,
            "service_sid": member.service_sid,
            "identity": member.identity,
            "date_created": DATE(member.date_created),
            "date_updated": DATE(member.date_updated),
            "role_sid": member.role_sid,
            "last_consumed_message_index": member.last_consumed_message_index,
            "last_consumption_timestamp": None,
            "url": f"{root}/Services/{member.service_sid}/Channels/{member.channel_sid}"
            f"/Members/{member.sid}",
            "attributes": member.attributes,
        }
    )


def _members(context: Context, chat: ChatState) -> dict[str, Member]:
    """The members of the request's channel (named by SID or unique name)."""
    service = state.service(context, chat, context.path[0])
    return state.members_of(chat, state.channel_sid(context, chat, service.sid, context.path[1]))


def _found(context: Context, members: dict[str, Member]) -> Member:
    key = context.sid
    member = members.get(key) or next((m for m in members.values() if m.identity == key), None)
    if member is None:
        raise errors.missing(context.resource)
    return member


def _create(context: Context) -> Answer:
    store, args = context.store, context.args
    chat = state.of(context)
    service = state.service(context, chat, context.path[0])
    channel_sid = state.channel_sid(context, chat, service.sid, context.path[1])
    members = state.members_of(chat, channel_sid)
    identity = args["identity"]
    if any(member.identity == identity for member in members.values()):
        raise errors.member_exists()
    state.user_of(context, chat, service.sid, identity, None)
    now = store.clock.now()
    member = Member(
        store.sids.new(sids.MEMBER),
        context.account_sid,
        channel_sid,
        service.sid,
        identity,
        args.get("role_sid", state.role(service.sid, "channel user")),
        args.get("attributes", "{}"),
        args.get("last_consumed_message_index"),
        now,
        now,
        store.next_seq(),
    )
    members[member.sid] = member
    if context.webhooks_enabled:
        params = events.member(member, "ADDED")
        context.send(events.fire(chat, channel_sid, "onMemberAdded", params, "API"))
    return (_json, member)


def _fetch(context: Context) -> Answer:
    return (_json, _found(context, _members(context, state.of(context))))


def _seq(member: Member) -> int:
    return member.seq


_PAGES = PageSpec(None, LIST_KEY, _json, _seq, ("Identity",))


def _list(context: Context) -> Answer:
    identities = context.values("Identity")

    every = sorted(_members(context, state.of(context)).values(), key=_seq)
    every = [m for m in every if not identities or m.identity in identities]
    return context.page(_PAGES, every)


def _delete(context: Context) -> None:
    chat = state.of(context)
    members = _members(context, chat)
    member = members.pop(_found(context, members).sid)
    if context.webhooks_enabled:
        params = events.member(member, "REMOVED")
        params["DateRemoved"] = DATE(context.store.clock.now())
        context.send(events.fire(chat, member.channel_sid, "onMemberRemoved", params, "API"))


_INSTANCE = f"{PATH}/{{Sid}}"
OPERATIONS = (
    Operation(
        "create_chat_member",
        "POST",
        PATH,
        _create,
        described(
            DOMAIN.host,
            "POST",
            PATH,
            ATTRIBUTES_RULE,
            *UNDATED,
            Rule("LastConsumptionTimestamp", "not modelled: no such time is kept", skip=True),
        ),
        body="form",
        status=201,
        summary="add a member to a chat channel",
        domain=DOMAIN.name,
    ),
    Operation(
        "list_chat_members",
        "GET",
        PATH,
        _list,
        described(DOMAIN.host, "GET", PATH),
        list_key=LIST_KEY,
        summary="a page of a chat channel's members, oldest first",
        domain=DOMAIN.name,
    ),
    Operation(
        "fetch_chat_member",
        "GET",
        _INSTANCE,
        _fetch,
        summary="one member, by SID or identity",
        domain=DOMAIN.name,
    ),
    Operation(
        "delete_chat_member",
        "DELETE",
        _INSTANCE,
        _delete,
        status=204,
        summary="remove a member from a chat channel",
        domain=DOMAIN.name,
    ),
)
