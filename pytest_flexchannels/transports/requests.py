"""requests: Flex hosts are answered under requests' own adapter, by in-memory urllib3
connections, so everything requests and urllib3 do around a request still runs.

``HTTPAdapter.get_connection_with_tls_context`` (the adapter's documented override point for the
pool a request goes to) is wrapped at class level while a fake runs: for a Flex host it returns a
urllib3 pool whose connections hand requests to the fake instead of a socket. The user's own
adapter (``max_retries``), urllib3's pool, retries with ``Retry-After`` and timeouts, session hooks
and streaming all work as against a server. A Twilio host the fake does not model is refused there
with a ``TwilioHostNotFakedError``; every other host goes where it would have gone.
``Session.send`` is wrapped too, only so that an exception ``raise_next`` injects reaches the
caller as itself rather than wrapped as a connection error.
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
from urllib3 import connectionpool
from urllib3.connection import HTTPConnection
from urllib3.response import HTTPResponse
from urllib3.util import parse_url

from .. import interception
from ..api import TWILIO_ORIGIN, Request, Response
from ..errors import TwilioHostNotFakedError
from ..faults import ConnectionDropped, raised
from .wire import answer_headers

_original: Any = None
_original_send: Any = None
_pools: dict[str, connectionpool.HTTPConnectionPool] = {}
_pools_lock = threading.Lock()
# What urllib3 sends when a request names no User-Agent.
_USER_AGENT = f"python-urllib3/{version('urllib3')}"
_CLOSED = "Remote end closed connection without response"  # http.client's words for it
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})  # http.client sends a length for these


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
    fake = interception.current()
    twilio = TWILIO_ORIGIN.match(url) if fake is not None else None
    if fake is None or twilio is None:
        pool: connectionpool.HTTPConnectionPool = _original(
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
        response: requests.Response = _original_send(self, request, **kwargs)
    except _Injected as carrier:
        method, url = request.method or "", request.url or ""
        raise raised(carrier.exception, method, url, request=request) from None
    return response


def install() -> None:
    global _original, _original_send
    if _original is None:
        _original = HTTPAdapter.get_connection_with_tls_context
        _original_send = requests.Session.send
        HTTPAdapter.get_connection_with_tls_context = _get_connection_with_tls_context  # type: ignore[method-assign,assignment]
        requests.Session.send = _send  # type: ignore[method-assign]


def uninstall() -> None:
    global _original, _original_send
    if _original is not None:
        HTTPAdapter.get_connection_with_tls_context = _original  # type: ignore[method-assign]
        requests.Session.send = _original_send  # type: ignore[method-assign]
        _original = _original_send = None


def _pool(origin: str) -> connectionpool.HTTPConnectionPool:
    """The pool of one Flex origin (``https://flex-api.twilio.com``), made on first use."""
    with _pools_lock:
        pool = _pools.get(origin)
        if pool is None:
            parsed = parse_url(origin)
            https = parsed.scheme == "https"
            kind = HTTPSConnectionPool if https else HTTPConnectionPool
            port = parsed.port or (443 if https else 80)
            pool = _pools[origin] = kind(parsed.host or "", port, maxsize=10)
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


class _Body(io.BytesIO):
    """An answer's body, standing where urllib3 and requests keep http.client's response: the
    connection goes back to its pool once the body reads closed, and ``msg`` serves the headers
    requests reads cookies from."""

    def __init__(self, body: bytes, headers: Mapping[str, str]) -> None:
        super().__init__(body)
        self.msg = _Message(headers)

    def isclosed(self) -> bool:
        return self.closed


class _Message:
    """The part of ``http.client.HTTPMessage`` that cookie jars read."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = headers

    def get_all(self, name: str, failobj: Any = None) -> Any:
        wanted = name.lower()  # read twice an answer (Set-Cookie2, Set-Cookie): a scan will do
        found = [value for key, value in self._headers.items() if key.lower() == wanted]
        return found or failobj


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
        default = self.port in (None, self.default_port)
        self._origin = f"{self.scheme}://{self.host}{'' if default else f':{self.port}'}"
        self._host = self._origin.partition("://")[2]
        self._answers: list[tuple[Request, Response]] = []
        self._open = False

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
        given: dict[str, str] = {}
        names = set()
        for name, value in (headers or {}).items():
            # Text as http.client sends it (Latin-1); almost always plain ASCII already.
            given[name] = value if value.__class__ is str and value.isascii() else _wire(value)
            names.add(name.lower())
        sent: dict[str, str] = {}
        if "host" not in names:
            sent["Host"] = self._host
        if "accept-encoding" not in names:
            sent["Accept-Encoding"] = "identity"
        data = _body(body)
        if chunked or "transfer-encoding" in names:
            if "transfer-encoding" not in names:
                sent["Transfer-Encoding"] = "chunked"
        elif "content-length" not in names and (body is not None or method in _WITH_BODY):
            sent["Content-Length"] = str(len(data))
        if "user-agent" not in names:
            sent["User-Agent"] = _USER_AGENT
        sent.update(given)
        request = Request(method, self._origin + url, sent, data)
        self._options = (preload_content, decode_content, enforce_content_length)
        fake = interception.current()
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
        preload, decode, enforce = self._options
        headers = answer_headers(answer)
        body = _Body(answer.body, headers)
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


class _HTTPSConnection(_Connection):
    scheme = "https"
    default_port = 443  # type: ignore[misc]


# Named as urllib3's own, so that the errors urllib3 words (``HTTPSConnectionPool(host=...):
# Read timed out.``) read exactly as against Twilio.
class HTTPSConnectionPool(connectionpool.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection  # type: ignore[assignment]


class HTTPConnectionPool(connectionpool.HTTPConnectionPool):
    ConnectionCls = _Connection
