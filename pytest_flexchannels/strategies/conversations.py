"""Strategies for Conversations v1: conversation create forms (valid, and invalid by named
rule) and the conversation-scoped webhooks the fake delivers (built by its own event code)."""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import partial

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..core import errors
from ..core import sids as _sids
from ..core.render import format_date
from .common import (
    _BOOLEANS,
    _CHARACTERS,
    _FLAT_JSON,
    InvalidRequest,
    _as_strategy,
    _checked_rules,
    _Frame,
    _not_json,
    _refused,
    _sid_at,
    _texts,
    _webhook_events,
    account_sids,
    json_texts,
)


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
    return values.filter(bool).map(lambda value: _refused({field: value}, rule, field, error))


def invalid_conversation_params(
    *, rules: Collection[str] = INVALID_CONVERSATION_RULES
) -> SearchStrategy[InvalidRequest]:
    """Conversation create forms that each break exactly one of ``rules``, with the status,
    code and message the fake answers (as the Conversations API documents them): a timer
    shorter than its least (1 minute inactive, 10 closed), a timer not in ISO 8601, a
    ``State`` that is none, a conversation created ``closed``, ``Attributes`` not JSON.

    Shrinks towards the first rule given, on the inactive timer."""
    chosen = _checked_rules(rules, INVALID_CONVERSATION_RULES)
    timers = st.sampled_from(["Inactive", "Closed"])
    return st.one_of([timers.flatmap(partial(_broken_conversation, rule)) for rule in chosen])


_CONVERSATION_EVENTS = (
    "onMessageAdded",
    "onMessageUpdated",
    "onMessageRemoved",
    "onParticipantAdded",
    "onParticipantRemoved",
    "onConversationStateUpdated",
)


def _conversation_event(draw: st.DrawFn, frame: _Frame) -> dict[str, str]:
    """The parameters Conversations' event code gives ``frame``'s event (drawing what the frame
    lacks)."""
    from ..conversations import events
    from ..conversations.records import Binding, Conversation, ConversationMessage, Participant

    kind, bits, account, service, identity, moment = frame[:6]
    conversation_sid = frame.channel_sid
    messaging = _sid_at(_sids.MESSAGING_SERVICE, bits, 100)
    participant_sid = _sid_at(_sids.MEMBER, bits, 72)
    params: dict[str, str]
    if kind.startswith("onMessage"):
        message = ConversationMessage(
            _sid_at(_sids.MESSAGE, bits, 72),
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
    return params


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
    return _webhook_events(_CONVERSATION_EVENTS, event, account_sid, _conversation_event)
