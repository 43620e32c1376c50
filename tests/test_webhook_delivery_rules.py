"""Webhook delivery rules pinned one by one: what status a routed app's answer counts as (an
int, a framework's response object, anything else; a WSGI app's status line, or none), which
URLs are never contacted, how a GET reaches a loopback app (its query kept, no body), and the
log read by index and slice. Retries follow Twilio's documented policy for 5xx answers
(https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides); the rest is
modelled on what a web server does."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock
from pytest_flexchannels.core.webhooks import WebhookRequest

BRIDGE = "https://bridge.example.com"


def _chat_message(
    fake: FlexChannelsMock, client: Client, url: str, *, retry_count: int = 0, method: str = "POST"
) -> None:
    """One onMessageSent to ``url`` from a chat channel's webhook that retries as asked."""
    service = client.chat.v2.services(fake.flex_flow.chat_service_sid)
    channel = service.channels.create()
    service.channels(channel.sid).webhooks.create(
        type="webhook",
        configuration_url=url,
        configuration_method=method,
        configuration_filters=["onMessageSent"],
        configuration_retry_count=retry_count,
    )
    service.channels(channel.sid).messages.create(body="hi", x_twilio_webhook_enabled="true")


class _Answer:
    """What a web framework's handler gives back: an object with a ``status_code``."""

    def __init__(self, status_code: Any) -> None:
        self.status_code = status_code


@pytest.mark.parametrize(
    ("answer", "statuses"),
    [
        pytest.param(204, [204], id="an-int"),
        pytest.param(_Answer(503), [503, 503], id="a-response-object-retried"),
        pytest.param(_Answer(201), [201], id="a-response-object"),
        pytest.param(_Answer("503"), [200], id="a-status-that-is-not-an-int"),
        pytest.param(None, [200], id="nothing"),
        pytest.param("OK", [200], id="a-string"),
    ],
)
def test_a_routed_callables_answer_counts_as_its_status_or_else_200(
    flex_channels: FlexChannelsMock, client: Client, answer: Any, statuses: list[int]
) -> None:
    """A callable answers an int, or a framework's response (its ``status_code``); anything
    else is taken as the 200 a handler that returns normally gives (modelled). A 5xx is retried
    as the webhook's retry count says."""
    flex_channels.route_webhooks(BRIDGE, lambda request: answer)
    _chat_message(flex_channels, client, f"{BRIDGE}/in", retry_count=1)
    assert [d.status for d in flex_channels.webhooks] == statuses
    assert all(d.delivered and d.error is None for d in flex_channels.webhooks)


def test_a_wsgi_apps_status_line_counts_and_one_that_starts_no_response_is_500(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """A WSGI app's status is the first word of the status it starts (its body a plain list,
    with no ``close``); an app that never calls ``start_response`` is the 500 a server would
    answer (modelled on PEP 3333 servers)."""
    seen: list[dict[str, Any]] = []

    def accepting(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ)
        start_response("202 Accepted", [("Content-Type", "text/plain")])
        return [b"ok"]

    def silent(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        return []

    flex_channels.route_webhooks(f"{BRIDGE}/ok", accepting)
    flex_channels.route_webhooks(f"{BRIDGE}/silent", silent)
    _chat_message(flex_channels, client, f"{BRIDGE}/ok?team=a")
    _chat_message(flex_channels, client, f"{BRIDGE}/silent")
    assert [(d.url, d.status, d.delivered) for d in flex_channels.webhooks] == [
        (f"{BRIDGE}/ok?team=a", 202, True),
        (f"{BRIDGE}/silent", 500, True),
    ]
    (environ,) = seen
    assert (environ["PATH_INFO"], environ["QUERY_STRING"], environ["wsgi.url_scheme"]) == (
        "/ok",
        "team=a",
        "https",
    )
    assert environ["SERVER_PORT"] == "443" and environ["HTTP_HOST"] == "bridge.example.com"


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:99999/in",
        "http://localhost:port/in",
        "http://localhost./in",
        "http://10.0.0.1/in",
    ],
)
def test_a_url_neither_routed_nor_on_this_machine_is_never_contacted(
    flex_channels: FlexChannelsMock, client: Client, url: str
) -> None:
    """A port out of range or not a number, a name other than
    ``localhost`` and an address off the machine are all refused before any connection (the
    fake contacts loopback only, and asks no resolver)."""
    _chat_message(flex_channels, client, url)
    (attempt,) = flex_channels.webhooks
    assert (attempt.status, attempt.delivered, attempt.error) == (
        None,
        False,
        "not delivered: neither routed to an app nor on this machine",
    )


@pytest.fixture
def loopback() -> Iterator[list[tuple[str, dict[str, str], bytes]]]:
    """A loopback HTTP app keeping each request's line, headers and body (answering 200)."""
    got: list[tuple[str, dict[str, str], bytes]] = []

    class App(BaseHTTPRequestHandler):
        def _keep(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            got.append((self.requestline, dict(self.headers), self.rfile.read(length)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = _keep

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), App)
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    got.append(("", {"port": str(server.server_address[1])}, b""))
    try:
        yield got
    finally:
        server.shutdown()
        server.server_close()


def test_a_get_reaches_a_loopback_app_with_its_query_and_no_body(
    flex_channels: FlexChannelsMock,
    client: Client,
    loopback: list[tuple[str, dict[str, str], bytes]],
) -> None:
    """A GET webhook carries its parameters after the URL's own query, and sends no body and no
    Content-Length; a POST sends its form with its length."""
    port = loopback.pop(0)[1]["port"]
    _chat_message(flex_channels, client, f"http://127.0.0.1:{port}/in?team=a", method="GET")
    _chat_message(flex_channels, client, f"http://127.0.0.1:{port}/in")
    (line, headers, body), (post_line, post_headers, post_body) = loopback
    assert line.startswith("GET /in?team=a&EventType=onMessageSent&") and line.endswith(" HTTP/1.1")
    assert "Content-Length" not in headers and body == b""
    assert post_line == "POST /in HTTP/1.1"
    assert int(post_headers["Content-Length"]) == len(post_body) > 0
    assert [(d.method, d.status, d.delivered) for d in flex_channels.webhooks] == [
        ("GET", 200, True),
        ("POST", 200, True),
    ]


def test_the_log_reads_by_index_and_by_slice(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    got: list[WebhookRequest] = []
    flex_channels.route_webhooks(BRIDGE, lambda request: got.append(request) or 500)
    _chat_message(flex_channels, client, f"{BRIDGE}/in", retry_count=2)
    log = flex_channels.webhooks
    assert [d.attempt for d in log[0:2]] == [1, 2] and isinstance(log[0:2], list)
    assert (log[0].attempt, log[-1].attempt, len(log)) == (1, 3, 3)
    assert [d.attempt for d in log[::-1]] == [3, 2, 1]
