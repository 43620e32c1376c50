"""Webhooks that cannot escape, hang or pile up: destinations found without any resolver, one
deadline and a bounded read per attempt, a capped log, and in server mode deliveries off the
request threads that a stop abandons."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock, FlexServer, RemoteFake
from pytest_flexchannels.core import webhooks as webhooks_module
from pytest_flexchannels.core.webhooks import loopback_addresses
from tests.helpers import basic_auth, create, error_body, serve_process

REFUSED = "not delivered: neither routed to an app nor on this machine"
CHAT = "https://chat.twilio.com/v2/Services"
CONVERSATIONS = "https://conversations.twilio.com/v1"


class Listener:
    """A raw TCP server on a loopback address that runs ``answer(connection)`` for each
    connection on a thread of its own and counts what it accepted."""

    def __init__(self, answer: Callable[[socket.socket], None], host: str = "127.0.0.1") -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.arrived = threading.Event()
        self._answer = answer
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self.arrived.set()
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError):  # the fake hung up: fine
            self._answer(connection)

    def close(self) -> None:
        self.sock.close()


def _read_request(connection: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _ok(connection: socket.socket) -> None:
    _read_request(connection)
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener(_ok)
    yield server
    server.close()


@pytest.fixture
def no_resolver(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Fails the test if anything asks the system resolver; returns what it was asked."""
    asked: list[Any] = []

    def refuse(host: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(host)
        raise AssertionError(f"the resolver was asked for {host!r}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return asked


def _chat_channel_webhook(fake: FlexChannelsMock, client: Client, url: str) -> Callable[[], Any]:
    channel = create(client, fake, "ann")
    service = client.chat.v2.services(fake.flex_flow.chat_service_sid)
    service.channels(channel.sid).webhooks.create(
        type="webhook", configuration_url=url, configuration_filters=["onMessageSent"]
    )
    return lambda: fake.agent_reply(channel.sid, "hi")


def _service_post_event_webhook(
    fake: FlexChannelsMock, client: Client, url: str
) -> Callable[[], Any]:
    channel = create(client, fake, "bea")
    service = client.chat.v2.services(fake.flex_flow.chat_service_sid)
    service.update(post_webhook_url=url, webhook_filters=["onMessageSent"])
    return lambda: fake.agent_reply(channel.sid, "hi")


def _external_flow(fake: FlexChannelsMock, client: Client, url: str) -> Callable[[], Any]:
    flow = fake.add_flex_flow(
        integration_type="external", channel_type="sms", integration={"url": url}
    )
    channel = fake.create_channel(flex_flow_sid=flow.sid, identity="+15550123")
    return lambda: fake.agent_reply(channel.sid, "hi")


def _conversation_webhook(fake: FlexChannelsMock, client: Client, url: str) -> Callable[[], Any]:
    conversation = client.conversations.v1.conversations.create()
    client.conversations.v1.conversations(conversation.sid).webhooks.create(
        target="webhook", configuration_url=url, configuration_filters=["onMessageAdded"]
    )
    return lambda: fake.agent_reply(conversation.sid, "hi")


KINDS = {
    "chat channel webhook": _chat_channel_webhook,
    "service post-event webhook": _service_post_event_webhook,
    "external flow's Integration.Url": _external_flow,
    "conversation-scoped webhook": _conversation_webhook,
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("host", ["localhost.", "app.localhost", "LocalHost.localhost"])
def test_a_name_that_only_dns_could_answer_is_never_looked_up(
    flex_channels: FlexChannelsMock,
    client: Client,
    listener: Listener,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    host: str,
) -> None:
    """``localhost.`` and ``*.localhost`` would go to the system resolver, whose nameserver is
    off this machine and may answer any address: refused before any lookup, for every kind of
    webhook."""
    url = f"http://{host}:{listener.port}/hook"
    fire = KINDS[kind](flex_channels, client, url)
    asked: list[Any] = []
    resolve = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: asked.append(a) or resolve(*a, **k))
    fire()
    attempts = {(a.url, a.status, a.delivered, a.error) for a in flex_channels.webhooks}
    assert attempts == {(url, None, False, REFUSED)}  # each retry too
    assert asked == []
    assert listener.accepted == 0


@pytest.mark.parametrize(
    "host",
    ["127.1", "2130706433", "0x7f000001", "127.0.0.1.nip.io", "[::ffff:7f00:1]", "0.0.0.0"],
)
def test_only_a_loopback_literal_or_localhost_itself_counts(host: str) -> None:
    assert loopback_addresses(host.strip("[]")) == ()


def test_localhost_is_127_0_0_1_then_the_ipv6_loopback_without_a_resolver() -> None:
    assert loopback_addresses("localhost") == ("127.0.0.1", "::1")
    assert loopback_addresses("LOCALHOST") == ("127.0.0.1", "::1")
    assert loopback_addresses("127.3.2.1") == ("127.3.2.1",)
    assert loopback_addresses("::1") == ("::1",)


@pytest.mark.parametrize("bound", ["127.0.0.1", "::1"])
def test_localhost_reaches_an_app_on_either_loopback_without_a_resolver(
    flex_channels: FlexChannelsMock, client: Client, no_resolver: list[Any], bound: str
) -> None:
    """An app bound to ``localhost`` listens on 127.0.0.1 or on ::1 (Node.js 17+ may pick
    either): both are tried, neither through the resolver."""
    try:
        app = Listener(_ok, host=bound)
    except OSError:
        pytest.skip(f"{bound} is not available here")
    try:
        fire = _conversation_webhook(flex_channels, client, f"http://localhost:{app.port}/in")
        fire()
        (attempt,) = flex_channels.webhooks
        assert (attempt.status, attempt.delivered, attempt.error) == (200, True, None)
        assert app.accepted == 1
    finally:
        app.close()
    assert no_resolver == []


def _in_thread(work: Callable[[], Any]) -> threading.Thread:
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def test_an_app_trickling_its_answer_is_cut_off_at_the_deadline(
    flex_channels: FlexChannelsMock, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One deadline for the whole attempt: an app that sends a byte now and then (each read
    succeeds) no longer holds the call that fired the webhook."""
    monkeypatch.setattr(webhooks_module, "TIMEOUT", 0.5)
    stop = threading.Event()

    def trickle(connection: socket.socket) -> None:
        _read_request(connection)
        for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello":
            if stop.wait(0.1):
                return
            connection.sendall(bytes([byte]))

    app = Listener(trickle)
    try:
        fire = _conversation_webhook(flex_channels, client, f"http://127.0.0.1:{app.port}/in")
        worker = _in_thread(fire)
        worker.join(timeout=4)  # the answer would take 5 s; the deadline is half a second
        assert not worker.is_alive(), "the attempt outlived its deadline"
    finally:
        stop.set()
        app.close()
    (attempt,) = flex_channels.webhooks
    assert (attempt.status, attempt.delivered) == (None, False)
    assert attempt.error == "no answer: TimeoutError('no answer within 0.5 s')"


def test_an_answer_cut_off_after_its_status_counts_as_no_answer(
    flex_channels: FlexChannelsMock, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhooks_module, "TIMEOUT", 0.5)
    stop = threading.Event()

    def slow_body(connection: socket.socket) -> None:
        _read_request(connection)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n")
        stop.wait(5)

    app = Listener(slow_body)
    try:
        fire = _conversation_webhook(flex_channels, client, f"http://127.0.0.1:{app.port}/in")
        fire()
    finally:
        stop.set()
        app.close()
    (attempt,) = flex_channels.webhooks
    assert (attempt.status, attempt.delivered) == (None, True)
    assert (
        attempt.error == "no whole answer: status 200, then TimeoutError('no answer within 0.5 s')"
    )


def test_an_endless_answer_is_read_only_up_to_the_cap(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """An endless chunked answer took the test process to 1.95 GB; now what is read is capped,
    the status counts, and the app sees the connection closed."""
    sent = [0]
    chunk = b"%x\r\n%s\r\n" % (65536, b"x" * 65536)

    def endless(connection: socket.socket) -> None:
        _read_request(connection)
        connection.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        while sent[0] < 200 * 1024 * 1024:  # the old reader would have read all 200 MB
            connection.sendall(chunk)
            sent[0] += len(chunk)

    app = Listener(endless)
    try:
        fire = _conversation_webhook(flex_channels, client, f"http://127.0.0.1:{app.port}/in")
        worker = _in_thread(fire)
        worker.join(timeout=30)
        assert not worker.is_alive()
    finally:
        app.close()
    (attempt,) = flex_channels.webhooks
    assert (attempt.status, attempt.delivered) == (200, True)
    assert attempt.error == "the answer's body passed 65536 bytes: the rest was not read"
    assert sent[0] < 32 * 1024 * 1024  # what the kernel's buffers took before the close


def test_an_endless_head_is_read_only_up_to_the_cap(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    def endless(connection: socket.socket) -> None:
        _read_request(connection)
        connection.sendall(b"HTTP/1.1 200 OK\r\n")
        for _ in range(10_000):
            connection.sendall(b"X-Filler: " + b"y" * 1000 + b"\r\n")

    app = Listener(endless)
    try:
        _conversation_webhook(flex_channels, client, f"http://127.0.0.1:{app.port}/in")()
    finally:
        app.close()
    (attempt,) = flex_channels.webhooks
    assert (attempt.status, attempt.delivered) == (None, False)
    assert attempt.error is not None and attempt.error.startswith("no answer: ")


def test_a_routed_app_with_an_endless_body_is_read_only_up_to_the_cap(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    pulled = [0]

    def endless_app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        while True:
            pulled[0] += 1
            yield b"x" * 1024

    flex_channels.route_webhooks("https://bridge.example.com", endless_app)
    _conversation_webhook(flex_channels, client, "https://bridge.example.com/in")()
    (attempt,) = flex_channels.webhooks
    assert (attempt.status, attempt.delivered) == (200, True)
    assert pulled[0] == 65  # 64 KiB, and the chunk that passed it


def test_the_webhook_log_keeps_only_the_latest_attempts(client: Client) -> None:
    with FlexChannelsMock(max_webhooks=3) as fake:
        fire = _conversation_webhook(fake, fake.client(), "https://hooks.example.org/in")
        for _ in range(5):
            fire()
        assert (len(fake.webhooks), fake.webhooks.dropped) == (3, 2)
        assert [d.params["Index"] for d in fake.webhooks] == ["2", "3", "4"]
        with pytest.raises(AssertionError) as failed:
            fake.webhooks.assert_delivered("onMessageAdded")
        assert "  (2 older attempts dropped: max_webhooks)\n  1. onMessageAdded" in str(
            failed.value
        )
        fake.webhooks.clear()
        assert (len(fake.webhooks), fake.webhooks.dropped) == (0, 0)
    with pytest.raises(ValueError, match="max_webhooks must be a positive integer or None, got 0"):
        FlexChannelsMock(max_webhooks=0)


@pytest.mark.flex_channels(max_webhooks=1)
def test_the_marker_caps_the_webhook_log(flex_channels: FlexChannelsMock, client: Client) -> None:
    fire = _conversation_webhook(flex_channels, client, "https://hooks.example.org/in")
    fire()
    fire()
    assert (len(flex_channels.webhooks), flex_channels.webhooks.dropped) == (1, 1)


def test_serve_caps_its_webhook_log() -> None:
    """``serve`` kept every attempt forever while its call log was capped."""
    process, state = serve_process("--max-webhooks", "2")
    try:
        remote = RemoteFake(state["url"])
        url = state["url"]
        auth = (state["account_sid"], state["auth_token"])
        base = f"{url}/conversations/v1/Conversations"
        sid = requests.post(base, auth=auth).json()["sid"]
        hook = {"Target": "webhook", "Configuration.Url": "https://hooks.example.org/in"}
        hook["Configuration.Filters"] = "onMessageAdded"
        assert requests.post(f"{base}/{sid}/Webhooks", data=hook, auth=auth).status_code == 201
        for _ in range(5):
            remote.agent_reply(sid, "hi")
        counts = remote.state()
        assert (counts["webhooks"], counts["dropped_webhooks"]) == (2, 3)
        assert len(remote.webhooks()) == 2
    finally:
        process.terminate()
        process.communicate(timeout=30)


# --- server mode: deliveries off the request threads -------------------------------------------


def _webhook_enabled_message(server: FlexServer, fake: FlexChannelsMock, sid: str) -> int:
    answer = requests.post(
        f"{server.url}/conversations/v1/Conversations/{sid}/Messages",
        data={"Body": "hi", "Author": "customer"},
        headers={"Authorization": basic_auth(fake), "X-Twilio-Webhook-Enabled": "true"},
        timeout=30,
    )
    return answer.status_code


def test_apps_that_call_the_fake_back_do_not_starve_the_server(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """4 request threads, 8 concurrent requests whose webhook app calls the fake back before it
    answers: 7 of 8 were recorded as "no answer" (and retried) while the app answered all 8."""
    server = flex_channels.serve(threads=4)
    callbacks: list[int] = []

    class App(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            back = requests.get(
                f"{server.url}/conversations/v1/Conversations",
                headers={"Authorization": basic_auth(flex_channels)},
                timeout=30,
            )
            callbacks.append(back.status_code)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    app = ThreadingHTTPServer(("127.0.0.1", 0), App)
    threading.Thread(target=app.serve_forever, args=(0.01,), daemon=True).start()
    try:
        conversations = []
        for _ in range(8):
            conversation = client.conversations.v1.conversations.create()
            client.conversations.v1.conversations(conversation.sid).webhooks.create(
                target="webhook",
                configuration_url=f"http://127.0.0.1:{app.server_address[1]}/in",
                configuration_filters=["onMessageAdded"],
            )
            conversations.append(conversation.sid)
        with ThreadPoolExecutor(8) as pool:
            statuses = list(
                pool.map(
                    lambda sid: _webhook_enabled_message(server, flex_channels, sid), conversations
                )
            )
        assert statuses == [201] * 8
        _wait_for(lambda: len(flex_channels.webhooks) >= 8)
        assert [(d.status, d.attempt) for d in flex_channels.webhooks] == [(200, 1)] * 8
        assert callbacks == [200] * 8
    finally:
        app.shutdown()
        app.server_close()


def _wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.01)


def test_a_black_hole_app_holds_no_request_thread(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """With one request thread, a request whose webhook goes to an app that never answers used
    to hold it for the whole attempt: ``/__flex/state`` waited behind it."""
    release = threading.Event()

    def black_hole(connection: socket.socket) -> None:
        _read_request(connection)
        release.wait(30)

    hole = Listener(black_hole)
    server = flex_channels.serve(threads=1)
    try:
        conversation = client.conversations.v1.conversations.create()
        client.conversations.v1.conversations(conversation.sid).webhooks.create(
            target="webhook",
            configuration_url=f"http://127.0.0.1:{hole.port}/in",
            configuration_filters=["onMessageAdded"],
        )
        assert _webhook_enabled_message(server, flex_channels, conversation.sid) == 201
        assert hole.arrived.wait(10)
        state = requests.get(f"{server.url}/__flex/state", timeout=3)
        assert state.status_code == 200
        assert len(flex_channels.webhooks) == 0  # the attempt is still in flight
    finally:
        release.set()
        hole.close()


def test_stop_abandons_deliveries_and_nothing_is_sent_after_it_returns(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """2 of 4 retried attempts reached the app after ``stop()`` returned; the last 1.31 s
    after. Now the attempt in flight is abandoned, its retries dropped, and stop does not wait
    for the app."""
    release = threading.Event()

    def failing(connection: socket.socket) -> None:
        release.wait(10)
        connection.sendall(b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n")

    app = Listener(failing)
    server = flex_channels.serve()
    try:
        channel = create(client, flex_channels, "cat")
        service = flex_channels.flex_flow.chat_service_sid
        client.chat.v2.services(service).channels(channel.sid).webhooks.create(
            type="webhook",
            configuration_url=f"http://127.0.0.1:{app.port}/in",
            configuration_filters=["onMessageSent"],
            configuration_retry_count=3,
        )
        sent = requests.post(
            f"{server.url}/chat/v2/Services/{service}/Channels/{channel.sid}/Messages",
            data={"Body": "hi"},
            headers={
                "Authorization": basic_auth(flex_channels),
                "X-Twilio-Webhook-Enabled": "true",
            },
            timeout=30,
        )
        assert sent.status_code == 201
        assert app.arrived.wait(10)
        stopper = _in_thread(server.stop)
        stopper.join(timeout=5)
        assert not stopper.is_alive(), "stop() waited for the app"
        release.set()  # the app answers 500 now: a retry would follow, were one left
        time.sleep(0.5)
    finally:
        release.set()
        app.close()
    assert app.accepted == 1
    (attempt,) = flex_channels.webhooks
    assert (attempt.status, attempt.delivered, attempt.error) == (
        None,
        False,
        "abandoned: the server stopped",
    )


@pytest.mark.parametrize("when", ["before connecting", "between connecting and sending"])
def test_an_attempt_abandoned_before_it_sends_says_so(when: str) -> None:
    """CI saw the stop test record "no answer: ConnectionAbortedError(...)" once: the stop came
    between the connection and the first byte. An abandoned attempt reads the same whenever the
    stop comes."""
    app = Listener(lambda connection: connection.recv(1))
    abandon = webhooks_module.Abandon()
    if when == "before connecting":
        abandon.set("abandoned: the server stopped")
    else:
        check = abandon.check

        def stopped_meanwhile() -> None:
            abandon.set("abandoned: the server stopped")
            check()

        abandon.check = stopped_meanwhile  # type: ignore[method-assign]
    try:
        parts = urlsplit(f"http://127.0.0.1:{app.port}/in")
        answer = webhooks_module._over_http(
            "POST", parts, ("127.0.0.1",), app.port, {}, b"", abandon
        )
    finally:
        app.close()
    assert answer == (None, "abandoned: the server stopped", False)


def test_a_control_verb_answers_after_its_webhooks_are_delivered(
    flex_channels: FlexChannelsMock, client: Client, flex_channels_server: FlexServer
) -> None:
    """Over the control API ``agent_reply`` still returns once its webhooks are delivered, as
    it does in process, though they go out from the server's delivery thread."""
    seen: list[str] = []
    flex_channels.route_webhooks(
        "https://bridge.example.com",
        lambda hook: seen.append(threading.current_thread().name) or 200,
    )
    conversation = client.conversations.v1.conversations.create()
    client.conversations.v1.conversations(conversation.sid).webhooks.create(
        target="webhook",
        configuration_url="https://bridge.example.com/in",
        configuration_filters=["onMessageAdded"],
    )
    RemoteFake(flex_channels_server.url).agent_reply(conversation.sid, "Over the control API")
    assert seen == ["flex-channels-webhooks"]


# Every parameter a webhook URL enters by: its path and the rest of a valid form, in a world.
URL_PARAMETERS: dict[str, Callable[[Any], tuple[str, dict[str, str]]]] = {
    "Configuration.Url": lambda w: (
        f"{CHAT}/{w.service}/Channels/{w.channel}/Webhooks",
        {"Type": "webhook"},
    ),
    "PreWebhookUrl": lambda w: (f"{CHAT}/{w.service}", {}),
    "PostWebhookUrl": lambda w: (f"{CHAT}/{w.service}", {}),
    "Configuration.Url@conversations": lambda w: (
        f"{CONVERSATIONS}/Conversations/{w.conversation}/Webhooks",
        {"Target": "webhook"},
    ),
    "AutoCreation.WebhookUrl": lambda w: (
        f"{CONVERSATIONS}/Configuration/Addresses",
        {"Type": "sms", "Address": "+15550100", "AutoCreation.Enabled": "true"},
    ),
    "Integration.Url": lambda w: (
        "https://flex-api.twilio.com/v1/FlexFlows",
        {"FriendlyName": "f", "ChatServiceSid": w.service, "ChannelType": "web"},
    ),
}


@pytest.mark.parametrize("url", ["http://[/", "https://a]b/hook", "http://[not-an-address]/"])
@pytest.mark.parametrize("parameter", sorted(URL_PARAMETERS))
def test_a_url_urlsplit_cannot_split_is_refused_where_it_enters(
    flex_channels: FlexChannelsMock,
    client: Client,
    http: requests.Session,
    parameter: str,
    url: str,
) -> None:
    """The server fuzz found a Chat webhook to ``http://[/`` taken, and its first delivery
    raising ``ValueError`` on the served fake's delivery thread: the thread ended, and every
    control verb after waited for it without end."""
    channel = flex_channels.create_channel(identity="hooked")
    conversation = client.conversations.v1.conversations.create()
    world = SimpleNamespace(
        service=channel.chat_service_sid, channel=channel.sid, conversation=conversation.sid
    )
    path, form = URL_PARAMETERS[parameter](world)
    wire = parameter.partition("@")[0]
    answer = http.post(path, data={**form, wire: url})
    assert (answer.status_code, answer.json()) == (
        400,
        error_body(400, 20001, f"Invalid parameter {wire}: must be an absolute http(s) URL"),
    )
    assert list(flex_channels.webhooks) == []


def test_a_delivery_that_fails_inside_the_fake_does_not_end_the_delivery_thread(
    flex_channels: FlexChannelsMock, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception out of one delivery ended a served fake's delivery thread, and every
    control verb after it waited for its webhooks without end."""
    got: list[str] = []
    flex_channels.route_webhooks("https://bridge.example", lambda request: got.append("in") or 200)
    channel = create(client, flex_channels, "cat")
    service = flex_channels.flex_flow.chat_service_sid
    client.chat.v2.services(service).channels(channel.sid).webhooks.create(
        type="webhook",
        configuration_url="https://bridge.example/in",
        configuration_filters=["onMessageSent"],
    )
    deliver = webhooks_module.Dispatcher.deliver
    failures = iter([True])

    def once_broken(self: Any, *args: Any, **kwargs: Any) -> Any:
        if next(failures, False):
            raise RuntimeError("a bug in delivery")
        return deliver(self, *args, **kwargs)

    monkeypatch.setattr(webhooks_module.Dispatcher, "deliver", once_broken)
    server = flex_channels.serve()
    try:
        remote = RemoteFake(server.url)
        with ThreadPoolExecutor(1) as pool:
            for _ in range(2):
                pool.submit(remote.agent_reply, channel.sid, "hello").result(timeout=10)
    finally:
        server.stop()
    assert got == ["in"]  # the first reply's webhook failed inside the fake, the second went out
