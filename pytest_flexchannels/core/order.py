"""A creation order of immutable records, that a recorded page keeps a piece of without copying.

The records sit in chunks (short lists) in the order of their position (an int that only grows
as records are added). A page is a ``Span``: the chunk it starts in, where in it, the chunk it
ends in (None when the same) and where. A chunk a span holds is never changed again: the order
copies it first (copy on write), so a recorded page keeps the records it was answered with for
the price of four references, however many records it has. Adding is an append, a removal
touches one chunk, a position is a bisection: none grows with the records held.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from itertools import accumulate
from typing import Any, Generic, TypeVar

T = TypeVar("T")

# Records per chunk: positions inside a chunk stay below 257, small ints Python never allocates,
# so a span costs its four references; a copy on write costs a few microseconds.
CAPACITY = 256

# The records of a page: (first chunk, start in it, last chunk or None, end in the last one).
Span = tuple[Sequence[Any], int, "Sequence[Any] | None", int]
EMPTY: Span = ((), 0, None, 0)


def records(span: Span) -> Sequence[Any]:
    """What a span holds, in order."""
    first, start, last, end = span
    if last is None:
        return first[start:end]
    return [*first[start:], *last[:end]]


class Order(Generic[T]):
    """Records in the order of ``key(record)``, each added after those already held."""

    __slots__ = ("_chunks", "_frozen", "_key", "_lasts", "_len", "_starts")

    def __init__(self, key: Callable[[T], int]) -> None:
        self._key = key
        self._chunks: list[list[T]] = []
        self._lasts: list[int] = []  # the key of each chunk's last record
        self._frozen: list[bool] = []  # whether a span holds the chunk (copy before a change)
        self._starts: list[int] | None = []  # each chunk's first index; None until recounted
        self._len = 0

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[T]:
        for chunk in self._chunks:
            yield from chunk

    def append(self, record: T) -> None:
        """Add a record whose key is greater than every key held."""
        position = self._key(record)
        chunks, lasts = self._chunks, self._lasts
        if lasts and position <= lasts[-1]:
            raise ValueError(f"position {position} is not after {lasts[-1]}")
        if chunks and len(chunks[-1]) < CAPACITY:
            tail = chunks[-1] if not self._frozen[-1] else self._writable(len(chunks) - 1)
            tail.append(record)
            lasts[-1] = position
        else:
            if self._starts is not None:
                self._starts.append(self._len)
            chunks.append([record])
            lasts.append(position)
            self._frozen.append(False)
        self._len += 1

    def replace(self, old: T, new: T) -> None:
        """Put ``new`` where ``old`` is (the same key)."""
        index, at = self._find(old)
        self._writable(index)[at] = new

    def remove(self, record: T) -> None:
        index, at = self._find(record)
        chunk = self._writable(index)
        del chunk[at]
        self._len -= 1
        if chunk:
            self._lasts[index] = self._key(chunk[-1])
        else:
            del self._chunks[index], self._lasts[index], self._frozen[index]
        self._starts = None

    def after(self, position: int) -> int:
        """The index of the first record whose key is greater than ``position``."""
        index = bisect_right(self._lasts, position)
        if index == len(self._chunks):
            return self._len
        return self._start(index) + bisect_right(self._chunks[index], position, key=self._key)

    def before(self, position: int) -> int:
        """The index of the first record whose key is ``position`` or greater."""
        index = bisect_left(self._lasts, position)
        if index == len(self._chunks):
            return self._len
        return self._start(index) + bisect_left(self._chunks[index], position, key=self._key)

    def since(self, position: int) -> list[T]:
        """The records whose key is greater than ``position``, in order: a copy, so unlike
        ``span`` it leaves every chunk free to change in place (chat reads the whole order
        this way on every request)."""
        index = bisect_right(self._lasts, position)
        if index == len(self._chunks):
            return []
        chunk = self._chunks[index]
        found = chunk[bisect_right(chunk, position, key=self._key) :]
        for later in self._chunks[index + 1 :]:
            found.extend(later)
        return found

    def span(self, start: int, end: int) -> Span | list[T]:
        """The records from index ``start`` to ``end``, as a span that shares the chunks (now
        never changed again) or, for a piece of the chunk still being filled or one across
        more than two chunks, as a new list."""
        end = min(end, self._len)
        if start >= end:
            return EMPTY
        starts = self._positions()
        index = bisect_right(starts, start) - 1
        chunks = self._chunks
        first, offset = chunks[index], starts[index]
        if end - offset <= len(first):
            if self._keep(index):
                return first, start - offset, None, end - offset
            return first[start - offset : end - offset]
        if (
            index + 1 < len(chunks)
            and end - starts[index + 1] <= len(chunks[index + 1])
            and self._keep(index + 1)
            and self._keep(index)
        ):
            return first, start - offset, chunks[index + 1], end - starts[index + 1]
        records: list[T] = []
        while len(records) < end - start:
            records.extend(chunks[index][max(0, start - starts[index]) : end - starts[index]])
            index += 1
        return records

    # --- internals ----------------------------------------------------------------------------

    def _keep(self, index: int) -> bool:
        """Promise never to change chunk ``index`` again, unless it is the one being filled
        (a span there would make every later append copy it)."""
        if index == len(self._chunks) - 1 and len(self._chunks[index]) < CAPACITY:
            return False
        self._frozen[index] = True
        return True

    def _writable(self, index: int) -> list[T]:
        if self._frozen[index]:
            self._chunks[index] = list(self._chunks[index])
            self._frozen[index] = False
        return self._chunks[index]

    def _find(self, record: T) -> tuple[int, int]:
        position = self._key(record)
        index = bisect_left(self._lasts, position)
        if index < len(self._chunks):
            chunk = self._chunks[index]
            at = bisect_left(chunk, position, key=self._key)
            if at < len(chunk) and self._key(chunk[at]) == position:
                return index, at
        raise KeyError(position)

    def _positions(self) -> list[int]:
        if self._starts is None:
            self._starts = [0, *accumulate(map(len, self._chunks[:-1]))] if self._chunks else []
        return self._starts

    def _start(self, index: int) -> int:
        return self._positions()[index]
