"""requests: Twilio hosts are answered under requests' own adapter, by in-memory urllib3
connections, so everything requests and urllib3 do around a request still runs.

``HTTPAdapter.get_connection_with_tls_context`` (the adapter's documented override point for the
pool a request goes to) is wrapped at class level while a fake runs: for a Flex host it returns a
urllib3 pool whose connections write to and read from the fake instead of a socket. The user's own
adapter (``max_retries``), urllib3's retries with ``Retry-After``, timeouts, session hooks and
streaming all work as against a server; http.client writes the request and parses the answer. A
Twilio host the fake does not model is refused there with a ``TwilioHostNotFakedError``; every other
host goes where it would have gone. ``Session.send`` is wrapped too, only so that an exception
``raise_next`` injects reaches the caller as itself rather than wrapped as a connection error.
"""

from __future__ import annotations

import io
import threading
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3 import connectionpool
from urllib3.connection import HTTPConnection
from urllib3.util import parse_url

from .. import interception
from ..api import TWILIO_ORIGIN, Response
from ..errors import TwilioHostNotFakedError
from ..faults import ConnectionDropped
from .wire import RequestReader, render

_original: Any = None
_original_send: Any = None
_pools: dict[tuple[str, str, int], connectionpool.HTTPConnectionPool] = {}
_pools_lock = threading.Lock()


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
    if fake is None or not TWILIO_ORIGIN.match(url):
        pool: connectionpool.HTTPConnectionPool = _original(
            self, request, verify, proxies=proxies, cert=cert
        )
        return pool
    refused = fake.refuse(request.method or "GET", url)
    if refused is not None:
        raise _Refused(refused, request=request)
    return _pool(url)


def _send(
    self: requests.Session, request: requests.PreparedRequest, **kwargs: Any
) -> requests.Response:
    try:
        response: requests.Response = _original_send(self, request, **kwargs)
    except _Injected as carrier:
        raise _injected(carrier.exception, request) from None
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


def _pool(url: str) -> connectionpool.HTTPConnectionPool:
    parsed = parse_url(url)
    scheme = parsed.scheme or "https"
    key = (scheme, (parsed.host or "").lower(), parsed.port or (443 if scheme == "https" else 80))
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            kind = HTTPSConnectionPool if scheme == "https" else HTTPConnectionPool
            pool = _pools[key] = kind(key[1], key[2], maxsize=10)
        return pool


class _Socket:
    """Where http.client writes a request and reads its answer: the fake, not the network."""

    def __init__(self, origin: str) -> None:
        self._reader = RequestReader(origin)
        self._answers: list[tuple[str, Response]] = []
        self._timeout: float | None = None
        self.closed = False

    def settimeout(self, timeout: float | None) -> None:
        self._timeout = timeout

    def gettimeout(self) -> float | None:
        return self._timeout

    def sendall(self, data: bytes) -> None:
        if self.closed:
            raise BrokenPipeError("the in-memory connection is closed")
        for request in self._reader.feed(bytes(data)):
            fake = interception.current()
            if fake is None:  # the fake stopped while a connection of its stayed in a pool
                self.closed = True
                return
            self._answers.append((request.method, fake.handle(request)))

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BytesIO:
        if not self._answers:
            return io.BytesIO(b"")  # nothing will come: http.client sees the peer close
        method, answer = self._answers.pop(0)
        if answer.delay:
            if self._timeout is not None and answer.delay > self._timeout:
                time.sleep(self._timeout)
                raise TimeoutError("timed out")  # what a socket read raises: a read timeout
            time.sleep(answer.delay)
        if answer.exception is ConnectionDropped or answer.status is None:
            if answer.exception not in (None, ConnectionDropped):
                raise _Injected(answer.exception)
            self.closed = True
            return io.BytesIO(b"")  # the peer closed without an answer
        return io.BytesIO(render(answer, method))

    def close(self) -> None:
        self.closed = True

    def shutdown(self, how: int) -> None:
        self.closed = True


class _Connection(HTTPConnection):
    """A urllib3 connection to the fake; TLS options an HTTPS pool passes are accepted, unused."""

    scheme = "http"

    def __init__(self, host: str, port: int | None = None, **kwargs: Any) -> None:
        known = ("timeout", "source_address", "blocksize", "socket_options")
        super().__init__(host, port, **{k: v for k, v in kwargs.items() if k in known})

    def connect(self) -> None:
        port = "" if self.port in (None, self.default_port) else f":{self.port}"
        self._memory = _Socket(f"{self.scheme}://{self.host}{port}")
        self.sock = self._memory  # type: ignore[assignment,unused-ignore]
        self.is_verified = True

    @property
    def is_connected(self) -> bool:
        return self.sock is not None and not self._memory.closed


class _HTTPSConnection(_Connection):
    scheme = "https"
    default_port = 443  # type: ignore[misc]


def _injected(
    exception: BaseException | type[BaseException], request: requests.PreparedRequest
) -> BaseException:
    """The exception ``raise_next`` asked for; requests' own exceptions carry the request, as
    those of a real connection do."""
    if not isinstance(exception, type):
        return exception
    message = f"injected by the Flex fake: {request.method} {request.url}"
    try:
        return exception(message, request=request)  # type: ignore[call-arg]
    except TypeError:
        return exception(message)


# Named as urllib3's own, so that the errors urllib3 words (``HTTPSConnectionPool(host=...):
# Read timed out.``) read exactly as against Twilio.
class HTTPSConnectionPool(connectionpool.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection  # type: ignore[assignment]


class HTTPConnectionPool(connectionpool.HTTPConnectionPool):
    ConnectionCls = _Connection
