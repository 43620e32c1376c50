"""The control verbs, declared once: what the fixture offers a test in process (set-up, faults,
recorded calls, the simulated agent and the webhooks it sent), over HTTP under ``/__flex/`` for
tests that drive an app in another process, and the methods of ``RemoteFake`` that call them.

Each verb is one row of ``ControlVerbs``: its route (method, path, the JSON fields it takes with
their types, what it calls on the fake, its status and how its answer is rendered) and how
``RemoteFake``'s method of that name forms its request and reads the answer. The routes serve
requests; ``RemoteFake`` inherits the methods. The fake is named by its members (``Calls``), not
imported: the fake imports this module when asked to answer a control request.

Bodies are JSON objects; a field the route does not take, a value of the wrong type or a value
the fake refuses is a 400 naming it.

A web page must not drive the fake. Routes answer only requests whose ``Host`` is a loopback name
(a page cannot reach them through DNS rebinding) and that carry no ``Origin`` but a loopback one
(a browser sends one on every cross-origin ``POST`` and ``DELETE``, even without a body); a body
must be declared JSON, which a page cannot send without a preflight, and preflights are granted
nothing. A served fake may also require a token (``Authorization: Bearer``). Every refusal is a
Twilio error body (code 20000 + the status), its message also under ``error``.

Standard library and the core only, at import: ``RemoteFake`` is built from this table in
processes that need nothing else of the package.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from operator import attrgetter
from types import MethodType
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, Protocol, TypeVar, overload
from urllib.parse import parse_qsl, unquote, urlencode

from .core import surrogates
from .core.errors import EXPECTED_TEXT, FlexApiError, UnknownSidError, http_error
from .core.faults import ConnectionDropped, Fault
from .core.http import CONTROL_PREFIX, Request, header
from .core.urls import split
from .core.webhooks import is_loopback
from .transports.guard import bearer, loopback_origin, token_matches

if TYPE_CHECKING:
    from .core.calls import Call

Kinds = tuple[type, ...]
Fields = dict[str, Any]
P = ParamSpec("P")
R = TypeVar("R")

_JSON = {"Content-Type": "application/json"}
TEXT, INT, BOOL, NUMBER = (str,), (int,), (bool,), (int, float)
OBJECT = (str, dict, list)  # pre-engagement data and task attributes: JSON text or a value
_KIND_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "a boolean"}
_KIND_NAMES.update({dict: "an object", list: "an array"})
_SID = re.compile(r"[A-Za-z0-9]{1,64}")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="pytest-flexchannels control API"'}


class ControlError(Exception):
    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = dict(headers or {})


class Later(Mapping[str, Kinds]):
    """Fields a family declares, read when first asked for: so this table, and ``RemoteFake``
    built from it, import no family."""

    def __init__(self, load: Callable[[], Mapping[str, Kinds]]) -> None:
        self._load = load

    @cached_property
    def _fields(self) -> Mapping[str, Kinds]:
        return self._load()

    def __getitem__(self, name: str) -> Kinds:
        return self._fields[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)


def _channel_fields() -> dict[str, Kinds]:
    """create_channel's fields (the create parameters by Python name) and the account to seed."""
    from .flex.channels import CREATE_FIELDS

    return {
        **dict.fromkeys(CREATE_FIELDS, TEXT),
        "pre_engagement_data": OBJECT,
        "task_attributes": OBJECT,
        "long_lived": BOOL,
        "account_sid": TEXT,
    }


_FAULT_FIELDS: dict[str, Kinds] = {
    "kind": TEXT,
    "operation": TEXT,
    "status": INT,
    "code": INT,
    "message": TEXT,
    "times": INT,
    "sticky": BOOL,
    "after_processing": BOOL,
    "latency": NUMBER,
    "retry_after": INT,
    "seconds": NUMBER,
}
_FAULT_KINDS = {
    # kind -> the fake's method, and the fields it takes besides kind, operation and times
    "fail": (
        "fail_next",
        ("status", "code", "message", "after_processing", "latency", "retry_after"),
    ),
    "drop": ("raise_next", ("after_processing", "latency")),
    "delay": ("delay_next", ("seconds",)),
}

# --- what a route does to the fake, and how its answer is rendered ----------------------------


@dataclass(frozen=True)
class Calls:
    """What a route does to the fake: calls its member ``name`` (a dotted path: ``calls.clear``)
    with the request's fields, or reads it when ``read`` (a property: ``channels``)."""

    name: str
    read: bool = False

    def __call__(self, fake: Any, fields: Fields) -> Any:
        found = attrgetter(self.name)(fake)
        return found if self.read else found(**fields)


def _plain(fields: dict[str, Any]) -> dict[str, Any]:
    """Record fields as JSON values: dates in ISO 8601, mappings as objects."""
    for name, value in fields.items():
        if isinstance(value, datetime):
            fields[name] = value.isoformat()
        elif isinstance(value, Mapping):
            fields[name] = dict(value)
    return fields


def jsonable(record: Any) -> Any:
    """A record (account, key, flow, channel, message, delivery) as JSON values."""
    if hasattr(record, "_asdict"):
        fields = dict(record._asdict())
    else:
        fields = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    fields.pop("seq", None)
    return _plain(fields)


def _each(records: Any) -> list[Any]:
    return [jsonable(record) for record in records]


def _same(answer: Any) -> Any:
    return answer


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


def _faults_json(faults: list[Fault]) -> list[dict[str, Any]]:
    return [fault_json(fault) for fault in faults]


_CALL_KEYS = (
    *("operation", "method", "url", "path", "params", "headers", "account_sid"),
    *("status_code", "error_code", "sid", "request_id", "fault", "unmatched"),
)


def _state(fake: Any, _: Fields) -> dict[str, Any]:
    calls, webhooks = fake.calls, fake.webhooks
    shown = {key: getattr(fake, key) for key in ("account_sid", "auth_token", "flex_flow_sid")}
    shown.update(seed=fake.seed, channels=len(fake.channels), calls=len(calls))
    shown.update(dropped_calls=calls.dropped, webhooks=len(webhooks))
    return {**shown, "dropped_webhooks": webhooks.dropped}


def _agent_reply(fake: Any, fields: Fields) -> Any:
    if fields.get("body") is None:
        raise ControlError(400, "body is required")
    return fake.agent_reply(**fields)


def _advance(fake: Any, fields: Fields) -> None:
    seconds = fields.get("seconds")
    if seconds is None or seconds < 0:
        raise ControlError(400, "seconds (a number, at least 0) is required")
    try:
        fake.advance(seconds)
    except ValueError as refused:  # past the clock's range: it stays where it was
        raise ControlError(400, f"seconds is out of range: {refused}") from None


def _add_fault(fake: Any, fields: Fields) -> Fault:
    kind = fields.pop("kind", None)
    if kind not in _FAULT_KINDS:
        raise ControlError(400, f"kind must be one of {sorted(_FAULT_KINDS)}, got {kind!r}")
    verb, takes = _FAULT_KINDS[kind]
    extra = sorted(fields.keys() - {"operation", "times", "sticky", *takes})
    if extra:
        raise ControlError(400, f"a {kind!r} fault takes no {extra}")
    operation = fields.pop("operation", None)
    if fields.pop("sticky", False):  # JSON's null means "not given": stickiness is said
        fields["times"] = None
    if kind == "delay" and "seconds" not in fields:
        raise ControlError(400, "a 'delay' fault needs seconds")
    fault: Fault = getattr(fake, verb)(operation, **fields)
    return fault


def call_json(call: Call) -> dict[str, Any]:
    return {
        **_plain({key: getattr(call, key) for key in _CALL_KEYS}),
        "response": call.response_json,
    }


def _calls(fake: Any, fields: Fields) -> dict[str, Any]:
    calls = fake.calls.filter(fields.pop("operation", None), **fields)
    return {"calls": [call_json(call) for call in calls], "dropped": fake.calls.dropped}


def _messages(fake: Any, fields: Fields) -> Any:
    return fake.messages(fields["sid"], fields.get("account_sid"))  # a query's other fields: none


@dataclass(frozen=True, eq=False)  # a route is itself: the fault verbs share one
class Route:
    """One route of the control API: ``method`` and ``path`` under ``/__flex/`` (``{sid}`` where
    a SID stands, passed as ``sid``), the body's (a ``GET``'s query's) fields and their types,
    what it does to the fake, its status (204: no body) and its answer's JSON."""

    method: str
    path: str
    fields: Mapping[str, Kinds]
    run: Callable[[Any, Fields], Any]
    status: int = 200
    render: Callable[[Any], Any] = _same


_NONE: Mapping[str, Kinds] = {}
_ON_A_CHAT = {"account_sid": TEXT}
_REPLY_FIELDS = {"body": TEXT, "author": TEXT, "attributes": OBJECT, "account_sid": TEXT}
_SETUP_FIELDS = {"code": INT, "message": TEXT, "times": INT}
_ACCOUNT_FIELDS = {"sid": TEXT, "auth_token": TEXT}
_KEY_FIELDS = {"account_sid": TEXT, "sid": TEXT, "secret": TEXT}
_FLOW_FIELDS = {
    **dict.fromkeys(("integration_type", "channel_type", "sid", "account_sid"), TEXT),
    **dict.fromkeys(("long_lived", "janitor_enabled", "enabled"), BOOL),
    "friendly_name": TEXT,
}
_FAULTS = Route("POST", "faults", _FAULT_FIELDS, _add_fault, 201, fault_json)

# --- RemoteFake's side: how each method forms its request and reads the answer ----------------


class Caller(Protocol):
    """What a verb's method sends its request through (``RemoteFake``): the control route's
    method and path (its query included), and the JSON body (None: no body)."""

    def _call(self, method: str, route: str, body: Fields | None = None) -> Any: ...


class Verb(Generic[P, R]):
    """A row of the table: a ``Route`` and the method of that name on ``RemoteFake``, whose
    signature is ``ask``'s (which turns its arguments into the route's fields, ``sid`` the one
    in the path; None: the request carries nothing) and whose value ``read`` takes from the
    answer."""

    def __init__(
        self,
        route: Route,
        ask: Callable[P, Fields | None],
        read: Callable[[Any], R],
        doc: str | None = None,
    ) -> None:
        self.route, self.ask, self.read, self.doc = route, ask, read, doc
        self.name = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name
        self._method = self._bind(owner)

    def _bind(self, owner: type[Any]) -> Callable[..., R]:
        def verb(remote: Caller, /, *args: P.args, **kwargs: P.kwargs) -> R:
            return self.call(remote, self.ask(*args, **kwargs))

        signature = inspect.signature(self.ask)
        returns = inspect.signature(self.read).return_annotation
        asked = list(signature.parameters.values())
        positional = asked and asked[0].kind is inspect.Parameter.POSITIONAL_ONLY
        kind = (
            inspect.Parameter.POSITIONAL_ONLY
            if positional
            else inspect.Parameter.POSITIONAL_OR_KEYWORD
        )
        verb.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[inspect.Parameter("self", kind), *asked], return_annotation=returns
        )
        verb.__name__, verb.__qualname__ = self.name, f"{owner.__qualname__}.{self.name}"
        verb.__doc__, verb.__module__ = self.doc, owner.__module__
        return verb

    def call(self, remote: Caller, fields: Fields | None) -> R:
        """Send the route's request with ``fields`` (the SID in its path, the rest as a ``GET``'s
        query or the JSON body) and read the answer."""
        route = self.route
        path = route.path
        if fields is not None and "{sid}" in path:
            fields = dict(fields)
            path = path.replace("{sid}", fields.pop("sid"))
        if route.method == "GET":
            return self.read(
                remote._call("GET", path + (f"?{urlencode(fields)}" if fields else ""))
            )
        return self.read(remote._call(route.method, path, fields))

    @overload
    def __get__(self, remote: None, owner: type[Any]) -> Callable[..., R]: ...
    @overload
    def __get__(self, remote: Caller, owner: type[Any]) -> Callable[P, R]: ...
    def __get__(self, remote: Caller | None, owner: type[Any]) -> Callable[..., R]:
        return self._method if remote is None else MethodType(self._method, remote)


def _nothing() -> None:
    return None


def _fields(**fields: Any) -> Fields:
    return fields


def _on(sid: str, account_sid: str | None = None) -> Fields:
    return {"sid": sid, "account_sid": account_sid}


def _reply(sid: str, body: str, **fields: Any) -> Fields:
    return {"sid": sid, "body": body, **fields}


def _of(sid: str) -> Fields:
    return {"sid": sid}


def _seconds(seconds: float) -> Fields:
    return {"seconds": seconds}


def _account(sid: str | None = None, auth_token: str | None = None) -> Fields:
    return {"sid": sid, "auth_token": auth_token}


def _key(account_sid: str | None = None, **fields: Any) -> Fields:
    return {"account_sid": account_sid, **fields}


def _fault(kind: str, operation: str | None, fields: Fields) -> Fields:
    if "times" in fields and fields["times"] is None:  # sticky, until clear_faults()
        fields = {**fields, "sticky": True}
    return {"kind": kind, "operation": operation, **fields}


def _fail(operation: str | None = None, **fields: Any) -> Fields:
    return _fault("fail", operation, fields)


def _drop(operation: str | None = None, **fields: Any) -> Fields:
    return _fault("drop", operation, fields)


def _delay(operation: str | None = None, *, seconds: float, times: int | None = 1) -> Fields:
    return _fault("delay", operation, {"seconds": seconds, "times": times})


def _wanted(operation: str | None = None, /, **params: str) -> Fields:
    return {**params, **({"operation": operation} if operation else {})}


def _record(answer: Any) -> dict[str, Any]:
    record: dict[str, Any] = answer
    return record


def _records(answer: Any) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = answer
    return records


def _texts(answer: Any) -> list[str]:
    texts: list[str] = answer
    return texts


def _found(answer: Any) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = answer["calls"]
    return calls


def _done(_: Any) -> None:
    return None


class ControlVerbs:
    """The control verbs, one a row, in the order the README's table lists their routes.
    ``RemoteFake`` inherits them as its methods."""

    state = Verb(
        Route("GET", "state", _NONE, _state),
        _nothing,
        _record,
        """``url``, ``account_sid``, ``auth_token``, ``flex_flow_sid``, ``seed`` and counts.""",
    )
    reset = Verb(Route("POST", "reset", _NONE, Calls("reset"), 204), _nothing, _done)
    channels = Verb(
        Route("GET", "channels", _NONE, Calls("channels", read=True), render=_each),
        _nothing,
        _records,
    )
    create_channel = Verb(
        Route("POST", "channels", Later(_channel_fields), Calls("create_channel"), 201, jsonable),
        _fields,
        _record,
        """Seed a channel, as ``FlexChannelsMock.create_channel``; returns its record.""",
    )
    deactivate = Verb(
        Route("POST", "channels/{sid}/deactivate", _ON_A_CHAT, Calls("deactivate"), 200, jsonable),
        _on,
        _record,
    )
    agent_reply = Verb(
        Route("POST", "channels/{sid}/agent_reply", _REPLY_FIELDS, _agent_reply, 201, jsonable),
        _reply,
        _record,
        """The agent answers in a Flex channel's chat or a conversation (``sid``), as
        ``FlexChannelsMock.agent_reply`` (``author``, ``attributes``, ``account_sid``); returns
        the stored message.""",
    )
    messages = Verb(
        Route("GET", "channels/{sid}/messages", _ON_A_CHAT, _messages, render=_each),
        _of,
        _records,
        """The messages of a Flex channel's chat or of a conversation, in index order.""",
    )
    end_chat = Verb(
        Route("POST", "channels/{sid}/end_chat", _ON_A_CHAT, Calls("end_chat"), 204),
        _on,
        _done,
        """The agent ends the chat, on either stack, as ``FlexChannelsMock.end_chat``.""",
    )
    advance = Verb(
        Route("POST", "clock/advance", {"seconds": NUMBER}, _advance, 204),
        _seconds,
        _done,
        """Move the fake's clock forward and fire what falls due (``FlexChannelsMock.advance``).""",
    )
    fail_interaction_setup = Verb(
        # times is bounded there (a count, never a list)
        Route(
            "POST", "interactions/fail_setup", _SETUP_FIELDS, Calls("fail_interaction_setup"), 204
        ),
        _fields,
        _done,
        """The next interactions' channels settle as ``failed`` (``code``, ``message``,
        ``times``), as ``FlexChannelsMock.fail_interaction_setup``.""",
    )
    orphans = Verb(
        Route("GET", "orphans", _NONE, Calls("orphans", read=True)),
        _nothing,
        _texts,
        """The conversations and interaction channels left open (``FlexChannelsMock.orphans``).""",
    )
    webhooks = Verb(
        Route("GET", "webhooks", _NONE, Calls("webhooks", read=True), render=_each),
        _nothing,
        _records,
        """Every webhook delivery attempt, in order.""",
    )
    clear_webhooks = Verb(
        Route("DELETE", "webhooks", _NONE, Calls("webhooks.clear"), 204), _nothing, _done
    )
    add_account = Verb(
        Route("POST", "accounts", _ACCOUNT_FIELDS, Calls("add_account"), 201, jsonable),
        _account,
        _record,
    )
    add_api_key = Verb(
        Route("POST", "api_keys", _KEY_FIELDS, Calls("add_api_key"), 201, jsonable),
        _key,
        _record,
    )
    add_flex_flow = Verb(
        Route("POST", "flex_flows", _FLOW_FIELDS, Calls("add_flex_flow"), 201, jsonable),
        _fields,
        _record,
    )
    faults = Verb(
        Route("GET", "faults", _NONE, Calls("faults", read=True), render=_faults_json),
        _nothing,
        _records,
    )
    fail_next = Verb(
        _FAULTS,
        _fail,
        _record,
        """As ``FlexChannelsMock.fail_next`` (status, code, message, times, after_processing,
        latency, retry_after).""",
    )
    drop_next = Verb(
        _FAULTS,
        _drop,
        _record,
        """As ``FlexChannelsMock.raise_next`` with its default: the connection closes without an
        answer (times, after_processing, latency).""",
    )
    delay_next = Verb(_FAULTS, _delay, _record)
    clear_faults = Verb(
        Route("DELETE", "faults", _NONE, Calls("clear_faults"), 204), _nothing, _done
    )
    calls = Verb(
        Route("GET", "calls", _NONE, _calls),
        _wanted,
        _found,
        """The recorded calls of ``operation`` (any when None) whose wire parameters match.""",
    )
    clear_calls = Verb(Route("DELETE", "calls", _NONE, Calls("calls.clear"), 204), _nothing, _done)


VERBS: tuple[Verb[..., Any], ...] = tuple(
    verb for verb in vars(ControlVerbs).values() if isinstance(verb, Verb)
)
ROUTES: tuple[Route, ...] = tuple(dict.fromkeys(verb.route for verb in VERBS))
_PATTERNS = [(re.compile(route.path.replace("{sid}", "(?P<sid>[^/]+)")), route) for route in ROUTES]

# --- answering a control request ------------------------------------------------------------


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


def _parse(route: Route, body: bytes, query: str) -> Fields:
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

    def __init__(self, fake: object) -> None:
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
            fields = _parse(route, body, query)
            sid = path_fields.get("sid")
            if sid is not None:
                if _SID.fullmatch(sid) is None:
                    raise ControlError(400, f"not a SID: {sid!r}")
                fields["sid"] = sid
            status, payload = route.status, route.render(route.run(self._fake, fields))
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
