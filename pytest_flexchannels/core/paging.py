"""What answers are rendered from: how a list operation's pages read (``PageSpec``), and the
view of a request an answer is rendered for (its context while answering, its recorded call
later)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, NamedTuple, Protocol, TypeVar

T = TypeVar("T")


class PageSpec(NamedTuple):
    """How a list operation's pages read: the path page tokens are bound to (with the
    account) and page URLs name (None: the request's own, for a list under a parent such as
    ``/v2/Services/{ServiceSid}/Channels``), the list key, how an item renders
    (``render(record, root)``), its position in the list's order, and the filter parameters
    every page URL carries, first."""

    path: str | None
    key: str
    render: Callable[[Any, str], str]
    position: Callable[[Any], int]
    filters: tuple[str, ...] = ()


class View(Protocol):
    """What renders an answer: the request's context while answering, the recorded call
    later. ``resource`` is the request's path as its API names it."""

    @property
    def account_sid(self) -> str | None: ...

    @property
    def params(self) -> Mapping[str, str]: ...

    @property
    def origin(self) -> str: ...

    @property
    def root(self) -> str: ...

    @property
    def resource(self) -> str: ...


def window(
    right: Callable[[int], int],
    left: Callable[[int], int],
    size: int,
    offset: int,
    after: int | None,
    before: int | None,
) -> tuple[int, int]:
    """The slice of a creation order a page covers: ``size`` items after, or before, a position
    served earlier (which may since be gone), else from ``offset``. ``right`` and ``left`` bisect
    the order's positions."""
    if after is not None:
        start = right(after)
        return start, start + size
    if before is not None:
        end = left(before)
        return max(0, end - size), end
    return offset, offset + size


def window_of(
    items: list[T],
    position: Callable[[T], int],
    size: int,
    offset: int,
    after: int | None,
    before: int | None,
) -> tuple[list[T], bool]:
    """A page of a plain list already in order of ``position`` (``window`` over it), and
    whether items follow it: for resources that hold a handful of records, or scan for them."""
    positions = [position(item) for item in items]
    start, end = window(
        partial(bisect_right, positions),
        partial(bisect_left, positions),
        size,
        offset,
        after,
        before,
    )
    return items[start:end], end < len(items)
