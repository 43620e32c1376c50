"""Text that always encodes (a lone UTF-16 surrogate is refused wherever text enters), numbers
in range (every count, wait, duration and date bounded where it enters) and a clock that many
threads may move: in process, over the server and through the control API."""

from __future__ import annotations

import json
import sys
import threading
from datetime import datetime, timedelta, timezone
from types import FrameType, SimpleNamespace
from typing import Any

import pytest
import requests
from twilio.rest import Client

from pytest_flexchannels import FlexApiError, FlexChannelsMock, FlexServer, RemoteFake
from pytest_flexchannels.core import clock as clock_module
from pytest_flexchannels.core.clock import Clock
from pytest_flexchannels.core.urls import fields as form_fields
from pytest_flexchannels.interactions.interactions import Lifecycle
from pytest_flexchannels.remote import RemoteFakeError
from tests.helpers import JsonBody, error_body, twilio_error

FLEX = "https://flex-api.twilio.com/v1"
CONVERSATIONS = "https://conversations.twilio.com/v1/Conversations"
WORKSPACE = "WS" + "a" * 32
WORKFLOW = "WW" + "b" * 32
CUT = "\ud83d"  # the first half of 😀, as a JavaScript client that cut a string sends it
TEXT = "must be Unicode text without lone UTF-16 surrogates"
NOT_A_DATE = "must be an ISO 8601 date and time with a time zone"
# UTF-8's bytes of a surrogate (what a form would carry): not UTF-8, so each byte is replaced.
SURROGATE_BYTES = "%ED%A0%BD"


def _routing(**attributes: Any) -> dict[str, Any]:
    return {"properties": {"workspace_sid": WORKSPACE, "attributes": attributes}}


def _inbound(client: Client) -> Any:
    """An interaction routing a new SMS conversation, its channel read once (settled)."""
    conversation = client.conversations.v1.conversations.create(friendly_name="SMS")
    client.conversations.v1.conversations(conversation.sid).participants.create(
        messaging_binding_address="+15550100", messaging_binding_proxy_address="+15559999"
    )
    interaction = client.flex_api.v1.interaction.create(
        channel={
            "type": "sms",
            "initiated_by": "customer",
            "properties": {"media_channel_sid": conversation.sid},
        },
        routing=_routing(customerName="Ada"),
    )
    channel = client.flex_api.v1.interaction(interaction.sid).channels(interaction.channel["sid"])
    channel.fetch()
    return channel


def _served_client(fake: FlexChannelsMock, server: FlexServer) -> Client:
    return Client(fake.account_sid, fake.auth_token, http_client=server.twilio_http_client())


# --- text that always encodes ----------------------------------------------------------------


def test_a_json_body_holding_a_lone_surrogate_is_a_400_naming_its_member(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    """A transfer's JSON body: a lone surrogate anywhere in a member (its value, nested, or its
    name) is 400/20001 naming it; nothing is made; an emoji's pair is text."""
    channel = _inbound(client)
    customer = channel.participants.list()[0].sid
    refused = twilio_error(lambda: channel.transfers.create(JsonBody(type="cold", to=CUT)))
    assert refused == (400, 20001, f"Invalid parameter to: {TEXT}")
    url = channel._uri.replace("/Interactions", f"{FLEX}/Interactions", 1) + "/Transfers"
    for body, member in [
        (b'{"type": "cold", "from": "\\ud83d"}', "from"),
        (b'{"type": "cold", "to": {"deep": ["\\uDE00"]}}', "to"),
        (b'{"\\ud83d": "x"}', "\\ud83d"),
    ]:
        answer = http.post(url, data=body, headers={"Content-Type": "application/json"})
        assert (answer.status_code, answer.json()) == (
            400,
            error_body(400, 20001, f"Invalid parameter {member}: {TEXT}"),
        )
    assert flex_channels.calls.filter("create_interaction_transfer", status_code=201) == []
    kept = channel.transfers.create(JsonBody(type="cold", **{"from": customer, "to": "😀"}))
    assert kept.to == "😀"  # sent as the pair \ud83d\ude00: whole text
    assert channel.participants.list()[0].sid == customer


def test_json_text_parameters_holding_a_lone_surrogate_get_their_not_json_answer(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """A parameter that must hold JSON (an interaction's ``Channel`` and ``Routing``, Flex's
    ``PreEngagementData``, Chat and Conversations ``Attributes``) is refused as when it is not
    JSON at all, as is JSON's NaN or Infinity; the stored lists render after."""
    conversations = client.conversations.v1.conversations
    made = conversations.create(friendly_name="kept")
    agent = {"type": "sms", "initiated_by": "agent", "participants": [{"address": CUT}]}
    outbound = _routing(customerName="Ada")
    channel_refused = (400, 20001, "Invalid parameter Channel: must be a JSON object")
    create = client.flex_api.v1.interaction.create
    assert twilio_error(lambda: create(channel=agent, routing=outbound)) == channel_refused
    bad_routing = {
        "type": "sms",
        "initiated_by": "customer",
        "properties": {"media_channel_sid": made.sid},
    }
    routing_refused = (400, 20001, "Invalid parameter Routing: must be a JSON object")
    assert twilio_error(lambda: create(channel=bad_routing, routing=_routing(x=CUT))) == (
        routing_refused
    )
    assert twilio_error(lambda: create(channel=bad_routing, routing=_routing(x=float("nan")))) == (
        routing_refused
    )
    attributes = (400, 50304, "Attributes not valid JSON")
    assert twilio_error(lambda: conversations.create(attributes=json.dumps({"a": CUT}))) == (
        attributes
    )
    assert twilio_error(lambda: conversations.create(attributes='{"a": Infinity}')) == attributes
    assert twilio_error(lambda: conversations.create(attributes='{"a": 1e400}')) == attributes
    assert (
        twilio_error(
            lambda: conversations(made.sid).messages.create(
                body="hi", attributes=json.dumps({"a": CUT})
            )
        )
        == attributes
    )
    flex = client.flex_api.v1.channel.create
    assert twilio_error(
        lambda: flex(
            flex_flow_sid=flex_channels.flex_flow_sid,
            identity="ada",
            chat_user_friendly_name="Ada",
            chat_friendly_name="Chat",
            pre_engagement_data=json.dumps({"question": CUT}),
        )
    ) == (400, 20001, "Invalid parameter PreEngagementData: must be a JSON string")
    assert [c.sid for c in conversations.list()] == [made.sid]
    assert conversations(made.sid).messages.list() == []
    assert flex_channels.orphans == [
        f"conversation {made.sid} (active) of account {flex_channels.account_sid}"
    ]
    conversations(made.sid).update(state="closed")


def test_forms_paths_and_queries_cannot_carry_a_surrogate(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    """Forms, queries and path values are read as UTF-8 with replacement: a surrogate's bytes
    arrive as three U+FFFD, which encode."""
    replaced = "\ufffd" * 3
    assert form_fields(f"UniqueName={SURROGATE_BYTES}") == {"UniqueName": replaced}
    made = http.post(CONVERSATIONS, data=f"UniqueName={SURROGATE_BYTES}".encode())
    assert (made.status_code, made.json()["unique_name"]) == (201, replaced)
    by_name = http.get(f"{CONVERSATIONS}/{SURROGATE_BYTES}")  # a path value, read alike
    assert (by_name.status_code, by_name.json()["sid"]) == (200, made.json()["sid"])
    listed = http.get(f"{CONVERSATIONS}?PageSize=5&State={SURROGATE_BYTES}")
    assert listed.status_code == 400
    assert flex_channels.calls[-1].params["State"] == replaced
    assert http.get(CONVERSATIONS).json()["conversations"][0]["unique_name"] == replaced
    http.post(f"{CONVERSATIONS}/{made.json()['sid']}", data={"State": "closed"})


@pytest.mark.parametrize(
    ("call", "raised"),
    [
        (lambda fc: fc.create_channel(identity=CUT), f"Invalid parameter Identity: {TEXT}"),
        (
            lambda fc: fc.create_channel(chat_friendly_name="ok " + CUT),
            f"Invalid parameter ChatFriendlyName: {TEXT}",
        ),
        (
            lambda fc: fc.create_channel(pre_engagement_data={"question": CUT}),
            "Invalid parameter PreEngagementData: must be a JSON string",
        ),
        (
            lambda fc: fc.agent_reply(fc.create_channel().sid, CUT),
            f"Invalid parameter Body: {TEXT}",
        ),
        (
            lambda fc: fc.agent_reply(fc.create_channel().sid, "hi", author=CUT),
            f"Invalid parameter Author: {TEXT}",
        ),
        (
            lambda fc: fc.agent_reply(fc.create_channel().sid, "hi", attributes={"a": CUT}),
            "Attributes not valid JSON",
        ),
        (lambda fc: fc.add_account(auth_token=CUT), f"auth_token {TEXT}"),
        (lambda fc: fc.add_api_key(secret=CUT), f"secret {TEXT}"),
        (lambda fc: fc.add_flex_flow(friendly_name=CUT), f"friendly_name {TEXT}"),
        (lambda fc: fc.add_flex_flow(integration={"url": CUT}), f"integration {TEXT}"),
        (lambda fc: fc.fail_next(message=CUT), f"message {TEXT}"),
        (lambda fc: fc.fail_interaction_setup(message=CUT), f"message {TEXT}"),
        (lambda fc: FlexChannelsMock(auth_token=CUT), f"auth_token {TEXT}"),
    ],
    ids=[
        "identity",
        "chat_friendly_name",
        "pre_engagement_data",
        "agent body",
        "agent author",
        "agent attributes",
        "auth_token",
        "api key secret",
        "flow friendly_name",
        "flow integration",
        "fault message",
        "setup failure message",
        "option auth_token",
    ],
)
def test_fixture_methods_refuse_lone_surrogates(
    flex_channels: FlexChannelsMock, call: Any, raised: str
) -> None:
    """What the API would answer (``FlexApiError``) where the method answers as the API does,
    else ``ValueError`` naming the argument; either way nothing is stored and what is stored
    renders (signed webhooks included)."""
    with pytest.raises((FlexApiError, ValueError)) as refused:
        call(flex_channels)
    error = refused.value
    shown = error.message if isinstance(error, FlexApiError) else str(error)
    assert shown == raised
    if isinstance(error, FlexApiError):
        assert error.status == 400
    client = flex_channels.client()
    flows = client.flex_api.v1.flex_flow.list()
    assert [flow.sid for flow in flows] == [flex_channels.flex_flow_sid]
    assert len(flex_channels.faults) == 0
    service = client.chat.v2.services(flows[0].chat_service_sid)
    for channel in client.flex_api.v1.channel.list():
        assert service.channels(channel.sid).messages.list() == []
        assert [m.identity for m in service.channels(channel.sid).members.list()] == [
            flex_channels.get_channel(channel.sid).identity
        ]


def test_an_agent_reply_in_a_conversation_is_refused_and_its_messages_still_render(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    conversation = client.conversations.v1.conversations.create(friendly_name="chat")
    with pytest.raises(FlexApiError) as refused:
        flex_channels.agent_reply(conversation.sid, "half " + CUT)
    assert refused.value.body() == error_body(400, 20001, f"Invalid parameter Body: {TEXT}")
    flex_channels.agent_reply(conversation.sid, "whole 😀")
    messages = client.conversations.v1.conversations(conversation.sid).messages.list()
    assert [m.body for m in messages] == ["whole 😀"]
    flex_channels.end_chat(conversation.sid)


def test_over_the_server_a_refused_surrogate_leaves_every_list_rendering(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer
) -> None:
    """The red team's poisoned conversation: a cut emoji in an agent-initiated interaction's
    participant, a transfer's body, and the control API's agent reply (nested too), each
    refused; the conversation's lists answer 200 after."""
    client = _served_client(flex_channels, flex_channels_server)
    remote = RemoteFake(flex_channels_server.url)
    channel = _inbound(client)
    (conversation_sid,) = [c.sid for c in client.conversations.v1.conversations.list()]
    conversation = client.conversations.v1.conversations(conversation_sid)
    outbound = {
        "type": "sms",
        "initiated_by": "agent",
        "participants": [{"address": CUT, "proxy_address": "+15559999"}],
    }
    routing = {
        "properties": {
            "workspace_sid": WORKSPACE,
            "queue_sid": "WQ" + "c" * 32,
            "worker_sid": "WK" + "d" * 32,
        }
    }
    assert twilio_error(
        lambda: client.flex_api.v1.interaction.create(channel=outbound, routing=routing)
    ) == (400, 20001, "Invalid parameter Channel: must be a JSON object")
    assert twilio_error(lambda: channel.transfers.create(JsonBody(type="cold", to=CUT))) == (
        400,
        20001,
        f"Invalid parameter to: {TEXT}",
    )
    for body, fields, named in [
        (CUT, {}, "body"),
        ("hi", {"attributes": {"nested": [CUT]}}, "attributes"),
        ("hi", {"author": "agent " + CUT}, "author"),
    ]:
        with pytest.raises(RemoteFakeError) as refused:
            remote.agent_reply(conversation_sid, body, **fields)
        assert (refused.value.status, refused.value.message) == (400, f"{named} {TEXT}")
    with pytest.raises(RemoteFakeError) as refused:
        remote.create_channel(identity=CUT)
    assert (refused.value.status, refused.value.message) == (400, f"identity {TEXT}")
    assert [p.messaging_binding["address"] for p in conversation.participants.list()] == [
        "+15550100"
    ]
    assert conversation.messages.list() == []
    assert remote.messages(conversation_sid) == []
    assert len(client.conversations.v1.conversations.list()) == 1
    assert remote.channels() == []
    channel.update(status="closed")


# --- numbers in range: dates -----------------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [
        "9999-12-31T23:00:00-05:00",  # past datetime's range once in UTC: an OverflowError
        "1000-01-01T00:00:00+05:00",  # year 999 in UTC: no four-digit form
        "10000-01-01T00:00:00Z",
    ],
)
def test_dates_outside_the_four_digit_years_in_utc_are_refused_over_the_server(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer, given: str
) -> None:
    base = f"{flex_channels_server.url}/conversations/v1/Conversations"
    with requests.Session() as http:
        http.auth = (flex_channels.account_sid, flex_channels.auth_token)
        for method, url, form, name in [
            ("POST", base, {"DateCreated": given}, "DateCreated"),
            ("GET", f"{base}?StartDate={given.replace('+', '%2B')}", None, "StartDate"),
        ]:
            answer = http.request(method, url, data=form)
            assert (answer.status_code, answer.json()) == (
                400,
                error_body(400, 20001, f"Invalid parameter {name}: {NOT_A_DATE}"),
            )
        last = http.post(base, data={"DateCreated": "9999-12-31T18:59:59-05:00"})
        assert (last.status_code, last.json()["date_created"]) == (201, "9999-12-31T23:59:59Z")
        http.post(f"{base}/{last.json()['sid']}", data={"State": "closed"})


@pytest.mark.parametrize(
    ("path", "field", "status", "key"),
    [
        ("", "PreWebhookRetryCount", 200, "pre_webhook_retry_count"),
        ("", "PostWebhookRetryCount", 200, "post_webhook_retry_count"),
        ("/Channels/{channel}/Webhooks", "Configuration.RetryCount", 201, "retry_count"),
    ],
)
def test_a_retry_count_of_any_length_is_the_retry_count_refusal(
    flex_channels: FlexChannelsMock,
    flex_channels_server: FlexServer,
    path: str,
    field: str,
    status: int,
    key: str,
) -> None:
    """The server fuzz's find: 5,000 nines were a 500, as ``int`` refuses to read a number of
    more than 4,300 digits. Any count past 3, however long, is Chat's 50065; leading zeros are
    read as the number they pad."""
    service = flex_channels.flex_flow.chat_service_sid
    channel = flex_channels.create_channel().sid
    url = f"{flex_channels_server.url}/chat/v2/Services/{service}{path.format(channel=channel)}"
    form = {"Type": "webhook", "Configuration.Url": "http://127.0.0.1:9/in"} if path else {}
    with requests.Session() as http:
        http.auth = (flex_channels.account_sid, flex_channels.auth_token)
        for count in ("9" * 5000, "4", "0" * 5000 + "4", "-1", "1.0", "\uff13"):
            answer = http.post(url, data={**form, field: count})
            assert (answer.status_code, answer.json()) == (
                400,
                error_body(400, 50065, "Invalid webhook retry count"),
            ), count[:8]
        padded = http.post(url, data={**form, field: "0" * 5000 + "3"})
        assert padded.status_code == status
        shown = padded.json()
        assert (shown["configuration"] if path else shown)[key] == 3


# --- numbers in range: timers and the clock's end --------------------------------------------


def test_timers_near_the_end_of_time_fall_due_at_the_clocks_last_second(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer
) -> None:
    """A deadline past year 9999 saturates at 9999-12-31T23:59:59Z, on create, on update and
    when a message restarts the timers; the clock reaches it, and goes no further."""
    client = _served_client(flex_channels, flex_channels_server)
    flex_channels.clock.set("9999-12-01T00:00:00Z")
    conversations = client.conversations.v1.conversations
    made = conversations.create(timers_inactive="P30D", timers_closed="P100W")
    end = "9999-12-31T23:59:59Z"
    assert made.timers == {"date_inactive": "9999-12-31T00:00:00Z", "date_closed": end}
    updated = conversations(made.sid).update(timers_inactive="P5000W")
    assert updated.timers == {"date_inactive": end, "date_closed": end}
    flex_channels.advance(timedelta(days=30))
    conversations(made.sid).messages.create(author="ada", body="restarts both timers")
    assert conversations(made.sid).fetch().timers == {"date_inactive": end, "date_closed": end}
    flex_channels.advance(timedelta(hours=23, minutes=59, seconds=59))
    assert flex_channels.clock.now() == clock_module.END
    assert (conversations(made.sid).fetch().state, conversations.list()[0].timers) == (
        "closed",
        {},
    )
    with pytest.raises(ValueError, match="cannot advance 1 seconds from 9999-12-31T23:59:59Z"):
        flex_channels.advance(1)


def test_an_interaction_channel_that_settles_past_the_clocks_end_is_made(
    flex_channels: FlexChannelsMock,
) -> None:
    with FlexChannelsMock(now="9999-12-31T23:00:00Z", interaction_setup_seconds=86400) as fake:
        channel = _inbound(fake.client())
        assert channel.fetch().status == "setup"
        fake.advance(3599)
        assert channel.fetch().status == "active"
        channel.update(status="closed")


@pytest.mark.parametrize(
    ("seconds", "message"),
    [
        (1e12, "the clock cannot advance 1e+12 seconds from 2026-06-01T10:00:00Z: its range "),
        (10**30, "the clock cannot advance 1e+30 seconds from 2026-06-01T10:00:00Z: its range "),
        (timedelta(days=3 * 10**6), "the clock cannot advance 2.592e+11 seconds from "),
        (float("nan"), "the clock advances by a finite number of seconds, at least 0, not nan"),
        (float("inf"), "the clock advances by a finite number of seconds, at least 0, not inf"),
        (-1, "the clock advances by a finite number of seconds, at least 0, not -1"),
        (True, "the clock advances by a finite number of seconds, at least 0, not True"),
        (timedelta(seconds=-1), "the clock advances forward, not by"),
    ],
)
def test_the_clock_refuses_moves_past_its_range_and_stays(
    flex_channels: FlexChannelsMock, seconds: Any, message: str
) -> None:
    flex_channels.clock.set("2026-06-01T10:00:00Z")
    with pytest.raises(ValueError) as refused:
        flex_channels.advance(seconds)
    assert str(refused.value).startswith(message)
    assert flex_channels.clock.now() == datetime(2026, 6, 1, 10, tzinfo=timezone.utc)


def test_the_clock_is_set_only_within_its_range() -> None:
    clock = Clock()
    for outside in ["9999-12-31T23:00:00-05:00", "0999-12-31T23:59:59Z", "1000-01-01T04:00+05:00"]:
        with pytest.raises(ValueError, match=r"^the clock's range is 1000-01-01T00:00:00Z to "):
            clock.set(outside)
        with pytest.raises(ValueError, match=r"^the clock's range is "):
            FlexChannelsMock(now=outside)
    assert not clock.frozen
    clock.set("9999-12-31T18:59:59.999999-05:00")
    assert clock.now() == clock_module.END


@pytest.mark.parametrize(
    ("seconds", "message"),
    [
        (1e300, "seconds is out of range: the clock cannot advance 1e+300 seconds "),
        (float("inf"), "seconds must be a finite number, got inf"),
        (float("nan"), "seconds must be a finite number, got nan"),
        (-1, "seconds (a number, at least 0) is required"),
    ],
    ids=["1e300", "Infinity", "NaN", "negative"],
)
def test_the_control_apis_clock_refuses_moves_past_its_range(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer, seconds: float, message: str
) -> None:
    flex_channels.clock.set("2026-06-01T10:00:00Z")
    remote = RemoteFake(flex_channels_server.url)
    with pytest.raises(RemoteFakeError) as refused:
        remote.advance(seconds)  # json.dumps writes Infinity and NaN as such
    assert refused.value.status == 400
    assert refused.value.message.startswith(message)
    assert flex_channels.clock.now() == datetime(2026, 6, 1, 10, tzinfo=timezone.utc)
    remote.advance(60)
    assert flex_channels.clock.now() == datetime(2026, 6, 1, 10, 1, tzinfo=timezone.utc)


# --- numbers in range: faults and the interaction lifecycle ----------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda fc: fc.fail_next(latency=1e300), "latency must be a number of seconds from 0 "),
        (lambda fc: fc.fail_next(latency=float("nan")), "latency must be a number of seconds "),
        (lambda fc: fc.raise_next(latency=float("inf")), "latency must be a number of seconds"),
        (lambda fc: fc.raise_next(latency=3601), "latency must be a number of seconds from 0 "),
        (lambda fc: fc.delay_next(seconds=1e300), "seconds must be a number of seconds from 0"),
        (lambda fc: fc.fail_next(retry_after=10**6), "retry_after must be a whole number of "),
        (lambda fc: fc.fail_next(retry_after=-1), "retry_after must be a whole number of "),
        (lambda fc: fc.fail_next(times=10**8), "times must be an integer from 1 to 1,000,000 "),
        (lambda fc: fc.fail_interaction_setup(times=10**8), "times must be an integer from 1 "),
        (lambda fc: fc.fail_interaction_setup(times=0), "times must be an integer from 1 "),
        (lambda fc: fc.fail_interaction_setup(code="45352"), "code must be an integer from 1 "),
        (lambda fc: fc.fail_interaction_setup(code=10**5000), "code must be an integer from 1"),
        (lambda fc: fc.fail_next(code=10**5000), "code must be an integer from 1 to 99,999, "),
        (lambda fc: fc.fail_interaction_setup(message=None), "message must be text, got None"),
    ],
)
def test_fault_waits_and_counts_are_bounded(
    flex_channels: FlexChannelsMock, http: requests.Session, call: Any, message: str
) -> None:
    with pytest.raises(ValueError) as refused:
        call(flex_channels)
    assert str(refused.value).startswith(message)
    assert flex_channels.faults == []
    assert http.get(f"{FLEX}/Channels").status_code == 200  # nothing waits or fails


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda remote: remote.fail_next(latency=1e300), "ValueError: latency must be a number "),
        (lambda remote: remote.drop_next(latency=float("inf")), "latency must be a finite number"),
        (lambda remote: remote.delay_next(seconds=1e300), "ValueError: seconds must be a number "),
        (lambda remote: remote.fail_next(times=10**8), "ValueError: times must be an integer from"),
        (lambda remote: remote.fail_next(retry_after=10**6), "ValueError: retry_after must be a "),
        (
            lambda remote: remote.fail_interaction_setup(times=10**8),
            "ValueError: times must be an ",
        ),
    ],
)
def test_the_control_api_bounds_faults_naming_the_field(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer, call: Any, message: str
) -> None:
    remote = RemoteFake(flex_channels_server.url)
    with pytest.raises(RemoteFakeError) as refused:
        call(remote)
    assert refused.value.status == 400
    assert refused.value.message.startswith(message)
    assert remote.faults() == []
    assert not flex_channels._store.shared(Lifecycle).failures


def test_a_failed_setup_for_many_channels_is_one_count(flex_channels: FlexChannelsMock) -> None:
    """``fail_interaction_setup(times=N)`` keeps N, not N entries; the next N channels fail,
    then the next failure asked for, then channels settle ``active`` again."""
    many = FlexChannelsMock(seed=1)
    many.fail_interaction_setup(times=1_000_000)
    many.fail_interaction_setup(45352, "Failed to create an outbound Channel.")
    failures = many._store.shared(Lifecycle).failures
    assert len(failures) == 2
    assert [(f.error, f.left) for f in failures] == [
        ((19025, "Channel validation error"), 1_000_000),
        ((45352, "Failed to create an outbound Channel."), 1),
    ]
    flex_channels.fail_interaction_setup(times=2)
    flex_channels.fail_interaction_setup(45352, "Failed to create an outbound Channel.")
    client = flex_channels.client()
    settled = [_inbound(client).fetch() for _ in range(4)]
    assert [(c.status, c.error_code) for c in settled] == [
        ("failed", 19025),
        ("failed", 19025),
        ("failed", 45352),
        ("active", None),
    ]
    settled[-1].update(status="closed")
    for conversation in client.conversations.v1.conversations.list(state="active"):
        client.conversations.v1.conversations(conversation.sid).update(state="closed")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"interaction_setup_seconds": float("nan")}, "interaction_setup_seconds must be a "),
        ({"interaction_setup_seconds": float("inf")}, "interaction_setup_seconds must be a "),
        ({"interaction_setup_seconds": 1e300}, "interaction_setup_seconds must be a number "),
        ({"interaction_setup_fetches": 10**7}, "interaction_setup_fetches must be an integer "),
    ],
)
def test_the_interaction_lifecycle_options_are_bounded(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{message}"):
        FlexChannelsMock(**options)


# --- a clock many threads may move -----------------------------------------------------------


def test_concurrent_advances_all_count(flex_channels: FlexChannelsMock) -> None:
    """Eight threads advancing 2,000 seconds each, one at a time, move the clock 16,000 s (the
    interpreter switching threads as often as it can, so that an unlocked move loses some)."""
    flex_channels.clock.set("2026-06-01T10:00:00Z")
    threads, moves = 8, 2000
    start = threading.Barrier(threads)

    def advance() -> None:
        start.wait(timeout=60)
        for _ in range(moves):
            flex_channels.advance(1)

    workers = [threading.Thread(target=advance) for _ in range(threads)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
    finally:
        sys.setswitchinterval(interval)
    moved = flex_channels.clock.now() - datetime(2026, 6, 1, 10, tzinfo=timezone.utc)
    assert moved == timedelta(seconds=threads * moves)


def test_an_advance_interrupted_anywhere_by_another_loses_neither() -> None:
    """At every line of one thread's move, and as each function of it returns, another thread
    advances the clock too (given a tenth of a second to finish: with the lock it finishes
    once the first move is done): every advance counts."""
    clock = Clock("2026-06-01T10:00:00Z")
    others: list[threading.Thread] = []
    moves = (Clock.advance.__code__, Clock.now.__code__)

    def another() -> None:
        other = threading.Thread(target=clock.advance, args=(1,))
        others.append(other)
        other.start()
        other.join(timeout=0.1)

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code not in moves:
            return None

        def each_step(frame: FrameType, event: str, arg: Any) -> Any:
            if event in ("line", "return"):
                another()
            return each_step

        return each_step

    before = sys.gettrace()
    sys.settrace(trace)
    try:
        clock.advance(1)
    finally:
        sys.settrace(before)
    for other in others:
        other.join(timeout=60)
    assert len(others) > 3
    assert clock.now() == datetime(2026, 6, 1, 10, tzinfo=timezone.utc) + timedelta(
        seconds=1 + len(others)
    )


def test_a_reader_never_sees_real_time_go_back_across_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At every line of one thread's ``now()`` as the second turns, another thread whose own
    reading of the time was just before the turn is let run ``now()`` whole: it gets its own
    second every time, never the next one from a half-made cache (and then its own again,
    which would be time going back)."""
    time = SimpleNamespace(time=lambda: 1000.5)
    monkeypatch.setattr(clock_module, "time", time)
    clock = Clock()
    assert clock.now().timestamp() == 1000  # the cache holds second 1000
    seen: list[float] = []

    def reader() -> None:
        turning = time.time
        time.time = lambda: 1000.9
        try:
            seen.append(clock.now().timestamp())
        finally:
            time.time = turning

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code is not Clock.now.__code__:
            return None

        def each_line(frame: FrameType, event: str, arg: Any) -> Any:
            if event == "line":
                reader()  # not traced itself: tracing pauses while a trace function runs
            return each_line

        return each_line

    time.time = lambda: 1001.2
    before = sys.gettrace()
    sys.settrace(trace)
    try:
        turned = clock.now()
    finally:
        sys.settrace(before)
    reader()
    assert turned.timestamp() == 1001
    assert len(seen) > 3
    assert seen == [1000.0] * len(seen)
    assert clock._second[0] == 1001  # and the late readers did not put the cache back
