"""The ``responses`` adapter: Flex hosts answered inside every ``RequestsMock``, others handed on.

Every started ``RequestsMock`` patches ``HTTPAdapter.send`` and the last one started wins, so a fake
that only lived in its own mock would lose Flex requests to a mock the user starts later (as
``@responses.activate`` always does). While a fake is active, ``RequestsMock._on_request`` is
wrapped at class level: any mock, started before or after the fake, hands Flex URLs to the
fake before walking its own registry. The fake's own ``RequestsMock`` patches ``send`` for the
case where the user runs none, and passes every other host on to whatever ``send`` was installed
when it started (the user's mock, or the network).

Tested with responses 0.25.x and 0.26.x (``_on_request`` is private API: see the pin in
pyproject.toml).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from http.client import responses as reasons
from io import BytesIO
from typing import Any

import requests
import responses
from requests.adapters import HTTPAdapter
from urllib3.response import HTTPResponse

from ..api import FLEX_ORIGIN, Request, Response
from ..faults import ConnectionDropped

_EVERYTHING = re.compile(r".*", re.DOTALL)

_lock = threading.Lock()
_active: list[ResponsesTransport] = []
_original_on_request: Any = None


def _on_request(
    self: responses.RequestsMock,
    adapter: HTTPAdapter,
    request: requests.PreparedRequest,
    **kwargs: Any,
) -> requests.Response:
    if _active and FLEX_ORIGIN.match(request.url or ""):
        return _active[-1].send(adapter, request)
    response: requests.Response = _original_on_request(self, adapter, request, **kwargs)
    return response


def _body(body: object) -> bytes:
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
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    # A generator or other iterable of chunks (streamed uploads).
    return b"".join(c.encode("utf-8") if isinstance(c, str) else bytes(c) for c in body)  # type: ignore[attr-defined]


def _transport_error(
    exception: BaseException | type[BaseException], prepared: requests.PreparedRequest
) -> BaseException:
    if not isinstance(exception, type):
        return exception
    if exception is ConnectionDropped:
        exception = requests.ConnectionError
    message = f"injected by the Flex fake: {prepared.method} {prepared.url}"
    # requests' exceptions take the request, as the ones a real connection raises carry it.
    try:
        return exception(message, request=prepared)  # type: ignore[call-arg]
    except TypeError:
        return exception(message)


class ResponsesTransport:
    """Serves ``requests`` traffic to Flex hosts from ``handle``."""

    def __init__(self, handle: Callable[[Request], Response]) -> None:
        self._handle = handle
        self._mock: responses.RequestsMock | None = None

    def start(self) -> None:
        global _original_on_request
        with _lock:
            if self._mock is not None:
                return
            if not _active:
                _original_on_request = responses.RequestsMock._on_request
                responses.RequestsMock._on_request = _on_request  # type: ignore[method-assign]
            self._mock = responses.RequestsMock(
                assert_all_requests_are_fired=False,
                real_adapter_send=HTTPAdapter.send,
                passthru_prefixes=(_EVERYTHING,),  # type: ignore[arg-type]
            )
            self._mock.start()
            _active.append(self)

    def stop(self) -> None:
        with _lock:
            if self._mock is None:
                return
            self._mock.stop(allow_assert=False)
            self._mock = None
            _active.remove(self)
            if not _active:
                responses.RequestsMock._on_request = _original_on_request  # type: ignore[method-assign]

    def send(self, adapter: HTTPAdapter, prepared: requests.PreparedRequest) -> requests.Response:
        method = prepared.method or "GET"
        answer = self._handle(
            Request(
                method=method,
                url=prepared.url or "",
                headers=dict(prepared.headers),
                body=_body(prepared.body),
            )
        )
        if answer.delay:
            time.sleep(answer.delay)
        if answer.exception is not None:
            raise _transport_error(answer.exception, prepared)
        raw = HTTPResponse(
            body=BytesIO(answer.body),
            headers=answer.headers,
            status=answer.status or 0,
            reason=reasons.get(answer.status or 0),
            preload_content=False,
            decode_content=False,
            request_method=method,
        )
        return adapter.build_response(prepared, raw)
