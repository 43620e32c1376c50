"""Recorded calls, and assertions on them whose failures show everything that was recorded."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple, overload

from .registry import REGISTRY


class Call(NamedTuple):
    """One HTTP request the fake answered, and its answer: an immutable record.

    ``params`` holds the form fields (creates, updates) or query fields (the other operations) by
    their wire names, as the raw strings received; for a repeated key, the first value. ``sid`` is
    the SID in a fetch, update or delete path. ``unmatched`` marks an authenticated request to a
    path the fake does not know (answered 404 as Twilio answers unknown paths, but Twilio may
    serve it): the fixture fails the test for it at teardown unless ``allow_unmatched`` is set.
    (A named tuple: one is built for every request, at a fifth of a frozen dataclass's cost.)
    """

    operation: str | None
    method: str
    url: str
    path: str
    params: Mapping[str, str]
    headers: Mapping[str, str]
    account_sid: str | None
    status_code: int | None
    response_body: bytes
    error_code: int | None
    sid: str | None = None
    request_id: str | None = None
    fault: str | None = None
    unmatched: bool = False

    @property
    def response_json(self) -> Any:
        """The answer's JSON (None for a 204 or a transport error), parsed when read: most calls
        are never looked at, and answering stays as cheap as sending the text."""
        return json.loads(self.response_body) if self.response_body else None

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={getattr(self, name)!r}" for name in self._fields if name != "response_body"
        )
        return f"Call({shown})"

    def describe(self) -> str:
        outcome = f"{self.status_code}" + (f" error {self.error_code}" if self.error_code else "")
        params = f" {dict(self.params)}" if self.params else ""
        return (
            f"{self.operation or '<no operation>'}: {self.method} {self.url}{params} -> {outcome}"
        )


def _matches(call: Call, operation: str | None, params: Mapping[str, str]) -> bool:
    if operation is not None and call.operation != operation:
        return False
    for name, value in params.items():
        # Sid is the path parameter of fetch and delete (its name in the official description).
        actual = call.sid if name == "Sid" else call.params.get(name)
        if actual != value:
            return False
    return True


def _operation(operation: str | None) -> str | None:
    """An operation's name as calls record it (an old name warns; an unknown one is refused),
    for the caller of a public method (hence the stack level)."""
    return REGISTRY.canonical(operation, stacklevel=4)


def _what(operation: str | None, params: Mapping[str, str], count: int = 1) -> str:
    kind = (f"{operation!r} call" if operation else "call") + ("" if count == 1 else "s")
    return f"{kind} with {dict(params)}" if params else kind


class CallLog(Sequence[Call]):
    """Every request the fake served, in order (with ``max_calls``, the latest that many, and in
    ``dropped`` how many older ones made room); safe to append to from many threads.

    Parameter matchers are wire names (``Identity="alice"``); ``Sid`` matches the SID in the path.
    A matcher only constrains the parameters it names.
    """

    def __init__(self, max_calls: int | None = None) -> None:
        if max_calls is not None and (isinstance(max_calls, bool) or max_calls < 1):
            raise ValueError(f"max_calls must be a positive integer or None, got {max_calls!r}")
        # With a cap (a long-running server), the oldest calls make room and are counted.
        self._calls: deque[Call] = deque(maxlen=max_calls)
        self._lock = threading.Lock()
        self.max_calls = max_calls
        self.dropped = 0

    def record(self, call: Call) -> None:
        with self._lock:
            if len(self._calls) == self.max_calls:
                self.dropped += 1
            self._calls.append(call)

    def clear(self) -> None:
        """Forget every call (and the count of calls the cap dropped)."""
        with self._lock:
            self._calls.clear()
            self.dropped = 0

    @overload
    def __getitem__(self, index: int) -> Call: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Call]: ...
    def __getitem__(self, index: int | slice) -> Call | Sequence[Call]:
        if isinstance(index, slice):
            return list(self._calls)[index]
        return self._calls[index]

    def __len__(self) -> int:
        return len(self._calls)

    def __iter__(self) -> Iterator[Call]:
        return iter(list(self._calls))

    def __repr__(self) -> str:
        return f"<CallLog of {len(self)} calls>"

    def filter(self, operation: str | None = None, /, **params: str) -> list[Call]:
        """The recorded calls of ``operation`` (any when None) whose parameters match."""
        operation = _operation(operation)
        return [call for call in self if _matches(call, operation, params)]

    def assert_called(self, operation: str | None = None, /, *, times: int | None = None) -> None:
        """At least one matching call, or exactly ``times`` when given."""
        operation = _operation(operation)
        found = self.filter(operation)
        if (times is None and not found) or (times is not None and len(found) != times):
            wanted = f"at least one {_what(operation, {})}"
            if times is not None:
                wanted = f"exactly {times} {_what(operation, {}, times)}"
            self._fail(f"Expected {wanted}, found {len(found)}.")

    def assert_not_called(self, operation: str | None = None, /) -> None:
        operation = _operation(operation)
        found = self.filter(operation)
        if found:
            self._fail(f"Expected no {_what(operation, {})}, found {len(found)}.")

    def assert_any_call(self, operation: str | None = None, /, **params: str) -> None:
        operation = _operation(operation)
        if not self.filter(operation, **params):
            self._fail(f"Expected a {_what(operation, params)}, found none.")

    def assert_called_once_with(self, operation: str | None = None, /, **params: str) -> Call:
        """Exactly one call of ``operation`` was made, and it matches ``params``; returns it."""
        operation = _operation(operation)
        found = self.filter(operation)
        if len(found) != 1 or not _matches(found[0], operation, params):
            matching = sum(_matches(call, operation, params) for call in found)
            self._fail(
                f"Expected exactly one {_what(operation, params)}; "
                f"found {len(found)} {_what(operation, {}, len(found))}, {matching} matching."
            )
        return found[0]

    def describe(self) -> str:
        """Every recorded call, numbered, as failure messages show them."""
        lines = [f"Recorded calls ({len(self)}):"]
        if self.dropped:
            lines[0] = f"Recorded calls ({len(self)}; {self.dropped} older ones dropped):"
        lines += [f"  {i}. {call.describe()}" for i, call in enumerate(self, 1)] or ["  (none)"]
        return "\n".join(lines)

    def _fail(self, message: str) -> None:
        raise AssertionError(f"{message}\n{self.describe()}")
