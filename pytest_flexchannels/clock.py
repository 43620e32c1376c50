"""A clock the test can set: real UTC time until frozen, then moved only by the test."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone


class Clock:
    """Source of ``date_created`` and ``date_updated``.

    Twilio's dates have whole seconds, so ``now()`` drops microseconds. Within one second it
    returns the same object: channels created together share their dates (cheaper to make and
    to keep when a test seeds thousands).
    """

    __slots__ = ("_frozen", "_second", "_this_second")

    def __init__(self, at: datetime | str | None = None) -> None:
        self._frozen: datetime | None = None
        self._second = -1
        self._this_second = datetime.fromtimestamp(0, timezone.utc)
        if at is not None:
            self.set(at)

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        second = int(time.time())
        if second != self._second:
            self._this_second = datetime.fromtimestamp(second, timezone.utc)
            self._second = second
        return self._this_second

    def set(self, at: datetime | str) -> None:
        """Freeze the clock at ``at`` (a datetime, or ISO 8601 text; naive means UTC)."""
        moment = datetime.fromisoformat(at.replace("Z", "+00:00")) if isinstance(at, str) else at
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        self._frozen = moment.astimezone(timezone.utc).replace(microsecond=0)

    def advance(self, delta: timedelta | float = 1.0) -> None:
        """Move the clock forward (freezing it at the current time first if it runs)."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        self._frozen = (self.now() + step).replace(microsecond=0)

    def resume(self) -> None:
        """Follow real time again."""
        self._frozen = None
