"""The server adapter: the same fake over a real HTTP socket on loopback, for subprocesses and
clients in other languages.

Requests are translated into ``api.Request`` for the fake's one request path; only the test
control routes under ``/__flex/`` are the server's own (state for discovery, reset, seeding).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from ..api import FLEX_ORIGIN, Request
from ..errors import FlexApiError

if TYPE_CHECKING:
    from ..mock import FlexChannelsMock

CONTROL_PREFIX = "/__flex/"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        declared = self.headers.get("Content-Length") or "0"
        # A malformed length reads as no body: the fake then answers as Twilio would (400 for a
        # create missing its fields) instead of the handler failing.
        length = int(declared) if declared.isascii() and declared.isdigit() else 0
        body = self.rfile.read(length) if length else b""
        if self.path.startswith(CONTROL_PREFIX):
            self._control(body)
            return
        url = f"{self.server.url}{self.path}"
        request = Request(self.command, url, dict(self.headers.items()), body)
        answer = self.server.fake.handle(request)
        if answer.delay:
            time.sleep(answer.delay)
        if answer.exception is not None or answer.status is None:
            # An injected transport failure: the connection drops without an answer.
            self.close_connection = True
            self.connection.close()
            return
        self._send(answer.status, answer.headers, answer.body)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = do_OPTIONS = _serve

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _control(self, body: bytes) -> None:
        """``GET /__flex/state``; ``POST /__flex/reset``; ``POST /__flex/channels`` with JSON
        create fields by Python name (the body of ``create_channel``)."""
        fake = self.server.fake
        route = (self.command, self.path[len(CONTROL_PREFIX) :])
        status, payload = 200, None
        try:
            if route == ("POST", "reset"):
                fake.reset()
            elif route == ("POST", "channels"):
                fields = json.loads(body or b"{}")
                payload = fake.create_channel(**fields)._asdict()
                status = 201
            elif route != ("GET", "state"):
                status, payload = 404, {"error": f"no control route {self.command} {self.path}"}
        except (TypeError, ValueError, FlexApiError) as error:  # the caller's mistake, not a crash
            status, payload = 400, {"error": f"{type(error).__name__}: {error}"}
        if payload is None:
            payload = {
                "url": self.server.url,
                "account_sid": fake.account_sid,
                "auth_token": fake.auth_token,
                "flex_flow_sid": fake.flex_flow_sid,
                "seed": fake.seed,
            }
        text = json.dumps(payload, default=str).encode()
        self._send(status, {"Content-Type": "application/json"}, text)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake records every call in ``calls`` instead."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FlexChannelsMock, host: str, port: int) -> None:
        super().__init__((host, port), _Handler)
        self.fake = fake
        bound_host, bound_port = self.server_address[:2]
        name = bound_host.decode() if isinstance(bound_host, bytes) else bound_host
        self.url = f"http://{name}:{bound_port}"


class FlexServer:
    """Serves one fake on ``host:port`` (port 0: any free port) from a background thread."""

    def __init__(self, fake: FlexChannelsMock, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _Server(fake, host, port)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="flex-channels-server", daemon=True
        )

    @property
    def url(self) -> str:
        """The base URL: requests go to ``{url}/v1/Channels``."""
        return self._server.url

    def start(self) -> FlexServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> FlexServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def twilio_http_client(self) -> Any:
        """A ``twilio`` HTTP client that sends Flex requests to this server:
        ``Client(sid, token, http_client=server.twilio_http_client())``."""
        from twilio.http.http_client import TwilioHttpClient

        base = self.url

        class _ToServer(TwilioHttpClient):  # type: ignore[misc]
            def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
                return super().request(method, FLEX_ORIGIN.sub(base, url, count=1), *args, **kwargs)

        return _ToServer()
