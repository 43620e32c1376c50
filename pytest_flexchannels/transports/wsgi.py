"""The fake as a WSGI application (``fc.wsgi_app``): mount it in httpx's ``WSGITransport``,
werkzeug's test client or any WSGI server; server mode serves it with waitress.

A request becomes the fake's plain ``Request`` and goes down the one request path; the answer goes
back with the CORS headers browsers need. Paths under ``/__flex/`` are the control API
(``pytest_flexchannels/control.py``). Headers arrive as PEP 3333 gives them (Latin-1 text), as the
in-memory transports hand them over.

Browsers are answered from loopback pages only unless ``cors_origins`` says otherwise: a request
carrying another ``Origin`` is refused before authentication, and its preflight granted nothing
(``transports/guard.py`` says why).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from ..core.errors import foreign_origin
from ..core.faults import ConnectionDropped
from ..core.http import CONTROL_PREFIX, Request, Served
from ..core.registry import REGISTRY
from .guard import CorsOrigins, checked_token
from .wire import answer_headers, status_line

StartResponse = Callable[..., Any]
Environ = dict[str, Any]

_PREFLIGHT_HEADERS = "Authorization, Content-Type, Accept, Accept-Charset, User-Agent"
_RENAMED = {"CONTENT_TYPE": "Content-Type", "CONTENT_LENGTH": "Content-Length"}


class Dropped(ConnectionError):
    """An injected fault dropped the connection: there is no answer. A server closes the
    connection without writing one; a caller that runs the application in process sees this."""


class FlexWsgiApp:
    """The WSGI application of one fake. ``sleep`` waits out injected latency; a server passes
    one that its ``stop()`` cuts short, returning True, and the answer is then dropped.

    ``cors_origins``: the pages besides loopback ones a browser may call the Flex API from
    (``"*"``: any). ``control_token``: what every control request must carry as
    ``Authorization: Bearer``, for a fake served on a machine others use.
    """

    def __init__(
        self,
        fake: Served,
        *,
        sleep: Callable[[float], bool | None] = time.sleep,
        cors_origins: str | Iterable[str] | None = None,
        control_token: str | None = None,
    ) -> None:
        self._fake = fake
        self._sleep = sleep
        self._cors = CorsOrigins(cors_origins)
        self._control_token = checked_token(control_token)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path.startswith(CONTROL_PREFIX):
            status, headers, body = self._fake.control(
                _request(environ, method, path), control_token=self._control_token
            )
            start_response(status_line(status), list(headers.items()))
            return [] if method == "HEAD" else [body]
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and not self._cors.allows(origin):
            # Before authentication: a form a foreign page posts is not processed at all.
            return self._refuse(origin, method, start_response)
        cors = self._cors.grant(origin)
        if method == "OPTIONS":
            allowed = REGISTRY.allowed_methods(_origin(environ) + path)
            if allowed is not None:  # a CORS preflight, answered before any authentication
                return self._preflight(environ, allowed, cors, start_response)
        answer = self._fake.handle(_request(environ, method, path))
        if answer.delay and self._sleep(answer.delay):
            raise Dropped("the server stopped during an injected delay")
        if answer.status is None:
            if answer.exception not in (None, ConnectionDropped):
                raise Dropped(f"injected: {answer.exception!r}")
            raise Dropped("injected: the connection closed without an answer")
        headers = {**answer_headers(answer), **cors}
        start_response(status_line(answer.status), list(headers.items()))
        return [answer.body] if answer.body else []

    def _refuse(self, origin: str, method: str, start_response: StartResponse) -> Iterable[bytes]:
        refused = foreign_origin(origin)
        body = json.dumps(refused.body()).encode()
        headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        headers.update(self._cors.grant(None))  # Vary, and no grant
        start_response(status_line(refused.status), list(headers.items()))
        return [] if method == "HEAD" else [body]

    @staticmethod
    def _preflight(
        environ: Environ, allowed: str, cors: dict[str, str], start_response: StartResponse
    ) -> Iterable[bytes]:
        asked = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
        headers = {
            **cors,
            "Access-Control-Allow-Methods": f"{allowed}, OPTIONS",
            "Access-Control-Allow-Headers": asked or _PREFLIGHT_HEADERS,
            "Access-Control-Max-Age": "600",
            "Allow": f"{allowed}, OPTIONS",
        }  # and no Content-Length: HTTP forbids one on a 204
        start_response(status_line(204), list(headers.items()))
        return []


def _host(environ: Environ) -> str:
    host = environ.get("HTTP_HOST")
    if host:
        return str(host)
    name, port = environ.get("SERVER_NAME", "localhost"), str(environ.get("SERVER_PORT", ""))
    default = port == ("443" if environ.get("wsgi.url_scheme") == "https" else "80")
    return name if default or not port else f"{name}:{port}"


def _origin(environ: Environ) -> str:
    return f"{environ.get('wsgi.url_scheme', 'http')}://{_host(environ)}"


def _target(environ: Environ, path: str) -> str:
    """The request target as the client sent it: servers that keep it raw say so; otherwise it
    is put back together from the decoded path (PEP 3333's Latin-1) and the query."""
    raw = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if isinstance(raw, str) and raw.startswith("/"):
        return raw
    target = quote(path.encode("latin-1", "replace"), safe="/;=,@:!$&'()*+~-._")
    target = target if target.startswith("/") else f"/{target}"
    query = environ.get("QUERY_STRING")
    return f"{target}?{query}" if query else target


def _read(environ: Environ) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = str(environ.get("CONTENT_LENGTH") or "")
    if length.isascii() and length.isdigit():
        return bytes(stream.read(int(length))) if int(length) else b""
    # No length: a body the server has already de-chunked ends where its stream ends.
    return bytes(stream.read()) if environ.get("wsgi.input_terminated") else b""


def _headers(environ: Environ) -> dict[str, str]:
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").title()] = value
        elif key in _RENAMED and value:
            headers[_RENAMED[key]] = value
    return headers


def _request(environ: Environ, method: str, path: str) -> Request:
    url = _origin(environ) + _target(environ, path)
    return Request(method, url, _headers(environ), _read(environ))
