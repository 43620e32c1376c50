"""``RemoteFake``: the control API of a fake served elsewhere (``python -m pytest_flexchannels
serve``, ``fc.serve()``), for a test whose app runs in another process: seed it, inject faults,
read what it was called with.

Standard library only: it works beside any mock of ``requests`` a test has started, and in a
process that has no other dependency of this package.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

__all__ = ["RemoteFake", "RemoteFakeError"]


class RemoteFakeError(Exception):
    """The control API refused a request: ``status``, its ``message`` and Twilio-style ``code``
    (20000 + the status; None from a server that answered no JSON error)."""

    def __init__(self, status: int, message: str, code: int | None = None) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.code = code


class RemoteFake:
    """A served fake, by its base URL (``http://127.0.0.1:PORT``); ``control_token`` when it was
    served with one (``--control-token``, ``control_token=``)."""

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

    # --- state --------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """``url``, ``account_sid``, ``auth_token``, ``flex_flow_sid``, ``seed`` and counts."""
        state: dict[str, Any] = self._call("GET", "state")
        return state

    def reset(self) -> None:
        self._call("POST", "reset")

    def create_channel(self, **fields: Any) -> dict[str, Any]:
        """Seed a channel, as ``FlexChannelsMock.create_channel``; returns its record."""
        channel: dict[str, Any] = self._call("POST", "channels", fields)
        return channel

    def channels(self) -> list[dict[str, Any]]:
        channels: list[dict[str, Any]] = self._call("GET", "channels")
        return channels

    def deactivate(self, sid: str, account_sid: str | None = None) -> dict[str, Any]:
        channel: dict[str, Any] = self._call(
            "POST", f"channels/{sid}/deactivate", {"account_sid": account_sid}
        )
        return channel

    def agent_reply(self, sid: str, body: str, **fields: Any) -> dict[str, Any]:
        """The agent answers in a Flex channel's chat or a conversation (``sid``), as
        ``FlexChannelsMock.agent_reply`` (``author``, ``attributes``, ``account_sid``); returns
        the stored message."""
        message: dict[str, Any] = self._call(
            "POST", f"channels/{sid}/agent_reply", {"body": body, **fields}
        )
        return message

    def messages(self, sid: str) -> list[dict[str, Any]]:
        """The messages of a Flex channel's chat or of a conversation, in index order."""
        messages: list[dict[str, Any]] = self._call("GET", f"channels/{sid}/messages")
        return messages

    def end_chat(self, sid: str, account_sid: str | None = None) -> None:
        """The agent ends the chat, on either stack, as ``FlexChannelsMock.end_chat``."""
        self._call("POST", f"channels/{sid}/end_chat", {"account_sid": account_sid})

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward and fire what falls due (``FlexChannelsMock.advance``)."""
        self._call("POST", "clock/advance", {"seconds": seconds})

    def fail_interaction_setup(self, **fields: Any) -> None:
        """The next interactions' channels settle as ``failed`` (``code``, ``message``,
        ``times``), as ``FlexChannelsMock.fail_interaction_setup``."""
        self._call("POST", "interactions/fail_setup", fields)

    def orphans(self) -> list[str]:
        """The conversations and interaction channels left open (``FlexChannelsMock.orphans``)."""
        found: list[str] = self._call("GET", "orphans")
        return found

    def webhooks(self) -> list[dict[str, Any]]:
        """Every webhook delivery attempt, in order."""
        deliveries: list[dict[str, Any]] = self._call("GET", "webhooks")
        return deliveries

    def clear_webhooks(self) -> None:
        self._call("DELETE", "webhooks")

    def add_account(self, sid: str | None = None, auth_token: str | None = None) -> dict[str, Any]:
        account: dict[str, Any] = self._call(
            "POST", "accounts", {"sid": sid, "auth_token": auth_token}
        )
        return account

    def add_api_key(self, account_sid: str | None = None, **fields: Any) -> dict[str, Any]:
        key: dict[str, Any] = self._call("POST", "api_keys", {"account_sid": account_sid, **fields})
        return key

    def add_flex_flow(self, **fields: Any) -> dict[str, Any]:
        flow: dict[str, Any] = self._call("POST", "flex_flows", fields)
        return flow

    # --- faults -------------------------------------------------------------------------------

    def fail_next(self, operation: str | None = None, **fields: Any) -> dict[str, Any]:
        """As ``FlexChannelsMock.fail_next`` (status, code, message, times, after_processing,
        latency, retry_after)."""
        return self._fault("fail", operation, fields)

    def drop_next(self, operation: str | None = None, **fields: Any) -> dict[str, Any]:
        """As ``FlexChannelsMock.raise_next`` with its default: the connection closes without an
        answer (times, after_processing, latency)."""
        return self._fault("drop", operation, fields)

    def delay_next(
        self, operation: str | None = None, *, seconds: float, times: int | None = 1
    ) -> dict[str, Any]:
        return self._fault("delay", operation, {"seconds": seconds, "times": times})

    def _fault(self, kind: str, operation: str | None, fields: dict[str, Any]) -> dict[str, Any]:
        if "times" in fields and fields["times"] is None:  # sticky, until clear_faults()
            fields = {**fields, "times": None, "sticky": True}
        fault: dict[str, Any] = self._call(
            "POST", "faults", {"kind": kind, "operation": operation, **fields}
        )
        return fault

    def faults(self) -> list[dict[str, Any]]:
        faults: list[dict[str, Any]] = self._call("GET", "faults")
        return faults

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    # --- calls --------------------------------------------------------------------------------

    def calls(self, operation: str | None = None, /, **params: str) -> list[dict[str, Any]]:
        """The recorded calls of ``operation`` (any when None) whose wire parameters match."""
        query = {**params, **({"operation": operation} if operation else {})}
        found = self._call("GET", "calls" + (f"?{urlencode(query)}" if query else ""))
        calls: list[dict[str, Any]] = found["calls"]
        return calls

    def clear_calls(self) -> None:
        self._call("DELETE", "calls")


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
