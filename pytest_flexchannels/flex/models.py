"""The Flex family's records and rules: Flex Flows and Channels (kept per account in the
store as a ``FlexState``), their wire JSON, and the rules of the Channels resource
(get-or-create, paging order, what the Chat API may change). Knows nothing of HTTP."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from operator import attrgetter, itemgetter
from typing import Any, Final, Literal, NamedTuple

from ..core import errors, sids
from ..core.order import Order, Span
from ..core.paging import page_meta, window, window_of
from ..core.registry import Domain
from ..core.render import format_date
from ..core.world import Store, check_given

IntegrationType = Literal["studio", "external", "task"]
ChannelType = Literal["web", "sms", "facebook", "whatsapp", "line", "custom"]

INTEGRATION_TYPES: tuple[IntegrationType, ...] = ("studio", "external", "task")
CHANNEL_TYPES: tuple[ChannelType, ...] = ("web", "sms", "facebook", "whatsapp", "line", "custom")

# Resource URLs always name the public host, whatever host the request came to (as Twilio does).
FLEX = Domain("flex", "flex-api", "")  # on a served fake, a path without an API's prefix
PUBLIC_ORIGIN = FLEX.origin
API_ROOT = f"{PUBLIC_ORIGIN}/v1"
CHANNELS_PATH = "/v1/Channels"
LIST_KEY = "flex_chat_channels"
FLEX_FLOWS_PATH = "/v1/FlexFlows"
FLEX_FLOWS_KEY = "flex_flows"
# The Integration.* parameters each integration type requires (Python name, wire name), in the
# order they are checked: "Required when integrationType is ..." in the official description.
INTEGRATION_REQUIRED: dict[str, tuple[tuple[str, str], ...]] = {
    "studio": (("flow_sid", "Integration.FlowSid"),),
    "external": (("url", "Integration.Url"),),
    "task": (
        ("workspace_sid", "Integration.WorkspaceSid"),
        ("workflow_sid", "Integration.WorkflowSid"),
    ),
}
RETRY_COUNTS = range(4)  # Integration.RetryCount: 0 to 3


def missing_integration(integration_type: str, integration: Mapping[str, Any]) -> str | None:
    """The wire name of the first parameter a flow of ``integration_type`` requires and
    ``integration`` lacks, or None."""
    for python, wire in INTEGRATION_REQUIRED.get(integration_type, ()):
        if integration.get(python) is None:
            return wire
    return None


def check_flow_types(integration_type: object, channel_type: object) -> None:
    """Refuse an integration or channel type Flex does not have (for Python callers)."""
    if integration_type not in INTEGRATION_TYPES:
        raise ValueError(
            f"integration_type must be one of {INTEGRATION_TYPES}, got {integration_type!r}"
        )
    if channel_type not in CHANNEL_TYPES:
        raise ValueError(f"channel_type must be one of {CHANNEL_TYPES}, got {channel_type!r}")


@dataclass(frozen=True, slots=True)
class FlexFlow:
    """A Flex Flow. ``integration`` holds the ``Integration.*`` parameters it was given, by
    their snake_case names (``flow_sid``, ``url``, ``workspace_sid``, ``retry_count``, ...)."""

    sid: str
    account_sid: str
    friendly_name: str
    chat_service_sid: str
    channel_type: ChannelType
    integration_type: IntegrationType
    long_lived: bool
    janitor_enabled: bool
    enabled: bool
    date_created: datetime
    date_updated: datetime
    contact_identity: str | None = None
    integration: Mapping[str, Any] = field(default_factory=dict)
    # Creation order across the store, for list order and page positions.
    seq: int = field(default=0, repr=False, compare=False)

    @property
    def url(self) -> str:
        return f"{API_ROOT}/FlexFlows/{self.sid}"


def flex_flow_resource(flow: FlexFlow, root: str = API_ROOT) -> dict[str, Any]:
    """The flow as the API returns it: the fourteen keys of the official description, its
    ``url`` under ``root`` (the API root of the host the request came to)."""
    return {
        "account_sid": flow.account_sid,
        "date_created": format_date(flow.date_created),
        "date_updated": format_date(flow.date_updated),
        "sid": flow.sid,
        "friendly_name": flow.friendly_name,
        "chat_service_sid": flow.chat_service_sid,
        "channel_type": flow.channel_type,
        "contact_identity": flow.contact_identity,
        "enabled": flow.enabled,
        "integration_type": flow.integration_type,
        "integration": dict(flow.integration),
        "long_lived": flow.long_lived,
        "janitor_enabled": flow.janitor_enabled,
        "url": f"{root}/FlexFlows/{flow.sid}",
    }


class Channel(NamedTuple):
    """A stored channel with every field it was created with: an immutable snapshot.

    ``active`` turns False when the test deactivates it (the agent ended the chat); the next create
    for the same flow and identity then opens a new channel. A named tuple rather than a frozen
    dataclass: it is built five times faster, which seeding 100,000 channels feels.
    """

    sid: str
    account_sid: str
    flex_flow_sid: str
    user_sid: str
    task_sid: str | None
    identity: str
    chat_user_friendly_name: str
    chat_friendly_name: str
    target: str | None
    chat_unique_name: str | None
    pre_engagement_data: str | None
    task_attributes: str | None
    long_lived: bool
    active: bool
    date_created: datetime
    date_updated: datetime
    # Creation order across the store: list order and page tokens are positions in it.
    seq: int
    # The Programmable Chat channel it is (same SID): its service (the flow's), and the
    # attributes the Chat API last set (None: those Flex writes, see ``flex_attributes``).
    chat_service_sid: str
    attributes: str | None = None

    @property
    def url(self) -> str:
        return f"{API_ROOT}/Channels/{self.sid}"

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={getattr(self, name)!r}" for name in self._fields if name != "seq"
        )
        return f"Channel({shown})"


# A channel as the store keeps it: a plain tuple of Channel's fields, in order.
ChannelRow = tuple[
    str,
    str,
    str,
    str,
    str | None,
    str,
    str,
    str,
    str | None,
    str | None,
    str | None,
    str | None,
    bool,
    bool,
    datetime,
    datetime,
    int,
    str,
    str | None,
]
# Positions in a channel row (Channel's field order), by which the families over Flex read one.
SID: Final = 0
ACCOUNT: Final = 1
FLOW: Final = 2
USER: Final = 3
TASK: Final = 4
IDENTITY: Final = 5
USER_NAME: Final = 6
CHAT_NAME: Final = 7
TARGET: Final = 8
CHAT_UNIQUE_NAME: Final = 9
PRE_ENGAGEMENT: Final = 10
LONG_LIVED: Final = 12
ACTIVE: Final = 13
CREATED: Final = 14
UPDATED: Final = 15
SEQ: Final = 16
SERVICE: Final = 17
ATTRIBUTES: Final = 18


def flex_attributes(channel: ChannelRow, channel_type: str) -> str:
    """The attributes Flex writes on the chat channel it makes (modelled on captured ones):
    the task's SID on a task flow, the pre-engagement data, who it is ``from`` (the target,
    else the user's friendly name), the flow's channel type, ``status`` (``ACTIVE`` until the
    chat ends) and ``long_lived``."""
    attributes: dict[str, Any] = {}
    if channel[TASK] is not None:
        attributes["task_sid"] = channel[TASK]
    if channel[PRE_ENGAGEMENT] is not None:
        attributes["pre_engagement_data"] = json.loads(channel[PRE_ENGAGEMENT])
    attributes["from"] = channel[TARGET] if channel[TARGET] is not None else channel[USER_NAME]
    attributes["channel_type"] = channel_type
    attributes["status"] = "ACTIVE" if channel[ACTIVE] else "INACTIVE"
    attributes["long_lived"] = channel[LONG_LIVED]
    return json.dumps(attributes, ensure_ascii=False, separators=(",", ":"))


def attributes_status(attributes: str | None) -> str | None:
    """The ``status`` chat attributes hold (what Flex reads an open chat from), if any."""
    try:
        value = json.loads(attributes) if attributes else None
    except (ValueError, RecursionError):
        return None
    status = value.get("status") if isinstance(value, dict) else None
    return status if isinstance(status, str) else None


def with_status(attributes: str | None, status: str) -> str | None:
    """Attributes set through the Chat API with their ``status`` changed (as Flex ends a chat):
    left as they are when they are not a JSON object (None stays None: Flex's own)."""
    try:
        value = json.loads(attributes) if attributes else None
    except (ValueError, RecursionError):
        return attributes
    if not isinstance(value, dict):
        return attributes
    value["status"] = status
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def channel_resource(channel: Channel, root: str = API_ROOT) -> dict[str, Any]:
    """The channel as the API returns it: exactly the eight keys of the official description,
    its ``url`` under ``root`` (the API root of the host the request came to)."""
    return {
        "account_sid": channel.account_sid,
        "flex_flow_sid": channel.flex_flow_sid,
        "sid": channel.sid,
        "user_sid": channel.user_sid,
        "task_sid": channel.task_sid,
        "url": f"{root}/Channels/{channel.sid}",
        "date_created": format_date(channel.date_created),
        "date_updated": format_date(channel.date_updated),
    }


def _meta(origin: str, meta: dict[str, Any]) -> dict[str, Any]:
    return page_meta(origin, **{"path": CHANNELS_PATH, "key": LIST_KEY, **meta})


def channel_page(origin: str, items: list[dict[str, Any]], **meta: Any) -> dict[str, Any]:
    """A list page as the API returns it (``meta`` as ``page_meta`` takes it)."""
    return {"meta": _meta(origin, meta), LIST_KEY: items}


# The answers' JSON text, built without json.dumps: every value in a channel body is a SID, a
# date or a URL made of them and a checked host (generated, or checked against a pattern), so
# none needs escaping.
# Rendering a page of 50 this way costs a fraction of building and dumping 50 dicts.
_CHANNEL_JSON = (
    '{"account_sid": "%s", "flex_flow_sid": "%s", "sid": "%s", "user_sid": "%s", '
    '"task_sid": %s, "url": "%s/Channels/%s", "date_created": "%s", '
    '"date_updated": "%s"}'
)


# Records are immutable, so a channel's text is a pure function of it: pages that list the same
# channels (a client paging, a poller) pay for formatting once. Bounded, and keyed by the record
# itself, so a changed channel (deactivated) is a new key.
@lru_cache(maxsize=4096)
def channel_json(channel: ChannelRow, root: str = API_ROOT) -> str:
    """``channel_resource(channel, root)`` as JSON text, from a ``Channel`` or a stored row."""
    sid, account_sid, flow_sid, user_sid, task_sid = channel[:5]
    task = "null" if task_sid is None else f'"{task_sid}"'
    return _CHANNEL_JSON % (
        account_sid,
        flow_sid,
        sid,
        user_sid,
        task,
        root,
        sid,
        format_date(channel[CREATED]),
        format_date(channel[UPDATED]),
    )


# --- the rules of flows and channels, over the store's world --------------------------------------

# Where a seeded external flow sends its messages: a name that never resolves (RFC 2606).
EXTERNAL_FLOW_URL = "https://flex-flow.example.invalid/messages"


@dataclass(slots=True)
class NewChannel:
    """Validated create arguments, by their Python names (short-lived: not frozen, which makes
    it cheaper to build on the seeding path)."""

    flex_flow_sid: str
    identity: str
    chat_user_friendly_name: str
    chat_friendly_name: str
    target: str | None = None
    chat_unique_name: str | None = None
    pre_engagement_data: str | None = None
    task_sid: str | None = None
    task_attributes: str | None = None
    long_lived: bool | None = None


# The fields the Chat API sets, by position.
_CHAT_FIELDS: Final = {
    "chat_friendly_name": CHAT_NAME,
    "chat_unique_name": CHAT_UNIQUE_NAME,
    "attributes": ATTRIBUTES,
}
_record = Channel._make  # a row as the Channel record callers get
_position = itemgetter(SEQ)
_flow_seq = attrgetter("seq")


class FlexState:
    """One account's flows and channels (kept by the store, one instance per account)."""

    __slots__ = ("active", "channels", "flow_types", "flows", "order", "users")

    def __init__(self) -> None:
        self.flows: dict[str, FlexFlow] = {}
        self.flow_types: dict[str, str] = {}  # every flow's channel type, deleted ones' too
        # Rows: plain tuples in the order Channel declares its fields, which the garbage collector
        # stops tracking (it keeps tracking every instance of a tuple subclass, so a million
        # Channel records slowed every full collection of the test process). Channel objects
        # are made from them on the way out.
        self.channels: dict[str, ChannelRow] = {}
        # The rows again, in creation order: pages come from it, and a recorded page keeps a
        # piece of it rather than a copy of its rows.
        self.order: Order[ChannelRow] = Order(_position)
        self.users: dict[str, str] = {}
        # Active channel SID by flow, then identity (no tuple key to keep per channel).
        self.active: dict[str, dict[str, str]] = {}


# --- flows ----------------------------------------------------------------------------------------


def add_flex_flow(
    store: Store,
    account_sid: str,
    *,
    integration_type: IntegrationType,
    channel_type: ChannelType,
    long_lived: bool,
    sid: str | None = None,
    friendly_name: str | None = None,
    janitor_enabled: bool = False,
    enabled: bool = True,
    chat_service_sid: str | None = None,
    contact_identity: str | None = None,
    integration: Mapping[str, Any] | None = None,
) -> FlexFlow:
    """A new flow (what both ``add_flex_flow`` and ``POST /v1/FlexFlows`` make)."""
    check_given(sid, sids.FLEX_FLOW, "Flex Flow SID")
    check_flow_types(integration_type, channel_type)
    with store.lock:
        state = store.state(account_sid, FlexState)
        now = store.clock.now()
        flow = FlexFlow(
            sid=sid or store.sids.new(sids.FLEX_FLOW),
            account_sid=account_sid,
            friendly_name=friendly_name or f"{channel_type} {integration_type} flow",
            chat_service_sid=chat_service_sid or store.sids.new(sids.CHAT_SERVICE),
            channel_type=channel_type,
            integration_type=integration_type,
            long_lived=long_lived,
            janitor_enabled=janitor_enabled,
            enabled=enabled,
            date_created=now,
            date_updated=now,
            contact_identity=contact_identity,
            integration=_integration(store, integration_type)
            if integration is None
            else dict(integration),
            seq=store.next_seq(),
        )
        if flow.sid in state.flows:
            raise ValueError(f"Flex Flow {flow.sid} already exists in account {account_sid}")
        state.flows[flow.sid] = flow
        state.flow_types[flow.sid] = flow.channel_type
        return flow


def _integration(store: Store, integration_type: str) -> dict[str, Any]:
    """What a seeded flow's integration holds: the parameters Twilio requires of its type."""
    if integration_type == "studio":
        return {"flow_sid": store.sids.new(sids.STUDIO_FLOW)}
    if integration_type == "external":
        return {"url": EXTERNAL_FLOW_URL}
    return {
        "workspace_sid": store.sids.new(sids.WORKSPACE),
        "workflow_sid": store.sids.new(sids.WORKFLOW),
    }


def flex_flow(store: Store, account_sid: str, sid: str) -> FlexFlow | None:
    with store.lock:
        return store.state(account_sid, FlexState).flows.get(sid)


def flex_flows(store: Store, account_sid: str) -> list[FlexFlow]:
    with store.lock:
        return list(store.state(account_sid, FlexState).flows.values())


def fetch_flex_flow(store: Store, account_sid: str, sid: str) -> FlexFlow:
    with store.lock:
        flow = store.state(account_sid, FlexState).flows.get(sid)
    if flow is None:
        raise errors.not_found(f"/FlexFlows/{sid}")
    return flow


def list_flex_flows(
    store: Store,
    account_sid: str,
    size: int,
    *,
    offset: int = 0,
    after: int | None = None,
    before: int | None = None,
    friendly_name: str | None = None,
) -> tuple[list[FlexFlow], bool]:
    """A page of flows in creation order (those named ``friendly_name`` when given), and
    whether more follow; positions as ``list_rows`` takes them. Accounts hold a handful
    of flows, so a scan is fine here."""
    with store.lock:
        flows = [
            flow
            for flow in store.state(account_sid, FlexState).flows.values()
            if friendly_name is None or flow.friendly_name == friendly_name
        ]
    return window_of(flows, _flow_seq, size, offset, after, before)


def update_flex_flow(
    store: Store,
    account_sid: str,
    sid: str,
    changes: Mapping[str, Any],
    integration: Mapping[str, Any],
) -> FlexFlow:
    """Change the given fields (and merge the given ``Integration.*`` ones)."""
    with store.lock:
        state = store.state(account_sid, FlexState)
        flow = state.flows.get(sid)
        if flow is None:
            raise errors.not_found(f"/FlexFlows/{sid}")
        merged = {**flow.integration, **integration}
        # The flow it makes must have what its integration type requires, as a new one must.
        missing = missing_integration(
            changes.get("integration_type", flow.integration_type), merged
        )
        if missing is not None:
            raise errors.missing_parameter(missing)
        flow = replace(flow, **changes, integration=merged, date_updated=store.clock.now())
        state.flows[sid] = flow
        state.flow_types[sid] = flow.channel_type
        return flow


def delete_flex_flow(store: Store, account_sid: str, sid: str) -> None:
    """Remove a flow: creates on it answer 404 from now on; its channels stay."""
    with store.lock:
        state = store.state(account_sid, FlexState)
        if state.flows.pop(sid, None) is None:
            raise errors.not_found(f"/FlexFlows/{sid}")
        state.active.pop(sid, None)


# --- channels: one function per API operation -----------------------------------------------------


def create_channel(store: Store, account_sid: str, new: NewChannel) -> Channel:
    """Create, or return the active channel of the same flow and identity (get-or-create)."""
    return _record(create_row(store, account_sid, new))


def create_row(store: Store, account_sid: str, new: NewChannel) -> ChannelRow:
    """``create_channel``, giving the stored row."""
    with store.lock:
        state = store.state(account_sid, FlexState)
        flow = state.flows.get(new.flex_flow_sid)
        if flow is None:
            raise errors.not_found(f"/FlexFlows/{new.flex_flow_sid}")
        active = state.active.get(flow.sid)
        if active is None:
            active = state.active[flow.sid] = {}
        existing = active.get(new.identity)
        if existing is not None:
            return state.channels[existing]
        user_sid = state.users.get(new.identity)
        if user_sid is None:
            user_sid = state.users[new.identity] = store.sids.new(sids.USER)
        task_sid = None
        if flow.integration_type == "task":
            task_sid = new.task_sid or store.sids.new(sids.TASK)
        now = store.clock.now()
        # Positional: the hot path of seeding (in the order Channel declares its fields).
        row: ChannelRow = (
            store.sids.new(sids.CHANNEL),
            account_sid,
            flow.sid,
            user_sid,
            task_sid,
            new.identity,
            new.chat_user_friendly_name,
            new.chat_friendly_name,
            new.target,
            new.chat_unique_name,
            new.pre_engagement_data,
            new.task_attributes,
            flow.long_lived if new.long_lived is None else new.long_lived,
            True,  # active
            now,  # date_created
            now,  # date_updated
            store.next_seq(),
            flow.chat_service_sid,
            None,  # attributes: Flex's own until the Chat API sets some
        )
        sid = row[SID]
        state.channels[sid] = row
        state.order.append(row)
        active[new.identity] = sid
        return row


def fetch_row(store: Store, account_sid: str, sid: str) -> ChannelRow:
    with store.lock:
        row = store.state(account_sid, FlexState).channels.get(sid)
    if row is None:
        raise errors.not_found(f"/Channels/{sid}")
    return row


def get_row(store: Store, account_sid: str, sid: str) -> ChannelRow | None:
    with store.lock:
        return store.state(account_sid, FlexState).channels.get(sid)


def rows_since(store: Store, account_sid: str, seq: int) -> list[ChannelRow]:
    """The account's channels made after position ``seq``, in creation order."""
    with store.lock:
        return store.state(account_sid, FlexState).order.since(seq)


def list_rows(
    store: Store,
    account_sid: str,
    size: int,
    *,
    offset: int = 0,
    after: int | None = None,
    before: int | None = None,
) -> tuple[Span | list[ChannelRow], bool]:
    """A page of stored rows (the same objects while unchanged) in creation order, as a
    span of the order or a list of its own, and whether channels follow it.

    ``after``/``before`` are sequence numbers of channels served earlier (they may since have
    been deleted): the page starts after, or ends before, that position, so creates and
    deletes between page requests neither repeat nor skip a channel.
    """
    with store.lock:
        state = store.state(account_sid, FlexState)
        order = state.order
        start, end = window(order.after, order.before, size, offset, after, before)
        return order.span(start, end), end < len(order)


def delete_channel(store: Store, account_sid: str, sid: str) -> None:
    with store.lock:
        state = store.state(account_sid, FlexState)
        row = state.channels.get(sid)
        if row is None:
            raise errors.not_found(f"/Channels/{sid}")
        state.order.remove(row)
        del state.channels[sid]
        _forget_active(state, row)


# --- inspection and control (not API operations) --------------------------------------------------


def get_channel(store: Store, account_sid: str, sid: str) -> Channel | None:
    with store.lock:
        row = store.state(account_sid, FlexState).channels.get(sid)
    return None if row is None else _record(row)


def deactivate_channel(store: Store, account_sid: str, sid: str) -> Channel | None:
    with store.lock:
        state = store.state(account_sid, FlexState)
        row = state.channels.get(sid)
        if row is None:
            return None
        if row[ACTIVE]:
            attributes = with_status(row[ATTRIBUTES], "INACTIVE")
            row = (
                *row[:ACTIVE],
                False,
                row[CREATED],
                store.clock.now(),
                *row[SEQ:ATTRIBUTES],
                attributes,
            )
            _put(state, row)
        return _record(row)


def update_chat_channel(
    store: Store, account_sid: str, sid: str, changes: Mapping[str, str | None]
) -> ChannelRow:
    """Set a channel's chat fields (``chat_friendly_name``, ``chat_unique_name``,
    ``attributes``) as the Chat API does. Attributes with a ``status`` decide whether it is
    its flow and identity's open chat, as Flex reads them: ``INACTIVE`` ends it."""
    with store.lock:
        state = store.state(account_sid, FlexState)
        row = state.channels.get(sid)
        if row is None:
            raise KeyError(sid)
        fields = list(row)
        for name, value in changes.items():
            fields[_CHAT_FIELDS[name]] = value
        status = attributes_status(changes["attributes"]) if "attributes" in changes else None
        if status is not None:
            fields[ACTIVE] = status == "ACTIVE"
        fields[UPDATED] = store.clock.now()
        row = tuple(fields)  # type: ignore[assignment]
        _put(state, row)
        return row


def flow_channel_type(store: Store, account_sid: str, flow_sid: str) -> str:
    """The channel type of a flow, deleted or not: what its channels' attributes say."""
    with store.lock:
        return store.state(account_sid, FlexState).flow_types.get(flow_sid, "web")


def all_channels(store: Store) -> list[Channel]:
    with store.lock:
        every = [r for _, state in store.states(FlexState) for r in state.channels.values()]
    return [_record(row) for row in sorted(every, key=lambda row: row[SEQ])]


def _put(state: FlexState, row: ChannelRow) -> None:
    """Put a changed row in place of the stored one, and make its flow and identity's
    open chat follow its ``active``."""
    sid = row[SID]
    state.order.replace(state.channels[sid], row)
    state.channels[sid] = row
    if not row[ACTIVE]:
        _forget_active(state, row)
    else:
        state.active.setdefault(row[FLOW], {}).setdefault(row[IDENTITY], sid)


def _forget_active(state: FlexState, row: ChannelRow) -> None:
    active = state.active.get(row[FLOW], {})
    if active.get(row[IDENTITY]) == row[SID]:
        del active[row[IDENTITY]]
