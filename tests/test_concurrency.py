"""Many threads on one fake: nothing lost, duplicated or corrupted, every call recorded once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock

THREADS = 8
PER_THREAD = 100


def test_threads_creating_through_the_client(flex_channels: FlexChannelsMock) -> None:
    start = threading.Barrier(THREADS)

    def worker(index: int) -> list[str]:
        client = Client(flex_channels.account_sid, flex_channels.auth_token)
        start.wait()  # all threads hit the fake at once
        return [
            client.flex_api.v1.channel.create(
                flex_flow_sid=flex_channels.flex_flow_sid,
                identity=f"worker-{index}-customer-{n}",
                chat_user_friendly_name="Customer",
                chat_friendly_name="Chat",
            ).sid
            for n in range(PER_THREAD)
        ]

    with ThreadPoolExecutor(THREADS) as pool:
        created = [sid for sids in pool.map(worker, range(THREADS)) for sid in sids]

    assert len(created) == len(set(created)) == THREADS * PER_THREAD
    client = Client(flex_channels.account_sid, flex_channels.auth_token)
    listed = [c.sid for c in client.flex_api.v1.channel.stream(page_size=1000)]
    assert sorted(listed) == sorted(created)
    assert [c.sid for c in flex_channels.channels] == listed  # one consistent creation order
    creates = flex_channels.calls.filter("create_channel")
    assert len(creates) == THREADS * PER_THREAD
    assert len({call.request_id for call in creates}) == THREADS * PER_THREAD
    assert sorted(call.response_json["sid"] for call in creates) == sorted(created)


def test_threads_racing_on_the_same_identity_share_one_channel(
    flex_channels: FlexChannelsMock,
) -> None:
    start = threading.Barrier(THREADS)

    def worker(_: int) -> set[str]:
        client = Client(flex_channels.account_sid, flex_channels.auth_token)
        start.wait()
        return {
            client.flex_api.v1.channel.create(
                flex_flow_sid=flex_channels.flex_flow_sid,
                identity="the-same-customer",
                chat_user_friendly_name="Customer",
                chat_friendly_name="Chat",
            ).sid
            for _ in range(20)
        }

    with ThreadPoolExecutor(THREADS) as pool:
        seen = set().union(*pool.map(worker, range(THREADS)))
    assert len(seen) == 1 and len(flex_channels.channels) == 1


def test_threads_deleting_and_listing(flex_channels: FlexChannelsMock) -> None:
    sids = [flex_channels.create_channel(identity=f"c{i}").sid for i in range(400)]
    start = threading.Barrier(THREADS)

    def worker(index: int) -> int:
        client = Client(flex_channels.account_sid, flex_channels.auth_token)
        start.wait()
        for sid in sids[index::THREADS]:
            client.flex_api.v1.channel(sid).delete()
            # Pages stay well-formed while other threads delete under them.
            page = client.flex_api.v1.channel.page(page_size=50)
            assert len(list(page)) <= 50
        return 0

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(worker, range(THREADS)))
    assert flex_channels.channels == []
    assert len(flex_channels.calls.filter("delete_channel")) == 400
    assert all(call.status_code == 204 for call in flex_channels.calls.filter("delete_channel"))


def test_one_fakes_lock_does_not_hold_up_another() -> None:
    busy, idle = FlexChannelsMock(seed=1), FlexChannelsMock(seed=2)
    held, release = threading.Event(), threading.Event()

    def hold_busy_store() -> None:
        with busy._store._lock:  # as if a request on `busy` were in progress
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold_busy_store)
    holder.start()
    held.wait(5)
    done = threading.Event()
    worker = threading.Thread(target=lambda: (idle.create_channel(), done.set()))
    worker.start()
    try:
        assert done.wait(2), "a fake waited for another fake's lock"
    finally:
        release.set()
        holder.join()
        worker.join()
    assert len(idle.channels) == 1
