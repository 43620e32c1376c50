"""Accounts, flows and channels, and the rules of the Channels resource. Knows nothing of HTTP."""

from __future__ import annotations

import hmac
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from itertools import count
from operator import attrgetter, itemgetter
from typing import Any, Final, TypeVar

from .core import errors, sids, surrogates
from .core.clock import Clock
from .core.order import Order, Span, records
from .core.paging import window, window_of
from .models import (
    Account,
    ApiKey,
    Channel,
    ChannelRow,
    ChannelType,
    FlexFlow,
    IntegrationType,
    attributes_status,
    check_flow_types,
    missing_integration,
    with_status,
)

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


def _check_given(sid: str | None, prefix: str, what: str) -> None:
    if sid is not None and not sids.is_sid(sid, prefix):
        raise ValueError(f"{what} must match {sids.pattern(prefix)}, got {sid!r}")


# Positions in a channel row (Channel's field order).
FLOW: Final = 2
IDENTITY: Final = 5
ACTIVE: Final = 13
SEQ: Final = 16
SERVICE: Final = 17
ATTRIBUTES: Final = 18
# The fields the Chat API sets, by position.
_CHAT_FIELDS: Final = {"chat_friendly_name": 7, "chat_unique_name": 9, "attributes": ATTRIBUTES}
_record = Channel._make  # a row as the Channel record callers get
_position = itemgetter(SEQ)
_flow_seq = attrgetter("seq")


class _AccountState:
    """One account's world: other accounts never see any of it."""

    __slots__ = (
        "account",
        "active",
        "channels",
        "families",
        "flow_types",
        "flows",
        "order",
        "users",
    )

    def __init__(self, account: Account) -> None:
        self.account = account
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
        # The state other resources keep in this account, by the class that holds it.
        self.families: dict[type, Any] = {}


State = TypeVar("State")


class Store:
    """State and rules per account, safe to use from many threads (one lock per store).

    Accounts, credentials, flows and channels live here; another resource keeps its records in
    a class of its own, one instance per account (``state``), under the same lock, clock and
    SID source, and goes when the store is reset with the rest.
    """

    def __init__(self, source: sids.SidSource, clock: Clock) -> None:
        self._sids = source
        self._clock = clock
        self._lock = threading.RLock()
        self._accounts: dict[str, _AccountState] = {}
        self._api_keys: dict[str, ApiKey] = {}
        self._seq = count(1)
        self._shared: dict[type, Any] = {}

    # --- what other resources build on -------------------------------------------------------

    @property
    def lock(self) -> threading.RLock:
        """The one lock of the store: hold it while reading or changing any state."""
        return self._lock

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def sids(self) -> sids.SidSource:
        return self._sids

    def next_seq(self) -> int:
        """The next position in the store's creation order (list order and page tokens)."""
        return next(self._seq)

    def state(self, account_sid: str, kind: type[State]) -> State:
        """``account_sid``'s instance of ``kind`` (made on first use): where a resource keeps
        that account's records. Unknown accounts are refused as everywhere in the store."""
        with self._lock:
            families = self._state(account_sid).families
            found: State | None = families.get(kind)
            if found is None:
                found = families[kind] = kind()
            return found

    def states(self, kind: type[State]) -> list[tuple[str, State]]:
        """Every account's instance of ``kind`` that was made, with the account's SID."""
        with self._lock:
            return [
                (sid, account.families[kind])
                for sid, account in self._accounts.items()
                if kind in account.families
            ]

    def shared(self, kind: type[State]) -> State:
        """The store's one instance of ``kind`` (made on first use): what a resource keeps for
        every account alike (how interactions settle, set by the test)."""
        with self._lock:
            found: State | None = self._shared.get(kind)
            if found is None:
                found = self._shared[kind] = kind()
            return found

    # --- accounts and credentials -------------------------------------------------------------

    def add_account(self, sid: str | None = None, auth_token: str | None = None) -> Account:
        _check_given(sid, sids.ACCOUNT, "account SID")
        surrogates.check("auth_token", auth_token)  # it signs webhooks: it must encode
        with self._lock:
            account = Account(
                sid=sid or self._sids.new(sids.ACCOUNT),
                auth_token=auth_token or self._sids.secret(),
            )
            if account.sid in self._accounts:
                raise ValueError(f"account {account.sid} already exists")
            self._accounts[account.sid] = _AccountState(account)
            return account

    def add_api_key(
        self, account_sid: str, sid: str | None = None, secret: str | None = None
    ) -> ApiKey:
        _check_given(sid, sids.API_KEY, "API key SID")
        surrogates.check("secret", secret)
        with self._lock:
            self._state(account_sid)
            key = ApiKey(
                sid=sid or self._sids.new(sids.API_KEY),
                secret=secret or self._sids.secret(),
                account_sid=account_sid,
            )
            if key.sid in self._api_keys:
                raise ValueError(f"API key {key.sid} already exists")
            self._api_keys[key.sid] = key
            return key

    def get_account(self, sid: str) -> Account | None:
        with self._lock:
            state = self._accounts.get(sid)
            return state.account if state else None

    def authenticate(self, username: str, password: str) -> str | None:
        """The account the credentials belong to, or None."""
        with self._lock:
            if username.startswith(sids.API_KEY):
                key = self._api_keys.get(username)
                expected, account_sid = (key.secret, key.account_sid) if key else (None, None)
            else:
                state = self._accounts.get(username)
                expected = state.account.auth_token if state else None
                account_sid = username
        if expected is None or not hmac.compare_digest(expected.encode(), password.encode()):
            return None
        return account_sid

    # --- flows --------------------------------------------------------------------------------

    def add_flex_flow(
        self,
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
        _check_given(sid, sids.FLEX_FLOW, "Flex Flow SID")
        check_flow_types(integration_type, channel_type)
        with self._lock:
            state = self._state(account_sid)
            now = self._clock.now()
            flow = FlexFlow(
                sid=sid or self._sids.new(sids.FLEX_FLOW),
                account_sid=account_sid,
                friendly_name=friendly_name or f"{channel_type} {integration_type} flow",
                chat_service_sid=chat_service_sid or self._sids.new(sids.CHAT_SERVICE),
                channel_type=channel_type,
                integration_type=integration_type,
                long_lived=long_lived,
                janitor_enabled=janitor_enabled,
                enabled=enabled,
                date_created=now,
                date_updated=now,
                contact_identity=contact_identity,
                integration=self._integration(integration_type)
                if integration is None
                else dict(integration),
                seq=next(self._seq),
            )
            if flow.sid in state.flows:
                raise ValueError(f"Flex Flow {flow.sid} already exists in account {account_sid}")
            state.flows[flow.sid] = flow
            state.flow_types[flow.sid] = flow.channel_type
            return flow

    def _integration(self, integration_type: str) -> dict[str, Any]:
        """What a seeded flow's integration holds: the parameters Twilio requires of its type."""
        if integration_type == "studio":
            return {"flow_sid": self._sids.new(sids.STUDIO_FLOW)}
        if integration_type == "external":
            return {"url": EXTERNAL_FLOW_URL}
        return {
            "workspace_sid": self._sids.new(sids.WORKSPACE),
            "workflow_sid": self._sids.new(sids.WORKFLOW),
        }

    def flex_flow(self, account_sid: str, sid: str) -> FlexFlow | None:
        with self._lock:
            return self._state(account_sid).flows.get(sid)

    def flex_flows(self, account_sid: str) -> list[FlexFlow]:
        with self._lock:
            return list(self._state(account_sid).flows.values())

    def fetch_flex_flow(self, account_sid: str, sid: str) -> FlexFlow:
        with self._lock:
            flow = self._state(account_sid).flows.get(sid)
        if flow is None:
            raise errors.not_found(f"/FlexFlows/{sid}")
        return flow

    def list_flex_flows(
        self,
        account_sid: str,
        size: int,
        *,
        offset: int = 0,
        after: int | None = None,
        before: int | None = None,
        friendly_name: str | None = None,
    ) -> tuple[list[FlexFlow], bool]:
        """A page of flows in creation order (those named ``friendly_name`` when given), and
        whether more follow; positions as ``list_channels`` takes them. Accounts hold a handful
        of flows, so a scan is fine here."""
        with self._lock:
            flows = [
                flow
                for flow in self._state(account_sid).flows.values()
                if friendly_name is None or flow.friendly_name == friendly_name
            ]
        return window_of(flows, _flow_seq, size, offset, after, before)

    def update_flex_flow(
        self,
        account_sid: str,
        sid: str,
        changes: Mapping[str, Any],
        integration: Mapping[str, Any],
    ) -> FlexFlow:
        """Change the given fields (and merge the given ``Integration.*`` ones)."""
        with self._lock:
            state = self._state(account_sid)
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
            flow = replace(flow, **changes, integration=merged, date_updated=self._clock.now())
            state.flows[sid] = flow
            state.flow_types[sid] = flow.channel_type
            return flow

    def delete_flex_flow(self, account_sid: str, sid: str) -> None:
        """Remove a flow: creates on it answer 404 from now on; its channels stay."""
        with self._lock:
            state = self._state(account_sid)
            if state.flows.pop(sid, None) is None:
                raise errors.not_found(f"/FlexFlows/{sid}")
            state.active.pop(sid, None)

    # --- channels: one method per API operation -----------------------------------------------

    def create_channel(self, account_sid: str, new: NewChannel) -> Channel:
        """Create, or return the active channel of the same flow and identity (get-or-create)."""
        return _record(self.create_row(account_sid, new))

    def create_row(self, account_sid: str, new: NewChannel) -> ChannelRow:
        """``create_channel``, giving the stored row."""
        with self._lock:
            state = self._accounts.get(account_sid) or self._state(account_sid)
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
                user_sid = state.users[new.identity] = self._sids.new(sids.USER)
            task_sid = None
            if flow.integration_type == "task":
                task_sid = new.task_sid or self._sids.new(sids.TASK)
            now = self._clock.now()
            # Positional: the hot path of seeding (in the order Channel declares its fields).
            row: ChannelRow = (
                self._sids.new(sids.CHANNEL),
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
                next(self._seq),
                flow.chat_service_sid,
                None,  # attributes: Flex's own until the Chat API sets some
            )
            sid = row[0]
            state.channels[sid] = row
            state.order.append(row)
            active[new.identity] = sid
            return row

    def fetch_row(self, account_sid: str, sid: str) -> ChannelRow:
        with self._lock:
            row = self._state(account_sid).channels.get(sid)
        if row is None:
            raise errors.not_found(f"/Channels/{sid}")
        return row

    def get_row(self, account_sid: str, sid: str) -> ChannelRow | None:
        with self._lock:
            return self._state(account_sid).channels.get(sid)

    def rows_since(self, account_sid: str, seq: int) -> list[ChannelRow]:
        """The account's channels made after position ``seq``, in creation order."""
        with self._lock:
            return self._state(account_sid).order.since(seq)

    def fetch_channel(self, account_sid: str, sid: str) -> Channel:
        return _record(self.fetch_row(account_sid, sid))

    def list_channels(
        self, account_sid: str, size: int, **position: Any
    ) -> tuple[list[Channel], bool]:
        """``list_rows`` (``offset``, ``after``, ``before``) as ``Channel`` records."""
        span, more = self.list_rows(account_sid, size, **position)
        rows = span if isinstance(span, list) else records(span)
        return [_record(row) for row in rows], more

    def list_rows(
        self,
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
        with self._lock:
            state = self._state(account_sid)
            order = state.order
            start, end = window(order.after, order.before, size, offset, after, before)
            return order.span(start, end), end < len(order)

    def delete_channel(self, account_sid: str, sid: str) -> None:
        with self._lock:
            state = self._state(account_sid)
            row = state.channels.get(sid)
            if row is None:
                raise errors.not_found(f"/Channels/{sid}")
            state.order.remove(row)
            del state.channels[sid]
            self._forget_active(state, row)

    # --- inspection and control (not API operations) ------------------------------------------

    def get_channel(self, account_sid: str, sid: str) -> Channel | None:
        with self._lock:
            row = self._state(account_sid).channels.get(sid)
        return None if row is None else _record(row)

    def deactivate_channel(self, account_sid: str, sid: str) -> Channel | None:
        with self._lock:
            state = self._state(account_sid)
            row = state.channels.get(sid)
            if row is None:
                return None
            if row[ACTIVE]:
                attributes = with_status(row[ATTRIBUTES], "INACTIVE")
                row = (*row[:13], False, row[14], self._clock.now(), *row[SEQ:18], attributes)
                self._put(state, row)
            return _record(row)

    def update_chat_channel(
        self, account_sid: str, sid: str, changes: Mapping[str, str | None]
    ) -> ChannelRow:
        """Set a channel's chat fields (``chat_friendly_name``, ``chat_unique_name``,
        ``attributes``) as the Chat API does. Attributes with a ``status`` decide whether it is
        its flow and identity's open chat, as Flex reads them: ``INACTIVE`` ends it."""
        with self._lock:
            state = self._state(account_sid)
            row = state.channels.get(sid)
            if row is None:
                raise KeyError(sid)
            fields = list(row)
            for name, value in changes.items():
                fields[_CHAT_FIELDS[name]] = value
            status = attributes_status(changes["attributes"]) if "attributes" in changes else None
            if status is not None:
                fields[ACTIVE] = status == "ACTIVE"
            fields[15] = self._clock.now()  # date_updated
            row = tuple(fields)  # type: ignore[assignment]
            self._put(state, row)
            return row

    def flow_channel_type(self, account_sid: str, flow_sid: str) -> str:
        """The channel type of a flow, deleted or not: what its channels' attributes say."""
        with self._lock:
            return self._state(account_sid).flow_types.get(flow_sid, "web")

    def all_channels(self) -> list[Channel]:
        with self._lock:
            every = [r for state in self._accounts.values() for r in state.channels.values()]
        return [_record(row) for row in sorted(every, key=lambda row: row[SEQ])]

    # --- internals ----------------------------------------------------------------------------

    def _state(self, account_sid: str) -> _AccountState:
        state = self._accounts.get(account_sid)
        if state is None:
            raise ValueError(f"unknown account {account_sid!r}: add it with add_account() first")
        return state

    def _put(self, state: _AccountState, row: ChannelRow) -> None:
        """Put a changed row in place of the stored one, and make its flow and identity's
        open chat follow its ``active``."""
        sid = row[0]
        state.order.replace(state.channels[sid], row)
        state.channels[sid] = row
        if not row[ACTIVE]:
            self._forget_active(state, row)
        else:
            state.active.setdefault(row[FLOW], {}).setdefault(row[IDENTITY], sid)

    @staticmethod
    def _forget_active(state: _AccountState, row: ChannelRow) -> None:
        active = state.active.get(row[FLOW], {})
        if active.get(row[IDENTITY]) == row[0]:
            del active[row[IDENTITY]]
