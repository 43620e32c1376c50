"""The aiohttp adapter, for the ``twilio`` async client (``create_async`` and friends).

``ClientSession._request`` is wrapped at class level while a fake with ``aiohttp=True`` runs:
Flex URLs get an in-memory response from the fake's one request path, every other URL goes to
whatever ``_request`` was installed before (the user's own mock, or the network). Our own seam
rather than aioresponses: aioresponses 0.7.9 cannot build responses for aiohttp 3.14, and its
autospec patch costs a millisecond per start.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from http.client import responses as reasons
from typing import Any
from urllib.parse import urlencode

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ..api import FLEX_ORIGIN, Request, Response
from ..faults import ConnectionDropped

_lock = threading.Lock()
_active: list[AiohttpTransport] = []
_original_request: Any = None


async def _request(session: aiohttp.ClientSession, method: str, url: Any, **kwargs: Any) -> Any:
    target = URL(url)
    if kwargs.get("params"):
        target = target.extend_query(kwargs["params"])
    if _active and FLEX_ORIGIN.match(str(target)):
        return await _active[-1].answer(session, method.upper(), target, kwargs)
    return await _original_request(session, method, url, **kwargs)


def _body(data: Any, json_body: Any) -> bytes:
    if json_body is not None:
        return json.dumps(json_body).encode()
    if data is None:
        return b""
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode()
    return urlencode(list(data.items()) if isinstance(data, dict) else data).encode()


class FakeClientResponse:
    """What ``session.request`` returns for a Flex URL: the parts of ``aiohttp.ClientResponse``
    that clients read (status, headers, ``read``/``text``/``json``, ``raise_for_status``, use
    as an async context manager)."""

    def __init__(self, method: str, url: URL, answer: Response) -> None:
        self.method = method
        self.url = self.real_url = url
        self.status = answer.status or 0
        self.reason = reasons.get(self.status, "")
        self.headers = CIMultiDictProxy(CIMultiDict(answer.headers))
        self.content_type = self.headers.get("Content-Type", "application/octet-stream")
        self.history: tuple[Any, ...] = ()
        self._body = answer.body

    @property
    def ok(self) -> bool:
        return self.status < 400

    async def read(self) -> bytes:
        return self._body

    async def text(self, encoding: str | None = None, errors: str = "strict") -> str:
        return self._body.decode(encoding or "utf-8", errors)

    async def json(self, *, loads: Callable[[str], Any] = json.loads, **_: Any) -> Any:
        return loads(self._body.decode()) if self._body else None

    def raise_for_status(self) -> None:
        if not self.ok:
            info = aiohttp.RequestInfo(self.url, self.method, CIMultiDictProxy(CIMultiDict()))
            raise aiohttp.ClientResponseError(
                info, (), status=self.status, message=self.reason, headers=self.headers
            )

    def release(self) -> None:
        """Nothing to release: the body is in memory."""

    def close(self) -> None:
        """Nothing to close."""

    async def wait_for_close(self) -> None:
        """Nothing to wait for."""

    async def __aenter__(self) -> FakeClientResponse:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.release()


class AiohttpTransport:
    """Serves ``aiohttp.ClientSession`` traffic to Flex hosts from ``handle``."""

    def __init__(self, handle: Callable[[Request], Response]) -> None:
        self._handle = handle
        self._started = False

    def start(self) -> None:
        global _original_request
        with _lock:
            if self._started:
                return
            if not _active:
                _original_request = aiohttp.ClientSession._request
                aiohttp.ClientSession._request = _request  # type: ignore[method-assign,assignment]
            _active.append(self)
            self._started = True

    def stop(self) -> None:
        with _lock:
            if not self._started:
                return
            _active.remove(self)
            self._started = False
            if not _active:
                aiohttp.ClientSession._request = _original_request  # type: ignore[method-assign]

    async def answer(
        self, session: aiohttp.ClientSession, method: str, url: URL, kwargs: dict[str, Any]
    ) -> FakeClientResponse:
        headers = {str(k): str(v) for k, v in session.headers.items()}
        headers.update({str(k): str(v) for k, v in (kwargs.get("headers") or {}).items()})
        auth = kwargs.get("auth") or session.auth
        if isinstance(auth, aiohttp.BasicAuth):
            headers["Authorization"] = auth.encode()
        body = _body(kwargs.get("data"), kwargs.get("json"))
        answer = self._handle(Request(method, str(url), headers, body))
        if answer.delay:
            await asyncio.sleep(answer.delay)
        if answer.exception is not None:
            raise _transport_error(answer.exception, method, str(url))
        response = FakeClientResponse(method, url, answer)
        if kwargs.get("raise_for_status"):
            response.raise_for_status()
        return response


def _transport_error(
    exception: BaseException | type[BaseException], method: str, url: str
) -> BaseException:
    if not isinstance(exception, type):
        return exception
    if exception is ConnectionDropped:
        exception = aiohttp.ClientConnectionError
    return exception(f"injected by the Flex fake: {method} {url}")
