"""Strategies for Flex v1: Channel create forms (valid, and invalid by named rule), Flex Flow and
Channel records, channel JSON and list pages as the API returns them."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from ..core import errors
from ..core import sids as _sids
from ..core.errors import FlexApiError
from ..flex.channels import CREATE_FIELDS, REQUIRED_CREATE_FIELDS
from ..flex.models import (
    CHANNEL_TYPES,
    INTEGRATION_TYPES,
    Channel,
    FlexFlow,
    channel_page,
    channel_resource,
)
from .common import (
    _BOOLEANS,
    _EPOCH,
    _FLAT_JSON,
    _MAX_SID,
    _OPTIONAL_TEXTS,
    _RENDERED_BITS,
    _SPAN,
    _TEXTS,
    InvalidRequest,
    _as_strategy,
    _checked_accounts,
    _checked_choice,
    _checked_rules,
    _checked_sids,
    _checked_texts,
    _created_at,
    _not_json,
    _sid_at,
    _texts,
    account_sids,
    flex_flow_sids,
    json_texts,
    sids,
    task_sids,
)

_WIRE_TO_PYTHON = {wire: python for python, wire in CREATE_FIELDS.items()}
_ORIGINS = (
    "https://flex-api.twilio.com",
    "https://flex-api.us1.twilio.com",
    "https://flex-api.sydney.au1.twilio.com",
)


# --- create forms -----------------------------------------------------------------------------


def create_channel_params(
    *,
    flex_flow_sid: str | SearchStrategy[str] = flex_flow_sids(),
    identity: str | SearchStrategy[str] = _texts(),
    chat_user_friendly_name: str | SearchStrategy[str] = _texts(),
    chat_friendly_name: str | SearchStrategy[str] = _texts(),
) -> SearchStrategy[dict[str, str]]:
    """Valid create forms by wire name, as ``client.flex_api.v1.channel.create`` sends them.

    The four required fields always; any combination of the optional ones: ``Target``,
    ``ChatUniqueName``, ``PreEngagementData`` and ``TaskAttributes`` (JSON text), ``TaskSid``,
    ``LongLived`` (``"true"``/``"false"``, as the helper library sends it). Text is any unicode a
    form can carry. Shrinks towards the required fields alone, each a single character.
    """
    required = {
        "FlexFlowSid": _checked_sids(flex_flow_sid, _sids.FLEX_FLOW, "flex_flow_sid"),
        "Identity": _checked_texts(identity, "identity"),
        "ChatUserFriendlyName": _checked_texts(chat_user_friendly_name, "chat_user_friendly_name"),
        "ChatFriendlyName": _checked_texts(chat_friendly_name, "chat_friendly_name"),
    }
    optional = {
        "Target": _texts(),
        "ChatUniqueName": _texts(),
        "PreEngagementData": json_texts(),
        "TaskSid": task_sids(),
        "TaskAttributes": json_texts(),
        "LongLived": st.sampled_from(["true", "false"]),
    }
    return st.fixed_dictionaries(required, optional=optional)


def _to_kwargs(params: dict[str, str]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {_WIRE_TO_PYTHON[wire]: value for wire, value in params.items()}
    if "long_lived" in kwargs:
        kwargs["long_lived"] = kwargs["long_lived"] == "true"
    return kwargs


def create_channel_kwargs(
    *,
    flex_flow_sid: str | SearchStrategy[str] = flex_flow_sids(),
    identity: str | SearchStrategy[str] = _texts(),
    chat_user_friendly_name: str | SearchStrategy[str] = _texts(),
    chat_friendly_name: str | SearchStrategy[str] = _texts(),
) -> SearchStrategy[dict[str, Any]]:
    """``create_channel_params()`` as keyword arguments of ``client.flex_api.v1.channel.create``
    (``flex_flow_sid=…``, ``long_lived`` a bool). Shrinks like ``create_channel_params()``."""
    return create_channel_params(
        flex_flow_sid=flex_flow_sid,
        identity=identity,
        chat_user_friendly_name=chat_user_friendly_name,
        chat_friendly_name=chat_friendly_name,
    ).map(_to_kwargs)


INVALID_CREATE_RULES = (
    "missing_required",
    "empty_required",
    "malformed_flex_flow_sid",
    "malformed_task_sid",
    "non_boolean_long_lived",
    "non_json_pre_engagement_data",
    "non_json_task_attributes",
    "unknown_flex_flow",
)


@dataclass(frozen=True)
class InvalidCreate(InvalidRequest):
    """A create form that breaks exactly one rule, and the answer the fake gives it.

    ``rule`` is one of ``INVALID_CREATE_RULES`` and ``field`` the wire name it breaks.
    ``flex_flow_sid`` is the flow the form assumes exists: start the fake with it
    (``FlexChannelsMock(flex_flow_sid=example.flex_flow_sid)``).
    """

    flex_flow_sid: str


def _without(params: dict[str, str], name: str, empty: bool) -> InvalidCreate:
    broken = {key: value for key, value in params.items() if key != name}
    if empty:
        broken[name] = ""  # an empty value counts as missing
    error = errors.missing_parameter(name)
    rule = "empty_required" if empty else "missing_required"
    flow = params["FlexFlowSid"]
    return InvalidCreate(broken, rule, name, error.status, error.code, error.message, flow)


def _breaking(
    rule: str, name: str, values: SearchStrategy[str], error: FlexApiError
) -> Callable[[dict[str, str]], SearchStrategy[InvalidCreate]]:
    def broken(params: dict[str, str]) -> SearchStrategy[InvalidCreate]:
        return values.map(
            lambda value: InvalidCreate(
                {**params, name: value},
                rule,
                name,
                error.status,
                error.code,
                error.message,
                params["FlexFlowSid"],
            )
        )

    return broken


def _malformed_sids(prefix: str) -> SearchStrategy[str]:
    wrong_prefix = sids(st.sampled_from(["AC", "CH", "FO", "WT", "US", "XX"]))
    short = st.integers(0, 2**124 - 1).map(lambda n: f"{prefix}{n:031x}")
    long = st.integers(0, _MAX_SID).map(lambda n: f"{prefix}{n:032x}0")
    not_hex = st.text("ghijklmnopqrstuvwxyz-_ ", min_size=32, max_size=32).map(
        lambda tail: prefix + tail
    )
    return st.one_of(wrong_prefix, short, long, not_hex, _texts(40)).filter(
        lambda value: not _sids.is_sid(value, prefix)
    )


def _unknown_flow(params: dict[str, str]) -> SearchStrategy[InvalidCreate]:
    def invalid(other: str) -> InvalidCreate:
        error = errors.not_found(f"/FlexFlows/{other}")
        return InvalidCreate(
            {**params, "FlexFlowSid": other},
            "unknown_flex_flow",
            "FlexFlowSid",
            error.status,
            error.code,
            error.message,
            params["FlexFlowSid"],
        )

    return flex_flow_sids().filter(lambda other: other != params["FlexFlowSid"]).map(invalid)


def invalid_create_channel_params(
    *,
    flex_flow_sid: str | SearchStrategy[str] = flex_flow_sids(),
    rules: Collection[str] = INVALID_CREATE_RULES,
) -> SearchStrategy[InvalidCreate]:
    """Create forms that each break exactly one of ``rules``, with the status, code and message
    the fake answers: a required field missing or empty, a malformed ``FlexFlowSid`` or
    ``TaskSid``, a ``LongLived`` that is not a boolean, non-JSON ``PreEngagementData`` or
    ``TaskAttributes``, or a well-formed ``FlexFlowSid`` other than ``flex_flow_sid`` (404).

    Shrinks towards the first rule given, on the smallest valid form.
    """
    chosen_rules = _checked_rules(rules, INVALID_CREATE_RULES)
    valid = create_channel_params(flex_flow_sid=flex_flow_sid)
    non_boolean = _texts(10).filter(lambda value: value.lower() not in ("true", "false"))
    non_json = _texts(40).filter(_not_json)
    breakers: dict[str, Callable[[dict[str, str]], SearchStrategy[InvalidCreate]]] = {
        "malformed_flex_flow_sid": _breaking(
            "malformed_flex_flow_sid",
            "FlexFlowSid",
            _malformed_sids(_sids.FLEX_FLOW),
            errors.invalid_sid("FlexFlowSid", _sids.FLEX_FLOW),
        ),
        "malformed_task_sid": _breaking(
            "malformed_task_sid",
            "TaskSid",
            _malformed_sids(_sids.TASK),
            errors.invalid_sid("TaskSid", _sids.TASK),
        ),
        "non_boolean_long_lived": _breaking(
            "non_boolean_long_lived",
            "LongLived",
            non_boolean,
            errors.invalid_parameter("LongLived", errors.EXPECTED_BOOLEAN),
        ),
        "non_json_pre_engagement_data": _breaking(
            "non_json_pre_engagement_data",
            "PreEngagementData",
            non_json,
            errors.invalid_parameter("PreEngagementData", errors.EXPECTED_JSON),
        ),
        "non_json_task_attributes": _breaking(
            "non_json_task_attributes",
            "TaskAttributes",
            non_json,
            errors.invalid_parameter("TaskAttributes", errors.EXPECTED_JSON),
        ),
        "unknown_flex_flow": _unknown_flow,
    }
    chosen: list[SearchStrategy[InvalidCreate]] = []
    for rule in chosen_rules:
        if rule in ("missing_required", "empty_required"):
            fields = st.sampled_from(REQUIRED_CREATE_FIELDS)
            chosen.append(st.builds(_without, valid, fields, st.just(rule == "empty_required")))
        else:
            chosen.append(valid.flatmap(breakers[rule]))
    return st.one_of(chosen)


# --- records and API bodies -------------------------------------------------------------------

_MOMENTS = st.integers(0, _SPAN - 1).map(lambda seconds: _EPOCH + timedelta(seconds=seconds))


def flex_flows(
    *,
    account_sid: str | SearchStrategy[str] = account_sids(),
    integration_type: str | SearchStrategy[str] = st.sampled_from(INTEGRATION_TYPES),
    channel_type: str | SearchStrategy[str] = st.sampled_from(CHANNEL_TYPES),
) -> SearchStrategy[FlexFlow]:
    """``FlexFlow`` records of every integration and channel type, each with the
    ``Integration.*`` fields its type requires (and some it may have); shrink towards a
    ``studio`` flow on ``web`` with all-zero SIDs."""
    accounts = _checked_accounts(account_sid)
    channels = _checked_choice(channel_type, CHANNEL_TYPES, "channel_type")
    types = _checked_choice(integration_type, INTEGRATION_TYPES, "integration_type")
    return types.flatmap(
        lambda kind: st.builds(
            FlexFlow,
            sid=flex_flow_sids(),
            account_sid=accounts,
            friendly_name=_texts(),
            chat_service_sid=sids(_sids.CHAT_SERVICE),
            channel_type=channels,
            integration_type=st.just(kind),
            long_lived=st.booleans(),
            janitor_enabled=st.booleans(),
            enabled=st.booleans(),
            date_created=_MOMENTS,
            date_updated=_MOMENTS,
            integration=_INTEGRATIONS[kind],
        )
    )


_RETRY_COUNTS = {"retry_count": st.integers(0, 3)}
# What a flow's ``integration`` holds, by its type: what the type requires, and what it may add.
_INTEGRATIONS: dict[str, SearchStrategy[dict[str, Any]]] = {
    "studio": st.fixed_dictionaries({"flow_sid": sids(_sids.STUDIO_FLOW)}, optional=_RETRY_COUNTS),
    "external": st.fixed_dictionaries(
        {"url": st.sampled_from(["https://example.com/flex", "https://hooks.example.org/in"])},
        optional=_RETRY_COUNTS,
    ),
    "task": st.fixed_dictionaries(
        {"workspace_sid": sids(_sids.WORKSPACE), "workflow_sid": sids(_sids.WORKFLOW)},
        optional={
            "channel": st.sampled_from(["default", "chat", "sms"]),
            "timeout": st.integers(1, 86400),
            "priority": st.integers(0, 1000),
        },
    ),
}

_OPTIONAL_JSON = st.none() | _FLAT_JSON
# long_lived, active and seq (1 to 2**31) in one draw, shrinking to False, False, 1.
_FLAGS = st.integers(0, 2**33 - 1)


def _rendered(bits: int, account_sid: str, flex_flow_sid: str, integration_type: str) -> Channel:
    """A channel whose fields that no answer shows are fixed: what resources and pages are
    rendered from, at a fraction of the cost of drawing every field."""
    created = _created_at(bits)
    return Channel(
        sid=_sid_at(_sids.CHANNEL, bits, 328),
        account_sid=account_sid,
        flex_flow_sid=flex_flow_sid,
        user_sid=_sid_at(_sids.USER, bits, 200),
        task_sid=_sid_at(_sids.TASK, bits, 72) if integration_type == "task" else None,
        identity="customer",
        chat_user_friendly_name="Customer",
        chat_friendly_name="Chat",
        target=None,
        chat_unique_name=None,
        pre_engagement_data=None,
        task_attributes=None,
        long_lived=False,
        active=True,
        date_created=created,
        date_updated=created + timedelta(seconds=(bits & 0xFFFFFF) % (10**7 + 1)),
        seq=1,
        chat_service_sid=f"{_sids.CHAT_SERVICE}{flex_flow_sid[2:]}",  # one service per flow
    )


@st.composite
def _channel(
    draw: st.DrawFn,
    account_sid: SearchStrategy[str],
    flex_flow_sid: SearchStrategy[str],
    integration_type: SearchStrategy[str],
) -> Channel:
    fixed = _rendered(
        draw(_RENDERED_BITS), draw(account_sid), draw(flex_flow_sid), draw(integration_type)
    )
    flags = draw(_FLAGS)
    return fixed._replace(
        identity=draw(_TEXTS),
        chat_user_friendly_name=draw(_TEXTS),
        chat_friendly_name=draw(_TEXTS),
        target=draw(_OPTIONAL_TEXTS),
        chat_unique_name=draw(_OPTIONAL_TEXTS),
        pre_engagement_data=draw(_OPTIONAL_JSON),
        task_attributes=draw(_OPTIONAL_JSON),
        long_lived=bool(flags & 1),
        active=bool(flags & 2),
        seq=(flags >> 2) + 1,
    )


def _checked_channel_args(
    account_sid: str | SearchStrategy[str],
    flex_flow_sid: str | SearchStrategy[str],
    integration_type: str | SearchStrategy[str],
) -> tuple[SearchStrategy[str], SearchStrategy[str], SearchStrategy[str]]:
    return (
        _checked_accounts(account_sid),
        _checked_sids(flex_flow_sid, _sids.FLEX_FLOW, "flex_flow_sid"),
        _checked_choice(integration_type, INTEGRATION_TYPES, "integration_type"),
    )


def channels(
    *,
    account_sid: str | SearchStrategy[str] = account_sids(),
    flex_flow_sid: str | SearchStrategy[str] = flex_flow_sids(),
    integration_type: str | SearchStrategy[str] = st.sampled_from(INTEGRATION_TYPES),
) -> SearchStrategy[Channel]:
    """Stored ``Channel`` records with every field; ``task_sid`` only on ``task`` flows.

    Shrinks towards an active-or-not channel on a ``studio`` flow with all-zero SIDs.
    """
    return _channel(*_checked_channel_args(account_sid, flex_flow_sid, integration_type))


def channel_resources(
    *,
    account_sid: str | SearchStrategy[str] = account_sids(),
    flex_flow_sid: str | SearchStrategy[str] = flex_flow_sids(),
    integration_type: str | SearchStrategy[str] = st.sampled_from(INTEGRATION_TYPES),
) -> SearchStrategy[dict[str, Any]]:
    """Channel JSON exactly as create, fetch and list return it (the eight keys), rendered by the
    fake's own renderer. Shrinks like ``channels()``."""
    return st.builds(
        _rendered,
        _RENDERED_BITS,
        *_checked_channel_args(account_sid, flex_flow_sid, integration_type),
    ).map(channel_resource)


# A page's items: the page's account, any flow of any type (one number each).
_ITEMS = st.tuples(_RENDERED_BITS, st.integers(0, _MAX_SID), st.sampled_from(INTEGRATION_TYPES))


def _tokens(kind: str) -> SearchStrategy[str]:
    return st.builds(
        lambda seq, mac: f"{kind}{seq:x}-{mac:016x}",
        st.integers(1, 2**40),
        st.integers(0, 2**64 - 1),
    )


_NEXT_TOKENS, _PREVIOUS_TOKENS, _PAGES = _tokens("PA"), _tokens("PB"), st.integers(0, 1000)


@st.composite
def _page(
    draw: st.DrawFn,
    page_size: SearchStrategy[int],
    account_sid: SearchStrategy[str],
    origin: SearchStrategy[str],
    max_items: int,
) -> dict[str, Any]:
    size = draw(page_size)
    if not 1 <= size <= 1000:
        raise InvalidArgument(f"page_size must be between 1 and 1000, got {size!r}")
    account = draw(account_sid)
    drawn = draw(st.lists(_ITEMS, max_size=min(size, max_items)))
    items = [
        channel_resource(_rendered(bits, account, _sid_at(_sids.FLEX_FLOW, flow, 0), kind))
        for bits, flow, kind in drawn
    ]
    page = draw(_PAGES)
    # Only a full page can have a next one; a page past the first may carry a previous token.
    more = draw(_BOOLEANS) if len(items) == size else False
    return channel_page(
        draw(origin),
        items,
        page=page,
        page_size=size,
        token=draw(_NEXT_TOKENS) if page > 0 and draw(_BOOLEANS) else None,
        next_token=draw(_NEXT_TOKENS) if more else None,
        previous_token=draw(_PREVIOUS_TOKENS)
        if page > 0 and len(items) > 0 and draw(_BOOLEANS)
        else None,
    )


def channel_pages(
    *,
    page_size: int | SearchStrategy[int] = st.integers(1, 1000),
    account_sid: str | SearchStrategy[str] = account_sids(),
    origin: str | SearchStrategy[str] = st.sampled_from(_ORIGINS),
    max_items: int = 10,
) -> SearchStrategy[dict[str, Any]]:
    """List pages exactly as the API returns them: the ``meta`` envelope and up to
    ``min(page_size, max_items)`` channels of one account, URLs on ``origin``.

    Shrinks towards an empty first page of size 1 on ``flex-api.twilio.com``.
    """
    if not isinstance(max_items, int) or max_items < 0:
        raise InvalidArgument(f"max_items must be a non-negative integer, got {max_items!r}")
    if not isinstance(page_size, SearchStrategy) and not (
        isinstance(page_size, int) and 1 <= page_size <= 1000
    ):
        raise InvalidArgument(f"page_size must be between 1 and 1000, got {page_size!r}")
    return _page(
        _as_strategy(page_size),
        _checked_accounts(account_sid),
        _as_strategy(origin),
        max_items,
    )
