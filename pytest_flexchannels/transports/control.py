"""The control API under ``/__flex/``: what the fixture offers a test in process, over HTTP, for
tests that drive an app in another process (set-up, faults, recorded calls, the simulated
agent and the webhooks it sent).

Each route is declared once in ``ROUTES``: its method and path, the JSON fields it takes with
their types, and the fake's method it calls. Bodies are JSON objects; a field the route does not
take, a value of the wrong type or a value the fake refuses is a 400 naming it.

A web page must not drive the fake. Routes answer only requests whose ``Host`` is a loopback name
(a page cannot reach them through DNS rebinding) and that carry no ``Origin`` but a loopback one
(a browser sends one on every cross-origin ``POST`` and ``DELETE``, even without a body); a body
must be declared JSON, which a page cannot send without a preflight, and preflights are granted
nothing. A served fake may also require a token (``Authorization: Bearer``). Every refusal is a
Twilio error body (code 20000 + the status), its message also under ``error``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qsl, unquote

from ..core import surrogates
from ..core.calls import Call
from ..core.errors import EXPECTED_TEXT, FlexApiError, UnknownSidError, http_error
from ..core.faults import ConnectionDropped, Fault
from ..core.http import CONTROL_PREFIX, Request, header
from ..core.urls import split
from ..core.webhooks import is_loopback
from ..flex.channels import CREATE_FIELDS
from .guard import bearer, loopback_origin, token_matches

if TYPE_CHECKING:
    from ..mock import FlexChannelsMock

_JSON = {"Content-Type": "application/json"}
_TEXT, _INT, _BOOL, _NUMBER = (str,), (int,), (bool,), (int, float)
_OBJECT = (str, dict, list)  # pre-engagement data and task attributes: JSON text or a value
# create_channel's fields (the create parameters by Python name) and the account to seed.
_CHANNEL_FIELDS: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(CREATE_FIELDS, _TEXT),
    "pre_engagement_data": _OBJECT,
    "task_attributes": _OBJECT,
    "long_lived": _BOOL,
    "account_sid": _TEXT,
}
_FAULT_FIELDS: dict[str, tuple[type, ...]] = {
    "kind": _TEXT,
    "operation": _TEXT,
    "status": _INT,
    "code": _INT,
    "message": _TEXT,
    "times": _INT,
    "sticky": _BOOL,
    "after_processing": _BOOL,
    "latency": _NUMBER,
    "retry_after": _INT,
    "seconds": _NUMBER,
}
_FAULT_KINDS = {
    # kind -> the fields it takes besides kind, operation and times
    "fail": ("status", "code", "message", "after_processing", "latency", "retry_after"),
    "drop": ("after_processing", "latency"),
    "delay": ("seconds",),
}
_SID = re.compile(r"[A-Za-z0-9]{1,64}")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="pytest-flexchannels control API"'}


class ControlError(Exception):
    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = dict(headers or {})


class Route(NamedTuple):
    method: str
    path: str  # with ``{sid}`` where a SID stands
    fields: Mapping[str, tuple[type, ...]]
    run: Callable[[FlexChannelsMock, dict[str, Any]], tuple[int, Any]]


def _state(fake: FlexChannelsMock, _: dict[str, Any]) -> tuple[int, Any]:
    return 200, {
        "account_sid": fake.account_sid,
        "auth_token": fake.auth_token,
        "flex_flow_sid": fake.flex_flow_sid,
        "seed": fake.seed,
        "channels": len(fake.channels),
        "calls": len(fake.calls),
        "dropped_calls": fake.calls.dropped,
        "webhooks": len(fake.webhooks),
        "dropped_webhooks": fake.webhooks.dropped,
    }


def _reset(fake: FlexChannelsMock, _: dict[str, Any]) -> tuple[int, Any]:
    fake.reset()
    return 204, None


def _create_channel(fake: FlexChannelsMock, fields: dict[str, Any]) -> tuple[int, Any]:
    return 201, jsonable(fake.create_channel(**fields))


def _channels(fake: FlexChannelsMock, _: dict[str, Any]) -> tuple[int, Any]:
    return 200, [jsonable(channel) for channel in fake.channels]


def _deactivate(fake: FlexChannelsMock, fields: dict[str, Any]) -> tuple[int, Any]:
    return 200, jsonable(fake.deactivate(fields["sid"], fields.get("account_sid")))


def _agent_reply(fake: FlexChannelsMock, fields: dict[str, Any]) -> tuple[int, Any]:
    body = fields.pop("body", None)
    if body is None:
        raise ControlError(400, "body is required")
    return 201, jsonable(fake.agent_reply(fields.pop("sid"), body, **fields))


def _messages(fake: FlexChannelsMock, fields: dict[str, Any]) -> tuple[int, Any]:
    messages = fake.messages(fields["sid"], fields.get("account_sid"))
    return 200, [jsonable(message) for message in messages]


def _end_chat(fake: FlexChannelsMock, fields: dict[str, Any]) -> tuple[int, Any]:
    fake.end_chat(fields["sid"], fields.get("account_sid"))
    return 204, None


def _advance(fake: FlexChannelsMock, fields: dict[str, Any]) -> tuple[int, Any]:
    seconds = fields.get("seconds")
    if seconds is None or seconds < 0:
        raise ControlError(400, "seconds (a number, at least 0) is required")
    try:
        fake.advance(seconds)
    except ValueError as refused:  # past the clock's range: it stays where it was
        raise ControlError(400, f"seconds is out of range: {refused}") from None
    return 204, None


def _fail_interaction_setup(fake: FlexChannelsMock, fields: dict[str, Any]) -> tuple[int, Any]:
    fake.fail_interaction_setup(**fields)  # times bounded there (a count, never a list)
    return 204, None


def _orphans(fake: FlexChannelsMock, _: dict[str, Any]) -> tuple[int, Any]:
    return 200, fake.orphans


def _webhooks(fake: FlexChannelsMock, _: dict[str, Any]) -> tuple[int, Any]:
    return 200, [jsonable(delivery) for delivery in fake.webhooks]


def _clear_webhooks(fake: FlexChannelsMock, _: dict[str, Any]) -> tuple[int, Any]:
    fake.webhooks.clear()
    return 204, None


def _add_account(fake: FlexChannelsMock, fields: dict[str, Any]) -> tuple[int, Any]:
    return 201, jsonable(fake.add_account(fields.get("sid"), fields.get("auth_token")))


def _add_api_key(fake: FlexChannelsMock, fields: dict[str, Any]) -> tuple[int, Any]:
    return 201, jsonable(fake.add_api_key(**fields))


def _add_flex_flow(fake: FlexChannelsMock, fields: dict[str, Any]) -> tuple[int, Any]:
    return 201, jsonable(fake.add_flex_flow(**fields))


def _add_fault(fake: FlexChannelsMock, fields: dict[str, Any]) -> tuple[int, Any]:
    kind = fields.pop("kind", None)
    if kind not in _FAULT_KINDS:
        raise ControlError(400, f"kind must be one of {sorted(_FAULT_KINDS)}, got {kind!r}")
    extra = sorted(fields.keys() - {"operation", "times", "sticky", *_FAULT_KINDS[kind]})
    if extra:
        raise ControlError(400, f"a {kind!r} fault takes no {extra}")
    operation = fields.pop("operation", None)
    if fields.pop("sticky", False):  # JSON's null means "not given": stickiness is said
        fields["times"] = None
    if kind == "fail":
        fault = fake.fail_next(operation, **fields)
    elif kind == "drop":
        fault = fake.raise_next(operation, **fields)
    else:
        if "seconds" not in fields:
            raise ControlError(400, "a 'delay' fault needs seconds")
        fault = fake.delay_next(operation, **fields)
    return 201, fault_json(fault)


def _faults(fake: FlexChannelsMock, _: dict[str, Any]) -> tuple[int, Any]:
    return 200, [fault_json(fault) for fault in fake.faults]


def _clear_faults(fake: FlexChannelsMock, _: dict[str, Any]) -> tuple[int, Any]:
    fake.clear_faults()
    return 204, None


def _calls(fake: FlexChannelsMock, fields: dict[str, Any]) -> tuple[int, Any]:
    calls = fake.calls.filter(fields.pop("operation", None), **fields)
    return 200, {"calls": [call_json(call) for call in calls], "dropped": fake.calls.dropped}


def _clear_calls(fake: FlexChannelsMock, _: dict[str, Any]) -> tuple[int, Any]:
    fake.calls.clear()
    return 204, None


ROUTES = (
    Route("GET", "state", {}, _state),
    Route("POST", "reset", {}, _reset),
    Route("GET", "channels", {}, _channels),
    Route("POST", "channels", _CHANNEL_FIELDS, _create_channel),
    Route("POST", "channels/{sid}/deactivate", {"account_sid": _TEXT}, _deactivate),
    Route(
        "POST",
        "channels/{sid}/agent_reply",
        {"body": _TEXT, "author": _TEXT, "attributes": _OBJECT, "account_sid": _TEXT},
        _agent_reply,
    ),
    Route("GET", "channels/{sid}/messages", {"account_sid": _TEXT}, _messages),
    Route("POST", "channels/{sid}/end_chat", {"account_sid": _TEXT}, _end_chat),
    Route("POST", "clock/advance", {"seconds": _NUMBER}, _advance),
    Route(
        "POST",
        "interactions/fail_setup",
        {"code": _INT, "message": _TEXT, "times": _INT},
        _fail_interaction_setup,
    ),
    Route("GET", "orphans", {}, _orphans),
    Route("GET", "webhooks", {}, _webhooks),
    Route("DELETE", "webhooks", {}, _clear_webhooks),
    Route("POST", "accounts", {"sid": _TEXT, "auth_token": _TEXT}, _add_account),
    Route("POST", "api_keys", {"account_sid": _TEXT, "sid": _TEXT, "secret": _TEXT}, _add_api_key),
    Route(
        "POST",
        "flex_flows",
        {
            "integration_type": _TEXT,
            "channel_type": _TEXT,
            "long_lived": _BOOL,
            "sid": _TEXT,
            "account_sid": _TEXT,
            "friendly_name": _TEXT,
            "janitor_enabled": _BOOL,
            "enabled": _BOOL,
        },
        _add_flex_flow,
    ),
    Route("GET", "faults", {}, _faults),
    Route("POST", "faults", _FAULT_FIELDS, _add_fault),
    Route("DELETE", "faults", {}, _clear_faults),
    Route("GET", "calls", {}, _calls),
    Route("DELETE", "calls", {}, _clear_calls),
)


_PATTERNS = [(re.compile(route.path.replace("{sid}", "(?P<sid>[^/]+)")), route) for route in ROUTES]


def jsonable(record: Any) -> Any:
    """A record (account, key, flow, channel) as JSON values; dates in ISO 8601."""
    if hasattr(record, "_asdict"):
        fields = dict(record._asdict())
    else:
        fields = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    fields.pop("seq", None)
    for name, value in fields.items():
        if isinstance(value, datetime):
            fields[name] = value.isoformat()
        elif isinstance(value, Mapping):
            fields[name] = dict(value)
    return fields


def fault_json(fault: Fault) -> dict[str, Any]:
    kind = "delay" if not fault.interrupts else ("fail" if fault.status is not None else "drop")
    shown: dict[str, Any] = {"kind": kind, "operation": fault.operation, "times": fault.times}
    if kind == "fail":
        shown.update(status=fault.status, code=fault.code, message=fault.message)
        shown.update(retry_after=fault.retry_after)
    if kind == "drop" and fault.exception is not ConnectionDropped:
        shown["exception"] = repr(fault.exception)
    if kind != "delay":
        shown["after_processing"] = fault.after_processing
    shown["latency"] = fault.latency
    return shown


def call_json(call: Call) -> dict[str, Any]:
    return {
        "operation": call.operation,
        "method": call.method,
        "url": call.url,
        "path": call.path,
        "params": dict(call.params),
        "headers": dict(call.headers),
        "account_sid": call.account_sid,
        "status_code": call.status_code,
        "error_code": call.error_code,
        "sid": call.sid,
        "request_id": call.request_id,
        "fault": call.fault,
        "unmatched": call.unmatched,
        "response": call.response_json,
    }


def loopback(host: str) -> bool:
    """Whether a ``Host`` header names this machine (a name that only resolves here)."""
    if host.startswith("["):  # an IPv6 literal, perhaps with a port
        name = host[1:].partition("]")[0]
    else:
        name = host.partition(":")[0] if host.count(":") == 1 else host
    return is_loopback(name)


def _match(method: str, path: str) -> tuple[Route | None, dict[str, str], list[str]]:
    """The route of ``method path``, the SID in its path, and the methods the path allows."""
    allowed: list[str] = []
    for pattern, route in _PATTERNS:
        found = pattern.fullmatch(path)
        if found is None:
            continue
        if route.method == method:
            return route, found.groupdict(), allowed
        allowed.append(route.method)
    return None, {}, allowed


def _fields(route: Route, body: bytes, query: str) -> dict[str, Any]:
    if route.method == "GET":
        return dict(parse_qsl(query, keep_blank_values=True))
    if not body.strip():
        return {}
    try:
        fields = json.loads(body)
    except (ValueError, RecursionError):
        raise ControlError(400, "the body is not JSON") from None
    if not isinstance(fields, dict):
        raise ControlError(400, "the body must be a JSON object")
    unknown = sorted(fields.keys() - route.fields.keys())
    if unknown:
        raise ControlError(400, f"unknown fields {unknown}; known: {sorted(route.fields)}")
    # Stored, a lone surrogate would fail every answer that shows it: only a body that holds a
    # surrogate escape at all is walked.
    escaped = surrogates.escaped(body)
    for name, value in fields.items():
        kinds = route.fields[name]
        wrong_bool = isinstance(value, bool) and bool not in kinds
        if value is not None and (wrong_bool or not isinstance(value, kinds)):
            names = " or ".join(_KIND_NAMES[kind] for kind in kinds)
            raise ControlError(400, f"{name} must be {names} or null, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):  # JSON's NaN, Infinity, 1e400
            raise ControlError(400, f"{name} must be a finite number, got {value!r}")
        if escaped and surrogates.found(value):
            raise ControlError(400, f"{name} {EXPECTED_TEXT}")
    return {name: value for name, value in fields.items() if value is not None}


_KIND_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "a boolean"}
_KIND_NAMES.update({dict: "an object", list: "an array"})


def _admit(host: str, headers: Mapping[str, str], body: bytes, control_token: str | None) -> None:
    """Refuse what a web page could send, and, when the served fake has a token, whoever does not
    know it. ``headers`` by lower-case name."""
    if not loopback(host):
        raise ControlError(403, f"control routes answer only loopback Host headers, not {host!r}")
    origin = headers.get("origin")
    if origin is not None and not loopback_origin(origin):
        raise ControlError(
            403, f"control routes answer only loopback Origin headers, not {origin!r}"
        )
    if control_token is not None:
        given = bearer(headers)
        if given is None or not token_matches(given, control_token):
            said = "the control token is wrong" if given is not None else "no control token"
            message = f"{said}: this fake's control routes take Authorization: Bearer <token>"
            raise ControlError(401, message, _CHALLENGE)
    media = headers.get("content-type", "").partition(";")[0].strip().lower()
    if body and media != "application/json":
        raise ControlError(415, "a control route's body must be Content-Type: application/json")


def _error(status: int, message: str) -> dict[str, Any]:
    """A refusal as Twilio words its errors; ``error`` repeats the message, where earlier
    releases put it."""
    return {**http_error(status, message).body(), "error": message}


class Control:
    """Answers the control routes of one fake: (status, headers, JSON body)."""

    def __init__(self, fake: FlexChannelsMock) -> None:
        self._fake = fake

    def __call__(
        self, request: Request, *, control_token: str | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """A control request (its URL's path under ``CONTROL_PREFIX``), and the token the
        serving transport requires, if any."""
        # Not urlsplit, which raises at a Host such as ``[`` (the guard refuses it: a 403).
        parts = split(request.url)
        method, body, query = request.method.upper(), request.body, parts.query
        path = unquote(parts.path)[len(CONTROL_PREFIX) :]
        self_url = f"{parts.scheme}://{parts.netloc}"
        headers = request.headers
        host = header(headers, "Host") or parts.netloc
        seen = {name.lower(): value for name, value in headers.items()}
        extra: dict[str, str] = {}
        try:
            _admit(host, seen, body, control_token)
            lookup = "GET" if method == "HEAD" else method
            route, path_fields, allowed = _match(lookup, path)
            if route is None and method == "OPTIONS" and allowed:
                # A preflight is answered, and granted nothing: no Access-Control-Allow-*.
                return 204, {"Allow": ", ".join([*allowed, "OPTIONS"])}, b""
            if route is None:
                if allowed:
                    raise ControlError(405, f"{method} is not allowed here; use {allowed}")
                known = ", ".join(f"{r.method} {CONTROL_PREFIX}{r.path}" for r in ROUTES)
                raise ControlError(404, f"no control route {method} {path}; known: {known}")
            fields = _fields(route, body, query)
            sid = path_fields.get("sid")
            if sid is not None:
                if _SID.fullmatch(sid) is None:
                    raise ControlError(400, f"not a SID: {sid!r}")
                fields["sid"] = sid
            status, payload = route.run(self._fake, fields)
            if route.path == "state":
                required = {"control_token_required": control_token is not None}
                payload = {"url": self_url, **payload, **required}
        except ControlError as refused:
            status, payload = refused.status, _error(refused.status, str(refused))
            extra = refused.headers
        except UnknownSidError as unknown:
            status, payload = 404, _error(404, str(unknown))
        except (TypeError, ValueError, KeyError, FlexApiError) as refused:
            # What the fake refused, as it would have raised it in process.
            status, payload = 400, _error(400, f"{type(refused).__name__}: {refused}")
        if status == 204:
            return 204, {}, b""
        text = json.dumps(payload).encode()
        return status, {**_JSON, "Content-Length": str(len(text)), **extra}, text
