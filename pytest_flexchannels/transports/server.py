"""Server mode: the fake's WSGI application on a real HTTP server (waitress) on loopback, for
apps in subprocesses and clients in other languages.

waitress does the HTTP: HTTP/1.1 keep-alive with ``TCP_NODELAY``, chunked bodies,
``Connection: close`` both ways, 413/431 for a body or head over the limits (answered from the
declared length, without reading the rest), idle connections closed after ``idle_timeout``, and
an event loop in which idle connections hold no thread. This module adds a stop that ends every
connection at once and answers nothing after it, and delivers the webhooks requests fire on a
thread of its own (``webhooks.Outbox``), so that no request thread waits on an app.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterable
from typing import Any, cast

from ..core.http import CONTROL_PREFIX, Served
from ..core.registry import REGISTRY
from .wsgi import Dropped, Environ, FlexWsgiApp, StartResponse

MAX_BODY = 10 * 1024 * 1024  # Flex requests are a few hundred bytes
MAX_HEAD = 64 * 1024
_STOP_WAIT = 0.9  # seconds stop() takes at most: requests inside the fake finish meanwhile
_LINGER = 2.0  # seconds a closing connection reads and discards what the client still sends


def _quiet(name: str, level: int) -> None:
    """waitress logs a busy task queue and every dropped client; a test's output need not show
    them unless the user set the logger up."""
    logger = logging.getLogger(name)
    if logger.level == logging.NOTSET:
        logger.setLevel(level)


def _hardened_channel() -> Any:
    """waitress' connection class with two repairs.

    Its parser refuses with a 400 two heads that make waitress 3.0.2 drop the connection without
    an answer (an uncaught ``ValueError``): a target ``urlsplit`` cannot split (``[``) and a
    ``Content-Length`` of more digits than ``int()`` converts.

    And it closes gracefully. waitress closes a connection it gave up on (a 413, 431 or 400)
    with the rest of the request unread, and the kernel then resets it, which can destroy the
    answer before the client reads it. Here the connection first says it is done writing, then
    reads and discards what the client still sends, for up to ``_LINGER`` seconds, as nginx's
    lingering close does.

    Built for each server, from waitress as imported now: a class kept from an earlier import
    (pytester's in-process runs unload modules they imported) would catch the old module's
    ``ClientDisconnected``, not the one a server raises.
    """
    from waitress.channel import HTTPChannel
    from waitress.parser import HTTPRequestParser, ParsingError

    class Parser(HTTPRequestParser):
        def parse_header(self, header_plus: bytes) -> None:
            try:
                super().parse_header(header_plus)
            except ValueError as error:
                raise ParsingError(f"Bad request head: {error}") from None

    class Channel(HTTPChannel):
        parser_class = Parser
        _linger_until: float | None = None

        def handle_close(self) -> None:
            if self._linger_until is not None or not self.connected or self.socket is None:
                super().handle_close()
                return
            try:
                self.socket.shutdown(socket.SHUT_WR)
            except OSError:  # the client is gone already
                super().handle_close()
                return
            self._linger_until = time.monotonic() + _LINGER
            self.will_close = self.close_when_flushed = False

        def readable(self) -> bool:
            if self._linger_until is None:
                return bool(super().readable())
            if time.monotonic() > self._linger_until:
                super().handle_close()
                return False
            return True

        def writable(self) -> bool:
            return self._linger_until is None and bool(super().writable())

        def handle_read(self) -> None:
            if self._linger_until is None:
                super().handle_read()
                return
            try:
                data = self.recv(65536)
            except OSError:
                data = b""
            if not data:  # the client closed too: done
                super().handle_close()

    return Channel


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


class FlexServer:
    """Serves one fake on ``host:port`` (port 0: any free port) from a background thread.

    ``threads`` answer requests; connections idle longer than ``idle_timeout`` seconds are
    closed; ``max_body`` and ``max_head`` bound what a request may send (413, 431).
    ``cors_origins`` and ``control_token`` are ``FlexWsgiApp``'s: the pages besides loopback ones
    a browser may call the Flex API from, and the token the control API requires.
    """

    def __init__(
        self,
        fake: Served,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        threads: int = 4,
        idle_timeout: int = 60,
        max_body: int = MAX_BODY,
        max_head: int = MAX_HEAD,
        connection_limit: int = 1000,
        cors_origins: str | Iterable[str] | None = None,
        control_token: str | None = None,
    ) -> None:
        try:
            from waitress.channel import ClientDisconnected
            from waitress.server import create_server
        except ImportError as missing:
            raise ImportError(
                "server mode runs on waitress: pip install 'pytest-flexchannels[server]'"
            ) from missing

        self._disconnected = ClientDisconnected
        self._stopping = threading.Event()
        self._busy = threading.Condition()
        self._inside = 0  # requests being answered by the fake right now
        self._fake = fake
        self._outbox = fake.outbox()  # the webhooks requests fire, delivered off their threads
        self.app = FlexWsgiApp(
            fake,
            sleep=self._stopping.wait,
            cors_origins=cors_origins,
            control_token=control_token,
        )
        _quiet("waitress", logging.ERROR)
        # One host and port: a single TcpWSGIServer, not waitress' multi-socket server.
        self._server: Any = cast(Any, create_server)(
            self._serve,
            host=host,
            port=port,
            threads=threads,
            connection_limit=connection_limit,
            channel_timeout=idle_timeout,
            cleanup_interval=max(1, min(idle_timeout, 30)),
            max_request_body_size=max_body,
            max_request_header_size=max_head,
            asyncore_use_poll=True,  # select() stops at 1,024 descriptors
            ident="pytest-flexchannels",
            expose_tracebacks=False,
        )
        self._server.channel_class = _hardened_channel()
        self._thread = threading.Thread(
            target=self._server.run, name="flex-channels-server", daemon=True
        )
        self._started = False

    @property
    def url(self) -> str:
        """The base URL: requests go to ``{url}/v1/Channels``."""
        host = self._server.effective_host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self._server.effective_port}"

    def start(self) -> FlexServer:
        if not self._started:
            self._started = True
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop within a second: no request is answered by the fake after this returns, injected
        delays are cut short, every connection, idle or kept alive, is closed, and webhooks still
        queued or being delivered are abandoned (nothing is sent after this returns)."""
        if self._stopping.is_set():
            return
        deadline = time.monotonic() + _STOP_WAIT
        self._stopping.set()
        self._outbox.close()
        with self._busy:
            self._busy.wait_for(lambda: self._inside == 0, timeout=_left(deadline))
        # Then let waitress' threads finish what they were writing (answers are refused now),
        # so that no socket closes under a thread still sending on it.
        tasks = self._server.task_dispatcher
        while (tasks.active_count or tasks.queue) and time.monotonic() < deadline:
            time.sleep(0.002)
        closing = self._started and self._thread.is_alive()
        if closing:
            try:  # in the server's own loop, which ends when nothing is left to serve
                self._server.trigger.pull_trigger(self._close_all)
            except OSError:  # its wake-up pipe is gone: the loop is not listening any more
                closing = False
            else:
                self._thread.join(timeout=_left(deadline))
        if not closing or self._thread.is_alive():
            self._close_all()
        tasks.shutdown(cancel_pending=True, timeout=min(0.05, _left(deadline)))
        self._outbox.join(_left(deadline))

    def _close_all(self) -> None:
        for dispatcher in list(self._server._map.values()):
            dispatcher.close()
        # The trigger's close leaves the descriptor its poller reads open (waitress 3.0.2).
        trigger = self._server.trigger
        trigger.close()
        if trigger.socket is not None:
            trigger.socket.close()

    def _serve(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        with self._busy:
            if self._stopping.is_set():
                raise self._disconnected("the server is stopping")
            self._inside += 1
        try:
            self._outbox.track()
            with self._fake.deferring(self._outbox):
                answer = self.app(environ, start_response)
            if str(environ.get("PATH_INFO", "")).startswith(CONTROL_PREFIX):
                # A control verb (agent_reply, advance, ...) answers once its webhooks are
                # delivered, as the fake's method does in process.
                self._outbox.wait()
            return answer
        except Dropped:
            raise self._disconnected("injected: dropped") from None
        finally:
            with self._busy:
                self._inside -= 1
                self._busy.notify_all()

    def __enter__(self) -> FlexServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def twilio_http_client(self) -> Any:
        """A ``twilio`` HTTP client that sends requests for the APIs the fake serves to this server:
        ``Client(sid, token, http_client=server.twilio_http_client())``."""
        from twilio.http.http_client import TwilioHttpClient

        base = self.url

        class _ToServer(TwilioHttpClient):  # type: ignore[misc]
            def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
                return super().request(method, REGISTRY.to_served(url, base), *args, **kwargs)

        return _ToServer()
