"""A clock the test can set: real UTC time until frozen, then moved only by the test."""

from __future__ import annotations

import math
import threading
import time
from datetime import datetime, timedelta, timezone

# The clock's range: the dates Twilio writes (four-digit years, whole seconds, UTC). Python's own
# ``datetime.max`` is the end; a date before 1000 has no four-digit form.
START = datetime(1000, 1, 1, tzinfo=timezone.utc)
END = datetime.max.replace(microsecond=0, tzinfo=timezone.utc)


def later(moment: datetime, delta: timedelta) -> datetime:
    """A deadline ``delta`` after ``moment`` (a timer's, a channel's setup), saturated at the
    clock's ``END``: a timer that would fall past year 9999 falls due at its last second."""
    if delta >= END - moment:
        return END
    return moment + delta


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Clock:
    """Source of ``date_created`` and ``date_updated``.

    Twilio's dates have whole seconds, so ``now()`` drops microseconds. Within one second it
    returns the same object: channels created together share their dates (cheaper to make and
    to keep when a test seeds thousands). Its range is ``START`` to ``END`` (years 1000 to
    9999): a move past it is a ``ValueError`` and leaves the clock where it was.

    Safe from many threads. Every move (``set``, ``advance``, ``resume``) holds the clock's one
    lock, so concurrent advances add up exactly. ``now()`` takes no lock: it reads ``_frozen``
    (a datetime, or None while it follows real time), then ``_second``, one immutable
    ``(second, datetime)`` pair replaced whole and only by a later second. A reader therefore
    never sees half an update, and gets the very second its own ``time.time()`` read.

    The rule for locking, which every mover follows (``fc.advance`` among them): the clock's lock
    is held only inside these three methods and nothing is taken while it is held, so it never
    nests with the store's. A mover moves the clock first, then takes the store's lock to bring
    the store level with it (fire the timers that fell due); a reader under the store's lock
    that finds timers due fires them itself. No order of the two locks can then deadlock.
    """

    __slots__ = ("_frozen", "_lock", "_second")

    def __init__(self, at: datetime | str | None = None) -> None:
        self._frozen: datetime | None = None
        self._second = (-1, datetime.fromtimestamp(0, timezone.utc))
        self._lock = threading.Lock()
        if at is not None:
            self.set(at)

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def now(self) -> datetime:
        frozen = self._frozen
        if frozen is not None:
            return frozen
        second = int(time.time())
        cached = self._second
        if cached[0] == second:
            return cached[1]
        moment = datetime.fromtimestamp(second, timezone.utc)
        if second > cached[0]:  # a reader that was descheduled does not put the cache back
            self._second = (second, moment)
        return moment

    def set(self, at: datetime | str) -> None:
        """Freeze the clock at ``at`` (a datetime, or ISO 8601 text; naive means UTC), which
        must be within the clock's range in UTC."""
        moment = datetime.fromisoformat(at.replace("Z", "+00:00")) if isinstance(at, str) else at
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        try:  # 9999-12-31T23:00:00-05:00 is past datetime's own range in UTC
            utc: datetime | None = moment.astimezone(timezone.utc).replace(microsecond=0)
        except OverflowError:
            utc = None
        if utc is None or not START <= utc <= END:
            raise ValueError(f"the clock's range is {_iso(START)} to {_iso(END)}, not {at!s}")
        with self._lock:
            self._frozen = utc

    def advance(self, delta: timedelta | float = 1.0) -> None:
        """Move the clock forward by ``delta`` (a timedelta, or seconds: finite, at least 0),
        freezing it at the current time first if it runs. A move past the clock's ``END`` is
        refused (``ValueError``); to go back, ``set()`` it."""
        if not isinstance(delta, timedelta) and (
            isinstance(delta, bool)
            or not isinstance(delta, int | float)
            or not math.isfinite(delta)
            or delta < 0
        ):
            raise ValueError(
                f"the clock advances by a finite number of seconds, at least 0, not {delta!r}"
            )
        if isinstance(delta, timedelta) and delta < timedelta(0):
            raise ValueError(f"the clock advances forward, not by {delta!r}: set() it back")
        with self._lock:  # read, add, write as one move: concurrent advances all count
            now = self.now()
            room = END - now
            seconds = delta.total_seconds() if isinstance(delta, timedelta) else delta
            if seconds > room.total_seconds():  # timedelta(seconds=1e300) itself overflows
                raise ValueError(
                    f"the clock cannot advance {seconds:g} seconds from {_iso(now)}: its range "
                    f"ends at {_iso(END)}, {room.total_seconds():.0f} seconds later"
                )
            step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
            self._frozen = min(now + step, END).replace(microsecond=0)

    def resume(self) -> None:
        """Follow real time again."""
        with self._lock:
            self._frozen = None
