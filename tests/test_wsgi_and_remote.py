"""``fc.wsgi_app`` mounted in other hosts (httpx's ``WSGITransport``, werkzeug's test client), the
``RemoteFake`` control client against a served fake, and the capped call log."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from typing import Any

import httpx
import pytest
from werkzeug.test import Client as WerkzeugClient

from pytest_flexchannels import FlexChannelsMock, FlexServer, RemoteFake, RemoteFakeError
from pytest_flexchannels.transports.wsgi import Dropped
from tests.helpers import error_body, serve_process


def _form(fake: FlexChannelsMock, identity: str) -> dict[str, str]:
    return {
        "FlexFlowSid": fake.flex_flow_sid,
        "Identity": identity,
        "ChatUserFriendlyName": "Ada",
        "ChatFriendlyName": "Chat",
    }


def test_httpx_wsgi_transport(flex_channels: FlexChannelsMock) -> None:
    transport = httpx.WSGITransport(app=flex_channels.wsgi_app)
    auth = (flex_channels.account_sid, flex_channels.auth_token)
    with httpx.Client(transport=transport, base_url="http://localhost", auth=auth) as http:
        created = http.post("/v1/Channels", data=_form(flex_channels, "httpx"))
        assert created.status_code == 201
        sid = created.json()["sid"]
        assert created.json()["url"] == f"http://localhost/v1/Channels/{sid}"
        # No Origin, no browser: nothing to grant, and caches told the answer depends on it.
        assert "access-control-allow-origin" not in created.headers
        assert created.headers["vary"] == "Origin"
        assert http.get(f"/v1/Channels/{sid}").json() == created.json()
        assert http.delete(f"/v1/Channels/{sid}").status_code == 204
        missing = http.get(f"/v1/Channels/{sid}")
        assert (missing.status_code, missing.json()) == (
            404,
            error_body(404, 20404, f"The requested resource /Channels/{sid} was not found"),
        )
        # The control API is part of the application.
        assert http.get("/__flex/state").json()["account_sid"] == flex_channels.account_sid
    assert [c.operation for c in flex_channels.calls] == [
        "create_channel",
        "fetch_channel",
        "delete_channel",
        "fetch_channel",
    ]


def test_werkzeug_test_client(flex_channels: FlexChannelsMock) -> None:
    client = WerkzeugClient(flex_channels.wsgi_app)
    auth = (flex_channels.account_sid, flex_channels.auth_token)
    created = client.post("/v1/Channels", data=_form(flex_channels, "werkzeug"), auth=auth)
    assert created.status_code == 201
    page = client.get("/v1/Channels?PageSize=1", auth=auth).get_json()
    assert page["meta"]["url"] == "http://localhost/v1/Channels?PageSize=1&Page=0"
    unauthenticated = client.get("/v1/Channels")
    assert (unauthenticated.status_code, unauthenticated.get_json()) == (
        401,
        error_body(401, 20003, "Authenticate"),
    )
    preflight = client.options("/v1/Channels/CH" + "0" * 32)
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, DELETE, OPTIONS"
    assert "Content-Length" not in preflight.headers  # HTTP forbids one on a 204


def test_a_dropped_connection_in_process_is_an_exception(flex_channels: FlexChannelsMock) -> None:
    flex_channels.raise_next("list_channels")
    client = WerkzeugClient(flex_channels.wsgi_app)
    with pytest.raises(Dropped, match="closed without an answer"):
        client.get("/v1/Channels", auth=(flex_channels.account_sid, flex_channels.auth_token))


@pytest.fixture
def remote(flex_channels_server: FlexServer) -> RemoteFake:
    return RemoteFake(flex_channels_server.url)


def test_remote_setup_and_state(flex_channels: FlexChannelsMock, remote: RemoteFake) -> None:
    state = remote.state()
    assert (state["account_sid"], state["auth_token"]) == (
        flex_channels.account_sid,
        flex_channels.auth_token,
    )
    channel = remote.create_channel(identity="+15005550100", pre_engagement_data={"q": 1})
    assert channel == {
        **channel,
        "identity": "+15005550100",
        "pre_engagement_data": '{"q": 1}',
        "active": True,
    }
    assert remote.channels() == [channel]
    assert remote.deactivate(channel["sid"])["active"] is False
    account = remote.add_account()
    assert flex_channels.client(account["sid"]).account_sid == account["sid"]
    key = remote.add_api_key(sid="SK" + "1" * 32, secret="s3cret")
    assert (key["sid"], key["account_sid"]) == ("SK" + "1" * 32, flex_channels.account_sid)
    flow = remote.add_flex_flow(integration_type="studio", friendly_name="Remote")
    assert flow["friendly_name"] == "Remote" and flow["integration_type"] == "studio"
    remote.reset()
    assert remote.channels() == [] and flex_channels.channels == []


def test_remote_agent_replies_and_webhooks(
    flex_channels: FlexChannelsMock, remote: RemoteFake
) -> None:
    """An app elsewhere sees the agent answer: the control API makes the reply, lists the
    chat's messages and the webhook attempts."""
    channel = remote.create_channel(identity="+15005550101")
    service = flex_channels.client().chat.v2.services(channel["chat_service_sid"])
    service.channels(channel["sid"]).webhooks.create(
        type="webhook",
        configuration_url="https://bridge.example.org/agent",
        configuration_filters=["onMessageSent"],
    )
    message = remote.agent_reply(channel["sid"], "Hi there", author="agent-2")
    assert (message["body"], message["author"], message["position"]) == ("Hi there", "agent-2", 0)
    assert [m["body"] for m in remote.messages(channel["sid"])] == ["Hi there"]
    (delivery,) = remote.webhooks()
    assert (delivery["event"], delivery["url"], delivery["delivered"]) == (
        "onMessageSent",
        "https://bridge.example.org/agent",
        False,  # neither routed nor on this machine: never contacted
    )
    assert delivery["params"]["Body"] == "Hi there"
    remote.clear_webhooks()
    assert remote.webhooks() == []
    with pytest.raises(RemoteFakeError) as refused:
        remote.agent_reply("CH" + "0" * 32, "anyone?")
    assert refused.value.status == 404


def test_remote_conversations_interactions_and_the_clock(
    flex_channels: FlexChannelsMock, remote: RemoteFake
) -> None:
    """An app elsewhere drives the Conversations stack the same way: the agent replies in a
    conversation and ends the chat, the clock moves, interactions fail when told, orphans show."""
    client = flex_channels.client()
    flex_channels.clock.set("2026-06-01T10:00:00Z")
    conversation = client.conversations.v1.conversations.create(timers_inactive="PT1M")
    message = remote.agent_reply(conversation.sid, "Hello")
    assert (message["body"], message["author"], message["position"]) == ("Hello", "agent", 0)
    assert [m["body"] for m in remote.messages(conversation.sid)] == ["Hello"]
    assert remote.orphans() == [
        f"conversation {conversation.sid} (active) of account {flex_channels.account_sid}"
    ]
    remote.advance(60)
    assert client.conversations.v1.conversations(conversation.sid).fetch().state == "inactive"
    remote.end_chat(conversation.sid)
    assert remote.orphans() == []
    remote.fail_interaction_setup(code=45352, message="Failed to create an outbound Channel.")
    other = client.conversations.v1.conversations.create()
    interaction = client.flex_api.v1.interaction.create(
        channel={
            "type": "chat",
            "initiated_by": "customer",
            "properties": {"media_channel_sid": other.sid},
        },
        routing={"properties": {"workspace_sid": "WS" + "a" * 32}},
    )
    channel = client.flex_api.v1.interaction(interaction.sid).channels(interaction.channel["sid"])
    channel.fetch()
    assert (channel.fetch().status, channel.fetch().error_code) == ("failed", 45352)
    with pytest.raises(RemoteFakeError) as refused:
        remote.advance(-1)
    assert (refused.value.status, refused.value.message) == (
        400,
        "seconds (a number, at least 0) is required",
    )


def test_remote_refusals_name_the_field(remote: RemoteFake) -> None:
    with pytest.raises(RemoteFakeError) as refused:
        remote.create_channel(colour="blue")
    assert refused.value.status == 400
    assert refused.value.message.startswith("unknown fields ['colour']; known: ")
    with pytest.raises(RemoteFakeError) as refused:
        remote.create_channel(long_lived="yes")
    assert refused.value.message == "long_lived must be a boolean or null, got 'yes'"
    with pytest.raises(RemoteFakeError) as refused:
        remote.fail_next("nothing")
    assert refused.value.message.startswith("ValueError: operation must be one of ")
    with pytest.raises(RemoteFakeError) as refused:
        remote.add_flex_flow(integration_type="fax")
    assert refused.value.message == (
        "ValueError: integration_type must be one of ('studio', 'external', 'task'), got 'fax'"
    )
    with pytest.raises(RemoteFakeError) as refused:
        remote.deactivate("CH" + "0" * 32)
    assert refused.value.status == 404


def test_remote_faults_and_calls_for_an_app_in_a_subprocess(
    flex_channels: FlexChannelsMock, remote: RemoteFake
) -> None:
    """The test drives an app in another process, injects faults and asserts on its calls."""
    remote.fail_next("create_channel", status=503, times=2)
    remote.drop_next("list_channels")
    remote.delay_next("fetch_channel", seconds=0.05)
    assert [f["kind"] for f in remote.faults()] == ["fail", "drop", "delay"]
    app = textwrap.dedent(
        f"""
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util import Retry
        base, auth = {remote.url!r}, {(flex_channels.account_sid, flex_channels.auth_token)!r}
        http = requests.Session()
        retry = Retry(total=3, status_forcelist=[503], allowed_methods=None, backoff_factor=0)
        http.mount("http://", HTTPAdapter(max_retries=retry))
        form = {json.dumps(_form(flex_channels, "subprocess"))}
        created = http.post(base + "/v1/Channels", data=form, auth=auth)
        print(created.status_code)
        print(http.get(base + "/v1/Channels", auth=auth).status_code)  # retried after the drop
        print(http.get(base + "/v1/Channels/" + created.json()["sid"], auth=auth).status_code)
        """
    )
    output = subprocess.run(
        [sys.executable, "-c", app], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    assert output == ["201", "200", "200"]
    creates = remote.calls("create_channel", Identity="subprocess")
    assert [c["status_code"] for c in creates] == [503, 503, 201]
    assert [(c["fault"], c["status_code"]) for c in remote.calls("list_channels")] == [
        ("drop the connection on list_channels", None),
        (None, 200),
    ]
    assert remote.calls("fetch_channel")[0]["response"]["sid"] == creates[-1]["response"]["sid"]
    assert remote.faults() == []
    remote.clear_calls()
    assert remote.calls() == []


def test_remote_sticky_faults(flex_channels: FlexChannelsMock, remote: RemoteFake) -> None:
    fault = remote.fail_next("list_channels", status=429, times=None)
    assert (fault["times"], fault["code"]) == (None, None)
    for _ in range(3):
        request = urllib.request.Request(f"{remote.url}/v1/Channels")
        with pytest.raises(urllib.error.HTTPError) as answered:
            urllib.request.urlopen(request, timeout=10)  # no credentials: 401 comes first
        answered.value.close()
        assert answered.value.code == 401
    assert len(remote.faults()) == 1
    remote.clear_faults()
    assert remote.faults() == []


def test_the_call_log_cap(flex_channels: FlexChannelsMock) -> None:
    fake = FlexChannelsMock(seed=4, max_calls=3)
    client = fake.client()
    for _ in range(5):
        client.flex_api.v1.channel.list()
    assert (len(fake.calls), fake.calls.dropped) == (3, 2)
    assert fake.calls.describe().startswith("Recorded calls (3; 2 older ones dropped):\n  1. list")
    fake.calls.clear()
    assert (len(fake.calls), fake.calls.dropped) == (0, 0)
    with pytest.raises(ValueError, match="max_calls must be a positive integer or None, got 0"):
        FlexChannelsMock(max_calls=0)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serve_stops_cleanly_on_a_signal(stop: signal.Signals) -> None:
    process, state = serve_process("--max-calls", "2", "--seed", "5")
    try:
        remote = RemoteFake(state["url"])
        for _ in range(3):
            remote.create_channel()
        request = urllib.request.Request(f"{state['url']}/v1/Nothing")
        for _ in range(4):
            with pytest.raises(urllib.error.HTTPError) as answered:
                urllib.request.urlopen(request, timeout=10)
            answered.value.close()
        counts = remote.state()
        assert (counts["channels"], counts["calls"], counts["dropped_calls"]) == (3, 2, 2)
    finally:
        process.send_signal(stop)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert stderr == f"Flex Channels fake on {state['url']} (Ctrl-C to stop)\n"


def test_serve_ends_connections_when_it_stops() -> None:
    process, state = serve_process()
    remote = RemoteFake(state["url"])
    assert remote.state()["calls"] == 0
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)
    started = time.monotonic()
    with pytest.raises(OSError):
        remote.state()
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        (
            "POST",
            "faults",
            {"kind": "boom"},
            400,
            "kind must be one of ['delay', 'drop', 'fail'], got 'boom'",
        ),
        (
            "POST",
            "faults",
            {"kind": "delay", "status": 500},
            400,
            "a 'delay' fault takes no ['status']",
        ),
        ("POST", "faults", {"kind": "delay"}, 400, "a 'delay' fault needs seconds"),
        ("POST", "channels", [1], 400, "the body must be a JSON object"),
        ("POST", "channels", "{", 400, "the body is not JSON"),
        ("DELETE", "state", None, 405, "DELETE is not allowed here; use ['GET']"),
        ("POST", "channels/!!/deactivate", None, 400, "not a SID: '!!'"),
        ("POST", "channels/CH1/deactivate", None, 404, "no channel 'CH1' in account AC"),
    ],
    ids=["kind", "extra field", "no seconds", "not an object", "not JSON", "405", "bad SID", "404"],
)
def test_control_refusals_say_why(
    flex_channels: FlexChannelsMock,
    method: str,
    path: str,
    body: Any,
    status: int,
    error: str,
) -> None:
    client = WerkzeugClient(flex_channels.wsgi_app)
    data = body if isinstance(body, str) else json.dumps(body) if body is not None else None
    answer = client.open(
        f"/__flex/{path}", method=method, data=data, content_type="application/json"
    )
    assert answer.status_code == status
    refused = answer.get_json()
    assert refused.keys() == {"code", "message", "more_info", "status", "error"}
    assert (refused["status"], refused["code"]) == (status, 20000 + status)
    assert refused["message"].startswith(error)
    assert refused["error"] == refused["message"]


def test_a_fault_raising_an_exception_shows_it(flex_channels: FlexChannelsMock) -> None:
    flex_channels.raise_next("list_channels", ValueError)
    client = WerkzeugClient(flex_channels.wsgi_app)
    (fault,) = client.get("/__flex/faults").get_json()
    assert fault == {
        "kind": "drop",
        "operation": "list_channels",
        "times": 1,
        "exception": "<class 'ValueError'>",
        "after_processing": False,
        "latency": 0.0,
    }
    with pytest.raises(Dropped, match=r"^injected: <class 'ValueError'>$"):
        client.get("/v1/Channels", auth=(flex_channels.account_sid, flex_channels.auth_token))


def test_a_bare_wsgi_environ(flex_channels: FlexChannelsMock) -> None:
    """What PEP 3333 guarantees and nothing more: no Host header, no input stream."""
    seen: list[str] = []
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/v1/Channels",
        "QUERY_STRING": "PageSize=1",
        "SERVER_NAME": "fake.test",
        "SERVER_PORT": "8080",
        "wsgi.url_scheme": "http",
    }
    body = b"".join(flex_channels.wsgi_app(environ, lambda status, headers: seen.append(status)))
    assert seen == ["401 Unauthorized"]
    assert json.loads(body)["code"] == 20003
    (call,) = flex_channels.calls
    assert call.url == "http://fake.test:8080/v1/Channels?PageSize=1"
