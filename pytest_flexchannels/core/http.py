"""The plain request and response every transport trades with the request path, and the
protocols the transports and the server hold a fake by."""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import AbstractContextManager
from types import MappingProxyType
from typing import NamedTuple, Protocol

from .webhooks import Outbox

# Every Twilio host: while a fake runs, none of them is reached over the network.
TWILIO_ORIGIN = re.compile(
    r"https?://(?:[^/?#@]*@)?(?:[a-z0-9-]+\.)*twilio\.com\.?(?::\d+)?(?=[/?#]|$)", re.IGNORECASE
)


class Request(NamedTuple):
    """A transport-neutral HTTP request: what every adapter hands to ``handle``. (Named tuples:
    built for every request, they cost a fifth of a frozen dataclass.)"""

    method: str
    url: str
    headers: Mapping[str, str] = MappingProxyType({})
    body: bytes = b""


class Response(NamedTuple):
    """What the transport sends back: after ``delay`` seconds, raise ``exception`` if set (an
    injected transport failure, in the adapter's library's terms), else answer ``status``."""

    status: int | None
    headers: dict[str, str]
    body: bytes
    delay: float = 0.0
    exception: BaseException | type[BaseException] | None = None


# Paths under this prefix are the control API (set-up, faults, calls over HTTP), not Flex's.
CONTROL_PREFIX = "/__flex/"


class Served(Protocol):
    """What a transport that serves a fake (WSGI, the server) needs of it: its request path,
    its control API (requests under ``CONTROL_PREFIX``; status, headers, body), and a way
    to deliver the webhooks a request fires off the thread that answers it (the server's)."""

    def handle(self, request: Request) -> Response: ...

    def outbox(self) -> Outbox: ...

    def deferring(self, outbox: Outbox) -> AbstractContextManager[None]: ...

    def control(
        self, request: Request, *, control_token: str | None = None
    ) -> tuple[int, dict[str, str], bytes]: ...


class Answerer(Protocol):
    """What the transports hold while a fake runs: its request path, and its word on a Twilio
    host it does not model."""

    def handle(self, request: Request) -> Response: ...

    def refuse(self, method: str, url: str) -> str | None: ...


def header(headers: Mapping[str, str], name: str) -> str:
    """A request header's value ("" when absent), spelled as given or in any other case (HTTP
    names are case-insensitive): the spelling given is looked up first."""
    value = headers.get(name)
    if value is None:
        lower = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lower), "")
    return value
