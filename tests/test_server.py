"""The fake over a real socket: the twilio client, a plain HTTP client, a subprocess, the CLI."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from base64 import b64encode
from typing import Any

import pytest
import requests
from requests.structures import CaseInsensitiveDict
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock
from pytest_flexchannels.transports.server import FlexServer
from tests.helpers import error_body, serve_process


def _plain(
    method: str, url: str, fake: FlexChannelsMock, body: bytes | None = None
) -> tuple[int, CaseInsensitiveDict[str], Any]:
    """A request with nothing but the standard library (no requests, no responses)."""
    credentials = b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
    request = urllib.request.Request(url, data=body, method=method)
    request.add_header("Authorization", f"Basic {credentials}")
    if body is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            headers = CaseInsensitiveDict(response.headers)
            return response.status, headers, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, CaseInsensitiveDict(error.headers), json.loads(error.read())


@pytest.fixture
def served_client(flex_channels: FlexChannelsMock, flex_channels_server: FlexServer) -> Client:
    """The twilio client, its Flex requests sent to the server."""
    return Client(
        flex_channels.account_sid,
        flex_channels.auth_token,
        http_client=flex_channels_server.twilio_http_client(),
    )


def test_twilio_client_through_the_server(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer, served_client: Client
) -> None:
    client = served_client
    made = [
        client.flex_api.v1.channel.create(
            flex_flow_sid=flex_channels.flex_flow_sid,
            identity=f"customer-{i}",
            chat_user_friendly_name="Ada",
            chat_friendly_name="Chat",
        )
        for i in range(5)
    ]
    # Pages follow next_page_url, which names the server.
    assert [c.sid for c in client.flex_api.v1.channel.list(page_size=2)] == [c.sid for c in made]
    assert client.flex_api.v1.channel(made[0].sid).fetch().user_sid == made[0].user_sid
    assert client.flex_api.v1.channel(made[0].sid).delete() is True
    with pytest.raises(TwilioRestException) as raised:
        client.flex_api.v1.channel(made[0].sid).fetch()
    assert (raised.value.status, raised.value.code) == (404, 20404)
    # One store: the in-process fixture sees what came over the socket, and records it.
    assert len(flex_channels.channels) == 4
    assert [c.operation for c in flex_channels.calls][:5] == ["create_channel"] * 5
    assert all(c.url.startswith(flex_channels_server.url) for c in flex_channels.calls)


def test_plain_http_client_sees_the_wire(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer
) -> None:
    url = f"{flex_channels_server.url}/v1/Channels"
    form = f"FlexFlowSid={flex_channels.flex_flow_sid}&Identity=a"
    form += "&ChatUserFriendlyName=b&ChatFriendlyName=c"
    status, headers, body = _plain("POST", url, flex_channels, form.encode())
    assert status == 201
    assert headers["Content-Type"] == "application/json"
    assert headers["Twilio-Request-Id"].startswith("RQ")
    # URLs name the host the client called.
    assert body["url"] == f"{flex_channels_server.url}/v1/Channels/{body['sid']}"
    status, _, fetched = _plain("GET", f"{url}/{body['sid']}", flex_channels)
    assert (status, fetched) == (200, body)
    status, _, page = _plain("GET", f"{url}?PageSize=1", flex_channels)
    assert status == 200 and page["meta"]["url"] == f"{url}?PageSize=1&Page=0"
    status, _, empty = _plain("DELETE", f"{url}/{body['sid']}", flex_channels)
    assert (status, empty) == (204, None)
    stranger = FlexChannelsMock(seed=1, account_sid="AC" + "1" * 32)  # unknown credentials
    status, headers, error = _plain("GET", url, stranger)
    assert (status, error) == (401, error_body(401, 20003, "Authenticate"))
    assert headers["WWW-Authenticate"] == 'Basic realm="Twilio API"'


def test_faults_reach_socket_clients(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer
) -> None:
    url = f"{flex_channels_server.url}/v1/Channels"
    flex_channels.fail_next("list_channels", status=429)
    status, _, body = _plain("GET", url, flex_channels)
    assert (status, body["code"]) == (429, 20429)
    flex_channels.raise_next("list_channels")
    with pytest.raises(OSError):  # the connection drops: what a socket client sees
        _plain("GET", url, flex_channels)
    assert _plain("GET", url, flex_channels)[0] == 200


@pytest.mark.flex_channels(allow_unmatched=True)
def test_an_api_prefix_is_a_whole_path_segment(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer
) -> None:
    """On a served fake ``/chat`` names the Chat API only as a whole segment: ``/chat`` itself
    and ``/chat/...`` are Chat's, ``/chatty/...`` is an unknown path of the default API, 404
    20404 naming it whole (modelled: one origin serves every API, told apart by prefix)."""
    service = flex_channels.flex_flow.chat_service_sid
    base = flex_channels_server.url
    status, _, body = _plain("GET", f"{base}/chat/v2/Services/{service}", flex_channels)
    assert (status, body["sid"]) == (200, service)
    for path, resource in [
        (f"/chatty/v2/Services/{service}", f"/chatty/v2/Services/{service}"),
        ("/chatty", "/chatty"),
        ("/chat", "/"),
    ]:
        status, _, body = _plain("GET", f"{base}{path}", flex_channels)
        assert (status, body) == (
            404,
            error_body(404, 20404, f"The requested resource {resource} was not found"),
        ), path
    assert [c.operation for c in flex_channels.calls] == ["fetch_chat_service", None, None, None]


def test_control_routes(flex_channels: FlexChannelsMock, flex_channels_server: FlexServer) -> None:
    base = f"{flex_channels_server.url}/__flex"
    state = requests.get(f"{base}/state").json()
    assert state == {
        "url": flex_channels_server.url,
        "account_sid": flex_channels.account_sid,
        "auth_token": flex_channels.auth_token,
        "flex_flow_sid": flex_channels.flex_flow_sid,
        "seed": flex_channels.seed,
        "channels": 0,
        "calls": 0,
        "dropped_calls": 0,
        "webhooks": 0,
        "dropped_webhooks": 0,
        "control_token_required": False,
    }
    seeded = requests.post(f"{base}/channels", json={"identity": "+15005550100"})
    assert seeded.status_code == 201
    assert seeded.json()["sid"] == flex_channels.channels[0].sid
    bad = requests.post(f"{base}/channels", json={"colour": "blue"})
    assert bad.status_code == 400
    refused = bad.json()
    assert (refused["code"], refused["status"]) == (20400, 400)
    assert refused["message"].startswith("unknown fields ['colour']; known: ['account_sid', ")
    assert refused["error"] == refused["message"]  # where earlier releases put it
    assert requests.post(f"{base}/reset").status_code == 204
    assert flex_channels.channels == []
    assert requests.get(f"{base}/nothing").status_code == 404


def test_a_subprocess_talks_to_the_server(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer
) -> None:
    script = textwrap.dedent(
        f"""
        import json, sys, urllib.request
        base = {flex_channels_server.url!r}
        state = json.load(urllib.request.urlopen(base + "/__flex/state"))
        from twilio.rest import Client
        from twilio.http.http_client import TwilioHttpClient

        class ToServer(TwilioHttpClient):
            def request(self, method, url, *args, **kwargs):
                url = url.replace("https://flex-api.twilio.com", base)
                return super().request(method, url, *args, **kwargs)

        client = Client(state["account_sid"], state["auth_token"], http_client=ToServer())
        channel = client.flex_api.v1.channel.create(
            flex_flow_sid=state["flex_flow_sid"], identity="from-a-subprocess",
            chat_user_friendly_name="Sub", chat_friendly_name="Process")
        print(channel.sid)
        """
    )
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    assert flex_channels.get_channel(output).identity == "from-a-subprocess"


def test_serve_command(tmp_path: Any) -> None:
    process, state = serve_process("--port", "0", "--seed", "7")
    try:
        assert state["url"].startswith("http://127.0.0.1:")
        assert state["account_sid"] == FlexChannelsMock(seed=7).account_sid
        auth = (state["account_sid"], state["auth_token"])
        created = requests.post(
            f"{state['url']}/v1/Channels",
            data={
                "FlexFlowSid": state["flex_flow_sid"],
                "Identity": "cli",
                "ChatUserFriendlyName": "a",
                "ChatFriendlyName": "b",
            },
            auth=auth,
        )
        assert created.status_code == 201
        listed = requests.get(f"{state['url']}/v1/Channels", auth=auth).json()
        assert [c["sid"] for c in listed["flex_chat_channels"]] == [created.json()["sid"]]
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "Flex Channels fake on http://127.0.0.1:" in stderr


def test_serve_from_the_context_manager() -> None:
    with FlexChannelsMock(seed=8) as fake:
        server = fake.serve()
        try:
            status, _, body = _plain("GET", f"{server.url}/v1/Channels", fake)
            assert (status, body["flex_chat_channels"]) == (200, [])
        finally:
            server.stop()


def test_flex_flows_crud_through_the_server(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer, served_client: Client
) -> None:
    client = served_client
    made = [
        client.flex_api.v1.flex_flow.create(
            friendly_name="Served",
            chat_service_sid="IS" + "1" * 32,
            channel_type="web",
            integration_flow_sid="FW" + "2" * 32,
        )
        for _ in range(3)
    ]
    listed = client.flex_api.v1.flex_flow.list(friendly_name="Served", page_size=2)
    assert [f.sid for f in listed] == [f.sid for f in made]
    assert client.flex_api.v1.flex_flow(made[0].sid).update(enabled=False).enabled is False
    assert client.flex_api.v1.flex_flow(made[0].sid).fetch().enabled is False
    assert client.flex_api.v1.flex_flow(made[0].sid).delete() is True
    url = f"{flex_channels_server.url}/v1/FlexFlows/{made[0].sid}"
    status, _, body = _plain("GET", url, flex_channels)
    assert (status, body["code"]) == (404, 20404)


def test_bad_header_bytes_over_the_socket_are_a_401_and_recorded(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer
) -> None:
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(flex_channels_server.url)
    raw = (
        b"GET /v1/Channels HTTP/1.1\r\nHost: flex-api.twilio.com\r\n"
        b"Authorization: Basic \xc3\xa9\xff\r\nX-Trace: \xfe\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((address.hostname, address.port), timeout=10) as peer:
        peer.sendall(raw)
        answer = b""
        while chunk := peer.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 401 ")
    assert json.loads(body) == error_body(401, 20003, "Authenticate")
    (call,) = flex_channels.calls
    assert (call.status_code, call.account_sid) == (401, None)
