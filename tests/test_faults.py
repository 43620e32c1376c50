"""Fault injection as the twilio client sees it: Twilio errors, transport errors, lost answers,
latency; one-shot, counted and sticky."""

from __future__ import annotations

import dataclasses
import time

import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock
from pytest_flexchannels.families import REGISTRY
from tests.helpers import CHANNELS_URL, create, error_body


def _fails(call: object) -> TwilioRestException:
    with pytest.raises(TwilioRestException) as raised:
        call()  # type: ignore[operator]
    return raised.value


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (429, 20429, "Too Many Requests"),
        (500, 20500, "Internal Server Error"),
        (503, 20503, "Service Unavailable"),
    ],
)
def test_fail_next_answers_twilios_error_and_stores_nothing(
    flex_channels: FlexChannelsMock, client: Client, status: int, code: int, message: str
) -> None:
    flex_channels.fail_next("create_channel", status=status)
    error = _fails(lambda: create(client, flex_channels))
    assert (error.status, error.code, error.msg) == (
        status,
        code,
        f"Unable to create record: {message}",
    )
    assert flex_channels.channels == []
    assert create(client, flex_channels).sid == flex_channels.channels[0].sid  # one-shot
    first, second = flex_channels.calls
    assert (first.status_code, first.error_code, first.fault) == (
        status,
        code,
        f"answer {status} error {code} on create_channel",
    )
    assert (second.status_code, second.fault) == (201, None)


def test_injected_error_on_the_wire(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    flex_channels.fail_next(status=429)
    response = http.get(CHANNELS_URL)
    assert response.status_code == 429
    assert response.json() == error_body(429, 20429, "Too Many Requests")
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Twilio-Request-Id"].startswith("RQ")


def test_default_status_custom_code_and_message(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    flex_channels.fail_next()
    assert _fails(lambda: create(client, flex_channels)).code == 20500
    flex_channels.fail_next(
        status=400, code=21610, message="Attempt to send to unsubscribed recipient"
    )
    error = _fails(lambda: create(client, flex_channels))
    assert (error.status, error.code) == (400, 21610)
    assert error.msg == "Unable to create record: Attempt to send to unsubscribed recipient"
    flex_channels.fail_next(status=502)
    assert _fails(lambda: create(client, flex_channels)).code == 20502


def test_a_failed_page_is_the_clients_page_error(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    for i in range(3):
        flex_channels.create_channel(identity=f"c{i}")
    flex_channels.fail_next("list_channels", status=503)
    with pytest.raises(TwilioException, match="Unable to fetch page"):
        client.flex_api.v1.channel.list(page_size=2)
    assert len(client.flex_api.v1.channel.list(page_size=2)) == 3


def test_operation_filter_and_order(flex_channels: FlexChannelsMock, client: Client) -> None:
    flex_channels.fail_next("delete_channel", status=503)
    flex_channels.fail_next("fetch_channel", status=429)
    channel = create(client, flex_channels)
    assert _fails(lambda: client.flex_api.v1.channel(channel.sid).fetch()).status == 429
    assert _fails(lambda: client.flex_api.v1.channel(channel.sid).delete()).status == 503
    assert client.flex_api.v1.channel(channel.sid).delete() is True


def test_times_counts_and_none_is_sticky(flex_channels: FlexChannelsMock, client: Client) -> None:
    flex_channels.fail_next("list_channels", status=500, times=2)
    statuses = []
    for _ in range(3):
        try:
            client.flex_api.v1.channel.page()
            statuses.append(200)
        except TwilioException:
            statuses.append(500)
    assert statuses == [500, 500, 200]
    sticky = flex_channels.fail_next("fetch_channel", status=503, times=None)
    for _ in range(5):
        assert _fails(lambda: client.flex_api.v1.channel("CH" + "0" * 32).fetch()).status == 503
    assert flex_channels.faults == [sticky]
    assert sticky.describe() == "answer 503 error 20503 on fetch_channel, until cleared"
    flex_channels.clear_faults()
    assert flex_channels.faults == []
    assert _fails(lambda: client.flex_api.v1.channel("CH" + "0" * 32).fetch()).status == 404


def test_the_fake_counts_uses_without_changing_the_fault_it_gave(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    fault = flex_channels.fail_next("fetch_channel", status=429, times=3)
    assert _fails(lambda: client.flex_api.v1.channel("CH" + "0" * 32).fetch()).status == 429
    assert fault.times == 3  # as the test asked for it
    (pending,) = flex_channels.faults
    assert pending == dataclasses.replace(fault, times=2)
    assert pending.describe() == "answer 429 error 20429 on fetch_channel, 2 more time(s)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        fault.times = 1  # type: ignore[misc]


def test_raise_next_is_a_dropped_connection(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    flex_channels.raise_next("create_channel")
    # What requests raises when a server closes the connection without an answer.
    with pytest.raises(requests.ConnectionError) as raised:
        create(client, flex_channels)
    assert str(raised.value) == (
        "('Connection aborted.', "
        "RemoteDisconnected('Remote end closed connection without response'))"
    )
    assert flex_channels.channels == []
    (call,) = flex_channels.calls
    assert (call.status_code, call.response_json, call.error_code, call.request_id) == (
        None,
        None,
        None,
        None,
    )
    assert call.fault == "drop the connection on create_channel"


def test_raise_next_with_a_class_or_an_instance(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    flex_channels.raise_next("fetch_channel", requests.Timeout)
    with pytest.raises(requests.Timeout) as raised:
        client.flex_api.v1.channel("CH" + "0" * 32).fetch()
    assert raised.value.request is not None
    assert raised.value.request.url == f"{CHANNELS_URL}/CH{'0' * 32}"
    custom = requests.exceptions.SSLError("handshake failed")
    flex_channels.raise_next(exception=custom)
    with pytest.raises(requests.exceptions.SSLError) as again:
        client.flex_api.v1.channel.list()
    assert again.value is custom


def test_a_lost_create_answer_leaves_the_channel_and_the_retry_finds_it(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    flex_channels.raise_next("create_channel", requests.ConnectionError, after_processing=True)
    with pytest.raises(requests.ConnectionError):
        create(client, flex_channels, "alice")
    assert len(flex_channels.channels) == 1  # stored before the answer was lost
    retried = create(client, flex_channels, "alice")
    assert [c.sid for c in flex_channels.channels] == [retried.sid]  # get-or-create
    assert (
        flex_channels.calls[0].fault == "raise ConnectionError after processing on create_channel"
    )


def test_an_error_after_processing_still_stores(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    channel = create(client, flex_channels)
    flex_channels.fail_next("delete_channel", status=500, after_processing=True)
    assert _fails(lambda: client.flex_api.v1.channel(channel.sid).delete()).status == 500
    assert flex_channels.channels == []
    retry = _fails(lambda: client.flex_api.v1.channel(channel.sid).delete())
    assert (retry.status, retry.code) == (404, 20404)


def test_delay_next_answers_normally_but_late(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    flex_channels.delay_next("create_channel", seconds=0.2)
    started = time.perf_counter()
    channel = create(client, flex_channels)
    assert time.perf_counter() - started >= 0.2
    assert flex_channels.get_channel(channel.sid).active
    assert flex_channels.calls[0].fault == "answer normally after 0.2 s on create_channel"
    flex_channels.fail_next("fetch_channel", status=503, latency=0.1)
    started = time.perf_counter()
    _fails(lambda: client.flex_api.v1.channel(channel.sid).fetch())
    assert time.perf_counter() - started >= 0.1


def test_faults_apply_after_authentication(flex_channels: FlexChannelsMock) -> None:
    flex_channels.fail_next(status=503)
    stranger = Client("AC" + "0" * 32, "wrong")
    assert _fails(lambda: stranger.flex_api.v1.channel("CH" + "0" * 32).fetch()).status == 401
    assert len(flex_channels.faults) == 1
    assert flex_channels.calls[0].fault is None


def test_seeding_and_inspection_are_not_requests(flex_channels: FlexChannelsMock) -> None:
    flex_channels.fail_next(times=None)
    channel = flex_channels.create_channel()
    assert flex_channels.get_channel(channel.sid) == channel
    assert len(flex_channels.calls) == 0


def test_reset_clears_faults(flex_channels: FlexChannelsMock, client: Client) -> None:
    flex_channels.fail_next(times=None)
    flex_channels.reset()
    assert flex_channels.faults == []
    assert create(client, flex_channels).sid


def test_bad_fault_arguments_are_refused(flex_channels: FlexChannelsMock) -> None:
    with pytest.raises(ValueError, match=r"HTTP error status \(400-599\), got 200"):
        flex_channels.fail_next(status=200)
    with pytest.raises(ValueError, match=r"times must be an integer from 1 to 1,000,000 \(or"):
        flex_channels.fail_next(times=0)
    with pytest.raises(ValueError, match="operation must be one of"):
        flex_channels.raise_next("update")
    with pytest.raises(ValueError, match="seconds must be a number of seconds from 0 to 3600"):
        flex_channels.delay_next(seconds=-1)
    assert flex_channels.faults == []


def test_an_unmatched_request_fails_on_a_clean_exit_and_explains_itself() -> None:
    with pytest.raises(AssertionError) as raised, FlexChannelsMock(seed=4) as fake:
        with requests.Session() as http:
            http.auth = (fake.account_sid, fake.auth_token)
            http.get(CHANNELS_URL)
            answer = http.get("https://flex-api.twilio.com/v1/Configuration?PageSize=5")
        assert answer.status_code == 404  # answered as Twilio answers a path it does not know
    assert str(raised.value) == (
        "Flex requests matched no operation of the fake:\n"
        "  - <no operation>: GET https://flex-api.twilio.com/v1/Configuration?PageSize=5 -> 404 "
        "error 20404\n"
        "  The fake implements:\n"
        f"{REGISTRY.supported()}\n"  # one line each, as the next assertion shows
        "  Pass allow_unmatched=True (an option of the marker and the fake) to accept them.\n"
        "Recorded calls (2):\n"
        f"  1. list_channels: GET {CHANNELS_URL} -> 200\n"
        "  2. <no operation>: GET https://flex-api.twilio.com/v1/Configuration?PageSize=5 -> 404 "
        "error 20404"
    )
    assert REGISTRY.supported().startswith("    POST /v1/Channels (create_channel)\n    GET ")


def test_allow_unmatched_accepts_them_and_the_message_does_not_grow_per_request() -> None:
    with FlexChannelsMock(allow_unmatched=True) as fake, requests.Session() as http:
        http.auth = (fake.account_sid, fake.auth_token)
        for _ in range(3):
            assert http.get("https://flex-api.twilio.com/v1/Nothing").status_code == 404
    assert len(fake.unmatched) == 3
    assert fake.problems() is None


def test_fault_on_a_nested_fake_only(flex_channels: FlexChannelsMock) -> None:
    flex_channels.fail_next(times=None)
    with FlexChannelsMock() as inner:
        client = Client(inner.account_sid, inner.auth_token)
        assert create(client, inner).sid
