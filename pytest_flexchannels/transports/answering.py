"""The fake that answers now: of the fakes running, the one started last (``interception``
keeps the list; every transport asks ``current``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..core.http import Answerer

ACTIVE: list[Answerer] = []


def current() -> Answerer | None:
    """The fake that answers now, if any."""
    return ACTIVE[-1] if ACTIVE else None
