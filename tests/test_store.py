"""The store with plain calls: rules and paging positions, no HTTP."""

from __future__ import annotations

import gc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_flexchannels import Channel, FlexApiError
from pytest_flexchannels.core.clock import Clock
from pytest_flexchannels.core.order import records
from pytest_flexchannels.core.sids import SidSource
from pytest_flexchannels.core.world import Store
from pytest_flexchannels.flex import models as flex_models
from pytest_flexchannels.flex.models import NewChannel
from tests.helpers import error_body, examples


def _listed(store: Store, account: str, size: int, **where: int) -> tuple[list[Channel], bool]:
    """A page of the account's channels as records (``list_rows`` gives the stored rows)."""
    span, more = flex_models.list_rows(store, account, size, **where)
    rows = span if isinstance(span, list) else records(span)
    return [Channel._make(row) for row in rows], more


@pytest.fixture
def store() -> Store:
    return Store(SidSource(1), Clock("2026-01-01T00:00:00Z"))


def _world(store: Store, count: int) -> tuple[str, list[int]]:
    account = store.add_account().sid
    flow = flex_models.add_flex_flow(
        store, account, integration_type="task", channel_type="web", long_lived=False
    ).sid
    seqs = [
        flex_models.create_channel(store, account, NewChannel(flow, f"id-{i}", "name", "chat")).seq
        for i in range(count)
    ]
    return account, seqs


def test_paging_by_offset_after_and_before(store: Store) -> None:
    account, seqs = _world(store, 7)

    def page(size: int, **where: int) -> tuple[list[int], bool]:
        channels, more = _listed(store, account, size, **where)
        return [c.seq for c in channels], more

    assert page(3) == (seqs[:3], True)
    assert page(3, offset=6) == (seqs[6:], False)
    assert page(3, offset=9) == ([], False)
    assert page(3, after=seqs[2]) == (seqs[3:6], True)
    assert page(3, after=seqs[-1]) == ([], False)
    assert page(3, before=seqs[5]) == (seqs[2:5], True)
    assert page(3, before=seqs[1]) == (seqs[:1], True)


def test_positions_survive_deleting_the_channel_at_them(store: Store) -> None:
    account, seqs = _world(store, 5)
    listed, _ = _listed(store, account, 5)
    flex_models.delete_channel(store, account, listed[2].sid)
    after, more = _listed(store, account, 5, after=seqs[2])
    assert [c.seq for c in after] == seqs[3:] and not more
    before, _ = _listed(store, account, 5, before=seqs[2])
    assert [c.seq for c in before] == seqs[:2]


@settings(max_examples=examples(50), deadline=None)
@given(st.data())
def test_deletes_anywhere_keep_every_page_in_creation_order(data: st.DataObject) -> None:
    """Against a plain list: deletes at any positions (the order spans several of the sorted
    list's inner lists), then pages by offset, after and before every position."""
    store = Store(SidSource(2), Clock("2026-01-01T00:00:00Z"))
    account, seqs = _world(store, 2500)
    sid_of = {c.seq: c.sid for c in _listed(store, account, 2500)[0]}
    doomed = data.draw(st.lists(st.sampled_from(seqs), unique=True, max_size=300))
    for seq in doomed:
        flex_models.delete_channel(store, account, sid_of[seq])
    alive = [seq for seq in seqs if seq not in set(doomed)]
    size = data.draw(st.integers(1, 60))
    offset = data.draw(st.integers(0, len(alive)))
    at = data.draw(st.sampled_from(seqs))
    for where, expected in (
        ({"offset": offset}, alive[offset : offset + size]),
        ({"after": at}, [s for s in alive if s > at][:size]),
        ({"before": at}, [s for s in alive if s < at][-size:]),
    ):
        page, _ = _listed(store, account, size, **where)
        assert [c.seq for c in page] == expected


def test_accounts_are_isolated(store: Store) -> None:
    mine, _ = _world(store, 2)
    theirs, _ = _world(store, 3)
    my_channels, _ = _listed(store, mine, 50)
    assert len(my_channels) == 2
    with pytest.raises(FlexApiError) as raised:
        flex_models.fetch_row(store, theirs, my_channels[0].sid)
    assert raised.value.body() == error_body(
        404, 20404, f"The requested resource /Channels/{my_channels[0].sid} was not found"
    )
    with pytest.raises(FlexApiError):
        flex_models.delete_channel(store, theirs, my_channels[0].sid)
    assert flex_models.get_channel(store, mine, my_channels[0].sid) == my_channels[0]


def test_authenticate(store: Store) -> None:
    account = store.add_account()
    key = store.add_api_key(account.sid)
    assert store.authenticate(account.sid, account.auth_token) == account.sid
    assert store.authenticate(key.sid, key.secret) == account.sid
    assert store.authenticate(account.sid, key.secret) is None
    assert store.authenticate("nobody", "") is None
    with pytest.raises(ValueError, match="already exists"):
        store.add_account(account.sid)
    with pytest.raises(ValueError, match="already exists"):
        store.add_api_key(account.sid, sid=key.sid)
    with pytest.raises(ValueError, match="must match"):
        store.add_api_key(account.sid, sid="SK1")
    with pytest.raises(ValueError, match="must match"):
        store.add_account("AC1")


class _Counter:
    def __init__(self) -> None:
        self.count = 0


def test_each_account_has_its_own_state_of_a_kind(store: Store) -> None:
    """What another resource keeps per account: made on first use, kept after, never shared."""
    first, second = store.add_account().sid, store.add_account().sid
    store.state(first, _Counter).count += 2
    store.state(second, _Counter).count += 5
    assert [store.state(sid, _Counter).count for sid in (first, second)] == [2, 5]
    with pytest.raises(ValueError, match="unknown account 'AC0'"):
        store.state("AC0", _Counter)
    fresh = Store(store.sids, store.clock)
    fresh.add_account(first)
    assert fresh.state(first, _Counter).count == 0
    start = store.next_seq()
    assert store.next_seq() == start + 1  # positions in one creation order, never repeated


def test_stored_channels_leave_the_garbage_collectors_work() -> None:
    """A million seeded channels must not slow every full collection of the test process: the
    store keeps plain rows, which the collector stops tracking, not Channel records."""
    from pytest_flexchannels import FlexChannelsMock

    fake = FlexChannelsMock(seed=1)
    gc.collect()
    before = len(gc.get_objects())
    for i in range(2000):
        fake.create_channel(identity=f"c{i}")
    gc.collect()
    assert len(gc.get_objects()) - before < 100
    assert fake.get_channel(fake.channels[0].sid).identity == "c0"  # records on the way out


def test_a_rows_named_positions_are_its_fields() -> None:
    """Chat reads a Flex channel's row by these names: each is the position of its field."""
    positions = {
        "SID": "sid",
        "ACCOUNT": "account_sid",
        "FLOW": "flex_flow_sid",
        "USER": "user_sid",
        "TASK": "task_sid",
        "IDENTITY": "identity",
        "USER_NAME": "chat_user_friendly_name",
        "CHAT_NAME": "chat_friendly_name",
        "TARGET": "target",
        "CHAT_UNIQUE_NAME": "chat_unique_name",
        "PRE_ENGAGEMENT": "pre_engagement_data",
        "LONG_LIVED": "long_lived",
        "ACTIVE": "active",
        "CREATED": "date_created",
        "UPDATED": "date_updated",
        "SEQ": "seq",
        "SERVICE": "chat_service_sid",
        "ATTRIBUTES": "attributes",
    }
    for name, field in positions.items():
        assert Channel._fields[getattr(flex_models, name)] == field, name
