"""Load on a served fake (``--slow``; CI runs it): what a fuzzer or a long-lived app does to it."""

from __future__ import annotations

import http.client
import json
import socket
from base64 import b64encode
from pathlib import Path

import pytest

from tests.helpers import serve_process

REQUESTS = 100_000
BATCH = 1_000  # requests pipelined on one connection


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _pipelined(address: tuple[str, int], requests: bytes, count: int) -> int:
    """Send ``count`` pipelined requests at once; the number of 404 answers read back."""
    answered, data = 0, b""
    with socket.create_connection(address, timeout=60) as sock:
        sock.sendall(requests)
        while answered < count:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            data += chunk
            answered = data.count(b"HTTP/1.1 404 ")
    return answered


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads memory from /proc")
def test_100000_unimplemented_paths_leave_memory_and_output_flat() -> None:
    process, state = serve_process()
    try:
        host, port = state["url"].removeprefix("http://").split(":")
        credentials = b64encode(f"{state['account_sid']}:{state['auth_token']}".encode())
        head = b"GET /v1/Nothing/%d HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic "
        head += credentials + b"\r\n\r\n"
        address = (host, int(port))
        assert _pipelined(address, b"".join(head % i for i in range(BATCH)), BATCH) == BATCH
        before = _rss_mb(process.pid)
        answered = 0
        for start in range(0, REQUESTS, BATCH):
            batch = b"".join(head % i for i in range(start, start + BATCH))
            answered += _pipelined(address, batch, BATCH)
        after = _rss_mb(process.pid)
        assert answered == REQUESTS
        assert after - before < 50, f"{before:.1f} MB -> {after:.1f} MB"
        # The call log kept its cap (read whole: the head and the body may come apart).
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            connection.request("GET", "/__flex/state", headers={"Host": "localhost"})
            state_now = json.loads(connection.getresponse().read())
        finally:
            connection.close()
        assert (state_now["calls"], state_now["dropped_calls"]) == (10_000, 91_000)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert stderr == f"Flex Channels fake on {state['url']} (Ctrl-C to stop)\n"
