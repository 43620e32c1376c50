"""Injected faults: what the next matching requests get instead of, or after, normal processing."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, replace
from typing import Any

from . import errors, surrogates
from .errors import FlexApiError

# Bounds of what a test asks of a fault (and of ``fail_interaction_setup``): a count of requests
# (``times=None`` is the way to say "every one"), and a wait a client is made to sit through
# (injected latency, ``Retry-After``), which reaches ``time.sleep``: an hour is past any
# client's timeout.
MAX_TIMES = 1_000_000
MAX_WAIT = 3600
MAX_CODE = 99_999  # Twilio's error codes have five digits; a longer int may not even render


def shown(value: object) -> str:
    """``repr(value)``, except for an integer too long to write (past 4,300 digits Python
    refuses): its size instead."""
    if isinstance(value, int) and not -(10**15) < value < 10**15:
        return f"an integer of {value.bit_length()} bits"
    return repr(value)


def check_count(name: str, value: object, *, sticky: bool = False) -> None:
    """Refuse a count that is not an integer from 1 to ``MAX_TIMES`` (``sticky``: or None)."""
    if sticky and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TIMES:
        also = " (or None: sticky)" if sticky else ""
        raise ValueError(
            f"{name} must be an integer from 1 to {MAX_TIMES:,}{also}, got {shown(value)}"
        )


def check_code(value: object) -> None:
    """Refuse an error ``code`` that is not an integer from 1 to ``MAX_CODE``."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CODE:
        raise ValueError(f"code must be an integer from 1 to {MAX_CODE:,}, got {shown(value)}")


def check_wait(name: str, value: object, *, whole: bool = False) -> None:
    """Refuse a wait that is not a (whole, when ``whole``) number of seconds from 0 to
    ``MAX_WAIT`` (negative, NaN, infinite, or long enough to overflow ``time.sleep``)."""
    kinds = int if whole else (int, float)
    if (
        isinstance(value, bool)
        or not isinstance(value, kinds)
        or not math.isfinite(value)
        or not 0 <= value <= MAX_WAIT
    ):
        number = "a whole number" if whole else "a number"
        raise ValueError(
            f"{name} must be {number} of seconds from 0 to {MAX_WAIT}, got {shown(value)}"
        )


class ConnectionDropped(Exception):
    """The default of ``raise_next``: each transport closes the connection without an answer, which
    its client reports in its own terms (``requests.ConnectionError`` from ``RemoteDisconnected``,
    ``aiohttp.ServerDisconnectedError``, a closed socket)."""


def raised(
    exception: BaseException | type[BaseException], method: str, url: str, **extra: Any
) -> BaseException:
    """What a fault's ``exception`` raises at a request: an instance as given; a class built with
    a message naming the request, and with ``extra`` keyword arguments when it takes them (as
    requests' exceptions take the request)."""
    if not isinstance(exception, type):
        return exception
    message = f"injected by the Flex fake: {method} {url}"
    try:
        return exception(message, **extra)
    except TypeError:
        return exception(message)


@dataclass(frozen=True)
class Fault:
    """One injected fault, as the test asked for it. ``times`` is how many requests it applies
    to; None means every matching request until ``clear_faults()`` (sticky). The fake counts
    uses on its own: ``fc.faults`` lists the pending ones with the ``times`` they have left.

    With ``after_processing`` the request changes the store as usual and only its answer is
    replaced: the response was lost on the way back, so a retry meets what the first try made.
    """

    operation: str | None
    status: int | None = None
    code: int | None = None
    message: str | None = None
    exception: BaseException | type[BaseException] | None = None
    after_processing: bool = False
    latency: float = 0.0
    times: int | None = 1
    retry_after: int | None = None

    @property
    def interrupts(self) -> bool:
        """Whether the fault replaces the answer (an error or a transport exception)."""
        return self.status is not None or self.exception is not None

    def error(self) -> FlexApiError | None:
        if self.status is None:
            return None
        return errors.injected(self.status, self.code, self.message)

    @property
    def label(self) -> str:
        """What the fault does and to which requests (as recorded on the calls it met)."""
        if self.exception is ConnectionDropped:
            what = "drop the connection"
        elif self.exception is not None:
            kind = self.exception if isinstance(self.exception, type) else type(self.exception)
            what = f"raise {kind.__name__}"
        elif self.status is not None:
            error = self.error()
            assert error is not None
            what = f"answer {error.status} error {error.code}"
            if self.retry_after is not None:
                what += f" with Retry-After {self.retry_after}"
        else:
            what = "answer normally"
        when = " after processing" if self.after_processing else ""
        delay = f" after {self.latency:g} s" if self.latency else ""
        return f"{what}{when}{delay} on {self.operation or 'any operation'}"

    def describe(self) -> str:
        """The label and how many more requests the fault applies to."""
        count = "until cleared" if self.times is None else f"{self.times} more time(s)"
        return f"{self.label}, {count}"


class _Pending:
    """A fault and the uses it has left (None: sticky)."""

    __slots__ = ("fault", "left")

    def __init__(self, fault: Fault) -> None:
        self.fault, self.left = fault, fault.times


class FaultPlan:
    """Pending faults, first added first matched; safe to use from many threads."""

    def __init__(self) -> None:
        self._faults: list[_Pending] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        """Keep ``fault`` pending, its values checked first (``ValueError`` naming the one
        refused): every one is bounded and its text encodes."""
        check_count("times", fault.times, sticky=True)
        if fault.retry_after is not None:
            check_wait("retry_after", fault.retry_after, whole=True)
        check_wait("latency", fault.latency)
        if fault.code is not None:
            check_code(fault.code)
        surrogates.check("message", fault.message)
        with self._lock:
            self._faults.append(_Pending(fault))
        return fault

    def take(self, operation: str | None) -> Fault | None:
        """The fault the next request of ``operation`` meets, counting it as used."""
        if not self._faults:  # nearly every request: no lock to take
            return None
        with self._lock:
            for pending in self._faults:
                fault = pending.fault
                if fault.operation is None or fault.operation == operation:
                    if pending.left is not None:
                        pending.left -= 1
                        if pending.left == 0:
                            self._faults.remove(pending)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        """The pending faults, each with the uses it has left as its ``times``."""
        with self._lock:
            return [replace(pending.fault, times=pending.left) for pending in self._faults]
