"""Strategies for Programmable Chat v2: message and channel webhook create forms, and the
webhooks Chat delivers (built by the fake's own event code)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from ..core import sids as _sids
from ..core.render import format_date
from .common import (
    _CHARACTERS,
    _FLAT_JSON,
    _OPTIONAL_TEXTS,
    _as_strategy,
    _Frame,
    _sid_at,
    _texts,
    _webhook_events,
    account_sids,
    json_texts,
)


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


_WEBHOOK_EVENTS = (
    "onMessageSent",
    "onMessageUpdated",
    "onMessageRemoved",
    "onMemberAdded",
    "onMemberRemoved",
    "onChannelUpdated",
)


def _chat_event(draw: st.DrawFn, frame: _Frame) -> dict[str, str]:
    """The parameters Chat's event code gives ``frame``'s event (drawing what the frame lacks)."""
    from ..chat import events
    from ..chat.state import ChatChannel, ChatMessage, Member

    kind, bits, account, service, identity, moment = frame[:6]
    channel_sid = frame.channel_sid
    params: dict[str, str]
    if kind.startswith("onMessage"):
        message = ChatMessage(
            _sid_at(_sids.MESSAGE, bits, 72),
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
            _sid_at(_sids.MEMBER, bits, 72),
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
    return params


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
    return _webhook_events(_WEBHOOK_EVENTS, event, account_sid, _chat_event, WebhookType="webhook")
