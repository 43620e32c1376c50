"""Records the store holds (accounts, keys, flows, channels) and their wire JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from .core.paging import page_meta
from .core.registry import Domain

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
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
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


@lru_cache(maxsize=4096)
def format_date(moment: datetime) -> str:
    """UTC ``YYYY-MM-DDTHH:MM:SSZ``: the only form the helper library parses into a datetime.

    Cached: channels created in the same second share a date, and strftime dominated the cost of
    rendering a page.
    """
    return moment.strftime(DATE_FORMAT)


@dataclass(frozen=True, slots=True)
class Account:
    sid: str
    auth_token: str


@dataclass(frozen=True, slots=True)
class ApiKey:
    sid: str
    secret: str
    account_sid: str


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


def flex_attributes(channel: ChannelRow, channel_type: str) -> str:
    """The attributes Flex writes on the chat channel it makes (modelled on captured ones):
    the task's SID on a task flow, the pre-engagement data, who it is ``from`` (the target,
    else the user's friendly name), the flow's channel type, ``status`` (``ACTIVE`` until the
    chat ends) and ``long_lived``."""
    attributes: dict[str, Any] = {}
    if channel[4] is not None:
        attributes["task_sid"] = channel[4]
    if channel[10] is not None:
        attributes["pre_engagement_data"] = json.loads(channel[10])
    attributes["from"] = channel[8] if channel[8] is not None else channel[6]
    attributes["channel_type"] = channel_type
    attributes["status"] = "ACTIVE" if channel[13] else "INACTIVE"
    attributes["long_lived"] = channel[12]
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
        format_date(channel[14]),
        format_date(channel[15]),
    )


def channel_page_json(origin: str, items: list[str], **meta: Any) -> str:
    """``channel_page`` as JSON text, from items rendered by ``channel_json``."""
    return f'{{"meta": {json.dumps(_meta(origin, meta))}, "{LIST_KEY}": [{", ".join(items)}]}}'
