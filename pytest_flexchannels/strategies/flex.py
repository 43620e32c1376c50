"""Hypothesis strategies for Flex Channels data: SIDs, create forms (valid and invalid), API bodies.

House style: plural names, keyword-only arguments whose defaults are the widest valid ones, a
strategy accepted wherever a value is, ``InvalidArgument`` for bad arguments. Each docstring says
what examples shrink towards.

To use them with the fake, start a fresh ``FlexChannelsMock`` per example inside the test body (a
function-scoped fixture is shared by every example of a ``@given`` test)::

    @given(params=create_channel_params())
    def test_create(params):
        with FlexChannelsMock(flex_flow_sid=params["FlexFlowSid"]) as fc:
            ...
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any, NamedTuple, TypeVar

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from ..core import errors
from ..core import sids as _sids
from ..core.errors import FlexApiError
from ..core.render import format_date
from ..flex.channels import CREATE_FIELDS, REQUIRED_CREATE_FIELDS
from ..flex.models import (
    CHANNEL_TYPES,
    INTEGRATION_TYPES,
    Channel,
    FlexFlow,
    channel_page,
    channel_resource,
)

__all__ = [
    "INTERACTION_CHANNEL_TYPES",
    "INVALID_CONVERSATION_RULES",
    "INVALID_CREATE_RULES",
    "INVALID_INTERACTION_RULES",
    "InvalidCreate",
    "InvalidRequest",
    "account_sids",
    "api_key_sids",
    "channel_pages",
    "channel_resources",
    "channel_sids",
    "channels",
    "chat_message_params",
    "chat_webhook_events",
    "chat_webhook_params",
    "conversation_params",
    "conversation_webhook_events",
    "create_channel_kwargs",
    "create_channel_params",
    "flex_flow_sids",
    "flex_flows",
    "interaction_params",
    "invalid_conversation_params",
    "invalid_create_channel_params",
    "invalid_interaction_params",
    "json_texts",
    "sids",
    "task_sids",
    "user_sids",
]

T = TypeVar("T")

_PREFIX = re.compile(r"[A-Z]{2}")
_MAX_SID = 2**128 - 1
# Lone surrogates cannot be encoded as UTF-8, so no client can send them in a form.
_CHARACTERS = st.characters(codec="utf-8")
_WIRE_TO_PYTHON = {wire: python for python, wire in CREATE_FIELDS.items()}
_ORIGINS = (
    "https://flex-api.twilio.com",
    "https://flex-api.us1.twilio.com",
    "https://flex-api.sydney.au1.twilio.com",
)


def _as_strategy(value: T | SearchStrategy[T]) -> SearchStrategy[T]:
    return value if isinstance(value, SearchStrategy) else st.just(value)


def _check_prefix(prefix: object) -> str:
    if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
        raise InvalidArgument(f"prefix must be two capital letters (like 'CH'), got {prefix!r}")
    return prefix


def _checked(value: T | SearchStrategy[T], check: Callable[[Any], T]) -> SearchStrategy[T]:
    """``value`` as a strategy whose values pass ``check``: eagerly for a value, at draw time for
    a strategy (either way an ``InvalidArgument`` names the argument)."""
    if isinstance(value, SearchStrategy):
        return value.map(check)
    return st.just(check(value))


def _checked_sids(value: str | SearchStrategy[str], prefix: str, name: str) -> SearchStrategy[str]:
    def check(drawn: Any) -> str:
        if not isinstance(drawn, str) or not _sids.is_sid(drawn, prefix):
            raise InvalidArgument(f"{name} must match {_sids.pattern(prefix)}, got {drawn!r}")
        return drawn

    return _checked(value, check)


def _checked_texts(value: str | SearchStrategy[str], name: str) -> SearchStrategy[str]:
    def check(drawn: Any) -> str:
        if not isinstance(drawn, str) or not drawn:
            raise InvalidArgument(f"{name} must be a non-empty string, got {drawn!r}")
        return drawn

    return _checked(value, check)


def _checked_choice(
    value: str | SearchStrategy[str], allowed: tuple[str, ...], name: str
) -> SearchStrategy[str]:
    def check(drawn: Any) -> str:
        if drawn not in allowed:
            raise InvalidArgument(f"{name} must be one of {allowed}, got {drawn!r}")
        return str(drawn)

    return _checked(value, check)


# --- SIDs -------------------------------------------------------------------------------------


def sids(prefix: str | SearchStrategy[str]) -> SearchStrategy[str]:
    """SIDs of a two-capital-letter ``prefix``: the prefix and 32 lowercase hex digits.

    Shrinks towards the all-zero SID (``CH000…0``).
    """
    if not isinstance(prefix, SearchStrategy):
        fixed = _check_prefix(prefix)  # one draw a SID: a number, formatted
        return st.integers(0, _MAX_SID).map(lambda n: f"{fixed}{n:032x}")
    return st.builds(
        lambda p, n: f"{_check_prefix(p)}{n:032x}",
        prefix,
        st.integers(0, _MAX_SID),
    )


def account_sids() -> SearchStrategy[str]:
    """``AC…`` account SIDs; shrink towards ``AC000…0``."""
    return sids(_sids.ACCOUNT)


def api_key_sids() -> SearchStrategy[str]:
    """``SK…`` API key SIDs; shrink towards ``SK000…0``."""
    return sids(_sids.API_KEY)


def flex_flow_sids() -> SearchStrategy[str]:
    """``FO…`` Flex Flow SIDs; shrink towards ``FO000…0``."""
    return sids(_sids.FLEX_FLOW)


def channel_sids() -> SearchStrategy[str]:
    """``CH…`` channel SIDs; shrink towards ``CH000…0``."""
    return sids(_sids.CHANNEL)


def user_sids() -> SearchStrategy[str]:
    """``US…`` chat user SIDs; shrink towards ``US000…0``."""
    return sids(_sids.USER)


def task_sids() -> SearchStrategy[str]:
    """``WT…`` TaskRouter task SIDs; shrink towards ``WT000…0``."""
    return sids(_sids.TASK)


# --- create forms -----------------------------------------------------------------------------

_JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(_CHARACTERS, max_size=20)
)
_JSON_VALUES: SearchStrategy[Any] = st.recursive(
    _JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(_CHARACTERS, max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)


def json_texts() -> SearchStrategy[str]:
    """JSON text of any value (objects, arrays, scalars, unicode); shrinks towards ``null``."""
    return _JSON_VALUES.map(lambda value: json.dumps(value, ensure_ascii=False))


def _texts(max_size: int = 64) -> SearchStrategy[str]:
    return st.text(_CHARACTERS, min_size=1, max_size=max_size)


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
class InvalidCreate:
    """A create form that breaks exactly one rule, and the answer the fake gives it.

    ``rule`` is one of ``INVALID_CREATE_RULES`` and ``field`` the wire name it breaks.
    ``flex_flow_sid`` is the flow the form assumes exists: start the fake with it
    (``FlexChannelsMock(flex_flow_sid=example.flex_flow_sid)``).
    """

    params: dict[str, str]
    rule: str
    field: str
    status: int
    code: int
    message: str
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


def _not_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return True
    return False


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
    unknown = set(rules) - set(INVALID_CREATE_RULES)
    if not rules or unknown or isinstance(rules, str):
        raise InvalidArgument(
            f"rules must be a non-empty collection of {INVALID_CREATE_RULES}, got {rules!r}"
        )
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
    for rule in dict.fromkeys(rules):
        if rule in ("missing_required", "empty_required"):
            fields = st.sampled_from(REQUIRED_CREATE_FIELDS)
            chosen.append(st.builds(_without, valid, fields, st.just(rule == "empty_required")))
        else:
            chosen.append(valid.flatmap(breakers[rule]))
    return st.one_of(chosen)


# --- records and API bodies -------------------------------------------------------------------

_EPOCH = datetime(2015, 1, 1, tzinfo=timezone.utc)
# Whole seconds from 2015 to the end of 2099, UTC (what the API's dates can say); drawn as a
# number of seconds, a third of the cost of st.datetimes for the same values.
_SPAN = int((datetime(2100, 1, 1, tzinfo=timezone.utc) - _EPOCH).total_seconds())
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
    accounts = _checked_sids(account_sid, _sids.ACCOUNT, "account_sid")
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


# The parts of a record, built once: a strategy built inside a draw is built again for every
# example, which cost record strategies two thirds of their speed.
_TEXTS = _texts()
_OPTIONAL_TEXTS = st.none() | _TEXTS
# A record's JSON fields: what Flex is given there, an object of a few plain values, as
# pre-engagement forms and task attributes are (the full recursive JSON of create forms cost
# these records a third of their speed).
_FLAT_JSON = st.fixed_dictionaries(
    {},
    optional={
        "friendly_name": _texts(20),
        "question": _texts(20),
        "priority": st.integers(0, 10),
        "vip": st.booleans(),
    },
).map(lambda value: json.dumps(value, ensure_ascii=False))
_OPTIONAL_JSON = st.none() | _FLAT_JSON
_BOOLEANS = st.booleans()
# long_lived, active and seq (1 to 2**31) in one draw, shrinking to False, False, 1.
_FLAGS = st.integers(0, 2**33 - 1)


# One number for every field an answer shows that a caller does not choose: SID, user SID,
# task SID, creation second and seconds until the last update, 128 + 128 + 128 + 32 + 24 bits.
# A single draw per channel (pages hold many), shrinking towards all-zero SIDs at 2015-01-01.
_RENDERED_BITS = st.integers(0, 2 ** (128 * 3 + 32 + 24) - 1)


def _rendered(bits: int, account_sid: str, flex_flow_sid: str, integration_type: str) -> Channel:
    """A channel whose fields that no answer shows are fixed: what resources and pages are
    rendered from, at a fraction of the cost of drawing every field."""
    mask = _MAX_SID
    created = _EPOCH + timedelta(seconds=(bits >> 48 & 0xFFFFFFFF) % _SPAN)
    return Channel(
        sid=f"{_sids.CHANNEL}{bits >> 328 & mask:032x}",
        account_sid=account_sid,
        flex_flow_sid=flex_flow_sid,
        user_sid=f"{_sids.USER}{bits >> 200 & mask:032x}",
        task_sid=f"{_sids.TASK}{bits >> 72 & mask:032x}" if integration_type == "task" else None,
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


def channels(
    *,
    account_sid: str | SearchStrategy[str] = account_sids(),
    flex_flow_sid: str | SearchStrategy[str] = flex_flow_sids(),
    integration_type: str | SearchStrategy[str] = st.sampled_from(INTEGRATION_TYPES),
) -> SearchStrategy[Channel]:
    """Stored ``Channel`` records with every field; ``task_sid`` only on ``task`` flows.

    Shrinks towards an active-or-not channel on a ``studio`` flow with all-zero SIDs.
    """
    return _channel(
        _checked_sids(account_sid, _sids.ACCOUNT, "account_sid"),
        _checked_sids(flex_flow_sid, _sids.FLEX_FLOW, "flex_flow_sid"),
        _checked_choice(integration_type, INTEGRATION_TYPES, "integration_type"),
    )


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
        _checked_sids(account_sid, _sids.ACCOUNT, "account_sid"),
        _checked_sids(flex_flow_sid, _sids.FLEX_FLOW, "flex_flow_sid"),
        _checked_choice(integration_type, INTEGRATION_TYPES, "integration_type"),
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
        channel_resource(_rendered(bits, account, f"{_sids.FLEX_FLOW}{flow:032x}", kind))
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
        _checked_sids(account_sid, _sids.ACCOUNT, "account_sid"),
        _as_strategy(origin),
        max_items,
    )


# --- Programmable Chat ---------------------------------------------------------------------------


def chat_message_params(
    *, body: str | SearchStrategy[str] = st.text(_CHARACTERS, max_size=200)
) -> SearchStrategy[dict[str, str]]:
    """Valid message create forms by wire name (``client.chat.v2...messages.create``): any
    ``Body`` (empty too), and any of ``From`` and ``Attributes`` (JSON text). Shrinks towards
    an empty body alone."""
    return st.fixed_dictionaries(
        {"Body": _as_strategy(body)},
        optional={"From": _texts(), "Attributes": json_texts()},
    )


_WEBHOOK_URLS = st.sampled_from(
    ["https://bridge.example.com/agent", "https://hooks.example.org/flex?team=1"]
)


def chat_webhook_params(
    *,
    events: Collection[str] | SearchStrategy[list[str]] | None = None,
    url: str | SearchStrategy[str] = _WEBHOOK_URLS,
) -> SearchStrategy[dict[str, Any]]:
    """Valid channel webhook create forms (``Type=webhook``) by wire name: ``Configuration.Url``,
    ``Configuration.Filters`` (a list: the parameter repeats; one to all of Chat's events, each
    once, or ``events``), and any of ``Configuration.Method`` and ``Configuration.RetryCount``
    (0 to 3, as text). Shrinks towards ``onMessageSent`` alone on the first URL."""
    from ..chat.webhooks import EVENTS

    if events is None:
        filters: SearchStrategy[Any] = st.lists(
            st.sampled_from(EVENTS), min_size=1, max_size=len(EVENTS), unique=True
        )
    elif isinstance(events, SearchStrategy):
        filters = events
    else:
        unknown = sorted(set(events) - set(EVENTS))
        if unknown or not events:
            raise InvalidArgument(f"events must be some of {EVENTS}, got {sorted(events)!r}")
        filters = st.just(list(events))
    return st.fixed_dictionaries(
        {
            "Type": st.just("webhook"),
            "Configuration.Url": _as_strategy(url),
            "Configuration.Filters": filters,
        },
        optional={
            "Configuration.Method": st.sampled_from(["POST", "GET"]),
            "Configuration.RetryCount": st.integers(0, 3).map(str),
        },
    )


class _Frame(NamedTuple):
    """What every drawn webhook shares: its event, the bits its SIDs and date come from, the
    account, the service, the acting identity, the date, the channel or conversation, and
    whether the SDK acted (then the identity is the ``ClientIdentity``)."""

    kind: str
    bits: int
    account: str
    service: str
    identity: str
    moment: datetime
    channel_sid: str
    sdk: bool

    def delivered(self, params: dict[str, str], **extra: str) -> dict[str, str]:
        """``params`` as the fake delivers them: the event, its source, the webhook's SID."""
        shown = {"EventType": self.kind, "Source": "SDK" if self.sdk else "API", **params}
        if self.sdk:
            shown["ClientIdentity"] = self.identity
        shown.update(extra)
        shown["WebhookSid"] = f"{_sids.WEBHOOK}{self.bits >> 40 & _MAX_SID:032x}"
        return shown


def _frame(draw: st.DrawFn, event: SearchStrategy[str], account_sid: SearchStrategy[str]) -> _Frame:
    kind = draw(event)
    bits = draw(_RENDERED_BITS)
    return _Frame(
        kind,
        bits,
        draw(account_sid),
        f"{_sids.CHAT_SERVICE}{bits >> 328 & _MAX_SID:032x}",
        draw(_TEXTS),
        _EPOCH + timedelta(seconds=(bits >> 48 & 0xFFFFFFFF) % _SPAN),
        f"{_sids.CHANNEL}{bits >> 200 & _MAX_SID:032x}",
        draw(_BOOLEANS),
    )


_WEBHOOK_EVENTS = (
    "onMessageSent",
    "onMessageUpdated",
    "onMessageRemoved",
    "onMemberAdded",
    "onMemberRemoved",
    "onChannelUpdated",
)


@st.composite
def _webhook_event(
    draw: st.DrawFn, event: SearchStrategy[str], account_sid: SearchStrategy[str]
) -> dict[str, str]:
    from ..chat import events
    from ..chat.state import ChatChannel, ChatMessage, Member

    frame = _frame(draw, event, account_sid)
    kind, bits, account, service, identity, moment = frame[:6]
    channel_sid = frame.channel_sid
    params: dict[str, str]
    if kind.startswith("onMessage"):
        message = ChatMessage(
            f"{_sids.MESSAGE}{bits >> 72 & _MAX_SID:032x}",
            account,
            service,
            channel_sid,
            identity,
            draw(st.text(_CHARACTERS, max_size=200)),
            draw(_FLAT_JSON),
            draw(st.integers(0, 10_000)),
            None,
            False,
            moment,
            moment,
        )
        params = events.message(message)
        if kind == "onMessageUpdated":
            params.update(ModifiedBy=identity, DateUpdated=format_date(moment))
        elif kind == "onMessageRemoved":
            params.update(RemovedBy=identity, DateRemoved=format_date(moment))
    elif kind.startswith("onMember"):
        member = Member(
            f"{_sids.MEMBER}{bits >> 72 & _MAX_SID:032x}",
            account,
            channel_sid,
            service,
            identity,
            f"{_sids.ROLE}{bits & 0xFFFFFF:032x}",
            "{}",
            None,
            moment,
            moment,
            1,
        )
        added = kind == "onMemberAdded"
        params = events.member(
            member, draw(st.sampled_from(["ADDED", "JOINED"] if added else ["REMOVED", "LEFT"]))
        )
        if not added:
            params["DateRemoved"] = format_date(moment)
    else:
        channel = ChatChannel(
            channel_sid,
            account,
            service,
            draw(_OPTIONAL_TEXTS),
            draw(_OPTIONAL_TEXTS),
            draw(_FLAT_JSON),
            draw(st.sampled_from(["private", "public"])),
            "system",
            moment,
            moment,
            1,
        )
        params = events.channel(channel)
    return frame.delivered(params, WebhookType="webhook")


def chat_webhook_events(
    *,
    event: str | SearchStrategy[str] = st.sampled_from(_WEBHOOK_EVENTS),
    account_sid: str | SearchStrategy[str] = account_sids(),
) -> SearchStrategy[dict[str, str]]:
    """The parameters of Chat webhooks as the fake delivers them (built by its own event code):
    ``onMessageSent``, ``onMessageUpdated``, ``onMessageRemoved``, ``onMemberAdded``,
    ``onMemberRemoved`` and ``onChannelUpdated``, from the API or the SDK (then with a
    ``ClientIdentity``). For a test of an app's webhook handler; sign them with
    ``pytest_flexchannels.core.webhooks.signature``. Shrinks towards an ``onMessageSent`` with an
    empty body and all-zero SIDs."""
    return _webhook_event(
        _checked_choice(event, _WEBHOOK_EVENTS, "event"),
        _checked_sids(account_sid, _sids.ACCOUNT, "account_sid"),
    )


# --- Flex Conversations ------------------------------------------------------------------------


@dataclass(frozen=True)
class InvalidRequest:
    """A request form that breaks exactly one rule, and the answer the fake gives it: ``rule``
    names the rule, ``field`` the wire name that breaks it."""

    params: dict[str, str]
    rule: str
    field: str
    status: int
    code: int
    message: str


def _duration(seconds: int, style: int) -> str:
    """``seconds`` as ISO 8601: ``PT{m}M``, ``PT{h}H{m}M{s}S`` or ``P{d}DT{h}H{m}M{s}S``."""
    if style == 0 and seconds % 60 == 0:
        return f"PT{seconds // 60}M"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, rest = divmod(rest, 60)
    time = f"T{hours}H{minutes}M{rest}S"
    return f"P{days}D{time}" if style == 2 or days else f"P{time}"


def _durations(least: int, most: int) -> SearchStrategy[str]:
    return st.builds(_duration, st.integers(least, most), st.integers(0, 2))


def conversation_params(
    *,
    friendly_name: str | SearchStrategy[str] = _texts(),
    attributes: str | SearchStrategy[str] = json_texts(),
) -> SearchStrategy[dict[str, str]]:
    """Valid conversation create forms by wire name (``client.conversations.v1.conversations
    .create``): any of ``FriendlyName``, ``UniqueName``, ``Attributes`` (JSON text), ``State``
    (``active`` or ``inactive``), ``Timers.Inactive`` (1 minute to a day) and ``Timers.Closed``
    (10 minutes to 30 days), the timers in ISO 8601 of several forms. Shrinks towards the
    empty form."""
    return st.fixed_dictionaries(
        {},
        optional={
            "FriendlyName": _as_strategy(friendly_name),
            "UniqueName": _texts().filter(lambda name: not _sids.is_sid(name, _sids.CHANNEL)),
            "Attributes": _as_strategy(attributes),
            "State": st.sampled_from(["active", "inactive"]),
            "Timers.Inactive": _durations(60, 86400),
            "Timers.Closed": _durations(600, 30 * 86400),
        },
    )


INVALID_CONVERSATION_RULES = (
    "timer_too_short",
    "timer_not_iso_8601",
    "state_unknown",
    "created_closed",
    "attributes_not_json",
)


def _broken_conversation(rule: str, timer: str) -> SearchStrategy[InvalidRequest]:
    name = f"Timers.{timer}"
    if rule == "timer_too_short":
        least = 600 if timer == "Closed" else 60
        values, error, field = _durations(1, least - 1), errors.timer_too_short(timer), name
    elif rule == "timer_not_iso_8601":
        values = _texts(20).filter(lambda text: not re.fullmatch(r"P[0-9WDTHMS]*", text))
        error, field = errors.timer_format(timer), name
    elif rule == "state_unknown":
        values = _texts(12).filter(lambda text: text not in ("active", "inactive", "closed"))
        error, field = errors.conversation_state_invalid(), "State"
    elif rule == "created_closed":
        values, error, field = st.just("closed"), errors.conversation_created_closed(), "State"
    else:
        values, error, field = (
            _texts(40).filter(_not_json),
            errors.attributes_not_json(),
            "Attributes",
        )
    return values.filter(bool).map(
        lambda value: InvalidRequest(
            {field: value}, rule, field, error.status, error.code, error.message
        )
    )


def invalid_conversation_params(
    *, rules: Collection[str] = INVALID_CONVERSATION_RULES
) -> SearchStrategy[InvalidRequest]:
    """Conversation create forms that each break exactly one of ``rules``, with the status,
    code and message the fake answers (as the Conversations API documents them): a timer
    shorter than its least (1 minute inactive, 10 closed), a timer not in ISO 8601, a
    ``State`` that is none, a conversation created ``closed``, ``Attributes`` not JSON.

    Shrinks towards the first rule given, on the inactive timer."""
    unknown = set(rules) - set(INVALID_CONVERSATION_RULES)
    if not rules or unknown or isinstance(rules, str):
        raise InvalidArgument(
            f"rules must be a non-empty collection of {INVALID_CONVERSATION_RULES}, got {rules!r}"
        )
    timers = st.sampled_from(["Inactive", "Closed"])
    return st.one_of(
        [timers.flatmap(partial(_broken_conversation, rule)) for rule in dict.fromkeys(rules)]
    )


INTERACTION_CHANNEL_TYPES = ("sms", "whatsapp", "web", "chat", "email", "messenger", "gbm")


def interaction_params(
    *,
    media_channel_sid: str | SearchStrategy[str] = channel_sids(),
    workspace_sid: str | SearchStrategy[str] = sids(_sids.WORKSPACE),
    channel_type: str | SearchStrategy[str] = st.sampled_from(INTERACTION_CHANNEL_TYPES),
) -> SearchStrategy[dict[str, str]]:
    """Valid interaction create forms by wire name (``client.flex_api.v1.interaction.create``
    takes them decoded): a customer-initiated ``Channel`` routing the conversation
    ``media_channel_sid`` and a ``Routing`` to ``workspace_sid``, with any of a workflow, a
    task channel and task attributes; JSON text, as the helper library sends them. Start the
    fake with that conversation (or expect the channel to settle as ``failed``). Shrinks
    towards an SMS channel and a routing with only its workspace."""
    channel = st.builds(
        lambda kind, sid: {
            "type": kind,
            "initiated_by": "customer",
            "properties": {"media_channel_sid": sid},
        },
        _checked_choice(channel_type, INTERACTION_CHANNEL_TYPES, "channel_type"),
        _checked_sids(media_channel_sid, _sids.CHANNEL, "media_channel_sid"),
    )
    optional: dict[str, SearchStrategy[Any]] = {
        "workflow_sid": sids(_sids.WORKFLOW),
        "task_channel_unique_name": st.sampled_from(["chat", "sms", "default"]),
        "attributes": st.dictionaries(_texts(12), _texts(20), max_size=3),
    }
    required: dict[str, SearchStrategy[Any]] = {
        "workspace_sid": _checked_sids(workspace_sid, _sids.WORKSPACE, "workspace_sid")
    }
    properties = st.fixed_dictionaries(required, optional=optional)
    return st.fixed_dictionaries(
        {
            "Channel": channel.map(json.dumps),
            "Routing": properties.map(lambda found: json.dumps({"properties": found})),
        }
    )


INVALID_INTERACTION_RULES = (
    "channel_missing",
    "channel_not_json_object",
    "channel_type_unknown",
    "customer_without_media_channel",
    "routing_missing",
    "routing_without_workspace",
)


def invalid_interaction_params(
    *,
    media_channel_sid: str | SearchStrategy[str] = channel_sids(),
    rules: Collection[str] = INVALID_INTERACTION_RULES,
) -> SearchStrategy[InvalidRequest]:
    """Interaction create forms that each break exactly one of ``rules``, with the answer the
    fake gives: ``Channel`` or ``Routing`` missing, a ``Channel`` that is not a JSON object, of
    no channel type, or customer-initiated without a conversation to route, a ``Routing``
    without a workspace. Shrinks towards the first rule given, on the smallest valid form."""
    unknown = set(rules) - set(INVALID_INTERACTION_RULES)
    if not rules or unknown or isinstance(rules, str):
        raise InvalidArgument(
            f"rules must be a non-empty collection of {INVALID_INTERACTION_RULES}, got {rules!r}"
        )
    valid = interaction_params(media_channel_sid=media_channel_sid)
    invalid_channel = errors.channel_request_invalid()

    def breaking(rule: str, params: dict[str, str]) -> SearchStrategy[InvalidRequest]:
        channel = json.loads(params["Channel"])
        if rule in ("channel_missing", "routing_missing"):
            name = "Channel" if rule == "channel_missing" else "Routing"
            error = errors.missing_parameter(name)
            kept = {k: v for k, v in params.items() if k != name}
            return st.just(
                InvalidRequest(kept, rule, name, error.status, error.code, error.message)
            )
        if rule == "channel_not_json_object":
            error = errors.invalid_parameter("Channel", errors.EXPECTED_JSON_OBJECT)
            values = st.one_of(_texts(30).filter(_not_json), st.sampled_from(["[]", "1", '"sms"']))
            field, changed = "Channel", values
        elif rule == "channel_type_unknown":
            error, field = invalid_channel, "Channel"
            kinds = _texts(10).filter(
                lambda kind: kind not in (*INTERACTION_CHANNEL_TYPES, "voice")
            )
            changed = kinds.map(lambda kind: json.dumps({**channel, "type": kind}))
        elif rule == "customer_without_media_channel":
            error, field = invalid_channel, "Channel"
            changed = st.just(json.dumps({k: v for k, v in channel.items() if k != "properties"}))
        else:
            error = errors.invalid_parameter("Routing", errors.EXPECTED_ROUTING)
            field, changed = (
                "Routing",
                st.sampled_from(['{"properties": {}}', '{"type": "TaskRouter"}']),
            )
        return changed.map(
            lambda value: InvalidRequest(
                {**params, field: value}, rule, field, error.status, error.code, error.message
            )
        )

    return st.one_of([valid.flatmap(partial(breaking, rule)) for rule in dict.fromkeys(rules)])


_CONVERSATION_EVENTS = (
    "onMessageAdded",
    "onMessageUpdated",
    "onMessageRemoved",
    "onParticipantAdded",
    "onParticipantRemoved",
    "onConversationStateUpdated",
)


@st.composite
def _conversation_event(
    draw: st.DrawFn, event: SearchStrategy[str], account_sid: SearchStrategy[str]
) -> dict[str, str]:
    from ..conversations import events
    from ..conversations.state import Binding, Conversation, ConversationMessage, Participant

    frame = _frame(draw, event, account_sid)
    kind, bits, account, service, identity, moment = frame[:6]
    conversation_sid = frame.channel_sid
    messaging = f"{_sids.MESSAGING_SERVICE}{bits >> 100 & _MAX_SID:032x}"
    participant_sid = f"{_sids.MEMBER}{bits >> 72 & _MAX_SID:032x}"
    params: dict[str, str]
    if kind.startswith("onMessage"):
        message = ConversationMessage(
            f"{_sids.MESSAGE}{bits >> 72 & _MAX_SID:032x}",
            account,
            service,
            conversation_sid,
            draw(st.integers(0, 10_000)),
            identity,
            draw(st.text(_CHARACTERS, max_size=200)),
            draw(_FLAT_JSON),
            draw(st.none() | st.just(participant_sid)),
            moment,
            moment,
        )
        params = events.message(message, messaging)
        if kind == "onMessageUpdated":
            params["DateUpdated"] = format_date(moment)
        elif kind == "onMessageRemoved":
            params["DateRemoved"] = format_date(moment)
    elif kind.startswith("onParticipant"):
        sms = draw(_BOOLEANS)
        participant = Participant(
            participant_sid,
            account,
            service,
            conversation_sid,
            None if sms else identity,
            "{}",
            Binding("sms", "+15005550100", "+15005550199", None) if sms else None,
            f"{_sids.ROLE}{bits & 0xFFFFFF:032x}",
            moment,
            moment,
            None,
            None,
            1,
        )
        params = events.participant(participant)
        if kind == "onParticipantRemoved":
            params.update(DateUpdated=format_date(moment), DateRemoved=format_date(moment))
    else:
        before = Conversation(
            conversation_sid,
            account,
            service,
            messaging,
            None,
            None,
            "{}",
            draw(st.sampled_from(["active", "inactive"])),
            moment,
            moment,
            1,
        )
        moved = draw(
            st.sampled_from(["active", "inactive", "closed"]).filter(
                lambda state: state != before.state
            )
        )
        reason = draw(st.sampled_from(["API", "TIMER", "EVENT"]))
        params = events.state(before, before._replace(state=moved), reason)
    return frame.delivered(params)


def conversation_webhook_events(
    *,
    event: str | SearchStrategy[str] = st.sampled_from(_CONVERSATION_EVENTS),
    account_sid: str | SearchStrategy[str] = account_sids(),
) -> SearchStrategy[dict[str, str]]:
    """The parameters of conversation-scoped webhooks as the fake delivers them (built by its
    own event code): ``onMessageAdded``, ``onMessageUpdated``, ``onMessageRemoved``,
    ``onParticipantAdded`` (an identity, or an SMS binding), ``onParticipantRemoved`` and
    ``onConversationStateUpdated``, from the API or the SDK (then with a ``ClientIdentity``).
    For a test of an app's webhook handler; sign them with
    ``pytest_flexchannels.core.webhooks.signature``. Shrinks towards an ``onMessageAdded`` with an
    empty body and all-zero SIDs."""
    return _conversation_event(
        _checked_choice(event, _CONVERSATION_EVENTS, "event"),
        _checked_sids(account_sid, _sids.ACCOUNT, "account_sid"),
    )
