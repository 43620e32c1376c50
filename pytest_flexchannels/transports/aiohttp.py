"""aiohttp: Twilio hosts are answered under aiohttp's own connector, by in-memory connections, so
the twilio async client and any ``ClientSession`` get real ``ClientResponse`` objects.

``TCPConnector._create_connection`` (where a connector makes a new connection, as aiohttp's own
Unix and named-pipe connectors do differently) is wrapped at class level while a fake runs: for a
Flex host it returns aiohttp's own response protocol on a transport that hands the bytes the
client writes to the fake and feeds its answer back. Everything above it is aiohttp's:
``base_url``, ``raise_for_status``, cookies, traces, keep-alive, and timeouts, which an answer held
back by ``delay_next`` meets as it would meet a slow server. A Twilio host the fake does not model
is refused there with a ``TwilioHostNotFakedError``; every other host goes where it would have
gone. Nothing is imported or patched until aiohttp itself is imported.
"""

from __future__ import annotations

import asyncio
from typing import Any

# Submodules only: this may load while aiohttp's own package is still initialising (imported
# after a fake started), when names like ``aiohttp.TCPConnector`` do not exist yet.
from aiohttp.client_exceptions import ClientConnectionError
from aiohttp.client_proto import ResponseHandler
from aiohttp.client_reqrep import ClientRequest
from aiohttp.connector import TCPConnector

from ..core.errors import TwilioHostNotFakedError
from ..core.faults import ConnectionDropped, raised
from ..core.http import TWILIO_ORIGIN, Request, Response
from . import answering
from .wire import RequestReader, render

_original: Any = None


class _Refused(TwilioHostNotFakedError, ClientConnectionError):
    """A request to a Twilio host the fake does not model, refused before it left the process."""


async def _create_connection(
    self: TCPConnector, req: ClientRequest, traces: Any, timeout: Any
) -> ResponseHandler:
    url = str(req.url)
    fake = answering.current()
    if fake is None or not TWILIO_ORIGIN.match(url):
        protocol: ResponseHandler = await _original(self, req, traces, timeout)
        return protocol
    refused = fake.refuse(req.method, url)
    if refused is not None:
        raise _Refused(refused)
    protocol = ResponseHandler(self._loop)
    origin = f"{req.url.scheme}://{req.url.raw_authority}"
    protocol.connection_made(_Transport(protocol, origin, self._loop))
    return protocol


def install() -> None:
    global _original
    if _original is None:
        _original = TCPConnector._create_connection
        TCPConnector._create_connection = _create_connection  # type: ignore[method-assign]


def uninstall() -> None:
    global _original
    if _original is not None:
        TCPConnector._create_connection = _original  # type: ignore[method-assign]
        _original = None


class _Transport(asyncio.Transport):
    """One in-memory connection: requests written to it go to the fake, answers come back to the
    protocol on the event loop, after an injected delay if any."""

    def __init__(
        self, protocol: ResponseHandler, origin: str, loop: asyncio.AbstractEventLoop
    ) -> None:
        super().__init__()
        self._protocol = protocol
        self._reader = RequestReader(origin)
        self._loop = loop
        self._closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closing:
            return
        for request in self._reader.feed(bytes(data)):
            fake = answering.current()
            if fake is None:  # the fake stopped while this connection stayed in a pool
                self.close()
                return
            answer = fake.handle(request)
            if answer.delay:
                self._loop.call_later(answer.delay, self._answer, request, answer)
            else:
                self._loop.call_soon(self._answer, request, answer)

    def _answer(self, request: Request, answer: Response) -> None:
        if self._closing:  # the client gave up first (a timeout) or closed the connection
            return
        if answer.exception is not None and answer.exception is not ConnectionDropped:
            self._protocol.set_exception(raised(answer.exception, request.method, request.url))
            self.close()
        elif answer.status is None:
            self.close()  # the peer closed without an answer
        else:
            self._protocol.data_received(render(answer))

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            if not self._loop.is_closed():  # a session collected after its loop ended
                self._loop.call_soon(self._protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()

    def get_write_buffer_size(self) -> int:
        return 0

    def can_write_eof(self) -> bool:
        return False

    def pause_reading(self) -> None:
        """Answers arrive whole: nothing to pause."""

    def resume_reading(self) -> None:
        """Answers arrive whole: nothing to resume."""

    def is_reading(self) -> bool:
        return not self._closing
