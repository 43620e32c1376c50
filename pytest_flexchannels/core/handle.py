"""``handle(request)``: the one request path every transport uses (route, auth, fault, parse,
handle, render, record), for every operation the registry holds."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING
from urllib.parse import unquote

from . import errors, sids
from .calls import Call, CallLog
from .context import Answer, Context
from .errors import FlexApiError
from .faults import Fault, FaultPlan
from .http import Request, Response, header
from .paging import Pages, View
from .registry import REGISTRY
from .urls import fields as _fields
from .urls import json_fields as _json_fields
from .urls import split as _split
from .webhooks import Dispatcher, Webhook

if TYPE_CHECKING:
    from .world import Store

_JSON_HEADERS = {"Content-Type": "application/json"}
_NO_PARAMS: Mapping[str, str] = MappingProxyType({})


def _error_json(view: View | None, status: int, code: int, message: str) -> str:
    return json.dumps(FlexApiError(status, code, message).body())


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
        self.pages = Pages(source.seed)

    def handle(self, request: Request) -> Response:
        parts = _split(request.url)
        place = REGISTRY.locate(parts)
        path = place.path
        method = request.method.upper()
        operation, values, allowed = REGISTRY.route(method, path, place.domain)
        account_sid: str | None = None
        fault: Fault | None = None
        status: int | None
        answer: Answer | None = None  # what the answer is made of (see registry.Answer)
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
                    self.store,
                    self.pages,
                    self.queue,
                    account_sid,
                    values,
                    args,
                    params,
                    place.origin,
                    place.root,
                    path,
                )
                context.text = raw
                context.headers = request.headers
                if operation.list_key is not None:  # a bad page is refused before any lookup
                    context.paging = self.pages.paging(context, path)
                # The one lock, taken here for every handler: it reads and changes the store
                # whole; the answer is rendered after, from immutable records.
                with self.store.lock:
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
