"""requests: Flex hosts are answered under requests' own adapter, in urllib3 pools of in-memory
connections, so everything requests and urllib3 do around a request still runs.

``HTTPAdapter.get_connection_with_tls_context`` (the adapter's documented override point for the
pool a request goes to) is wrapped at class level while a fake runs: for a Flex host it returns a
urllib3 pool whose connections hand requests to the fake instead of a socket. The user's own
adapter (``max_retries``), urllib3's pool, retries with ``Retry-After`` and timeouts, session hooks
and streaming all work as against a server. The pool's ``urlopen`` takes a shortcut for an answer
urllib3 would only pass along (no retry, delay or dropped connection): urllib3's response object
comes straight back, with urllib3's own log line, and its connection machinery is skipped. A
Twilio host the fake does not model is refused with a ``TwilioHostNotFakedError``; every other
host goes where it would have gone. ``Session.send`` is wrapped too, only so that an exception
``raise_next`` injects reaches the caller as itself rather than wrapped as a connection error.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Mapping
from http.client import RemoteDisconnected
from http.client import responses as reasons
from importlib.metadata import version
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3 import connectionpool
from urllib3.connection import HTTPConnection
from urllib3.response import HTTPResponse
from urllib3.util import Retry, parse_url
from urllib3.util.request import rewind_body, set_file_position
from urllib3.util.timeout import _DEFAULT_TIMEOUT

from ..core.errors import TwilioHostNotFakedError
from ..core.faults import ConnectionDropped, raised
from ..core.http import TWILIO_ORIGIN, Request, Response
from . import answering
from .wire import answer_headers

# What the wrappers below replaced (requests' own methods), to hand on to and to put back.
_originals: dict[str, Any] = {}
_installed = False
# An answer the fast path computed and handed to urllib3's path, per thread.
_primed = threading.local()
_pools: dict[str, HTTPConnectionPool | HTTPSConnectionPool] = {}
_pools_lock = threading.Lock()
_log = connectionpool.log
# What urllib3 sends when a request names no User-Agent.
_USER_AGENT = f"python-urllib3/{version('urllib3')}"
_CLOSED = "Remote end closed connection without response"  # http.client's words for it
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})  # http.client sends a length for these
# What urllib3's line for each answer names the protocol: its response's version number before
# 2.3 ("HTTP/11", as it logs against any server), the version text since.
_LOGGED_VERSION = (
    "HTTP/1.1" if tuple(map(int, version("urllib3").split(".")[:2])) >= (2, 3) else "HTTP/11"
)


class _Refused(TwilioHostNotFakedError, requests.ConnectionError):
    """A request to a Twilio host the fake does not model, refused before it left the process."""


class _Injected(Exception):
    """Carries an exception ``raise_next`` injected from the connection through urllib3 and the
    adapter (which would wrap it as a connection error) up to ``Session.send``."""

    def __init__(self, exception: BaseException | type[BaseException]) -> None:
        super().__init__()
        self.exception = exception


def _get_connection_with_tls_context(
    self: HTTPAdapter,
    request: requests.PreparedRequest,
    verify: bool | str | None,
    proxies: dict[str, str] | None = None,
    cert: Any = None,
) -> connectionpool.HTTPConnectionPool:
    url = request.url or ""
    fake = answering.current()
    twilio = TWILIO_ORIGIN.match(url) if fake is not None else None
    if fake is None or twilio is None:
        pool: connectionpool.HTTPConnectionPool = _originals["get_connection_with_tls_context"](
            self, request, verify, proxies=proxies, cert=cert
        )
        return pool
    origin = twilio.group(0).lower()
    known = _pools.get(origin)  # only Flex origins get a pool
    if known is not None:
        return known
    refused = fake.refuse(request.method or "GET", url)
    if refused is not None:
        raise _Refused(refused, request=request)
    return _pool(origin)


def _send(
    self: requests.Session, request: requests.PreparedRequest, **kwargs: Any
) -> requests.Response:
    try:
        response: requests.Response = _originals["Session.send"](self, request, **kwargs)
    except _Injected as carrier:
        method, url = request.method or "", request.url or ""
        raise raised(carrier.exception, method, url, request=request) from None
    return response


_WRAPPERS: dict[str, tuple[Any, str, Any]] = {
    "get_connection_with_tls_context": (
        HTTPAdapter,
        "get_connection_with_tls_context",
        _get_connection_with_tls_context,
    ),
    "Session.send": (requests.Session, "send", _send),
}


def install() -> None:
    global _installed
    if not _installed:
        for key, (owner, name, wrapper) in _WRAPPERS.items():
            _originals[key] = getattr(owner, name)
            setattr(owner, name, wrapper)
        _installed = True


def uninstall() -> None:
    global _installed
    if _installed:
        for key, (owner, name, _wrapper) in _WRAPPERS.items():
            setattr(owner, name, _originals[key])
        _installed = False


def _pool(origin: str) -> HTTPConnectionPool | HTTPSConnectionPool:
    """The pool of one Flex origin (``https://flex-api.twilio.com``), made on first use."""
    with _pools_lock:
        pool = _pools.get(origin)
        if pool is None:
            parsed = parse_url(origin)
            https = parsed.scheme == "https"
            kind: type[HTTPConnectionPool | HTTPSConnectionPool]
            kind = HTTPSConnectionPool if https else HTTPConnectionPool
            port = parsed.port or (443 if https else 80)
            pool = kind(parsed.host or "", port, maxsize=10)
            # What its connections name (as the fast path must name it too).
            pool.origin = _Connection.origin_of(pool.scheme, pool.host, pool.port)
            pool.wire_host = pool.origin.partition("://")[2]
            _pools[origin] = pool
        return pool


def _wire(value: str | bytes) -> str:
    """A header value as a server reads it: the bytes http.client would send, as Latin-1."""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if not value.isascii():
        value.encode("latin-1")  # raises as http.client does for what it cannot send
    return value


def _body(body: Any) -> bytes:
    """The whole body, however requests and urllib3 hand it over (bytes, text, file, chunks)."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    read = getattr(body, "read", None)
    if callable(read):
        data = read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return b"".join(c.encode("utf-8") if isinstance(c, str) else bytes(c) for c in body)


def _compose(
    origin: str, host: str, method: str, url: str, body: Any, headers: Any, chunked: bool
) -> Request:
    """The request as http.client would put it on the wire to ``origin`` (Host, Accept-Encoding,
    length or chunking, urllib3's User-Agent; header values as Latin-1 text)."""
    store: Mapping[str, tuple[str, Any]]
    if headers.__class__ is CaseInsensitiveDict:  # keeps each (name, value) by its lower case
        # Private, but read in place of a copy of every header on every call.
        store = headers._store  # type: ignore[attr-defined]
    else:
        store = {name.lower(): (name, value) for name, value in (headers or {}).items()}
    sent: dict[str, str] = {}
    if "host" not in store:
        sent["Host"] = host
    if "accept-encoding" not in store:
        sent["Accept-Encoding"] = "identity"
    data = _body(body)
    if chunked or "transfer-encoding" in store:
        if "transfer-encoding" not in store:
            sent["Transfer-Encoding"] = "chunked"
    elif "content-length" not in store and (body is not None or method in _WITH_BODY):
        sent["Content-Length"] = str(len(data))
    if "user-agent" not in store:
        sent["User-Agent"] = _USER_AGENT
    for name, value in store.values():
        # Text as http.client sends it (Latin-1); almost always plain ASCII already.
        sent[name] = value if value.__class__ is str and value.isascii() else _wire(value)
    return Request(method, origin + url, sent, data)


def _response(
    request: Request, answer: Response, preload: bool, decode: bool, enforce: bool
) -> HTTPResponse:
    """urllib3's own response object for an answer."""
    assert answer.status is not None
    headers = answer_headers(answer)
    body = _Body(answer.body)
    return HTTPResponse(
        body=body,
        original_response=body,  # type: ignore[arg-type,unused-ignore]
        headers=headers,
        status=answer.status,
        version=11,
        version_string="HTTP/1.1",
        reason=reasons.get(answer.status),
        preload_content=preload,
        decode_content=decode,
        enforce_content_length=enforce,
        request_method=request.method,
        request_url=request.url,
    )


class _NoCookies:
    """The part of ``http.client.HTTPMessage`` that cookie jars read, for an answer of the fake:
    none sets a cookie (requests asks four times an answer; a scan of its headers cost more
    than the rest of building it)."""

    def get_all(self, name: str, failobj: Any = None) -> Any:
        return failobj


class _Body(io.BytesIO):
    """An answer's body, standing where urllib3 and requests keep http.client's response: the
    connection goes back to its pool once the body reads closed, and ``msg`` is what requests
    reads cookies from."""

    msg = _NoCookies()

    def isclosed(self) -> bool:
        return self.closed


class _Connection(HTTPConnection):
    """A urllib3 connection whose far end is the fake: ``request`` hands it the request as
    http.client would put it on the wire (Host, Accept-Encoding, length or chunking, urllib3's
    User-Agent; Latin-1 header bytes), ``getresponse`` answers with urllib3's own response
    object. Everything around it (the pool, retries, timeouts) is urllib3's. TLS options an HTTPS
    pool passes are accepted and unused."""

    scheme = "http"

    def __init__(self, host: str, port: int | None = None, **kwargs: Any) -> None:
        known = ("timeout", "source_address", "blocksize", "socket_options")
        super().__init__(host, port, **{k: v for k, v in kwargs.items() if k in known})
        self._origin = self.origin_of(self.scheme, self.host, self.port)
        self._host = self._origin.partition("://")[2]
        self._answers: list[tuple[Request, Response]] = []
        self._open = False

    @staticmethod
    def origin_of(scheme: str, host: str, port: int | None) -> str:
        """``scheme://host[:port]``, the port named only when it is not the scheme's own."""
        default = port in (None, 443 if scheme == "https" else 80)
        return f"{scheme}://{host}{'' if default else f':{port}'}"

    def connect(self) -> None:
        self._open = True
        self.is_verified = True

    def close(self) -> None:
        self._open = False
        self._answers.clear()

    @property
    def is_closed(self) -> bool:
        return not self._open

    @property
    def is_connected(self) -> bool:
        return self._open

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        body: Any = None,
        headers: Mapping[str, str | bytes] | None = None,
        *,
        chunked: bool = False,
        preload_content: bool = True,
        decode_content: bool = True,
        enforce_content_length: bool = True,
    ) -> None:
        if not self._open:
            self.connect()
        self._options = (preload_content, decode_content, enforce_content_length)
        primed = getattr(_primed, "answer", None)
        if primed is not None:  # answered already, on the fast path, which handed it on here
            _primed.answer = None
            self._answers.append(primed)
            return
        request = _compose(self._origin, self._host, method, url, body, headers, chunked)
        fake = answering.current()
        if fake is None:  # the fake stopped while this connection stayed in a pool
            self._open = False
            return
        self._answers.append((request, fake.handle(request)))

    def getresponse(self) -> HTTPResponse:  # type: ignore[override]
        if not self._answers:
            self.close()
            raise RemoteDisconnected(_CLOSED)
        request, answer = self._answers.pop(0)
        if answer.delay:
            timeout = self.timeout if isinstance(self.timeout, int | float) else None
            if timeout is not None and answer.delay > timeout:
                time.sleep(timeout)
                raise TimeoutError("timed out")  # what a socket read raises: a read timeout
            time.sleep(answer.delay)
        if answer.status is None:
            self.close()
            if answer.exception not in (None, ConnectionDropped):
                raise _Injected(answer.exception)
            raise RemoteDisconnected(_CLOSED)
        return _response(request, answer, *self._options)


class _HTTPSConnection(_Connection):
    scheme = "https"
    default_port = 443  # type: ignore[misc]


class _Answering(connectionpool.HTTPConnectionPool):
    """urllib3's pool, with a shortcut for an answer urllib3 would only pass along.

    When the fake's answer leaves urllib3 nothing to do (no retry its ``Retry`` asks for, no
    redirect, no delay to time out on, no dropped connection), it becomes urllib3's own response
    object here, built as the in-memory connection builds it, without taking a connection from
    the pool. Any other answer goes the whole way through ``urlopen`` (handed to the connection
    already computed, rather than asked of the fake twice).
    """

    origin = wire_host = ""  # the origin its requests name, and their Host (set by ``_pool``)

    def urlopen(  # type: ignore[override]
        self,
        method: str,
        url: str,
        body: Any = None,
        headers: Any = None,
        retries: Retry | bool | int | None = None,
        redirect: bool = True,
        assert_same_host: bool = True,
        timeout: Any = _DEFAULT_TIMEOUT,
        pool_timeout: int | None = None,
        release_conn: bool | None = None,
        chunked: bool = False,
        body_pos: Any = None,
        preload_content: bool = True,
        decode_content: bool = True,
        **response_kw: Any,
    ) -> HTTPResponse:
        if not isinstance(retries, Retry):
            retries = Retry.from_int(retries, redirect=redirect, default=self.retries)
        fake = answering.current()
        whole_way = fake is None or response_kw or self.proxy is not None or url[:1] != "/"
        answer: Response | None = None
        if not whole_way:
            assert fake is not None
            body_pos = set_file_position(body, body_pos)  # where a retry rewinds a file to
            composed = _compose(self.origin, self.wire_host, method, url, body, headers, chunked)
            answer = fake.handle(composed)
            status = answer.status
            if (
                answer.delay
                or status is None
                or 300 <= status < 400
                or retries.is_retry(method, status, bool(answer.headers.get("Retry-After")))
            ):
                if body_pos is not None:
                    rewind_body(body, body_pos)
                _primed.answer = (composed, answer)
            else:
                response = _response(composed, answer, preload_content, decode_content, True)
                response.retries = retries
                response._pool = self
                self.num_requests += 1
                _log.debug(  # urllib3's own line for each request
                    '%s://%s:%s "%s %s %s" %s %s',
                    self.scheme,
                    self.host,
                    self.port,
                    method,
                    url,
                    _LOGGED_VERSION,
                    status,
                    response.length_remaining,
                )
                return response
        try:
            return super().urlopen(  # type: ignore[return-value]
                method,
                url,
                body,
                headers,
                retries,
                redirect,
                assert_same_host,
                timeout=timeout,
                pool_timeout=pool_timeout,
                release_conn=release_conn,
                chunked=chunked,
                body_pos=body_pos,
                preload_content=preload_content,
                decode_content=decode_content,
                **response_kw,
            )
        finally:
            if answer is not None:
                _primed.answer = None


# Named as urllib3's own, so that the errors urllib3 words (``HTTPSConnectionPool(host=...):
# Read timed out.``) read exactly as against Twilio.
class HTTPSConnectionPool(_Answering, connectionpool.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection  # type: ignore[assignment]


class HTTPConnectionPool(_Answering):
    ConnectionCls = _Connection
