"""Minimal static stubs at the fake's own seams: the floors its per-call cost is measured against.

Each answers every request with canned bytes at the point where the fake answers (a urllib3
connection under requests' adapter; an aiohttp connection under the connector), doing no more
than a stub there must: take the request, hand back a fixed answer, let the library's pool reuse
the connection. The difference to the fake is the fake's own work.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Mapping
from typing import Any, ClassVar

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPSConnectionPool
from urllib3.response import HTTPResponse

Answers = Mapping[tuple[str, str], tuple[int, bytes]]  # (method, path) -> (status, JSON body)
HEADERS = {"Content-Type": "application/json"}


class _NoHeaders:
    def get_all(self, name: str, failobj: Any = None) -> Any:
        return failobj


class _Body(io.BytesIO):
    msg = _NoHeaders()  # what requests reads cookies from

    def isclosed(self) -> bool:
        return self.closed


class _StubConnection(HTTPConnection):
    answers: ClassVar[Answers] = {}
    is_verified = True

    def __init__(self, host: str, port: int | None = None, **_tls: Any) -> None:
        super().__init__(host, port)

    def connect(self) -> None:
        self.is_verified = True

    @property
    def is_closed(self) -> bool:
        return False

    @property
    def is_connected(self) -> bool:
        return True

    def request(  # type: ignore[override]
        self, method: str, url: str, body: Any = None, headers: Any = None, **kw: Any
    ) -> None:
        self._sent = (method, url.partition("?")[0], kw)

    def getresponse(self) -> HTTPResponse:  # type: ignore[override]
        method, path, kw = self._sent
        status, payload = self.answers[(method, path)]
        body = _Body(payload)
        return HTTPResponse(
            body=body,
            original_response=body,  # type: ignore[arg-type]
            headers={**HEADERS, "Content-Length": str(len(payload))},
            status=status,
            preload_content=kw.get("preload_content", True),
            decode_content=kw.get("decode_content", True),
            request_method=method,
        )


class SyncStub:
    """Answers requests' traffic to one host from ``answers`` under the adapter, as the fake
    does."""

    def __init__(self, host: str, answers: Answers) -> None:
        connection = type("Connection", (_StubConnection,), {"answers": answers})
        self._pool = type("Pool", (HTTPSConnectionPool,), {"ConnectionCls": connection})(host)
        self._original: Any = None

    def start(self) -> None:
        self._original = HTTPAdapter.get_connection_with_tls_context
        pool = self._pool
        HTTPAdapter.get_connection_with_tls_context = lambda *a, **k: pool  # type: ignore[method-assign]

    def stop(self) -> None:
        HTTPAdapter.get_connection_with_tls_context = self._original  # type: ignore[method-assign]


class _StubTransport(asyncio.Transport):
    def __init__(self, protocol: Any, answers: Answers) -> None:
        super().__init__()
        self._protocol, self._answers, self._buffer = protocol, answers, b""

    def write(self, data: Any) -> None:
        self._buffer += bytes(data)
        head, found, rest = self._buffer.partition(b"\r\n\r\n")
        if not found:
            return
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        if len(rest) < length:
            return
        self._buffer = rest[length:]
        method, target, _ = head.split(b" ", 2)
        status, payload = self._answers[(method.decode(), target.decode().partition("?")[0])]
        reply = b"HTTP/1.1 %d OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
        answer = reply % (status, len(payload)) + payload
        asyncio.get_running_loop().call_soon(self._protocol.data_received, answer)

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        asyncio.get_running_loop().call_soon(self._protocol.connection_lost, None)

    def get_write_buffer_size(self) -> int:
        return 0


class AsyncStub:
    """Answers aiohttp's traffic from ``answers`` under the connector, as the fake does."""

    def __init__(self, answers: Answers) -> None:
        self._answers = answers
        self._original: Any = None

    def start(self) -> None:
        from aiohttp import TCPConnector
        from aiohttp.client_proto import ResponseHandler

        self._original = TCPConnector._create_connection
        answers = self._answers

        async def create(connector: Any, req: Any, traces: Any, timeout: Any) -> Any:
            protocol = ResponseHandler(connector._loop)
            protocol.connection_made(_StubTransport(protocol, answers))
            return protocol

        TCPConnector._create_connection = create  # type: ignore[method-assign]

    def stop(self) -> None:
        from aiohttp import TCPConnector

        TCPConnector._create_connection = self._original  # type: ignore[method-assign]
