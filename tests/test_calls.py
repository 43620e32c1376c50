"""Recorded calls and the assertion helpers, with their whole failure messages."""

from __future__ import annotations

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock
from pytest_flexchannels.core.registry import Domain, Family, Operation, Registry
from pytest_flexchannels.core.urls import Place, split
from pytest_flexchannels.families import REGISTRY
from tests.helpers import CHANNELS_URL, create


def test_a_create_call_is_recorded_with_every_field(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    channel = create(client, flex_channels, "alice", long_lived=False)
    (call,) = flex_channels.calls
    assert call.operation == "create_channel"
    assert call.method == "POST"
    assert call.url == CHANNELS_URL
    assert call.path == "/v1/Channels"
    assert call.params == {
        "FlexFlowSid": flex_channels.flex_flow_sid,
        "Identity": "alice",
        "ChatUserFriendlyName": "Ada Lovelace",
        "ChatFriendlyName": "Chat with Ada",
        "LongLived": "false",
    }
    assert call.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert call.headers["User-Agent"].startswith("twilio-python/")
    assert call.account_sid == flex_channels.account_sid
    assert call.status_code == 201
    assert call.response_json["sid"] == channel.sid
    assert call.error_code is None
    assert call.sid is None


@pytest.mark.flex_channels(allow_unmatched=True)
def test_fetch_list_delete_and_errors_are_recorded(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    channel = flex_channels.create_channel()
    client.flex_api.v1.channel(channel.sid).fetch()
    client.flex_api.v1.channel.list(page_size=5)
    client.flex_api.v1.channel(channel.sid).delete()
    with pytest.raises(TwilioRestException):
        client.flex_api.v1.channel(channel.sid).fetch()
    http.get("https://flex-api.twilio.com/v1/Elsewhere?x=1")
    summary = [
        (c.operation, c.method, c.status_code, c.error_code, c.sid, dict(c.params))
        for c in flex_channels.calls
    ]
    assert summary == [
        ("fetch_channel", "GET", 200, None, channel.sid, {}),
        ("list_channels", "GET", 200, None, None, {"PageSize": "5"}),
        ("delete_channel", "DELETE", 204, None, channel.sid, {}),
        ("fetch_channel", "GET", 404, 20404, channel.sid, {}),
        (None, "GET", 404, 20404, None, {}),
    ]
    assert flex_channels.calls[2].response_json is None
    assert flex_channels.calls[3].response_json["code"] == 20404


def test_filter_and_passing_assertions(flex_channels: FlexChannelsMock, client: Client) -> None:
    a = create(client, flex_channels, "alice")
    create(client, flex_channels, "bob")
    client.flex_api.v1.channel(a.sid).fetch()
    calls = flex_channels.calls
    assert [c.params["Identity"] for c in calls.filter("create_channel")] == ["alice", "bob"]
    assert calls.filter("create_channel", Identity="bob")[0].params["Identity"] == "bob"
    assert len(calls.filter()) == 3
    calls.assert_called("create_channel")
    calls.assert_called("create_channel", times=2)
    calls.assert_called(times=3)
    calls.assert_any_call("create_channel", Identity="alice", ChatFriendlyName="Chat with Ada")
    calls.assert_not_called("delete_channel")
    assert calls.assert_called_once_with("fetch_channel", Sid=a.sid).status_code == 200


def _message(raised: pytest.ExceptionInfo[AssertionError]) -> str:
    return str(raised.value)


def test_failure_messages_list_what_was_recorded(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    flow = flex_channels.flex_flow_sid
    create(client, flex_channels, "alice")
    create(client, flex_channels, "bob")
    recorded = (
        "Recorded calls (2):\n"
        f"  1. create_channel: POST {CHANNELS_URL} {{'FlexFlowSid': '{flow}', 'Identity': 'alice', "
        "'ChatUserFriendlyName': 'Ada Lovelace', 'ChatFriendlyName': 'Chat with Ada'} -> 201\n"
        f"  2. create_channel: POST {CHANNELS_URL} {{'FlexFlowSid': '{flow}', 'Identity': 'bob', "
        "'ChatUserFriendlyName': 'Ada Lovelace', 'ChatFriendlyName': 'Chat with Ada'} -> 201"
    )
    calls = flex_channels.calls
    with pytest.raises(AssertionError) as raised:
        calls.assert_called_once_with("create_channel", Identity="alice")
    assert _message(raised) == (
        "Expected exactly one 'create_channel' call with {'Identity': 'alice'}; "
        "found 2 'create_channel' calls, 1 matching.\n" + recorded
    )
    with pytest.raises(AssertionError) as raised:
        calls.assert_any_call("create_channel", Identity="carol")
    assert _message(raised) == (
        "Expected a 'create_channel' call with {'Identity': 'carol'}, found none.\n" + recorded
    )
    with pytest.raises(AssertionError) as raised:
        calls.assert_not_called("create_channel")
    assert _message(raised) == "Expected no 'create_channel' call, found 2.\n" + recorded
    with pytest.raises(AssertionError) as raised:
        calls.assert_called("delete_channel")
    assert _message(raised) == "Expected at least one 'delete_channel' call, found 0.\n" + recorded
    with pytest.raises(AssertionError) as raised:
        calls.assert_called("create_channel", times=3)
    assert _message(raised) == "Expected exactly 3 'create_channel' calls, found 2.\n" + recorded


def test_failure_with_nothing_recorded(flex_channels: FlexChannelsMock) -> None:
    with pytest.raises(AssertionError) as raised:
        flex_channels.calls.assert_called_once_with("list_channels")
    assert _message(raised) == (
        "Expected exactly one 'list_channels' call; found 0 'list_channels' calls, 0 matching.\n"
        "Recorded calls (0):\n  (none)"
    )


def test_errors_show_in_the_listing(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    http.get(f"{CHANNELS_URL}/CH1")
    with pytest.raises(AssertionError) as raised:
        flex_channels.calls.assert_not_called()
    assert _message(raised) == (
        "Expected no call, found 1.\n"
        "Recorded calls (1):\n"
        f"  1. fetch_channel: GET {CHANNELS_URL}/CH1 -> 404 error 20404"
    )


def test_unknown_operation_is_refused(flex_channels: FlexChannelsMock) -> None:
    with pytest.raises(ValueError, match="operation must be one of"):
        flex_channels.calls.filter("update")


def test_assert_called_times_is_exact(flex_channels: FlexChannelsMock, client: Client) -> None:
    create(client, flex_channels, "one")
    create(client, flex_channels, "two")
    flex_channels.calls.assert_called("create_channel", times=2)
    for wrong in (1, 3):
        with pytest.raises(AssertionError) as failed:
            flex_channels.calls.assert_called("create_channel", times=wrong)
        calls = "call" if wrong == 1 else "calls"
        assert str(failed.value).startswith(
            f"Expected exactly {wrong} 'create_channel' {calls}, found 2.\nRecorded calls (2):\n"
        )


def test_the_first_releases_operation_names_still_work_with_a_warning(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    with pytest.warns(DeprecationWarning) as warned:
        flex_channels.fail_next("create", status=503)
    assert [(str(w.message), w.filename) for w in warned] == [
        ("the operation name 'create' is deprecated: use 'create_channel'", __file__)
    ]
    assert [f.operation for f in flex_channels.faults] == ["create_channel"]
    with pytest.raises(TwilioRestException):
        create(client, flex_channels, "alice")
    create(client, flex_channels, "alice")
    with pytest.warns(DeprecationWarning, match="is deprecated: use") as warned:
        assert len(flex_channels.calls.filter("create")) == 2
        flex_channels.calls.assert_called("create", times=2)
        flex_channels.calls.assert_any_call("create", Identity="alice")
        flex_channels.calls.assert_not_called("delete")
    assert len(warned) == 4 and {w.filename for w in warned} == {__file__}


def test_an_unknown_operation_name_is_refused_with_every_name() -> None:
    fake = FlexChannelsMock()
    with pytest.raises(ValueError) as raised:
        fake.fail_next("create_channels")
    assert str(raised.value) == (
        f"operation must be one of {REGISTRY.names()} or None, got 'create_channels'"
    )
    assert REGISTRY.names()[:4] == (
        "create_channel",
        "list_channels",
        "fetch_channel",
        "delete_channel",
    )


def test_a_recorded_answer_reads_as_it_was_sent_after_the_store_moved_on(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    """Calls keep what an answer was made of, not its text, and render it again when read:
    byte for byte what the client got, whatever happened since (the channel ended, deleted,
    others created; a page's tokens and URLs included; an error's message)."""
    for i in range(4):
        flex_channels.create_channel(identity=f"c{i}")
    first = flex_channels.channels[0].sid
    sent = [
        http.get(f"{CHANNELS_URL}/{first}"),
        http.get(CHANNELS_URL, params={"PageSize": 2}),
        http.get(f"{CHANNELS_URL}?PageSize=2&Page=1&PageToken=x"),
        http.post(CHANNELS_URL, data={"Identity": "x"}),
    ]
    sent.append(http.get(sent[1].json()["meta"]["next_page_url"]))
    flex_channels.deactivate(first)
    http.delete(f"{CHANNELS_URL}/{first}")
    flex_channels.create_channel(identity="later")
    assert [r.status_code for r in sent] == [200, 200, 400, 400, 200]
    recorded = [flex_channels.calls[i] for i in range(5)]
    assert [call.response_body for call in recorded] == [r.content for r in sent]
    assert recorded[0].response_json["sid"] == first
    token = sent[4].url.rpartition("PageToken=")[2]
    assert recorded[4].params == {"PageSize": "2", "Page": "1", "PageToken": token}


def test_a_recorded_page_of_a_large_store_reads_as_sent_after_its_channels_changed(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    """Pages of a store of hundreds keep pieces of the store's own order, not copies: a channel
    ended, deleted or created inside those pieces afterwards leaves every recorded page as the
    client got it."""
    for i in range(700):
        flex_channels.create_channel(identity=f"c{i}")
    sent = [http.get(CHANNELS_URL, params={"PageSize": 50, "Page": page}) for page in range(14)]
    sent.append(http.get(CHANNELS_URL, params={"PageSize": 300, "Page": 1}))
    every = [channel.sid for channel in flex_channels.channels]
    for sid in every[::7]:
        flex_channels.deactivate(sid)
    for sid in every[3::5]:
        http.delete(f"{CHANNELS_URL}/{sid}")
    for i in range(300):
        flex_channels.create_channel(identity=f"later-{i}")
    assert {r.status_code for r in sent} == {200}
    assert [call.response_body for call in flex_channels.calls[:15]] == [r.content for r in sent]
    assert flex_channels.calls[14].response_json["flex_chat_channels"][0]["sid"] == every[300]


THINGS = Domain("things", "things", "")


def _nothing(context: object) -> None:
    return None


def test_the_registry_refuses_an_operation_declared_twice_or_an_unknown_method() -> None:
    registry = Registry()
    registry.add_domain(THINGS)
    first = Operation("fetch_thing", "GET", "/v1/Things/{Sid}", _nothing, domain="things")
    registry.register(first)
    with pytest.raises(ValueError, match="operation 'fetch_thing' is declared twice"):
        registry.register(first)
    with pytest.raises(ValueError, match=r"GET /v1/Things/\{Sid\} is declared twice"):
        registry.register(
            Operation("get_thing", "GET", "/v1/Things/{Sid}", _nothing, domain="things")
        )
    with pytest.raises(ValueError, match="move_thing: unknown method MOVE"):
        registry.register(Operation("move_thing", "MOVE", "/v1/Things", _nothing, domain="things"))
    with pytest.raises(ValueError, match="stray_thing: unknown domain ''"):
        registry.register(Operation("stray_thing", "GET", "/v1/Strays", _nothing))
    registry.register(
        Operation("drop_thing", "DELETE", "/v1/Things/{Sid}", _nothing, domain="things")
    )
    assert registry.route("HEAD", "/v1/Things/TH1", "things") == (first, ("TH1",), "GET, DELETE")
    assert registry.route("GET", "/v1/Things/", "things") == (None, (), None)
    assert registry.route("GET", "/v1/Things/TH1", "flex") == (None, (), None)
    assert registry.names() == ("fetch_thing", "drop_thing")


def test_a_family_serves_its_operations_on_its_domain_and_one_domain_goes_unprefixed() -> None:
    """What the one list of families relies on: an operation that names no domain is on its
    family's, and on a served fake a path without an API's prefix is the one unprefixed
    domain's (Flex's, in the fake)."""
    registry = Registry()
    registry.add_family(
        Family("things", THINGS, (Operation("fetch_thing", "GET", "/v1/T", _nothing),))
    )
    (served,) = registry
    assert (served.domain, registry.default, registry.where(served)) == ("things", THINGS, "/v1/T")
    with pytest.raises(ValueError, match="domain 'other': only one domain goes without a prefix"):
        registry.add_domain(Domain("other", "other", ""))
    registry.add_domain(Domain("chat", "chat", "/chat"))
    assert registry.locate(split("http://127.0.0.1:9/v1/T")) == Place(
        "things", "/v1/T", "http://127.0.0.1:9", "http://127.0.0.1:9/v1"
    )
    assert registry.locate(split("http://127.0.0.1:9/chat/v2/X")) == Place(
        "chat", "/v2/X", "http://127.0.0.1:9/chat", "http://127.0.0.1:9/chat/v2"
    )
    assert registry.locate(split("https://things.us1.twilio.com/v1/T")) == Place(
        "things", "/v1/T", "https://things.us1.twilio.com", "https://things.twilio.com/v1"
    )
