"""What the strategies of several families share: argument checks, SIDs, text and JSON, the
drawn bits records take their SIDs and dates from, a broken form's answer, a webhook's frame."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple, TypeVar

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from ..core import sids as _sids
from ..core.errors import FlexApiError

T = TypeVar("T")

_PREFIX = re.compile(r"[A-Z]{2}")
_MAX_SID = 2**128 - 1
# Lone surrogates cannot be encoded as UTF-8, so no client can send them in a form.
_CHARACTERS = st.characters(codec="utf-8")


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


def _checked_rules(rules: Collection[str], known: tuple[str, ...]) -> list[str]:
    """``rules``, each once in the order given (the first is what examples shrink towards), or
    ``InvalidArgument`` unless they are a non-empty collection of ``known`` ones."""
    unknown = set(rules) - set(known)
    if not rules or unknown or isinstance(rules, str):
        raise InvalidArgument(f"rules must be a non-empty collection of {known}, got {rules!r}")
    return list(dict.fromkeys(rules))


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


def _checked_accounts(account_sid: str | SearchStrategy[str]) -> SearchStrategy[str]:
    return _checked_sids(account_sid, _sids.ACCOUNT, "account_sid")


# --- text and JSON ----------------------------------------------------------------------------

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


def _not_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return True
    return False


# --- records and API bodies -------------------------------------------------------------------

_EPOCH = datetime(2015, 1, 1, tzinfo=timezone.utc)
# Whole seconds from 2015 to the end of 2099, UTC (what the API's dates can say); drawn as a
# number of seconds, a third of the cost of st.datetimes for the same values.
_SPAN = int((datetime(2100, 1, 1, tzinfo=timezone.utc) - _EPOCH).total_seconds())

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
_BOOLEANS = st.booleans()

# One number for every field an answer shows that a caller does not choose: SID, user SID,
# task SID, creation second and seconds until the last update, 128 + 128 + 128 + 32 + 24 bits.
# A single draw per channel (pages hold many), shrinking towards all-zero SIDs at 2015-01-01.
_RENDERED_BITS = st.integers(0, 2 ** (128 * 3 + 32 + 24) - 1)


def _sid_at(prefix: str, bits: int, shift: int) -> str:
    """The SID of ``prefix`` whose number is the 128 of ``bits`` from ``shift`` up."""
    return f"{prefix}{bits >> shift & _MAX_SID:032x}"


def _created_at(bits: int) -> datetime:
    """The creation second that 32 of ``bits`` (from the 48th up) name."""
    return _EPOCH + timedelta(seconds=(bits >> 48 & 0xFFFFFFFF) % _SPAN)


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


def _refused(params: dict[str, str], rule: str, field: str, error: FlexApiError) -> InvalidRequest:
    """``params``, breaking ``rule`` at ``field``, with the answer ``error`` is."""
    return InvalidRequest(params, rule, field, error.status, error.code, error.message)


# --- webhooks ---------------------------------------------------------------------------------


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
        shown["WebhookSid"] = _sid_at(_sids.WEBHOOK, self.bits, 40)
        return shown


def _webhook_events(
    known: tuple[str, ...],
    event: str | SearchStrategy[str],
    account_sid: str | SearchStrategy[str],
    params: Callable[[st.DrawFn, _Frame], dict[str, str]],
    **extra: str,
) -> SearchStrategy[dict[str, str]]:
    """Webhooks of one of the ``known`` events as the fake delivers them: a frame, then what
    ``params`` (a family's event code) draws and builds on it, and ``extra``."""
    events = _checked_choice(event, known, "event")
    accounts = _checked_accounts(account_sid)

    @st.composite
    def webhooks(draw: st.DrawFn) -> dict[str, str]:
        kind = draw(events)
        bits = draw(_RENDERED_BITS)
        frame = _Frame(
            kind,
            bits,
            draw(accounts),
            _sid_at(_sids.CHAT_SERVICE, bits, 328),
            draw(_TEXTS),
            _created_at(bits),
            _sid_at(_sids.CHANNEL, bits, 200),
            draw(_BOOLEANS),
        )
        return frame.delivered(params(draw, frame), **extra)

    return webhooks()
