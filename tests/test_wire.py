"""HTTP/1.1 bytes for the in-memory connections: requests read back whole, answers written out."""

from __future__ import annotations

from pytest_flexchannels.core.http import Response
from pytest_flexchannels.transports.wire import RequestReader, render

RAW = (
    b"POST /v1/Channels HTTP/1.1\r\nHost: flex-api.twilio.com\r\nTransfer-Encoding: chunked\r\n"
    b"X-Raw: \xe9\r\n\r\n3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nTrailer: v\r\n\r\n"
    b"GET /v1/Channels?PageSize=5 HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"
)


def test_requests_are_read_whole_however_the_bytes_arrive() -> None:
    for step in (1, 7, len(RAW)):
        reader = RequestReader("https://flex-api.twilio.com")
        read = [r for at in range(0, len(RAW), step) for r in reader.feed(RAW[at : at + step])]
        assert [(r.method, r.url, r.body) for r in read] == [
            ("POST", "https://flex-api.twilio.com/v1/Channels", b"abcdefg"),
            ("GET", "https://flex-api.twilio.com/v1/Channels?PageSize=5", b"hi"),
        ]
        assert read[0].headers["X-Raw"] == "é"  # raw bytes reach the fake as Latin-1


def test_an_absolute_target_names_its_own_origin() -> None:
    reader = RequestReader("https://flex-api.twilio.com")
    (request,) = reader.feed(b"GET http://flex-api.twilio.com/v1/Channels HTTP/1.1\r\n\r\n")
    assert request.url == "http://flex-api.twilio.com/v1/Channels"


def test_answers_carry_their_length_except_a_204() -> None:
    ok = Response(200, {"Content-Type": "application/json"}, b"{}")
    assert (
        render(ok)
        == b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    )
    assert render(Response(204, {}, b"")) == b"HTTP/1.1 204 No Content\r\n\r\n"
