"""``handle(request)``: the one request path every transport uses (route, auth, parse, store,
render, record)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol
from urllib.parse import SplitResult, unquote, unquote_plus, urlencode, urlsplit

from . import errors, sids
from .calls import Call, CallLog
from .errors import FlexApiError
from .faults import Fault, FaultPlan
from .models import (
    API_ROOT,
    CHANNEL_TYPES,
    CHANNELS_PATH,
    CREATE_FIELDS,
    FLEX_FLOWS_KEY,
    FLEX_FLOWS_PATH,
    INTEGRATION_TYPES,
    PUBLIC_ORIGIN,
    REQUIRED_CREATE_FIELDS,
    RETRY_COUNTS,
    FlexFlow,
    channel_json,
    channel_page_json,
    flex_flow_resource,
    missing_integration,
    page_meta,
)
from .store import NewChannel, Store

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

_REQUIRED = [
    (python, wire) for python, wire in CREATE_FIELDS.items() if wire in REQUIRED_CREATE_FIELDS
]
_JSON_FIELDS = (("pre_engagement_data", "PreEngagementData"), ("task_attributes", "TaskAttributes"))
_BOOLEANS = {"true": True, "false": False}

_CHANNEL_PATH = re.compile(r"/v1/Channels/([^/]+)")
_LIST_METHODS = {"GET": "list", "POST": "create"}
_INSTANCE_METHODS = {"GET": "fetch", "DELETE": "delete"}
_FLEX_FLOW_PATH = re.compile(r"/v1/FlexFlows/([^/]+)")
_FLOWS_METHODS = {"GET": "list_flex_flows", "POST": "create_flex_flow"}
_FLOW_METHODS = {"GET": "fetch_flex_flow", "POST": "update_flex_flow", "DELETE": "delete_flex_flow"}
# Operations whose parameters come in a form body; the others' come in the query.
_FORM_OPERATIONS = frozenset({"create", "create_flex_flow", "update_flex_flow"})
# Flex Flow parameters: wire name -> (Python name, kind). Integration.* go in ``integration``.
_FLOW_FIELDS = {
    "FriendlyName": ("friendly_name", "text"),
    "ChatServiceSid": ("chat_service_sid", "sid:IS"),
    "ChannelType": ("channel_type", "channel_type"),
    "ContactIdentity": ("contact_identity", "text"),
    "Enabled": ("enabled", "bool"),
    "IntegrationType": ("integration_type", "integration_type"),
    "LongLived": ("long_lived", "bool"),
    "JanitorEnabled": ("janitor_enabled", "bool"),
    "Integration.FlowSid": ("flow_sid", "sid:FW"),
    "Integration.Url": ("url", "url"),
    "Integration.WorkspaceSid": ("workspace_sid", "sid:WS"),
    "Integration.WorkflowSid": ("workflow_sid", "sid:WW"),
    "Integration.Channel": ("channel", "text"),
    "Integration.Timeout": ("timeout", "int"),
    "Integration.Priority": ("priority", "int"),
    "Integration.CreationOnMessage": ("creation_on_message", "bool"),
    "Integration.RetryCount": ("retry_count", "retry_count"),
}
_REQUIRED_FLOW_FIELDS = ("FriendlyName", "ChatServiceSid", "ChannelType")
_INTEGER = re.compile(r"-?[0-9]{1,18}")
_URL = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)
# The hosts of Flex: flex-api.twilio.com, flex-api.{region}.twilio.com and
# flex-api.{edge}.{region}.twilio.com, as the helper library forms them.
# Credentials in the URL and a fully qualified name's final dot change nothing.
FLEX_ORIGIN = re.compile(
    r"https?://(?:[^/?#@]*@)?flex-api(?:\.[a-z0-9-]+){0,2}\.twilio\.com\.?(?::\d+)?(?=[/?#]|$)",
    re.IGNORECASE,
)
# Every Twilio host: while a fake runs, none of them is reached over the network.
TWILIO_ORIGIN = re.compile(
    r"https?://(?:[^/?#@]*@)?(?:[a-z0-9-]+\.)*twilio\.com\.?(?::\d+)?(?=[/?#]|$)", re.IGNORECASE
)
_TOKEN = re.compile(r"(P[AB])([0-9a-f]{1,16})-([0-9a-f]{16})")
_JSON_HEADERS = {"Content-Type": "application/json"}
SUPPORTED = (
    "POST /v1/Channels (create), GET /v1/Channels (list), GET /v1/Channels/{Sid} (fetch), "
    "DELETE /v1/Channels/{Sid} (delete), and POST/GET /v1/FlexFlows and GET/POST/DELETE "
    "/v1/FlexFlows/{Sid} (create_flex_flow, list_flex_flows, fetch_flex_flow, "
    "update_flex_flow, delete_flex_flow)"
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


class Answerer(Protocol):
    """What the transports hold while a fake runs: its request path, and its word on a Twilio
    host it does not model."""

    def handle(self, request: Request) -> Response: ...

    def refuse(self, method: str, url: str) -> str | None: ...


def refusal(method: str, url: str) -> str | None:
    """Why a request to a Twilio host is refused (None for a Flex host, which the fake answers)."""
    if FLEX_ORIGIN.match(url):
        return None
    return errors.refused(method, url, urlsplit(url).hostname or url)


def new_channel(fields: Mapping[str, Any]) -> NewChannel:
    """Validate create fields given by Python name (missing ones None); raise the error Twilio
    answers with, naming the wire parameter. ``long_lived`` may be wire text or a bool."""
    for python, wire in _REQUIRED:
        if not fields.get(python):
            raise errors.missing_parameter(wire)
    flow_sid = fields["flex_flow_sid"]
    if not sids.is_sid(flow_sid, sids.FLEX_FLOW):
        raise errors.invalid_sid("FlexFlowSid", sids.FLEX_FLOW)
    task_sid = fields.get("task_sid") or None
    if task_sid is not None and not sids.is_sid(task_sid, sids.TASK):
        raise errors.invalid_sid("TaskSid", sids.TASK)
    for python, wire in _JSON_FIELDS:
        text = fields.get(python)
        if text:
            try:
                json.loads(text)
            except (ValueError, RecursionError):
                raise errors.invalid_parameter(wire, errors.EXPECTED_JSON) from None
    long_lived = fields.get("long_lived")
    if isinstance(long_lived, str):
        long_lived = _boolean("LongLived", long_lived) if long_lived else None
    return NewChannel(
        flex_flow_sid=flow_sid,
        identity=fields["identity"],
        chat_user_friendly_name=fields["chat_user_friendly_name"],
        chat_friendly_name=fields["chat_friendly_name"],
        target=fields.get("target") or None,
        chat_unique_name=fields.get("chat_unique_name") or None,
        pre_engagement_data=fields.get("pre_engagement_data") or None,
        task_sid=task_sid,
        task_attributes=fields.get("task_attributes") or None,
        long_lived=long_lived,
    )


def parse_create(params: Mapping[str, str]) -> NewChannel:
    """Validate create fields given by wire name (the form of a create request)."""
    return new_channel({python: params.get(wire) for python, wire in CREATE_FIELDS.items()})


def parse_flex_flow(
    params: Mapping[str, str], *, creating: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate Flex Flow parameters by wire name: the flow's fields and its ``Integration.*``
    ones, by Python name. An empty value counts as absent; creating requires three fields, and
    the ``Integration.*`` ones its integration type requires (an update is checked against the
    flow it makes, in the store)."""
    if creating:
        for name in _REQUIRED_FLOW_FIELDS:
            if not params.get(name):
                raise errors.missing_parameter(name)
    fields: dict[str, Any] = {}
    integration: dict[str, Any] = {}
    for wire, (python, kind) in _FLOW_FIELDS.items():
        raw = params.get(wire)
        if raw:
            value = _flow_value(wire, kind, raw)
            (integration if wire.startswith("Integration.") else fields)[python] = value
    if creating:
        missing = missing_integration(fields.get("integration_type", "studio"), integration)
        if missing is not None:
            raise errors.missing_parameter(missing)
    return fields, integration


def _flow_value(wire: str, kind: str, raw: str) -> Any:
    if kind == "text":
        return raw
    if kind == "bool":
        return _boolean(wire, raw)
    if kind == "int":
        if not _INTEGER.fullmatch(raw):
            raise errors.invalid_parameter(wire, errors.EXPECTED_INTEGER)
        return int(raw)
    if kind == "retry_count":
        if not _INTEGER.fullmatch(raw) or int(raw) not in RETRY_COUNTS:
            raise errors.invalid_parameter(wire, errors.EXPECTED_RETRY_COUNT)
        return int(raw)
    if kind == "url":
        if not _URL.fullmatch(raw):
            raise errors.invalid_parameter(wire, errors.EXPECTED_URL)
        return raw
    if kind.startswith("sid:"):
        if not sids.is_sid(raw, kind[4:]):
            raise errors.invalid_sid(wire, kind[4:])
        return raw
    allowed = CHANNEL_TYPES if kind == "channel_type" else INTEGRATION_TYPES
    if raw not in allowed:
        raise errors.invalid_parameter(
            wire, errors.EXPECTED_ONE_OF.format(values=", ".join(allowed))
        )
    return raw


def _boolean(wire: str, raw: str) -> bool:
    """``true``/``false`` in any case, as the helper library sends booleans."""
    value = _BOOLEANS.get(raw.lower())
    if value is None:
        raise errors.invalid_parameter(wire, errors.EXPECTED_BOOLEAN)
    return value


def _fields(text: str) -> dict[str, str]:
    """Form or query fields, as ``parse_qsl(text, keep_blank_values=True, errors="replace")``
    reads them; for a repeated key the first value wins. Only fields with ``%`` or ``+`` are
    unquoted: most are plain, and this is a third of a create's cost otherwise."""
    fields: dict[str, str] = {}
    for field in text.split("&"):
        if not field:
            continue
        name, _, value = field.partition("=")
        if "%" in field or "+" in field:
            name = unquote_plus(name, errors="replace")
            value = unquote_plus(value, errors="replace")
        if name not in fields:
            fields[name] = value
    return fields


# What may stand between ``scheme://`` and the path of a URL the fake writes: a host name or an
# IP address, and a port. Anything else a Host header carried is not echoed into answers.
_NETLOC = re.compile(r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
_TWILIO_NETLOC = re.compile(r"\.twilio\.com\.?(?::[0-9]+)?$")
_PUBLIC_NETLOC = PUBLIC_ORIGIN.removeprefix("https://")


def _roots(parts: SplitResult) -> tuple[str, str]:
    """The origin the request came to, which page URLs name (credentials in the URL left out),
    and the API root resources name: Twilio's own whichever Twilio host (edge, region) served
    them, as the helper library puts its edge back in; behind a server, the host the client
    called. Twilio's own origin when the request named no usable host."""
    netloc = parts.netloc
    if netloc == _PUBLIC_NETLOC and parts.scheme == "https":  # nearly every request
        return PUBLIC_ORIGIN, API_ROOT
    netloc = netloc.rpartition("@")[2]
    if parts.scheme not in ("http", "https") or not _NETLOC.fullmatch(netloc):
        return PUBLIC_ORIGIN, API_ROOT
    origin = f"{parts.scheme}://{netloc}"
    return origin, API_ROOT if _TWILIO_NETLOC.search(netloc) else f"{origin}/v1"


# scheme://netloc, then the path, the query and a fragment: what every transport hands over.
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^?#]*)(?:\?([^#]*))?")


def _split(url: str) -> SplitResult:
    """``urlsplit`` for the absolute URLs transports give, at a third of its cost on a URL not
    seen before (every fetch and delete names a new SID). A URL without ``scheme://`` is all
    path, which no route matches."""
    match = _URL.match(url)
    if match is None:
        return SplitResult("", "", url, "", "")
    scheme, netloc, path, query = match.groups()
    return SplitResult(scheme.lower(), netloc, path, query or "", "")


def allowed_methods(path: str) -> str | None:
    """The methods a Flex path allows (``"GET, POST"``), or None for a path the fake does not
    know: what a CORS preflight is answered with."""
    return FlexApi._route("GET", path)[2]


def _count(value: str | None, default: int, minimum: int, name: str, expected: str) -> int:
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()):
        raise errors.invalid_parameter(name, expected)
    # Past 12 digits a number is beyond any cap or page the store can hold: don't parse it whole.
    digits = value.lstrip("0") or "0"
    number = int(digits) if len(digits) <= 12 else 10**12
    if number < minimum:
        raise errors.invalid_parameter(name, expected)
    return number


def _flow_json(flow: FlexFlow, root: str) -> str:
    return json.dumps(flex_flow_resource(flow, root))


class FlexApi:
    """Answers plain requests from one store, recording each call in ``calls``."""

    def __init__(
        self, store: Store, source: sids.SidSource, calls: CallLog, faults: FaultPlan
    ) -> None:
        self._store = store
        self._sids = source
        self._calls = calls
        self._faults = faults
        self._authenticated: dict[str, str] = {}
        # Page tokens are signed so that an edited or foreign token is refused, as Twilio does.
        self._token_key = hashlib.sha256(f"flex-page-token:{source.seed}".encode()).digest()

    def handle(self, request: Request) -> Response:
        parts = _split(request.url)
        path = parts.path
        method = request.method.upper()
        operation, sid, allowed = self._route(method, path)
        account_sid: str | None = None
        fault: Fault | None = None
        status: int | None
        text: str | None  # the answer's JSON text
        error: FlexApiError | None = None
        params: dict[str, str] = {}
        if operation is not None:
            form = operation in _FORM_OPERATIONS
            params = _fields(request.body.decode("utf-8", "replace") if form else parts.query)
        try:
            account_sid = self._authenticate(request.headers)
            fault = self._faults.take(operation)  # faults apply after authentication
            if fault is not None and fault.interrupts and not fault.after_processing:
                error = fault.error()
                status, text = None, None
            elif operation is None:
                if allowed is None:
                    raise errors.not_found(path[3:] if path.startswith("/v1/") else path)
                raise errors.method_not_allowed()
            else:
                status, text = self._dispatch(operation, account_sid, sid, params, parts)
        except FlexApiError as refused:
            error = refused
        if fault is not None and fault.interrupts and fault.after_processing:
            error = fault.error()
            status, text = None, None
        if error is not None:
            status, text = error.status, json.dumps(error.body())
        exception = fault.exception if fault is not None else None
        request_id = self._sids.request_id()
        headers = {} if status is None else {"Twilio-Request-Id": request_id}
        if text is not None:
            headers.update(_JSON_HEADERS)
        if status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
        elif status == 405 and allowed:
            headers["Allow"] = allowed
        if fault is not None and fault.retry_after is not None and status is not None:
            headers["Retry-After"] = str(fault.retry_after)
        body = text.encode() if text is not None else b""
        call = Call(
            operation=operation,
            method=method,
            url=request.url,
            path=path,
            params=params,
            # Transports build a new dict for each request: kept as it came, not copied.
            headers=request.headers if request.headers.__class__ is dict else dict(request.headers),
            account_sid=account_sid,
            status_code=status,
            response_body=body,
            error_code=None if error is None else error.code,
            sid=sid,
            request_id=None if status is None else request_id,
            fault=None if fault is None else fault.label,
            # A path the fake does not know may be one Twilio serves: the test is told.
            unmatched=allowed is None and account_sid is not None,
        )
        self._calls.record(call)
        delay = fault.latency if fault is not None else 0.0
        if method == "HEAD":  # a GET's headers, its length included, and never a body
            headers["Content-Length"] = str(len(body))
            body = b""
        return Response(status, headers, body, delay=delay, exception=exception)

    # --- 1. route, 2. auth --------------------------------------------------------------------

    @staticmethod
    def _route(method: str, path: str) -> tuple[str | None, str | None, str | None]:
        """(operation, channel SID from the path, methods the path allows or None if unknown)."""
        if method == "HEAD":  # answered as GET, without the body
            method = "GET"
        if path == CHANNELS_PATH:
            return _LIST_METHODS.get(method), None, "GET, POST"
        match = _CHANNEL_PATH.fullmatch(path)
        if match:
            sid = unquote(match.group(1))
            return _INSTANCE_METHODS.get(method), sid, "GET, DELETE"
        if path == FLEX_FLOWS_PATH:
            return _FLOWS_METHODS.get(method), None, "GET, POST"
        match = _FLEX_FLOW_PATH.fullmatch(path)
        if match:
            return _FLOW_METHODS.get(method), unquote(match.group(1)), "GET, POST, DELETE"
        return None, None, None

    def _authenticate(self, headers: Mapping[str, str]) -> str:
        value = headers.get("Authorization")
        if value is None:  # another spelling of the name (HTTP names are case-insensitive)
            value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        known = self._authenticated.get(value)
        if known is not None:
            return known
        scheme, _, encoded = value.partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
            except ValueError:  # not base64, not ASCII (bytes a client sent raw), not UTF-8
                decoded = ""
            username, colon, password = decoded.partition(":")
            account_sid = self._store.authenticate(username, password) if colon else None
            if account_sid is not None:
                # Credentials are never withdrawn from a store, so a header that authenticated
                # once always will: remember a few instead of decoding every request's.
                if len(self._authenticated) >= 64:
                    self._authenticated.clear()
                self._authenticated[value] = account_sid
                return account_sid
        raise errors.authenticate()

    # --- 4. parse, 5. store, 6. render --------------------------------------------------------

    def _dispatch(
        self,
        operation: str,
        account_sid: str,
        sid: str | None,
        params: dict[str, str],
        parts: SplitResult,
    ) -> tuple[int, str | None]:
        origin, root = _roots(parts)
        if operation == "create":
            channel = self._store.create_channel(account_sid, parse_create(params))
            # Not through the cache: a channel just made is rarely asked for again at once.
            return 201, channel_json.__wrapped__(channel, root)
        if operation == "list":
            return 200, self._list_channels(account_sid, params, origin, root)
        if operation == "create_flex_flow":
            return 201, self._create_flex_flow(account_sid, params, root)
        if operation == "list_flex_flows":
            return 200, self._list_flex_flows(account_sid, params, origin, root)
        assert sid is not None
        if operation == "fetch":
            return 200, channel_json(self._store.fetch_channel(account_sid, sid), root)
        if operation == "delete":
            self._store.delete_channel(account_sid, sid)
            return 204, None
        if operation == "fetch_flex_flow":
            return 200, _flow_json(self._store.fetch_flex_flow(account_sid, sid), root)
        if operation == "update_flex_flow":
            fields, integration = parse_flex_flow(params, creating=False)
            flow = self._store.update_flex_flow(account_sid, sid, fields, integration)
            return 200, _flow_json(flow, root)
        self._store.delete_flex_flow(account_sid, sid)
        return 204, None

    def _create_flex_flow(self, account_sid: str, params: dict[str, str], root: str) -> str:
        fields, integration = parse_flex_flow(params, creating=True)
        flow = self._store.add_flex_flow(
            account_sid,
            friendly_name=fields["friendly_name"],
            chat_service_sid=fields["chat_service_sid"],
            channel_type=fields["channel_type"],
            integration_type=fields.get("integration_type", "studio"),
            long_lived=fields.get("long_lived", False),
            janitor_enabled=fields.get("janitor_enabled", False),
            enabled=fields.get("enabled", True),
            contact_identity=fields.get("contact_identity"),
            integration=integration,
        )
        return _flow_json(flow, root)

    def _list_channels(
        self, account_sid: str, params: dict[str, str], origin: str, root: str
    ) -> str:
        size, page, token, after, before = self._paging(account_sid, params, CHANNELS_PATH)
        channels, more = self._store.list_channels(
            account_sid, size, offset=page * size, after=after, before=before
        )
        next_token, previous_token = self._page_tokens(
            account_sid, CHANNELS_PATH, [c.seq for c in channels], more, page, before
        )
        return channel_page_json(
            origin,
            [channel_json(channel, root) for channel in channels],
            page=page,
            page_size=size,
            token=token,
            next_token=next_token,
            previous_token=previous_token,
        )

    def _list_flex_flows(
        self, account_sid: str, params: dict[str, str], origin: str, root: str
    ) -> str:
        size, page, token, after, before = self._paging(account_sid, params, FLEX_FLOWS_PATH)
        name = params.get("FriendlyName")
        flows, more = self._store.list_flex_flows(
            account_sid, size, offset=page * size, after=after, before=before, friendly_name=name
        )
        next_token, previous_token = self._page_tokens(
            account_sid, FLEX_FLOWS_PATH, [f.seq for f in flows], more, page, before
        )
        meta = page_meta(
            origin,
            page=page,
            page_size=size,
            token=token,
            next_token=next_token,
            previous_token=previous_token,
            path=FLEX_FLOWS_PATH,
            key=FLEX_FLOWS_KEY,
            filters=urlencode({"FriendlyName": name}) if name is not None else "",
        )
        items = [flex_flow_resource(flow, root) for flow in flows]
        return json.dumps({"meta": meta, FLEX_FLOWS_KEY: items})

    def _paging(
        self, account_sid: str, params: dict[str, str], path: str
    ) -> tuple[int, int, str | None, int | None, int | None]:
        """Page size (capped), page number, token, and the position the token names."""
        requested = _count(
            params.get("PageSize"), DEFAULT_PAGE_SIZE, 1, "PageSize", errors.EXPECTED_PAGE_SIZE
        )
        page = _count(params.get("Page"), 0, 0, "Page", errors.EXPECTED_PAGE)
        token = params.get("PageToken")
        after = before = None
        if token is not None:
            kind, position = self._read_token(account_sid, path, token)
            after, before = (position, None) if kind == "PA" else (None, position)
        return min(requested, MAX_PAGE_SIZE), page, token, after, before

    def _page_tokens(
        self,
        account_sid: str,
        path: str,
        positions: list[int],
        more: bool,
        page: int,
        before: int | None,
    ) -> tuple[str | None, str | None]:
        next_token = previous_token = None
        # An empty page before a position still has the items from that position on after it.
        last = positions[-1] if positions else (before - 1 if before is not None else None)
        if more and last is not None:
            next_token = self._token(account_sid, path, "PA", last)
        if page > 0 and positions:
            previous_token = self._token(account_sid, path, "PB", positions[0])
        return next_token, previous_token

    def _token(self, account_sid: str, path: str, kind: str, seq: int) -> str:
        position = f"{seq:x}"
        return f"{kind}{position}-{self._mac(account_sid, path, kind, position)}"

    def _read_token(self, account_sid: str, path: str, token: str) -> tuple[str, int]:
        match = _TOKEN.fullmatch(token)
        if match is None:
            raise errors.invalid_page_token()
        kind, position, mac = match.groups()
        if not hmac.compare_digest(mac, self._mac(account_sid, path, kind, position)):
            raise errors.invalid_page_token()
        return kind, int(position, 16)

    def _mac(self, account_sid: str, path: str, kind: str, position: str) -> str:
        # Bound to the account and the resource: a token is refused anywhere else.
        message = f"{account_sid}:{path}:{kind}:{position}".encode()
        return hmac.new(self._token_key, message, hashlib.sha256).hexdigest()[:16]
