"""Webhooks out: signed as Twilio signs them, delivered to the app under test without the
network, and recorded.

Every webhook the fake sends goes through one ``Dispatcher``. It signs the request with the
account's auth token (``X-Twilio-Signature``, as ``twilio.request_validator.RequestValidator``
checks it). A URL that starts with an origin the test routed (``fc.route_webhooks``) goes, in
process, to a WSGI application or a plain callable. A loopback URL (an app in a subprocess, or
beside a served fake) goes over HTTP. Any other URL is never contacted: the delivery is recorded
as undelivered. A failed attempt (no answer, 429 or 5xx) is tried again as often as the
webhook's retry count says. Every attempt is recorded in ``fc.webhooks``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import inspect
import io
import ipaddress
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import unquote, urlencode, urlsplit

USER_AGENT = "TwilioProxy/1.1"
FORM = "application/x-www-form-urlencoded"
TIMEOUT = 5.0  # seconds Twilio waits for an answer (as documented for Chat's webhooks)


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
    """A host name that names this machine without asking DNS: ``localhost`` (a fully
    qualified one too) or a loopback address (an IPv6 one with or without brackets)."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class WebhookLog(Sequence[Delivery]):
    """Every delivery attempt, in order, with assertion helpers in the style of ``calls``."""

    def __init__(self) -> None:
        self._deliveries: list[Delivery] = []
        self._lock = threading.Lock()

    def record(self, delivery: Delivery) -> None:
        with self._lock:
            self._deliveries.append(delivery)

    def __getitem__(self, index: Any) -> Any:
        with self._lock:
            return self._deliveries[index]

    def __len__(self) -> int:
        return len(self._deliveries)

    def __iter__(self) -> Iterator[Delivery]:
        with self._lock:
            return iter(list(self._deliveries))

    def clear(self) -> None:
        with self._lock:
            self._deliveries.clear()

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
        return "Webhooks sent:\n" + ("\n".join(lines) if lines else "  (none)")


class Dispatcher:
    """Signs, delivers and records the fake's webhooks."""

    def __init__(self, log: WebhookLog) -> None:
        self.log = log
        self._routes: list[tuple[str, Target, bool]] = []
        self._lock = threading.Lock()

    def route(self, origin: str, target: Target) -> None:
        """Deliver every webhook whose URL starts with ``origin`` to ``target`` in process."""
        with self._lock:
            self._routes.append((origin, target, _is_wsgi(target)))

    def clear_routes(self) -> None:
        with self._lock:
            self._routes.clear()

    def send(self, webhook: Webhook, account_sid: str, auth_token: str) -> list[Delivery]:
        """Deliver one webhook: again while an attempt fails and retries are left."""
        # The same for every attempt of one webhook (what receivers de-duplicate retries by).
        token = str(
            uuid.uuid5(uuid.NAMESPACE_URL, webhook.url + urlencode(sorted(webhook.params.items())))
        )
        attempts: list[Delivery] = []
        for attempt in range(1, max(0, webhook.retry_count) + 2):
            params = dict(webhook.params)
            if attempt > 1:
                params["RetryCount"] = str(attempt - 1)
            delivery = self._attempt(webhook, params, attempt, account_sid, auth_token, token)
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
        status, error, delivered = self._deliver(method, url, headers, params, body)
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
        self, method: str, url: str, headers: dict[str, str], params: dict[str, str], body: bytes
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
        if parts.scheme not in ("http", "https") or not is_loopback(parts.hostname or ""):
            return None, "not delivered: neither routed to an app nor on this machine", False
        return _over_http(method, url, headers, body)


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
        for _ in answer:  # the body, read as a server reads it
            pass
    finally:
        close = getattr(answer, "close", None)
        if close is not None:
            close()
    return int(started[0].split()[0]) if started else 500


def _over_http(
    method: str, url: str, headers: dict[str, str], body: bytes
) -> tuple[int | None, str | None, bool]:
    parts = urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname or "localhost", parts.port, timeout=TIMEOUT)
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    try:
        connection.request(method, target, body=body or None, headers=headers)
        answer = connection.getresponse()
        answer.read()
        return answer.status, None, True
    except (OSError, http.client.HTTPException) as error:
        return None, f"no answer: {error!r}", False
    finally:
        connection.close()
