"""Flex WebChannels (``/v1/WebChannels``): the webchat sibling of Channels. Create (get-or-create
per flow and identity), fetch, list, update (``ChatStatus=inactive`` ends the chat, and
``PostEngagementData``), delete; sharing the store's accounts and flows."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from sortedcontainers import SortedDict

from ..core import errors, sids
from ..core.paging import PageSpec, window
from ..core.registry import Operation, Rule, described, json_text
from ..core.render import format_date
from . import models
from .models import FLEX, LIST_KEY

if TYPE_CHECKING:
    from ..core.context import Answer, Context
    from ..core.paging import View
    from ..core.world import Store

PATH = "/v1/WebChannels"
_JSON = (
    '{"account_sid": "%s", "flex_flow_sid": "%s", "sid": "%s", "url": "%s/WebChannels/%s", '
    '"date_created": "%s", "date_updated": "%s"}'
)


class WebChannel(NamedTuple):
    """A web channel, an immutable record: what it was created with, and what updates set."""

    sid: str
    account_sid: str
    flex_flow_sid: str
    identity: str
    flow_seq: int  # which flow of that SID (one may be deleted and made again)
    customer_friendly_name: str
    chat_friendly_name: str
    chat_unique_name: str | None
    pre_engagement_data: str | None
    post_engagement_data: str | None
    active: bool
    date_created: datetime
    date_updated: datetime
    seq: int  # position in the store's creation order


class WebChannels:
    """One account's web channels: by SID, in creation order, and the active one of each flow
    and identity (what a create returns instead of a new channel)."""

    def __init__(self) -> None:
        self.by_seq: SortedDict = SortedDict()  # seq -> record
        self.by_sid: dict[str, WebChannel] = {}
        # Active SID by (flow SID, the flow's position, identity): a flow deleted and made again
        # with its SID is a new flow, with no open chats.
        self.active: dict[tuple[str, int, str], str] = {}

    def put(self, record: WebChannel) -> None:
        self.by_sid[record.sid] = self.by_seq[record.seq] = record


def _state(store: Store, account_sid: str) -> WebChannels:
    return store.state(account_sid, WebChannels)


def _found(state: WebChannels, sid: str) -> WebChannel:
    record = state.by_sid.get(sid)
    if record is None:
        raise errors.not_found(f"/WebChannels/{sid}")
    return record


def _forget(state: WebChannels, record: WebChannel) -> None:
    """The record is no longer its flow and identity's open chat."""
    key = (record.flex_flow_sid, record.flow_seq, record.identity)
    if state.active.get(key) == record.sid:
        del state.active[key]


def _json(view: View, record: WebChannel) -> str:
    root = view.root
    # Every value is a SID, a date or a URL made of them and a checked host: nothing to escape.
    return _JSON % (
        record.account_sid,
        record.flex_flow_sid,
        record.sid,
        root,
        record.sid,
        format_date(record.date_created),
        format_date(record.date_updated),
    )


def _create(context: Context) -> Answer:
    store, account_sid, args = context.store, context.account_sid, context.args
    flow = models.flex_flow(store, account_sid, args["flex_flow_sid"])
    if flow is None:
        raise errors.not_found(f"/FlexFlows/{args['flex_flow_sid']}")
    state = _state(store, account_sid)
    key = (flow.sid, flow.seq, args["identity"])
    active = state.active.get(key)
    if active is not None:
        return (_json, state.by_sid[active])
    now = store.clock.now()
    record = WebChannel(
        sid=store.sids.new(sids.CHANNEL),
        account_sid=account_sid,
        flex_flow_sid=flow.sid,
        identity=args["identity"],
        flow_seq=flow.seq,
        customer_friendly_name=args["customer_friendly_name"],
        chat_friendly_name=args["chat_friendly_name"],
        chat_unique_name=args.get("chat_unique_name"),
        pre_engagement_data=args.get("pre_engagement_data"),
        post_engagement_data=None,
        active=True,
        date_created=now,
        date_updated=now,
        seq=store.next_seq(),
    )
    state.put(record)
    state.active[key] = record.sid
    return (_json, record)


def _fetch(context: Context) -> Answer:
    return (_json, _found(_state(context.store, context.account_sid), context.sid))


def _seq(record: WebChannel) -> int:
    return record.seq


_PAGES = PageSpec(PATH, LIST_KEY, _json, _seq)


def _list(context: Context) -> Answer:
    store, account_sid = context.store, context.account_sid

    def fetch(
        size: int, offset: int, after: int | None, before: int | None
    ) -> tuple[list[WebChannel], bool]:
        by_seq = _state(store, account_sid).by_seq
        start, end = window(by_seq.bisect_right, by_seq.bisect_left, size, offset, after, before)
        return list(by_seq.values()[start:end]), end < len(by_seq)

    return context.page(_PAGES, fetch)


def _update(context: Context) -> Answer:
    store, args = context.store, context.args
    state = _state(store, context.account_sid)
    record = _found(state, context.sid)
    changes: dict[str, Any] = {}
    if "post_engagement_data" in args:
        changes["post_engagement_data"] = args["post_engagement_data"]
    if args.get("chat_status") == "inactive" and record.active:
        changes["active"] = False  # the chat ended: the next create opens a new channel
        _forget(state, record)
    if changes:
        record = record._replace(**changes, date_updated=store.clock.now())
        state.put(record)
    return (_json, record)


def _delete(context: Context) -> None:
    state = _state(context.store, context.account_sid)
    record = _found(state, context.sid)
    del state.by_sid[record.sid], state.by_seq[record.seq]
    _forget(state, record)


_INSTANCE = f"{PATH}/{{Sid}}"
OPERATIONS = (
    Operation(
        "create_web_channel",
        "POST",
        PATH,
        _create,
        described(
            FLEX.host,
            "POST",
            PATH,
            Rule("PreEngagementData", "refused unless JSON text, as Channels'", check=json_text),
        ),
        body="form",
        status=201,
        summary="create a web channel, or get the active one of the flow and identity",
    ),
    Operation(
        "list_web_channels",
        "GET",
        PATH,
        _list,
        list_key=LIST_KEY,
        summary="a page of web channels, oldest first",
    ),
    Operation("fetch_web_channel", "GET", _INSTANCE, _fetch, summary="one web channel"),
    Operation(
        "update_web_channel",
        "POST",
        _INSTANCE,
        _update,
        described(FLEX.host, "POST", _INSTANCE),
        body="form",
        summary="end the chat (`ChatStatus=inactive`), or set post-engagement data",
    ),
    Operation(
        "delete_web_channel",
        "DELETE",
        _INSTANCE,
        _delete,
        status=204,
        summary="remove a web channel",
    ),
)
