"""Webhooks out: signed as Twilio signs them, delivered to the app under test without the
network, and recorded.

Every webhook the fake sends goes through one ``Dispatcher``. It signs the request with the
account's auth token (``X-Twilio-Signature``, as ``twilio.request_validator.RequestValidator``
checks it). A URL that starts with an origin the test routed (``fc.route_webhooks``) goes, in
process, to a WSGI application or a plain callable. A URL whose host is a loopback address or
``localhost`` (an app in a subprocess, or beside a served fake) goes over HTTP, to an address
found without any resolver. Any other URL is never contacted, nor its name looked up: the
delivery is recorded as undelivered. A failed attempt (no answer, 429 or 5xx) is tried again as
often as the webhook's retry count says. Every attempt is recorded in ``fc.webhooks``, which a cap
keeps bounded.

An attempt over HTTP has one deadline (``TIMEOUT``) for connecting, sending and reading, and
reads at most ``MAX_HEAD`` bytes of status line and headers and ``MAX_BODY`` of body, whatever
the app does. In process, webhooks are delivered on the thread that fired them, before the call
returns; a served fake hands them to an ``Outbox``, which delivers them on a thread of its own.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import http.client
import inspect
import io
import ipaddress
import logging
import socket
import ssl
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple
from urllib.parse import unquote, urlencode, urlsplit

USER_AGENT = "TwilioProxy/1.1"
FORM = "application/x-www-form-urlencoded"
# Seconds Twilio gives an attempt (as documented for Chat's webhooks): here for all of it,
# connecting, sending and reading the answer, so an app trickling its answer holds no longer.
TIMEOUT = 5.0
MAX_HEAD = 64 * 1024  # bytes of status line and headers read from an app's answer
MAX_BODY = 64 * 1024  # bytes of an answer's body read: a TwiML or JSON answer, not a stream


def signature(auth_token: str, url: str, params: Mapping[str, str] | None) -> str:
    """``X-Twilio-Signature`` of a request: HMAC-SHA1 keyed by the auth token over the URL and,
    for a form POST, each parameter's name and value in name order; base64."""
    fields = params or {}
    text = url + "".join(f"{name}{fields[name]}" for name in sorted(fields))
    digest = hmac.new(auth_token.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def shown(**configuration: Any) -> dict[str, Any]:
    """A webhook's ``configuration`` as API answers show it: what is set, repeated fields as
    lists (Chat's channel webhooks and Conversations' scoped ones alike)."""
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in configuration.items()
        if value is not None and value != ()
    }


class WebhookRequest(NamedTuple):
    """A webhook as an app receives it: what a plain callable target is given."""

    method: str
    url: str
    headers: dict[str, str]
    params: dict[str, str]
    body: bytes


class Delivery(NamedTuple):
    """One attempt to deliver a webhook: the event, where and how it was sent, and what came of
    it (``status`` None when nothing answered; ``error`` says why)."""

    event: str
    url: str
    method: str
    params: dict[str, str]
    headers: dict[str, str]
    status: int | None
    attempt: int  # 1 for the first attempt, 2 for the first retry, ...
    delivered: bool  # whether anything received it (a routed app, or a loopback server)
    error: str | None
    account_sid: str

    @property
    def failed(self) -> bool:
        return self.status is None or self.status == 429 or self.status >= 500


class Webhook(NamedTuple):
    """A webhook to send: the event, the URL and method, its parameters, and how often a failed
    attempt is tried again."""

    event: str
    url: str
    method: str
    params: dict[str, str]
    retry_count: int = 0


Target = Callable[..., Any]


def _is_wsgi(target: Target) -> bool:
    """A WSGI application takes ``(environ, start_response)``; a plain callable, the request."""
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return True
    positional = [
        p
        for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    return len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in parameters)


def is_loopback(host: str) -> bool:
    """Whether a ``Host`` header's name can only mean this machine to a browser: ``localhost``
    and its subdomains (a fully qualified one too) or a loopback address (an IPv6 one with or
    without brackets). What the control API's guard against DNS rebinding accepts; webhooks go
    to fewer names (``loopback_addresses``)."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_LOCALHOST = ("127.0.0.1", "::1")


def loopback_addresses(host: str) -> tuple[str, ...]:
    """The addresses a webhook to ``host`` may connect to, found without any resolver: a
    loopback address itself, and for ``localhost`` 127.0.0.1 then ::1. Nothing for any other
    name, ``localhost.`` and ``app.localhost`` included: looking one up could ask a nameserver
    off this machine, and its answer could be any address."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return _LOCALHOST
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return ()
    return (str(address),) if address.is_loopback else ()


class WebhookLog(Sequence[Delivery]):
    """Every delivery attempt, in order (with ``max_webhooks``, the latest that many, and in
    ``dropped`` how many older ones made room), with assertion helpers in the style of
    ``calls``."""

    def __init__(self, max_webhooks: int | None = None) -> None:
        if max_webhooks is not None and (isinstance(max_webhooks, bool) or max_webhooks < 1):
            raise ValueError(
                f"max_webhooks must be a positive integer or None, got {max_webhooks!r}"
            )
        self._deliveries: deque[Delivery] = deque(maxlen=max_webhooks)
        self._lock = threading.Lock()
        self.max_webhooks = max_webhooks
        self.dropped = 0

    def record(self, delivery: Delivery) -> None:
        with self._lock:
            if len(self._deliveries) == self.max_webhooks:
                self.dropped += 1
            self._deliveries.append(delivery)

    def __getitem__(self, index: Any) -> Any:
        with self._lock:
            if isinstance(index, slice):
                return list(self._deliveries)[index]
            return self._deliveries[index]

    def __len__(self) -> int:
        return len(self._deliveries)

    def __iter__(self) -> Iterator[Delivery]:
        with self._lock:
            return iter(list(self._deliveries))

    def clear(self) -> None:
        """Forget every attempt (and the count of attempts the cap dropped)."""
        with self._lock:
            self._deliveries.clear()
            self.dropped = 0

    def filter(self, event: str | None = None, *, url: str | None = None) -> list[Delivery]:
        """The attempts of an event (any when None), to URLs that start with ``url``."""
        return [
            d
            for d in self
            if (event is None or d.event == event) and (url is None or d.url.startswith(url))
        ]

    @property
    def undelivered(self) -> list[Delivery]:
        """Attempts nothing received: a URL neither routed nor on this machine, or a loopback
        server that did not answer."""
        return [d for d in self if not d.delivered]

    def assert_delivered(self, event: str, *, times: int | None = None, **params: str) -> None:
        """Some delivered attempt of ``event`` carried these parameters (by wire name, such as
        ``Body="hi"``); with ``times``, exactly that many did."""
        matching = [
            d
            for d in self.filter(event)
            if d.delivered and all(d.params.get(k) == v for k, v in params.items())
        ]
        if (times is None and not matching) or (times is not None and len(matching) != times):
            wanted = "at least once" if times is None else f"{times} time(s)"
            shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
            raise AssertionError(
                f"expected {event} delivered {wanted} with {shown or 'any parameters'}, "
                f"found {len(matching)}.\n{self._listing()}"
            )

    def assert_not_delivered(self, event: str | None = None) -> None:
        found = [d for d in self.filter(event) if d.delivered]
        if found:
            raise AssertionError(f"expected no {event or 'webhook'} delivered.\n{self._listing()}")

    def _listing(self) -> str:
        lines = [
            f"  {d.attempt}. {d.event} {d.method} {d.url} -> "
            f"{d.status if d.status is not None else d.error}"
            for d in self
        ]
        if self.dropped:
            lines.insert(0, f"  ({self.dropped} older attempts dropped: max_webhooks)")
        return "Webhooks sent:\n" + ("\n".join(lines) if lines else "  (none)")


class Abandon:
    """Lets a served fake's stop abandon its deliveries: once ``set``, no attempt starts, the
    sockets of attempts in flight are shut down, and no socket can be registered again, so
    nothing is sent after the stop returns."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self.reason: str | None = None

    def set(self, reason: str) -> None:
        with self._lock:
            self.reason = reason
            for sock in self._sockets:
                # One not connected yet raises here: ``check`` stops it once connected.
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def watch(self, sock: socket.socket) -> None:
        """Register an attempt's socket (or refuse it, after ``set``)."""
        with self._lock:
            if self.reason is not None:
                raise ConnectionAbortedError(self.reason)
            self._sockets.add(sock)

    def check(self) -> None:
        """Refuse to go on after ``set``: called between connecting and sending."""
        if self.reason is not None:
            raise ConnectionAbortedError(self.reason)

    def forget(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)


class Dispatcher:
    """Signs, delivers and records the fake's webhooks."""

    def __init__(self, log: WebhookLog) -> None:
        self.log = log
        self._routes: list[tuple[str, Target, bool]] = []
        self._lock = threading.Lock()
        self._local = threading.local()  # the outbox this thread's webhooks go to, if any

    def route(self, origin: str, target: Target) -> None:
        """Deliver every webhook whose URL starts with ``origin`` to ``target`` in process."""
        with self._lock:
            self._routes.append((origin, target, _is_wsgi(target)))

    @contextmanager
    def deferred(self, outbox: Outbox) -> Iterator[None]:
        """Webhooks this thread sends inside the block go to ``outbox`` instead of being
        delivered now: what a served fake's request threads do, so that none waits on an app."""
        previous = getattr(self._local, "outbox", None)
        self._local.outbox = outbox
        try:
            yield
        finally:
            self._local.outbox = previous

    def send(self, webhook: Webhook, account_sid: str, auth_token: str) -> None:
        """Deliver one webhook now, or hand it to this thread's outbox."""
        outbox: Outbox | None = getattr(self._local, "outbox", None)
        if outbox is not None:
            outbox.put(webhook, account_sid, auth_token)
        else:
            self.deliver(webhook, account_sid, auth_token)

    def deliver(
        self, webhook: Webhook, account_sid: str, auth_token: str, abandon: Abandon | None = None
    ) -> list[Delivery]:
        """Deliver one webhook: again while an attempt fails and retries are left (none once
        ``abandon`` is set)."""
        # The same for every attempt of one webhook (what receivers de-duplicate retries by).
        token = str(
            uuid.uuid5(uuid.NAMESPACE_URL, webhook.url + urlencode(sorted(webhook.params.items())))
        )
        attempts: list[Delivery] = []
        for attempt in range(1, max(0, webhook.retry_count) + 2):
            if abandon is not None and abandon.reason is not None:
                break
            params = dict(webhook.params)
            if attempt > 1:
                params["RetryCount"] = str(attempt - 1)
            delivery = self._attempt(
                webhook, params, attempt, account_sid, auth_token, token, abandon
            )
            self.log.record(delivery)
            attempts.append(delivery)
            if not delivery.failed:
                break
        return attempts

    def _attempt(
        self,
        webhook: Webhook,
        params: dict[str, str],
        attempt: int,
        account_sid: str,
        auth_token: str,
        idempotency: str,
        abandon: Abandon | None,
    ) -> Delivery:
        method = webhook.method.upper()
        url, body = webhook.url, b""
        if method == "GET":
            url += ("&" if urlsplit(url).query else "?") + urlencode(params)
            signed = signature(auth_token, url, None)
        else:
            body = urlencode(params).encode()
            signed = signature(auth_token, url, params)
        headers = {
            "X-Twilio-Signature": signed,
            "User-Agent": USER_AGENT,
            "I-Twilio-Idempotency-Token": idempotency,
            "Accept": "*/*",
        }
        if method != "GET":
            headers["Content-Type"] = FORM
        status, error, delivered = self._deliver(method, url, headers, params, body, abandon)
        return Delivery(
            webhook.event,
            url,
            method,
            params,
            headers,
            status,
            attempt,
            delivered,
            error,
            account_sid,
        )

    def _deliver(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        params: dict[str, str],
        body: bytes,
        abandon: Abandon | None,
    ) -> tuple[int | None, str | None, bool]:
        with self._lock:
            routes = list(self._routes)
        for origin, target, wsgi in routes:
            if url.startswith(origin):
                request = WebhookRequest(method, url, dict(headers), params, body)
                try:
                    status = _call_wsgi(target, request) if wsgi else _call(target, request)
                except Exception as error:  # the app's own failure: Twilio sees a 500
                    return 500, f"the app raised {error!r}", True
                return status, None, True
        parts = urlsplit(url)
        try:
            addresses = loopback_addresses(parts.hostname or "")
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:  # a port out of range, or not a number
            addresses = ()
        if parts.scheme not in ("http", "https") or not addresses:
            return None, "not delivered: neither routed to an app nor on this machine", False
        return _over_http(method, parts, addresses, port, headers, body, abandon or Abandon())


class Outbox:
    """A served fake's webhooks, delivered on a thread of its own one after another, in the
    order they were sent: a request is answered without waiting for an app, so an app that calls
    the fake back, or never answers, holds none of the server's threads. ``close`` drops what
    is queued and abandons what is in flight."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self._dispatcher = dispatcher
        self._abandon = Abandon()
        self._changed = threading.Condition()
        self._queue: deque[tuple[int, Webhook, str, str]] = deque()
        self._sent = 0  # sequence number of the last webhook put
        self._done = 0  # ... and of the last one delivered (or dropped)
        self._local = threading.local()
        self._thread: threading.Thread | None = None

    def put(self, webhook: Webhook, account_sid: str, auth_token: str) -> None:
        with self._changed:
            if self._abandon.reason is not None:
                return
            self._sent += 1
            self._local.last = self._sent
            self._queue.append((self._sent, webhook, account_sid, auth_token))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="flex-channels-webhooks", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()

    def track(self) -> None:
        """Forget what this thread put so far: ``wait`` then waits for what it puts next."""
        self._local.last = 0

    def wait(self) -> None:
        """Wait until every webhook this thread put since ``track`` is delivered (or the outbox
        closed): what a control request waits for, so that ``agent_reply`` over HTTP returns
        after its webhooks, as it does in process."""
        last = getattr(self._local, "last", 0)
        with self._changed:
            self._changed.wait_for(lambda: self._done >= last or self._abandon.reason is not None)

    def close(self, reason: str = "abandoned: the server stopped") -> None:
        """Deliver nothing more: drop what is queued and shut the sockets of attempts in flight
        (no attempt starts again, so nothing is sent after this returns)."""
        with self._changed:
            self._abandon.set(reason)
            self._queue.clear()
            self._changed.notify_all()

    def join(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for the delivery thread to end, after ``close``."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._queue or self._abandon.reason is not None)
                if not self._queue:
                    return
                number, webhook, account_sid, auth_token = self._queue.popleft()
            try:
                self._dispatcher.deliver(webhook, account_sid, auth_token, self._abandon)
            except Exception:  # a bug: logged, and the webhooks behind it still go out
                logging.getLogger(__name__).exception("a webhook delivery failed")
            finally:
                with self._changed:
                    self._done = number
                    self._changed.notify_all()


def _call(target: Target, request: WebhookRequest) -> int:
    answer = target(request)
    if isinstance(answer, int):
        return answer
    status = getattr(answer, "status_code", None)  # a framework's response object
    return status if isinstance(status, int) else 200


def _call_wsgi(app: Target, request: WebhookRequest) -> int:
    """Call a WSGI application with the request as a server would hand it over."""
    parts = urlsplit(request.url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(parts.path or "/").encode().decode("latin-1"),
        "QUERY_STRING": parts.query,
        "SERVER_NAME": parts.hostname or "localhost",
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": parts.scheme,
        "wsgi.input": io.BytesIO(request.body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "HTTP_HOST": parts.netloc.rpartition("@")[2],
        "CONTENT_LENGTH": str(len(request.body)),
    }
    for name, value in request.headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
        else:
            environ[f"HTTP_{key}"] = value
    started: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Callable[..., Any]:
        started[:] = [status]
        return lambda data: None

    answer = app(environ, start_response)
    try:
        size = 0
        for chunk in answer:  # the body, read as a server reads it, up to a bound
            size += len(chunk)
            if size > MAX_BODY:
                break
    finally:
        close = getattr(answer, "close", None)
        if close is not None:
            close()
    return int(started[0].split()[0]) if started else 500


class _Reader(io.RawIOBase):
    """An answer's bytes from its socket, each read given only what is left of the attempt's
    deadline, and no more than ``limit`` bytes in all: what ``http.client`` parses from."""

    def __init__(self, sock: socket.socket, deadline: float, limit: int) -> None:
        self._sock = sock
        self._deadline = deadline
        self._left = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left <= 0:
            raise _TooLong
        self._sock.settimeout(_remaining(self._deadline))
        view = memoryview(buffer).cast("B")[: self._left]
        count = self._sock.recv_into(view)
        self._left -= count
        return count


class _TooLong(Exception):
    """An answer's head went past ``MAX_HEAD``."""


class _Socket:
    """What ``http.client.HTTPResponse`` reads from: a bounded ``_Reader``."""

    def __init__(self, reader: _Reader) -> None:
        self._reader = reader

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(self._reader)


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError(f"no answer within {TIMEOUT:g} s")
    return left


def _connect(
    addresses: tuple[str, ...], port: int, deadline: float, abandon: Abandon
) -> socket.socket:
    """A connection to the first of ``addresses`` that accepts one (no resolver is asked)."""
    failure: OSError = ConnectionRefusedError(f"nothing listens on port {port}")
    for address in addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError as error:  # no IPv6 on this machine
            failure = error
            continue
        try:
            abandon.watch(sock)
            sock.settimeout(_remaining(deadline))
            sock.connect((address, port))
            abandon.check()
            return sock
        except OSError as error:
            abandon.forget(sock)
            sock.close()
            if isinstance(error, ConnectionAbortedError | TimeoutError):
                raise
            failure = error
    raise failure


def _over_http(
    method: str,
    parts: Any,
    addresses: tuple[str, ...],
    port: int,
    headers: dict[str, str],
    body: bytes,
    abandon: Abandon,
) -> tuple[int | None, str | None, bool]:
    """One attempt over HTTP/1.1, within ``TIMEOUT`` in all: (status, error, delivered)."""
    deadline = time.monotonic() + TIMEOUT
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    head = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc.rpartition('@')[2]}"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    if body or method != "GET":
        head.append(f"Content-Length: {len(body)}")
    head.append("Connection: close")
    request = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
    try:
        sock = _connect(addresses, port, deadline, abandon)
    except (OSError, ValueError) as error:
        # Abandoned between connecting and sending: said as such, whichever step saw it first.
        return None, abandon.reason or f"no answer: {error!r}", False
    status: int | None = None
    try:
        if parts.scheme == "https":
            sock.settimeout(_remaining(deadline))
            abandon.forget(sock)
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
            abandon.watch(sock)
        sock.settimeout(_remaining(deadline))
        sock.sendall(request)
        answer = http.client.HTTPResponse(
            _Socket(_Reader(sock, deadline, MAX_HEAD + MAX_BODY)),  # type: ignore[arg-type]
            method=method,
        )
        answer.begin()
        status = answer.status
        if len(answer.read(MAX_BODY + 1)) > MAX_BODY:
            return status, f"the answer's body passed {MAX_BODY} bytes: the rest was not read", True
        return status, None, True
    except _TooLong:
        if status is not None:
            return status, f"the answer's body passed {MAX_BODY} bytes: the rest was not read", True
        return None, f"no answer: its head passed {MAX_HEAD} bytes", True
    except (OSError, http.client.HTTPException, ValueError) as error:
        reason = abandon.reason
        if reason is not None:
            return None, reason, False
        if isinstance(error, TimeoutError):
            error = TimeoutError(f"no answer within {TIMEOUT:g} s")
        if status is not None:  # the app answered, but its answer did not end
            return None, f"no whole answer: status {status}, then {error!r}", True
        return None, f"no answer: {error!r}", False
    finally:
        abandon.forget(sock)
        sock.close()
