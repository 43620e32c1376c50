"""``handle(request)``: the one request path every transport uses (route, auth, fault, parse,
handle, render, record), for every operation the registry holds."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from functools import partial
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol
from urllib.parse import unquote, urlencode, urlsplit

from ..models import page_meta
from ..store import Store
from . import errors, sids
from .calls import Answer, Call, CallLog
from .errors import FlexApiError
from .faults import Fault, FaultPlan
from .order import Span
from .order import records as _records
from .paging import PageSpec, View
from .registry import REGISTRY
from .urls import fields as _fields
from .urls import json_fields as _json_fields
from .urls import locate as _locate
from .urls import split as _split
from .urls import values as _values
from .webhooks import Dispatcher, Outbox, Webhook

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
# Every Twilio host: while a fake runs, none of them is reached over the network.
TWILIO_ORIGIN = re.compile(
    r"https?://(?:[^/?#@]*@)?(?:[a-z0-9-]+\.)*twilio\.com\.?(?::\d+)?(?=[/?#]|$)", re.IGNORECASE
)
_TOKEN = re.compile(r"(P[AB])([0-9a-f]{1,16})-([0-9a-f]{16})")
_JSON_HEADERS = {"Content-Type": "application/json"}
_NO_PARAMS: Mapping[str, str] = MappingProxyType({})


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


# Paths under this prefix are the control API (set-up, faults, calls over HTTP), not Flex's.
CONTROL_PREFIX = "/__flex/"


class Served(Protocol):
    """What a transport that serves a fake (WSGI, the server) needs of it: its request path,
    its control API (requests under ``CONTROL_PREFIX``; status, headers, body), and a way
    to deliver the webhooks a request fires off the thread that answers it (the server's)."""

    def handle(self, request: Request) -> Response: ...

    def outbox(self) -> Outbox: ...

    def deferring(self, outbox: Outbox) -> AbstractContextManager[None]: ...

    def control(
        self, request: Request, *, control_token: str | None = None
    ) -> tuple[int, dict[str, str], bytes]: ...


class Answerer(Protocol):
    """What the transports hold while a fake runs: its request path, and its word on a Twilio
    host it does not model."""

    def handle(self, request: Request) -> Response: ...

    def refuse(self, method: str, url: str) -> str | None: ...


def refusal(method: str, url: str) -> str | None:
    """Why a request to a Twilio host is refused (None for a host the fake serves)."""
    if REGISTRY.served.match(url):
        return None
    served = ", ".join(f"{domain.host}.twilio.com" for domain in REGISTRY.domains.values())
    return errors.refused(method, url, urlsplit(url).hostname or url, served)


def to_served(url: str, base: str) -> str:
    """``url`` as a served fake at ``base`` takes it: a Twilio host of an API the fake serves
    becomes ``base`` and the API's prefix (``https://chat.twilio.com/v2/Services`` becomes
    ``{base}/chat/v2/Services``); any other URL is left as it is."""
    match = REGISTRY.served.match(url)
    if match is None:
        return url
    host = match.group(1).lower()
    prefix = next(d.prefix for d in REGISTRY.domains.values() if d.host == host)
    return f"{base}{prefix}{url[match.end() :]}"


def allowed_methods(url: str) -> str | None:
    """The methods the path of ``url`` allows (``"GET, POST"``), or None for a path the fake
    does not know: what a CORS preflight is answered with."""
    place = _locate(_split(url))
    return REGISTRY.route("GET", place.path, place.domain)[2]


def header(headers: Mapping[str, str], name: str) -> str:
    """A request header's value ("" when absent), spelled as given or in any other case (HTTP
    names are case-insensitive): the spelling given is looked up first."""
    value = headers.get(name)
    if value is None:
        lower = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lower), "")
    return value


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


def _error_json(view: View | None, status: int, code: int, message: str) -> str:
    return json.dumps(FlexApiError(status, code, message).body())


def _paging(view: View, api: FlexApi, path: str) -> tuple[int, int, int | None, int | None]:
    """Page size (capped), page number, and the position a page token names (after, before)."""
    params = view.params
    requested = _count(
        params.get("PageSize"), DEFAULT_PAGE_SIZE, 1, "PageSize", errors.EXPECTED_PAGE_SIZE
    )
    page = _count(params.get("Page"), 0, 0, "Page", errors.EXPECTED_PAGE)
    token = params.get("PageToken")
    after = before = None
    if token is not None:
        assert view.account_sid is not None
        kind, at = api.read_token(view.account_sid, path, token)
        after, before = (at, None) if kind == "PA" else (None, at)
    return min(requested, MAX_PAGE_SIZE), page, after, before


def _render_page(
    api: FlexApi,
    spec: PageSpec,
    view: View,
    more: bool,
    first: Sequence[Any],
    start: int,
    second: Sequence[Any] | None,
    end: int,
) -> str:
    """A list page's JSON text, from the span of records it holds (``order.Span``, kept inline
    in the answer: a recorded page costs no tuple of its own) and the request's parameters."""
    records = _records((first, start, second, end))
    # While answering, the context has read the paging parameters (and checked the token's
    # MAC) already; a recorded call reads them again.
    path = spec.path or view.resource
    paging = getattr(view, "paging", None) or _paging(view, api, path)
    size, page, _, before = paging
    account_sid = view.account_sid
    assert account_sid is not None
    params, position = view.params, spec.position
    next_token = previous_token = None
    if more:
        # An empty page before a position still has the items from that position on after it:
        # the next page starts there, not one earlier.
        last = position(records[-1]) if records else (None if before is None else before - 1)
        if last is not None:
            next_token = api.token(account_sid, path, "PA", last)
    if page > 0 and records:
        previous_token = api.token(account_sid, path, "PB", position(records[0]))
    filters = {name: params[name] for name in spec.filters if params.get(name)}
    meta = page_meta(
        view.origin,
        page=page,
        page_size=size,
        token=params.get("PageToken"),
        next_token=next_token,
        previous_token=previous_token,
        path=path,
        key=spec.key,
        filters=urlencode(filters) if filters else "",
    )
    root, render = view.root, spec.render
    items = ", ".join([render(record, root) for record in records])
    return f'{{"meta": {json.dumps(meta)}, "{spec.key}": [{items}]}}'


class Context:
    """What an operation's handler is given: the store, the caller's account, the values of the
    path's parameters, the checked parameters by Python name, and where the answer's URLs
    point (``root`` for resources, ``origin`` for page URLs)."""

    __slots__ = (
        "_api",
        "account_sid",
        "args",
        "headers",
        "origin",
        "paging",
        "params",
        "path",
        "resource",
        "root",
        "store",
        "text",
    )

    def __init__(
        self,
        api: FlexApi,
        account_sid: str,
        path: tuple[str, ...],
        args: dict[str, Any],
        params: Mapping[str, str],
        origin: str,
        root: str,
        resource: str,
    ) -> None:
        self._api = api
        self.store = api.store
        self.account_sid = account_sid
        self.path = path
        self.args = args
        self.params = params
        self.origin = origin
        self.root = root
        self.resource = resource
        self.text = ""  # the form or query the parameters came in
        self.headers: Mapping[str, str] = _NO_PARAMS  # the request's
        self.paging: tuple[int, int, int | None, int | None] | None = None

    @property
    def sid(self) -> str:
        """The value of the path's last parameter (the ``{Sid}`` of an instance path)."""
        return self.path[-1]

    def send(self, webhooks: list[Webhook]) -> None:
        """Send these webhooks once the request is answered."""
        self._api.queue(self.account_sid, webhooks)

    @property
    def webhooks_enabled(self) -> bool:
        """Whether the request asks for webhooks (``X-Twilio-Webhook-Enabled: true``): actions
        through the REST API fire Chat's webhooks only then."""
        return header(self.headers, "X-Twilio-Webhook-Enabled").strip().lower() == "true"

    def values(self, wire: str) -> list[str]:
        """Every value of a repeated parameter (``args`` holds the first)."""
        return _values(self.text, wire)

    def page(
        self,
        spec: PageSpec,
        fetch: Callable[[int, int, int | None, int | None], tuple[Span | list[Any], bool]],
    ) -> Answer:
        """A list page: ``fetch(size, offset, after, before)`` gives the records (a list, or a
        span of an ``order.Order``) and whether more follow, for the paging parameters of the
        request (a bad one is Twilio's 400)."""
        api = self._api
        self.paging = size, page, after, before = _paging(self, api, spec.path or self.resource)
        found, more = fetch(size, page * size, after, before)
        if isinstance(found, list):
            kept = api.shared(spec, self, found)
            found = (kept, 0, None, len(kept))
        render = api.renderers.get(spec)
        if render is None:
            render = api.renderers[spec] = partial(_render_page, api, spec)
        return (render, more, *found)


class FlexApi:
    """Answers plain requests from one store, recording each call in ``calls``."""

    def __init__(
        self,
        store: Store,
        source: sids.SidSource,
        calls: CallLog,
        faults: FaultPlan,
        dispatcher: Dispatcher | None = None,
    ) -> None:
        self.store = store
        self._sids = source
        self._calls = calls
        self._faults = faults
        self._dispatcher = dispatcher
        # Webhooks a request's handling made, per thread: sent by ``flush`` once the request is
        # answered and the fake's locks are released (the app they reach may call the fake).
        self._pending = threading.local()
        self._authenticated: dict[str, str] = {}
        self._pages: dict[tuple[str, str | None], tuple[Any, ...]] = {}
        # A list operation's page renderer, made once: a recorded page holds a reference to it.
        self.renderers: dict[PageSpec, Callable[..., str]] = {}
        # Page tokens are signed so that an edited or foreign token is refused, as Twilio does.
        self._token_key = hashlib.sha256(f"flex-page-token:{source.seed}".encode()).digest()

    def handle(self, request: Request) -> Response:
        parts = _split(request.url)
        place = _locate(parts)
        path = place.path
        method = request.method.upper()
        operation, values, allowed = REGISTRY.route(method, path, place.domain)
        account_sid: str | None = None
        fault: Fault | None = None
        status: int | None
        answer: Answer | None = None  # what the answer is made of (see calls.Answer)
        text: str | None = None  # the answer's JSON text
        context: Context | None = None
        error: FlexApiError | None = None
        params: Mapping[str, str] = _NO_PARAMS
        raw = ""
        name = None
        if operation is not None:
            name = operation.name
            kind = operation.body
            raw = parts.query if kind == "query" else request.body.decode("utf-8", "replace")
            if values:
                values = tuple(unquote(value) for value in values)
        try:
            account_sid = self._authenticate(request.headers)
            fault = self._faults.take(name)  # faults apply after authentication
            if fault is not None and fault.interrupts and not fault.after_processing:
                error = fault.error()
                status = None
            elif operation is None:
                if allowed is None:
                    raise errors.not_found(REGISTRY.resource(path, place.domain))
                raise errors.method_not_allowed()
            else:
                # A JSON body may be refused (a lone surrogate): after authentication.
                params = _json_fields(raw) if operation.body == "json" else _fields(raw)
                args = operation.parse(params) if operation.params else {}
                context = Context(
                    self, account_sid, values, args, params, place.origin, place.root, path
                )
                context.text = raw
                context.headers = request.headers
                answer = operation.handler(context)
                status = operation.status
                if answer is not None:
                    text = answer[0](context, *answer[1:])
        except FlexApiError as refused:
            error = refused
        if fault is not None and fault.interrupts and fault.after_processing:
            error = fault.error()
            status = None
        if error is not None:
            status = error.status
            # Kept as data, not the exception: a raised one holds its frames.
            answer = (_error_json, error.status, error.code, error.message)
            text = _error_json(None, error.status, error.code, error.message)
        elif status is None:
            answer = text = None
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
        if request.headers.__class__ is not dict:  # transports build a dict for each request
            request = request._replace(headers=dict(request.headers))
        call = Call(
            name,
            request,
            account_sid,
            status,
            None if error is None else error.code,
            None if status is None else request_id,
            None if fault is None else fault.label,
            # A path the fake does not know may be one Twilio serves: the test is told.
            allowed is None and account_sid is not None,
            answer,
        )
        self._calls.record(call)
        delay = fault.latency if fault is not None else 0.0
        if method == "HEAD":  # a GET's headers, its length included, and never a body
            headers["Content-Length"] = str(len(body))
            body = b""
        return Response(status, headers, body, delay=delay, exception=exception)

    def queue(self, account_sid: str, webhooks: list[Webhook]) -> None:
        """Webhooks to send once the request being answered is answered."""
        pending: list[tuple[str, Webhook]] | None = getattr(self._pending, "items", None)
        if pending is None:
            pending = self._pending.items = []
        pending.extend((account_sid, webhook) for webhook in webhooks)

    def flush(self) -> None:
        """Send the webhooks this thread's last request made (outside the fake's locks)."""
        pending: list[tuple[str, Webhook]] | None = getattr(self._pending, "items", None)
        if not pending or self._dispatcher is None:
            return
        self._pending.items = []
        for account_sid, webhook in pending:
            account = self.store.get_account(account_sid)
            if account is not None:
                self._dispatcher.send(webhook, account_sid, account.auth_token)

    def _authenticate(self, headers: Mapping[str, str]) -> str:
        value = header(headers, "Authorization")
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
            account_sid = self.store.authenticate(username, password) if colon else None
            if account_sid is not None:
                # Credentials are never withdrawn from a store, so a header that authenticated
                # once always will: remember a few instead of decoding every request's.
                if len(self._authenticated) >= 64:
                    self._authenticated.clear()
                self._authenticated[value] = account_sid
                return account_sid
        raise errors.authenticate()

    # --- paging ---------------------------------------------------------------------------------

    def shared(self, spec: PageSpec, view: View, records: Sequence[Any]) -> tuple[Any, ...]:
        """The records of a page as a tuple, the one kept from the account's last page of the
        same resource when it holds the same records (they are immutable: the same objects are
        the same page). A poller's or a test's repeated page is then kept once, not per call."""
        key = (spec.path or view.resource, view.account_sid)
        last = self._pages.get(key)
        if (
            last is not None
            and len(last) == len(records)
            and all(a is b for a, b in zip(last, records, strict=True))
        ):
            return last
        page = self._pages[key] = tuple(records)
        return page

    def token(self, account_sid: str, path: str, kind: str, seq: int) -> str:
        position = f"{seq:x}"
        return f"{kind}{position}-{self._mac(account_sid, path, kind, position)}"

    def read_token(self, account_sid: str, path: str, token: str) -> tuple[str, int]:
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
