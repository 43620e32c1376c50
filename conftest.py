"""Suite-wide guard: no test, of the project or of the examples, may reach the network.

Name resolution and connections to anything but loopback fail loudly, so a request the fake
failed to intercept shows up as an error instead of a call to Twilio.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect


def _loopback(host: object) -> bool:
    if host in ("localhost", None) or not isinstance(host, str):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _loopback(host.decode() if isinstance(host, bytes) else host):
        raise OSError(f"network access in tests is disabled (tried to resolve {host!r})")
    return _real_getaddrinfo(host, *args, **kwargs)


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
        raise OSError(f"network access in tests is disabled (tried to connect to {address!r})")
    _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    patch = pytest.MonkeyPatch()
    patch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)
    patch.setattr(socket.socket, "connect", _guarded_connect)
    yield
    patch.undo()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--slow",
        action="store_true",
        help="also run the tests marked slow (load on a served fake; CI runs them)",
    )
    parser.addoption(
        "--fuzz",
        action="store_true",
        help="also run the tests marked fuzz (long fuzzing runs; CI runs them)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for marker in ("slow", "fuzz"):
        if config.getoption(f"--{marker}"):
            continue
        skip = pytest.mark.skip(reason=f"{marker}: run with --{marker}")
        for item in items:
            if item.get_closest_marker(marker) is not None:
                item.add_marker(skip)
