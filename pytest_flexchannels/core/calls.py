"""Recorded calls, and assertions on them whose failures show everything that was recorded."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, overload
from urllib.parse import unquote

from . import urls
from .context import Answer
from .registry import REGISTRY

if TYPE_CHECKING:
    from .http import Request


class Call:
    """One HTTP request the fake answered, and its answer: an immutable record.

    It keeps the request as it came and what the answer was made of (immutable records), and
    reads the rest from them when asked: ``params`` (the form fields of creates and updates, the
    query fields of the other operations, by wire name, as the raw strings received; for a
    repeated key the first value), ``sid`` (the SID in the path), ``response_body``. So a call
    costs a few hundred bytes however large its answer. ``unmatched`` marks an authenticated
    request to a path the fake does not know (answered 404 as Twilio answers unknown paths, but
    Twilio may serve it): the fixture fails the test for it at teardown unless
    ``allow_unmatched`` is set.
    """

    __slots__ = (
        "_answer",
        "account_sid",
        "error_code",
        "fault",
        "operation",
        "request",
        "request_id",
        "status_code",
        "unmatched",
    )

    def __init__(
        self,
        operation: str | None,
        request: Request,
        account_sid: str | None,
        status_code: int | None,
        error_code: int | None,
        request_id: str | None,
        fault: str | None,
        unmatched: bool,
        answer: Answer | None,
    ) -> None:
        self.operation = operation
        self.request = request
        self.account_sid = account_sid
        self.status_code = status_code
        self.error_code = error_code
        self.request_id = request_id
        self.fault = fault
        self.unmatched = unmatched
        self._answer = answer

    @property
    def method(self) -> str:
        return self.request.method.upper()

    @property
    def url(self) -> str:
        return self.request.url

    @property
    def headers(self) -> Mapping[str, str]:
        return self.request.headers

    @property
    def path(self) -> str:
        """The path as the API names it (a served fake's prefix for the API left out)."""
        return REGISTRY.locate(urls.split(self.request.url)).path

    resource = path  # what a page renders its URLs and tokens from (``pages.View``)

    @property
    def params(self) -> dict[str, str]:
        operation = REGISTRY.get(self.operation) if self.operation is not None else None
        if operation is None:
            return {}
        if operation.body == "form":
            return urls.fields(self.request.body.decode("utf-8", "replace"))
        return urls.fields(urls.split(self.request.url).query)

    @property
    def sid(self) -> str | None:
        """The value of the path's last parameter: the SID of a fetch, update or delete."""
        if self.operation is None:
            return None
        place = REGISTRY.locate(urls.split(self.request.url))
        values = REGISTRY.route(self.method, place.path, place.domain)[1]
        return unquote(values[-1]) if values else None

    @property
    def origin(self) -> str:
        return REGISTRY.locate(urls.split(self.request.url)).origin

    @property
    def root(self) -> str:
        return REGISTRY.locate(urls.split(self.request.url)).root

    @property
    def response_body(self) -> bytes:
        """The answer's JSON text, rendered again from what it was made of (empty for a 204 or
        a transport error)."""
        if self._answer is None:
            return b""
        render, *parts = self._answer
        return str(render(self, *parts)).encode()

    @property
    def response_json(self) -> Any:
        """The answer's JSON (None for a 204 or a transport error), parsed when read."""
        body = self.response_body
        return json.loads(body) if body else None

    _SHOWN = (
        "operation",
        "method",
        "url",
        "path",
        "params",
        "headers",
        "account_sid",
        "status_code",
        "error_code",
        "sid",
        "request_id",
        "fault",
        "unmatched",
    )

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._SHOWN)
        return f"Call({shown})"

    def describe(self) -> str:
        outcome = f"{self.status_code}" + (f" error {self.error_code}" if self.error_code else "")
        params = self.params
        shown = f" {params}" if params else ""
        return f"{self.operation or '<no operation>'}: {self.method} {self.url}{shown} -> {outcome}"


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
