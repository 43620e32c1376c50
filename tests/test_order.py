"""The creation order pages come from: a recorded span keeps the records it was answered with,
whatever the order does afterwards (copy on write), and positions match a plain list's."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from operator import itemgetter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_flexchannels.core.order import CAPACITY, EMPTY, Order, records
from tests.helpers import examples

Row = tuple[int, str]
_steps = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(1, 3 * CAPACITY)),
        st.tuples(st.just("remove"), st.integers(0, 10**6)),
        st.tuples(st.just("replace"), st.integers(0, 10**6)),
        st.tuples(st.just("span"), st.integers(0, 10**6), st.integers(0, 3 * CAPACITY)),
    ),
    max_size=40,
)


@settings(max_examples=examples(150), deadline=None)
@given(_steps)
def test_spans_keep_their_records_and_positions_match_a_list(steps: list[tuple[int, ...]]) -> None:
    order: Order[Row] = Order(itemgetter(0))
    model: list[Row] = []
    kept: list[tuple[object, list[Row]]] = []
    position = 0
    for step in steps:
        kind = step[0]
        if kind == "append":
            for _ in range(int(step[1])):
                position += 1
                order.append((position, "v0"))
                model.append((position, "v0"))
        elif kind in ("remove", "replace") and model:
            index = int(step[1]) % len(model)
            row = model[index]
            if kind == "remove":
                order.remove(row)
                del model[index]
            else:
                new = (row[0], f"v{int(row[1][1:]) + 1}")
                order.replace(row, new)
                model[index] = new
        elif kind == "span":
            start = int(step[1]) % (len(model) + 1)
            end = start + int(step[2])
            span = order.span(start, end)
            got = list(span if isinstance(span, list) else records(span))
            assert got == model[start:end]
            kept.append((span, got))
        assert list(order) == model
        assert len(order) == len(model)
        assert order.since(position // 2) == [row for row in model if row[0] > position // 2]
        keys = [row[0] for row in model]
        for probe in (0, position // 2, position, position + 1, *keys[:3]):
            assert order.after(probe) == bisect_right(keys, probe)
            assert order.before(probe) == bisect_left(keys, probe)
    for span, got in kept:  # what each page was answered with, unchanged since
        assert list(span if isinstance(span, list) else records(span)) == got


def test_a_page_inside_full_chunks_is_shared_and_the_chunk_still_being_filled_is_copied() -> None:
    order: Order[Row] = Order(itemgetter(0))
    for position in range(1, 2 * CAPACITY + 11):
        order.append((position, "v"))
    inside = order.span(10, 60)
    across = order.span(CAPACITY - 20, CAPACITY + 30)
    at_the_end = order.span(2 * CAPACITY, 2 * CAPACITY + 10)
    assert not isinstance(inside, list) and inside[2] is None and (inside[1], inside[3]) == (10, 60)
    assert not isinstance(across, list) and across[2] is not None
    assert isinstance(at_the_end, list)  # the chunk being filled: a span there would freeze it
    assert order.span(5, 5) is EMPTY
    order.remove((11, "v"))  # in the chunk both spans hold: copied first, they keep theirs
    assert [row[0] for row in records(inside)] == list(range(11, 61))
    assert [row[0] for row in records(across)][:2] == [CAPACITY - 19, CAPACITY - 18]


def test_an_order_refuses_a_position_not_after_its_last_and_a_record_it_does_not_hold() -> None:
    order: Order[Row] = Order(itemgetter(0))
    order.append((5, "a"))
    with pytest.raises(ValueError, match="position 5 is not after 5"):
        order.append((5, "b"))
    with pytest.raises(KeyError):
        order.remove((4, "a"))
    with pytest.raises(KeyError):
        order.replace((9, "a"), (9, "b"))


def test_reading_since_a_position_leaves_every_chunk_free_to_change() -> None:
    """A scan is a copy: it promises no chunk (a span does), so changes after it copy none."""
    order: Order[Row] = Order(itemgetter(0))
    for position in range(1, 2 * CAPACITY + 1):  # two full chunks
        order.append((position, "v"))
    assert [row[0] for row in order.since(5)] == list(range(6, 2 * CAPACITY + 1))
    assert order.since(2 * CAPACITY) == []
    assert not any(order._frozen)
