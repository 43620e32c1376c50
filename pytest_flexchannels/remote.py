"""``RemoteFake``: the control API of a fake served elsewhere (``python -m pytest_flexchannels
serve``, ``fc.serve()``), for a test whose app runs in another process: seed it, inject faults,
read what it was called with.

Standard library only (its methods come from the table of control verbs, which imports no
family): it works beside any mock of ``requests`` a test has started, and in a process that has
no other dependency of this package.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from .control import ControlVerbs

__all__ = ["RemoteFake", "RemoteFakeError"]


class RemoteFakeError(Exception):
    """The control API refused a request: ``status``, its ``message`` and Twilio-style ``code``
    (20000 + the status; None from a server that answered no JSON error)."""

    def __init__(self, status: int, message: str, code: int | None = None) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.code = code


class RemoteFake(ControlVerbs):
    """A served fake, by its base URL (``http://127.0.0.1:PORT``); ``control_token`` when it was
    served with one (``--control-token``, ``control_token=``). Its methods (``state``,
    ``create_channel``, ``fail_next``, ``calls``, ...) are the control verbs, each declared once
    in ``pytest_flexchannels.control``."""

    def __init__(
        self, url: str, *, timeout: float = 10.0, control_token: str | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._control_token = control_token

    def _call(self, method: str, route: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/__flex/{route}", data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self._control_token is not None:
            request.add_header("Authorization", f"Bearer {self._control_token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                text = response.read()
        except urllib.error.HTTPError as refused:
            raise _error(refused.code, refused.read()) from None
        return json.loads(text) if text else None


def _error(status: int, text: bytes) -> RemoteFakeError:
    """A refusal as the server words it: Twilio's ``message`` and ``code``, or the ``error`` of
    earlier releases, or the text itself."""
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    if isinstance(answer, dict):
        message = answer.get("message", answer.get("error"))
        if isinstance(message, str):
            code = answer.get("code")
            return RemoteFakeError(status, message, code if isinstance(code, int) else None)
    return RemoteFakeError(status, text.decode("utf-8", "replace"))
