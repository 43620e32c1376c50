"""HTTP/1.1 as bytes, for the in-memory connections: requests in as a client library writes them,
answers out as a server would send them, so the libraries' own writers and parsers run."""

from __future__ import annotations

from http.client import responses as reasons

from ..core.http import Request, Response

_MAX_HEAD = 1 << 16  # what a real server would accept in a request head, give or take


class RequestReader:
    """Reassembles the requests a client writes on one connection (``Content-Length`` and
    chunked bodies), for an origin such as ``https://flex-api.twilio.com``.

    Header bytes are read as Latin-1, as HTTP servers hand them to applications, so bytes a client
    sent raw reach the fake (and its 401) instead of failing here.
    """

    def __init__(self, origin: str) -> None:
        self._origin = origin
        self._buffer = bytearray()
        self._partial = bytearray()  # the chunks of a chunked body read so far
        self._head: tuple[str, str, dict[str, str]] | None = None
        self._chunked = False
        self._length = 0

    def feed(self, data: bytes) -> list[Request]:
        """The requests that ``data`` completes, in order."""
        self._buffer += data
        done: list[Request] = []
        while True:
            request = self._next()
            if request is None:
                return done
            done.append(request)

    def _next(self) -> Request | None:
        if self._head is None:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > _MAX_HEAD:
                    raise ValueError("request head too large")
                return None
            self._head = self._parse_head(bytes(self._buffer[:end]).decode("latin-1"))
            del self._buffer[: end + 4]
        body = self._chunks() if self._chunked else self._fixed()
        if body is None:
            return None
        method, target, headers = self._head
        self._head = None
        # The absolute form a client sends through a plain-HTTP proxy names the origin itself.
        url = target if target.startswith(("http://", "https://")) else self._origin + target
        return Request(method, url, headers, body)

    def _parse_head(self, head: str) -> tuple[str, str, dict[str, str]]:
        line, *lines = head.split("\r\n")
        method, target, _version = line.split(" ", 2)
        headers: dict[str, str] = {}
        for field in lines:
            name, _, value = field.partition(":")
            name, value = name.strip(), value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        lowered = {name.lower(): value for name, value in headers.items()}
        self._chunked = "chunked" in lowered.get("transfer-encoding", "").lower()
        length = lowered.get("content-length", "0").strip()
        self._length = int(length) if length.isdigit() else 0
        return method, target, headers

    def _fixed(self) -> bytes | None:
        if len(self._buffer) < self._length:
            return None
        body = bytes(self._buffer[: self._length])
        del self._buffer[: self._length]
        return body

    def _chunks(self) -> bytes | None:
        # Each complete chunk is taken off the buffer as it arrives: aiohttp writes a chunked
        # body one write per chunk, and rescanning them all on every write would be quadratic.
        while True:
            end = self._buffer.find(b"\r\n")
            if end < 0:
                return None
            size = int(bytes(self._buffer[:end]).split(b";")[0] or b"0", 16)
            if size == 0:
                trailer = self._buffer.find(b"\r\n\r\n", end)
                if trailer < 0:
                    return None
                del self._buffer[: trailer + 4]
                body = bytes(self._partial)
                self._partial.clear()
                return body
            if len(self._buffer) < end + 2 + size + 2:
                return None
            self._partial += self._buffer[end + 2 : end + 2 + size]
            del self._buffer[: end + 2 + size + 2]


def answer_headers(answer: Response) -> dict[str, str]:
    """An answer's headers as a server sends them: with its ``Content-Length``, except on a 204,
    which has no body to measure, and on a HEAD answer, which gives the GET's."""
    if answer.status == 204 or "Content-Length" in answer.headers:
        return answer.headers
    return {**answer.headers, "Content-Length": str(len(answer.body))}


def status_line(status: int) -> str:
    """``200 OK``: a status and its reason, as an answer's first line and WSGI carry them."""
    return f"{status} {reasons.get(status, 'Unknown')}"


def render(answer: Response) -> bytes:
    """The bytes of an answer on the wire: status line, headers, body."""
    lines = [f"HTTP/1.1 {status_line(answer.status or 500)}"]
    lines += [f"{name}: {value}" for name, value in answer_headers(answer).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + answer.body
