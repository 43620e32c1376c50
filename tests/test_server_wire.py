"""Server mode on the wire: raw sockets sending what clients, proxies and attackers send, and the
exact bytes that come back. Every input here once crashed a handler, desynchronised a kept-alive
connection, or leaked past a stop."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import sys
import threading
import time
from base64 import b64encode
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from pytest_flexchannels import FlexChannelsMock
from pytest_flexchannels.transports.server import FlexServer
from tests.helpers import error_body


@pytest.fixture
def server(flex_channels: FlexChannelsMock) -> Iterator[FlexServer]:
    with FlexServer(flex_channels) as served:
        yield served


def _connect(server: FlexServer) -> socket.socket:
    address = urlsplit(server.url)
    assert address.hostname is not None and address.port is not None
    return socket.create_connection((address.hostname, address.port), timeout=10)


def _auth(fake: FlexChannelsMock) -> bytes:
    return b"Basic " + b64encode(f"{fake.account_sid}:{fake.auth_token}".encode())


def _answer(sock: socket.socket, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """One answer read off the socket: status, headers (lowercase names), body."""
    response = http.client.HTTPResponse(sock, method=method)
    response.begin()
    body = response.read()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def _closed(sock: socket.socket) -> bool:
    """Whether the server closed the connection (EOF or reset) within the socket's timeout."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def _create(fake: FlexChannelsMock, identity: str) -> bytes:
    return (
        f"FlexFlowSid={fake.flex_flow_sid}&Identity={identity}"
        "&ChatUserFriendlyName=Ada&ChatFriendlyName=Chat"
    ).encode()


def _post(fake: FlexChannelsMock, body: bytes, extra: bytes = b"") -> bytes:
    return (
        b"POST /v1/Channels HTTP/1.1\r\nHost: localhost\r\nAuthorization: "
        + _auth(fake)
        + b"\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        + extra
        + b"Content-Length: %d\r\n\r\n" % len(body)
        + body
    )


def _get(fake: FlexChannelsMock, target: bytes = b"/v1/Channels", extra: bytes = b"") -> bytes:
    return (
        (b"GET " + target + b" HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + _auth(fake))
        + b"\r\n"
        + extra
        + b"\r\n"
    )


def test_requests_on_one_kept_alive_connection(
    flex_channels: FlexChannelsMock, server: FlexServer
) -> None:
    with _connect(server) as sock:
        for i in range(3):
            sock.sendall(_post(flex_channels, _create(flex_channels, f"kept-{i}")))
            status, headers, body = _answer(sock, "POST")
            assert status == 201
            assert headers.get("connection") != "close"
            assert json.loads(body)["sid"] == flex_channels.channels[i].sid
    assert len({c.url for c in flex_channels.calls}) == 1


def test_answers_leave_without_waiting_for_acks(
    flex_channels: FlexChannelsMock, server: FlexServer
) -> None:
    """Nagle's algorithm off on every accepted connection: an answer written in two sends must
    not wait for the client's delayed ACK (that cost 40 ms a call)."""
    with _connect(server) as sock:
        sock.sendall(_get(flex_channels))
        assert _answer(sock)[0] == 200
        accepted = [
            channel.socket
            for channel in list(server._server._map.values())
            if getattr(channel, "addr", None) == sock.getsockname()
        ]
        assert len(accepted) == 1
        assert accepted[0].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (b"GET http://[/v1/Channels HTTP/1.1\r\nHost: localhost\r\n", 400),
        (b"POST /v1/Channels HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n", 400),
        (b"POST /v1/Channels HTTP/1.1\r\nHost: localhost\r\nContent-Length: -5\r\n", 400),
        (b"POST /v1/Channels HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1" + b"0" * 4999, 400),
        (b"POST /v1/Channels HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1" + b"0" * 19, 413),
        (b"POST /v1/Channels HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1" + b"0" * 13, 413),
    ],
    ids=["target http://[", "length abc", "length -5", "5,000 digits", "20 digits", "10^13"],
)
def test_requests_that_cannot_be_framed_are_refused_and_the_connection_closed(
    flex_channels: FlexChannelsMock, server: FlexServer, head: bytes, status: int
) -> None:
    """Nothing after a request whose length is unknown can be trusted to be a request: it is
    answered and the connection closed, so a body is never read as the next request."""
    smuggled = _get(flex_channels, b"/__flex/state")
    with _connect(server) as sock:
        sock.sendall(head + (b"" if head.endswith(b"\r\n") else b"\r\n") + b"\r\n" + smuggled)
        answered, headers, _ = _answer(sock)
        assert (answered, headers["connection"]) == (status, "close")
        assert _closed(sock)
    assert [c.path for c in flex_channels.calls] == []  # the smuggled GET was never served
    with _connect(server) as sock:  # and the server goes on serving
        sock.sendall(_get(flex_channels))
        assert _answer(sock)[0] == 200


@pytest.mark.flex_channels(allow_unmatched=True)
@pytest.mark.parametrize("target", [b"[", b"/v1/Channels/[", b"*"])
def test_targets_that_are_no_urls_are_unknown_paths(
    flex_channels: FlexChannelsMock, server: FlexServer, target: bytes
) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: localhost\r\n\r\n")
        status, _, body = _answer(sock)
        assert (status, json.loads(body)) == (401, error_body(401, 20003, "Authenticate"))
        sock.sendall(_get(flex_channels, target))
        status, _, body = _answer(sock)
        assert (status, json.loads(body)["code"]) == (404, 20404)
        sock.sendall(_get(flex_channels))
        assert _answer(sock)[0] == 200


def test_a_body_is_never_read_as_a_request(
    flex_channels: FlexChannelsMock, server: FlexServer
) -> None:
    smuggled = _get(flex_channels, b"/__flex/state")
    with _connect(server) as sock:
        sock.sendall(_post(flex_channels, smuggled))  # a well-framed body that reads as a request
        status, _, body = _answer(sock, "POST")
        assert (status, json.loads(body)["code"]) == (400, 20001)
        sock.sendall(_get(flex_channels))
        status, _, body = _answer(sock)
        assert (status, "meta" in json.loads(body)) == (200, True)
    assert [c.operation for c in flex_channels.calls] == ["create_channel", "list_channels"]


def test_a_chunked_create_is_created(flex_channels: FlexChannelsMock, server: FlexServer) -> None:
    body = _create(flex_channels, "chunked")
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:10], body[10:]))
    request = (
        b"POST /v1/Channels HTTP/1.1\r\nHost: localhost\r\nAuthorization: "
        + _auth(flex_channels)
        + b"\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
    )
    with _connect(server) as sock:
        sock.sendall(request)
        status, _, answer = _answer(sock, "POST")
        assert status == 201
        sock.sendall(_get(flex_channels))  # the connection stays in step
        assert _answer(sock)[0] == 200
    assert flex_channels.get_channel(json.loads(answer)["sid"]).identity == "chunked"


def test_a_non_ascii_authorization_is_a_401_and_recorded(
    flex_channels: FlexChannelsMock, server: FlexServer
) -> None:
    with _connect(server) as sock:
        sock.sendall(
            b"GET /v1/Channels HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic \xc3\xa9\r\n\r\n"
        )
        status, _, body = _answer(sock)
    assert (status, json.loads(body)) == (401, error_body(401, 20003, "Authenticate"))
    (call,) = flex_channels.calls
    assert (call.status_code, call.headers["Authorization"]) == (401, "Basic \xc3\xa9")


def test_connection_close_is_honoured_both_ways(
    flex_channels: FlexChannelsMock, server: FlexServer
) -> None:
    with _connect(server) as sock:  # the client says close
        sock.sendall(_get(flex_channels, extra=b"Connection: close\r\n"))
        status, headers, _ = _answer(sock)
        assert (status, headers["connection"]) == (200, "close")
        assert _closed(sock)
    with _connect(server) as sock:  # the server says close: after an answer it must give early
        sock.sendall(
            b"POST /v1/Channels HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999999\r\n\r\n"
        )
        status, headers, _ = _answer(sock)
        assert (status, headers["connection"]) == (413, "close")
        assert _closed(sock)
    with _connect(server) as sock:  # HTTP/1.0 without keep-alive
        sock.sendall(b"GET /v1/Channels HTTP/1.0\r\nHost: localhost\r\n\r\n")
        assert _answer(sock)[0] == 401
        assert _closed(sock)


def test_a_100_mb_body_is_refused_without_being_read(
    flex_channels: FlexChannelsMock, server: FlexServer
) -> None:
    """The answer comes from the declared length; the client, still sending, reads it (the
    server discards what follows instead of resetting the connection under the answer)."""
    head = b"POST /v1/Channels HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n"
    with _connect(server) as sock:
        sock.sendall(head % (100 * 1024 * 1024))
        sent = 0
        for _ in range(64):  # 4 MB of the 100, as a client streaming its upload does
            sock.sendall(b"x" * 65536)
            sent += 65536
        status, headers, body = _answer(sock)
        assert _closed(sock)
    assert sent == 4 * 1024 * 1024
    assert (status, headers["connection"]) == (413, "close")
    assert body.startswith(b"Request Entity Too Large")
    assert list(flex_channels.calls) == []


def test_a_head_over_the_limit_is_431(flex_channels: FlexChannelsMock, server: FlexServer) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /v1/Channels HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 70000)
        sock.sendall(b"\r\n\r\n")
        status, headers, _ = _answer(sock)
    assert (status, headers["connection"]) == (431, "close")


def test_a_cors_preflight_is_answered_before_authentication(
    flex_channels: FlexChannelsMock, server: FlexServer
) -> None:
    page = b"Origin: http://localhost:5173\r\n"  # a front-end's dev server: a loopback page
    with _connect(server) as sock:
        asks = b"Access-Control-Request-Method: POST\r\n"
        asks += b"Access-Control-Request-Headers: authorization, content-type\r\n\r\n"
        sock.sendall(b"OPTIONS /v1/Channels HTTP/1.1\r\nHost: localhost\r\n" + page + asks)
        status, headers, body = _answer(sock, "OPTIONS")
        assert (status, body) == (204, b"")
        assert headers["access-control-allow-origin"] == "http://localhost:5173"
        assert headers["vary"] == "Origin"
        assert headers["access-control-allow-methods"] == "GET, POST, OPTIONS"
        assert headers["access-control-allow-headers"] == "authorization, content-type"
        assert headers["access-control-max-age"] == "600"
        # waitress ends the connection after a 204 (it says so), as after every bodiless answer.
        assert headers["connection"] == "close"
    with _connect(server) as sock:
        sock.sendall(_post(flex_channels, _create(flex_channels, "browser"), page))
        status, headers, _ = _answer(sock, "POST")
        assert (status, headers["access-control-allow-origin"]) == (201, "http://localhost:5173")
        assert headers["vary"] == "Origin"
        assert headers["access-control-expose-headers"] == "Twilio-Request-Id, Retry-After"
    assert [c.operation for c in flex_channels.calls] == [
        "create_channel"
    ]  # a preflight is no call


def test_head_is_get_without_a_body(flex_channels: FlexChannelsMock, server: FlexServer) -> None:
    with _connect(server) as sock:
        sock.sendall(_get(flex_channels).replace(b"GET", b"HEAD", 1))
        status, headers, body = _answer(sock, "HEAD")
        assert (status, headers["content-type"], body) == (200, "application/json", b"")
        sock.sendall(_get(flex_channels))  # nothing was left on the wire
        status, _, got = _answer(sock)
        # HTTP: a HEAD answer's length, when given, is the one the GET answer has.
        assert (status, headers["content-length"]) == (200, str(len(got)))


def test_an_unknown_method_is_twilios_405(
    flex_channels: FlexChannelsMock, server: FlexServer
) -> None:
    with _connect(server) as sock:
        sock.sendall(_get(flex_channels).replace(b"GET", b"BREW", 1))
        status, headers, body = _answer(sock)
    assert (status, json.loads(body)) == (405, error_body(405, 20004, "Method not allowed"))
    assert headers["allow"] == "GET, POST"


def test_page_urls_follow_the_host_the_client_called(
    flex_channels: FlexChannelsMock, server: FlexServer
) -> None:
    for i in range(3):
        flex_channels.create_channel(identity=f"paged-{i}")
    with _connect(server) as sock:  # as behind a port mapping: the client called another port
        sock.sendall(
            _get(flex_channels, b"/v1/Channels?PageSize=1").replace(b"localhost", b"localhost:8080")
        )
        _, _, body = _answer(sock)
    page = json.loads(body)
    assert page["meta"]["next_page_url"].startswith(
        "http://localhost:8080/v1/Channels?PageSize=1&Page=1&PageToken=PA"
    )
    assert page["flex_chat_channels"][0]["url"].startswith("http://localhost:8080/v1/Channels/CH")


def test_a_host_that_is_not_a_host_is_not_echoed(
    flex_channels: FlexChannelsMock, server: FlexServer
) -> None:
    flex_channels.create_channel(identity="quoted")
    with _connect(server) as sock:
        sock.sendall(_get(flex_channels).replace(b"localhost", b'a"b'))
        status, _, body = _answer(sock)
    assert status == 200
    page = json.loads(body)  # still JSON: the quote went nowhere
    assert page["flex_chat_channels"][0]["url"].startswith(
        "https://flex-api.twilio.com/v1/Channels/"
    )


def test_control_routes_answer_only_loopback_hosts(
    flex_channels: FlexChannelsMock, server: FlexServer
) -> None:
    with _connect(server) as sock:
        for host, status in ((b"attacker.example", 403), (b"127.0.0.1:80", 200), (b"[::1]", 200)):
            sock.sendall(b"GET /__flex/state HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
            answered, _, body = _answer(sock)
            assert answered == status
            if status == 403:
                refused = "control routes answer only loopback Host headers, not 'attacker.example'"
                assert json.loads(body) == {**error_body(403, 20403, refused), "error": refused}
            else:
                assert json.loads(body)["auth_token"] == flex_channels.auth_token


@pytest.mark.parametrize("host", [b"[", b"a]b", b"[not-an-address]"])
def test_a_host_urlsplit_cannot_split_is_refused_by_the_control_api(
    server: FlexServer, host: bytes
) -> None:
    """The server fuzz found these answered 500 (``urlsplit``'s "Invalid IPv6 URL")."""
    with _connect(server) as sock:
        sock.sendall(b"POST /__flex/reset HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
        status, _, body = _answer(sock, "POST")
    refused = f"control routes answer only loopback Host headers, not {host.decode()!r}"
    assert (status, json.loads(body)) == (
        403,
        {**error_body(403, 20403, refused), "error": refused},
    )


def test_deeply_nested_json_to_the_control_api_is_a_400(
    flex_channels: FlexChannelsMock, server: FlexServer
) -> None:
    body = b"[" * 100000 + b"]" * 100000
    request = (
        b"POST /__flex/channels HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n"
    )
    with _connect(server) as sock:
        sock.sendall(request % len(body) + body)
        status, _, answer = _answer(sock, "POST")
    refused = "the body is not JSON"
    assert (status, json.loads(answer)) == (
        400,
        {**error_body(400, 20400, refused), "error": refused},
    )


def test_stop_closes_a_kept_alive_connection_and_answers_nothing_after(
    flex_channels: FlexChannelsMock,
) -> None:
    server = FlexServer(flex_channels).start()
    sock = _connect(server)
    try:
        sock.sendall(_post(flex_channels, _create(flex_channels, "before")))
        assert _answer(sock, "POST")[0] == 201
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 1.0
        with contextlib.suppress(OSError):  # the server may have closed it already
            sock.sendall(_post(flex_channels, _create(flex_channels, "after")))
        assert _closed(sock)
    finally:
        sock.close()
    assert [c.identity for c in flex_channels.channels] == ["before"]
    with pytest.raises(OSError):
        _connect(server)


def test_stop_cuts_an_injected_delay_short(flex_channels: FlexChannelsMock) -> None:
    server = FlexServer(flex_channels).start()
    flex_channels.delay_next("list_channels", seconds=30)
    sock = _connect(server)
    try:
        sock.sendall(_get(flex_channels))
        time.sleep(0.2)  # the request is inside its delay
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 1.0
        assert _closed(sock)
    finally:
        sock.close()


def test_the_fakes_stop_stops_what_it_served() -> None:
    with FlexChannelsMock(seed=3) as fake:
        server = fake.serve()
        with _connect(server) as sock:
            sock.sendall(_get(fake))
            assert _answer(sock)[0] == 200
    with pytest.raises(OSError):
        _connect(server)


def test_500_idle_sockets_do_not_keep_another_client_waiting(
    flex_channels: FlexChannelsMock, server: FlexServer
) -> None:
    threads = threading.active_count()
    idle = [_connect(server) for _ in range(500)]
    try:
        time.sleep(0.2)  # accepted, every one of them
        assert threading.active_count() == threads  # idle connections hold no thread
        idle[0].sendall(b"GET /v1/Channels HTTP/1.1\r\nHost: localhost\r\n")  # half a request
        started = time.monotonic()
        with _connect(server) as sock:
            sock.sendall(_get(flex_channels))
            assert _answer(sock)[0] == 200
        # Were the idle ones holding every thread, the answer would wait for the idle timeout
        # (60 s); a bound this far below it tells the two apart on a loaded machine too.
        assert time.monotonic() - started < 15.0
    finally:
        for sock in idle:
            sock.close()


def test_idle_connections_are_closed_after_the_idle_timeout(
    flex_channels: FlexChannelsMock,
) -> None:
    with FlexServer(flex_channels, idle_timeout=1) as server, _connect(server) as sock:
        sock.settimeout(5)
        sock.sendall(_get(flex_channels))
        assert _answer(sock)[0] == 200
        started = time.monotonic()
        assert _closed(sock)
        assert 0.5 < time.monotonic() - started < 4.5


def test_an_injected_drop_closes_the_connection_without_an_answer(
    flex_channels: FlexChannelsMock, server: FlexServer
) -> None:
    flex_channels.raise_next("list_channels")
    with _connect(server) as sock:
        sock.sendall(_get(flex_channels))
        assert _closed(sock)
    with _connect(server) as sock:
        sock.sendall(_get(flex_channels))
        assert _answer(sock)[0] == 200


def test_a_server_made_after_waitress_is_imported_again_still_drops_cleanly(
    flex_channels: FlexChannelsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pytester's in-process runs unload the modules they imported: a server made afterwards
    must use waitress as imported now (a class kept from before caught the old module's
    ClientDisconnected and answered an injected drop with a 500)."""
    FlexServer(flex_channels).stop()
    for name in [name for name in sys.modules if name.split(".")[0] == "waitress"]:
        monkeypatch.delitem(sys.modules, name)
    flex_channels.raise_next("list_channels")
    with FlexServer(flex_channels) as server, _connect(server) as sock:
        sock.sendall(_get(flex_channels))
        assert _closed(sock)


def test_server_mode_without_waitress_says_what_to_install(
    flex_channels: FlexChannelsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "waitress.server", None)
    with pytest.raises(ImportError, match=r"pip install 'pytest-flexchannels\[server\]'"):
        flex_channels.serve()


def test_threads_share_one_store(flex_channels: FlexChannelsMock, server: FlexServer) -> None:
    def create(worker: int) -> None:
        with _connect(server) as sock:
            for i in range(25):
                sock.sendall(_post(flex_channels, _create(flex_channels, f"w{worker}-{i}")))
                assert _answer(sock, "POST")[0] == 201

    workers = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(flex_channels.channels) == 200
    assert len({c.request_id for c in flex_channels.calls}) == 200
