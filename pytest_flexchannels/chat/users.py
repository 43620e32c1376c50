"""Chat users (``/v2/Services/{ServiceSid}/Users``): create, fetch (by SID or identity), list,
update, delete. The user of a Flex channel is its identity's, with the channel's ``user_sid``."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from ..core import errors
from ..core.paging import PageSpec
from ..core.registry import Operation, described
from . import state
from .state import ATTRIBUTES_RULE, DATE, DOMAIN, ROOT, ChatState, User

if TYPE_CHECKING:
    from ..core.context import Answer, Context
    from ..core.paging import View

PATH = f"{ROOT}/{{ServiceSid}}/Users"
LIST_KEY = "users"


class Listed(NamedTuple):
    user: User
    joined: int  # the channels it is a member of


def _json(view: View, listed: Listed) -> str:
    root = view.root
    user = listed.user
    base = f"/Services/{user.service_sid}/Users/{user.sid}"
    return state.dump(
        {
            "sid": user.sid,
            "account_sid": user.account_sid,
            "service_sid": user.service_sid,
            "attributes": user.attributes,
            "friendly_name": user.friendly_name,
            "role_sid": user.role_sid,
            "identity": user.identity,
            "is_online": None,  # reachability is off in the service
            "is_notifiable": None,
            "date_created": DATE(user.date_created),
            "date_updated": DATE(user.date_updated),
            "joined_channels_count": listed.joined,
            "links": {
                "user_channels": f"{root}{base}/Channels",
                "user_bindings": f"{root}{base}/Bindings",
            },
            "url": f"{root}{base}",
        }
    )


def _listed(chat: ChatState, user: User) -> Listed:
    joined = sum(
        1
        for members in chat.members.values()
        if any(
            m.identity == user.identity and m.service_sid == user.service_sid
            for m in members.values()
        )
    )
    return Listed(user, joined)


def _users(context: Context, chat: ChatState) -> dict[str, User]:
    service = state.service(context, chat, context.path[0])
    return chat.users.setdefault(service.sid, {})


def _found(context: Context, users: dict[str, User]) -> User:
    key = context.sid
    user = users.get(key) or next((u for u in users.values() if u.sid == key), None)
    if user is None:
        raise errors.missing(context.resource)
    return user


def _create(context: Context) -> Answer:
    args = context.args
    chat = state.of(context)
    users = _users(context, chat)
    if args["identity"] in users:
        raise errors.user_exists()
    user = state.user_of(
        context, chat, context.path[0], args["identity"], args.get("friendly_name")
    )
    user = users[user.identity] = user._replace(
        attributes=args.get("attributes", "{}"), role_sid=args.get("role_sid", user.role_sid)
    )
    return (_json, _listed(chat, user))


def _fetch(context: Context) -> Answer:
    chat = state.of(context)
    return (_json, _listed(chat, _found(context, _users(context, chat))))


def _seq(listed: Listed) -> int:
    return listed.user.seq


_PAGES = PageSpec(None, LIST_KEY, _json, _seq)


def _list(context: Context) -> Answer:
    chat = state.of(context)
    every = sorted((_listed(chat, user) for user in _users(context, chat).values()), key=_seq)
    return context.page(_PAGES, every)


def _update(context: Context) -> Answer:
    store, args = context.store, context.args
    chat = state.of(context)
    users = _users(context, chat)
    user = _found(context, users)
    if args:
        user = users[user.identity] = user._replace(**args, date_updated=store.clock.now())
    return (_json, _listed(chat, user))


def _delete(context: Context) -> None:
    users = _users(context, state.of(context))
    del users[_found(context, users).identity]


_INSTANCE = f"{PATH}/{{Sid}}"
OPERATIONS = (
    Operation(
        "create_chat_user",
        "POST",
        PATH,
        _create,
        described(DOMAIN.host, "POST", PATH, ATTRIBUTES_RULE),
        body="form",
        status=201,
        summary="create a chat user",
        domain=DOMAIN.name,
    ),
    Operation(
        "list_chat_users",
        "GET",
        PATH,
        _list,
        list_key=LIST_KEY,
        summary="a page of the service's users (Flex's customers among them), oldest first",
        domain=DOMAIN.name,
    ),
    Operation(
        "fetch_chat_user",
        "GET",
        _INSTANCE,
        _fetch,
        summary="one user, by SID or identity",
        domain=DOMAIN.name,
    ),
    Operation(
        "update_chat_user",
        "POST",
        _INSTANCE,
        _update,
        described(DOMAIN.host, "POST", _INSTANCE, ATTRIBUTES_RULE),
        body="form",
        summary="change a user's friendly name, attributes or role",
        domain=DOMAIN.name,
    ),
    Operation(
        "delete_chat_user",
        "DELETE",
        _INSTANCE,
        _delete,
        status=204,
        summary="remove a chat user",
        domain=DOMAIN.name,
    ),
)
