"""The world every family shares: accounts and their keys, one lock, the clock, the SID
source, the creation order, and each family's state per account (``state``). Knows nothing of
HTTP, nor of any family."""

from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass
from itertools import count
from typing import Any, TypeVar

from . import sids, surrogates
from .clock import Clock


@dataclass(frozen=True, slots=True)
class Account:
    sid: str
    auth_token: str


@dataclass(frozen=True, slots=True)
class ApiKey:
    sid: str
    secret: str
    account_sid: str


def check_given(sid: str | None, prefix: str, what: str) -> None:
    """Refuse a SID a Python caller gave that is not of ``prefix``'s form."""
    if sid is not None and not sids.is_sid(sid, prefix):
        raise ValueError(f"{what} must match {sids.pattern(prefix)}, got {sid!r}")


class _AccountState:
    """One account's world: other accounts never see any of it."""

    __slots__ = ("account", "families")

    def __init__(self, account: Account) -> None:
        self.account = account
        # The state each family keeps in this account, by the class that holds it.
        self.families: dict[type, Any] = {}


State = TypeVar("State")


class Store:
    """State per account, safe to use from many threads (one lock per store).

    Accounts and credentials live here; each family keeps its records in a class of its own,
    one instance per account (``state``), under the same lock, clock and SID source, and they
    go when the store is reset with the rest.
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
        check_given(sid, sids.ACCOUNT, "account SID")
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
        check_given(sid, sids.API_KEY, "API key SID")
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

    # --- internals ----------------------------------------------------------------------------

    def _state(self, account_sid: str) -> _AccountState:
        state = self._accounts.get(account_sid)
        if state is None:
            raise ValueError(f"unknown account {account_sid!r}: add it with add_account() first")
        return state
