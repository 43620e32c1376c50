"""HTTP clients for the ``twilio`` library that answer from a fake directly, with no patching:
``Client(sid, token, http_client=...)`` for code that takes its client by injection."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from twilio.http import AsyncHttpClient, HttpClient
from twilio.http.request import Request as TwilioRequest
from twilio.http.response import Response as TwilioResponse

from ..core.faults import ConnectionDropped, raised
from ..core.http import Request, Response

_logger = logging.getLogger("pytest_flexchannels.twilio")

Handle = Callable[[Request], Response]


def _request(
    method: str,
    url: str,
    params: dict[str, object] | None,
    data: dict[str, object] | None,
    headers: dict[str, str] | None,
    auth: tuple[str, str] | None,
    json_data: bool = False,
) -> tuple[Request, dict[str, Any]]:
    """The fake's request for a helper-library call, encoded as the library's own client would
    send it: a form, or JSON (``json_data``) when the sync client is asked for JSON."""
    query = urlencode([(k, v) for k, v in (params or {}).items() if v is not None], doseq=True)
    if json_data:
        form = json.dumps(data or {})
    else:
        form = urlencode([(k, v) for k, v in (data or {}).items() if v is not None], doseq=True)
    sent = dict(headers or {})
    if auth is not None:
        user, password = (part.encode("latin-1", "replace") for part in auth)
        sent["Authorization"] = "Basic " + base64.b64encode(user + b":" + password).decode()
    target = f"{url}{'&' if '?' in url else '?'}{query}" if query else url
    kwargs: dict[str, Any] = {"method": method.upper(), "url": url, "params": params}
    kwargs |= {"data": data, "headers": headers, "auth": auth}
    return Request(method.upper(), target, sent, form.encode()), kwargs


def _failure(answer: Response, request: Request, dropped: type[BaseException]) -> BaseException:
    """The exception of an answer without a status (an injected transport failure)."""
    if answer.exception is None or answer.exception is ConnectionDropped:
        return dropped(f"the Flex fake dropped the connection: {request.method} {request.url}")
    return raised(answer.exception, request.method, request.url)


class _Answered:
    """What both clients share: each request goes to one fake's ``handle``, recorded where the
    helper library's own clients keep their last request and response."""

    _handle: Handle
    _json = False  # whether JSON operations' data goes as JSON (twilio's sync client)
    _test_only_last_request: TwilioRequest | None
    _test_only_last_response: TwilioResponse | None

    def _ask(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        allow_redirects: bool = False,
    ) -> tuple[Request, Response]:
        # The sync client sends JSON when the call says so; the async one always a form.
        as_json = self._json and (headers or {}).get("Content-Type") == "application/json"
        request, kwargs = _request(method, url, params, data, headers, auth, as_json)
        self._test_only_last_request = TwilioRequest(**kwargs)
        self._test_only_last_response = None
        return request, self._handle(request)

    def _answer(
        self, request: Request, answer: Response, dropped: type[BaseException]
    ) -> TwilioResponse:
        if answer.status is None:
            raise _failure(answer, request, dropped)
        self._test_only_last_response = TwilioResponse(
            answer.status, answer.body.decode("utf-8"), answer.headers
        )
        return self._test_only_last_response


class FakeHttpClient(_Answered, HttpClient):  # type: ignore[misc]
    """A synchronous ``twilio`` HTTP client answered by one fake; timeouts meet its delays."""

    _json = True

    def __init__(self, handle: Handle, timeout: float | None = None) -> None:
        super().__init__(_logger, False, timeout)
        self._handle = handle

    def request(
        self, method: str, url: str, timeout: float | None = None, **fields: Any
    ) -> TwilioResponse:
        import requests

        request, answer = self._ask(method, url, **fields)
        limit = timeout if timeout is not None else self.timeout
        if answer.delay:
            if limit is not None and answer.delay > limit:
                time.sleep(limit)
                raise requests.ReadTimeout(f"the Flex fake answered after {answer.delay} s")
            time.sleep(answer.delay)
        return self._answer(request, answer, requests.ConnectionError)


class FakeAsyncHttpClient(_Answered, AsyncHttpClient):  # type: ignore[misc]
    """An asynchronous ``twilio`` HTTP client answered by one fake; timeouts meet its delays."""

    def __init__(self, handle: Handle, timeout: float | None = None) -> None:
        super().__init__(_logger, True, timeout)
        self._handle = handle

    async def request(
        self, method: str, url: str, timeout: float | None = None, **fields: Any
    ) -> TwilioResponse:
        import aiohttp

        request, answer = self._ask(method, url, **fields)
        limit = timeout if timeout is not None else self.timeout
        if answer.delay:
            await asyncio.wait_for(asyncio.sleep(answer.delay), limit)
        return self._answer(request, answer, aiohttp.ServerDisconnectedError)

    async def close(self) -> None:
        """Nothing to close: no session, no sockets."""
