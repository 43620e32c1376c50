"""Beside the user's own ``responses`` mocks: Flex requests pass through every ``RequestsMock``.

A started ``RequestsMock`` replaces ``HTTPAdapter.send``, so without this a user's mock (started
before or after the fake, as ``@responses.activate`` always is) would refuse Flex URLs it has no
registration for. While a fake runs, ``RequestsMock._on_request`` is wrapped at class level: a Flex
request is sent on with the mock's real ``send`` (the requests adapter, where the fake answers it,
retries included) and recorded in the mock's ``calls`` as responses records what it mocks; every
other request, other Twilio hosts included, is the mock's to answer as before.

``_on_request``, ``_real_send`` and ``_calls`` are private API: tested with responses 0.24.1 to
0.26.x (see the pin in pyproject.toml).
"""

from __future__ import annotations

from typing import Any

import requests
import responses
from requests.adapters import HTTPAdapter

from ..core.registry import REGISTRY

_original: Any = None


def _on_request(
    self: responses.RequestsMock,
    adapter: HTTPAdapter,
    request: requests.PreparedRequest,
    **kwargs: Any,
) -> requests.Response:
    if not REGISTRY.served.match(request.url or ""):
        answer: requests.Response = _original(self, adapter, request, **kwargs)
        return answer
    mock: Any = self  # its real send and call list are not typed for this use
    try:
        response: requests.Response = mock._real_send(adapter, request, **kwargs)
    except Exception as error:
        mock._calls.add(request, error)
        raise
    mock._calls.add(request, response)
    return response


def install() -> None:
    global _original
    if _original is None:
        _original = responses.RequestsMock._on_request
        responses.RequestsMock._on_request = _on_request  # type: ignore[method-assign]


def uninstall() -> None:
    global _original
    if _original is not None:
        responses.RequestsMock._on_request = _original  # type: ignore[method-assign]
        _original = None
