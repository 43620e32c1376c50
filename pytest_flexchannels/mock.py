"""``FlexChannelsMock``: owns the store, the recorded calls and the transports of one fake."""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any

from . import agent, interception
from .chat.state import ChatMessage
from .conversations.records import ConversationMessage
from .core import sids, surrogates
from .core.calls import Call, CallLog
from .core.clock import Clock
from .core.errors import EXPECTED_TEXT, UnknownSidError, injected, invalid_parameter
from .core.faults import ConnectionDropped, Fault, FaultPlan, check_code, check_count, check_wait
from .core.handle import FlexApi
from .core.http import Request, Response
from .core.webhooks import Dispatcher, Outbox, Webhook, WebhookLog
from .core.world import Account, ApiKey, Store
from .families import FAMILIES, REGISTRY
from .flex import models as flex_models
from .flex.channels import CREATE_FIELDS, new_channel
from .flex.models import Channel, ChannelType, FlexFlow, IntegrationType
from .interactions.interactions import DEFAULT_FAILURE, Lifecycle
from .options import FlexChannelsOptions
from .values import fill_channel_defaults

if TYPE_CHECKING:
    from twilio.rest import Client

    from .control import Control
    from .transports.server import FlexServer
    from .transports.wsgi import FlexWsgiApp

_FIELD_NAMES = frozenset(CREATE_FIELDS)
_HOOKS = tuple(family.hooks for family in FAMILIES)  # what the families add to the verbs


class FlexChannelsMock:
    """A stateful fake of Flex API v1 Channels that answers the ``twilio`` client.

    Use it as the ``flex_channels`` fixture, or as a context manager: ``with FlexChannelsMock() as
    fc: ...``. It begins with fresh state (one account and one Flex Flow), and so does every start
    after a stop. While it runs, requests to Twilio hosts never reach the network: Flex hosts are
    answered by the fake through ``requests`` and ``aiohttp``, other Twilio hosts are refused.
    """

    def __init__(self, options: FlexChannelsOptions | None = None, **kwargs: Any) -> None:
        if options is not None and kwargs:
            raise TypeError("pass either options or keyword arguments, not both")
        self.options = options or FlexChannelsOptions(**kwargs)
        self.seed: int = (
            self.options.seed if self.options.seed is not None else secrets.randbits(32)
        )
        self.clock = Clock(self.options.now)
        self.calls = CallLog(self.options.max_calls)
        # Every webhook the fake sent (each attempt), and where it sends them in process.
        self.webhooks = WebhookLog(self.options.max_webhooks)
        self._dispatcher = Dispatcher(self.webhooks)
        self._faults = FaultPlan()
        self._lock = threading.RLock()  # a reset never meets a request half answered
        self._blocked: list[str] = []
        self._servers: set[FlexServer] = set()  # what serve() started, stopped with the fake
        self._wsgi_app: FlexWsgiApp | None = None
        self._control: Control | None = None
        self._running = False
        self._started_before = False
        self._sids = sids.SidSource(self.seed)
        account_sid = self.options.account_sid or os.environ.get("TWILIO_ACCOUNT_SID") or None
        if account_sid is not None and not sids.is_sid(account_sid, sids.ACCOUNT):
            raise ValueError(
                f"the default account SID must match {sids.pattern(sids.ACCOUNT)} "
                f"(from the options or TWILIO_ACCOUNT_SID), got {account_sid!r}"
            )
        auth_token = self.options.auth_token or os.environ.get("TWILIO_AUTH_TOKEN") or None
        self.account: Account
        self.flex_flow: FlexFlow
        self._store: Store
        self._api: FlexApi
        self._populate(account_sid, auth_token, self.options.flex_flow_sid)

    def _populate(
        self, account_sid: str | None, auth_token: str | None, flow_sid: str | None
    ) -> None:
        self._store = Store(self._sids, self.clock)
        self._api = FlexApi(self._store, self._sids, self.calls, self._faults, self._dispatcher)
        self.account = self._store.add_account(account_sid, auth_token)
        self.flex_flow = flex_models.add_flex_flow(
            self._store,
            self.account.sid,
            sid=flow_sid,
            integration_type=self.options.integration_type,
            channel_type=self.options.channel_type,
            long_lived=self.options.long_lived,
        )
        with self._store.lock:
            for hooks in _HOOKS:
                if hooks.configure is not None:
                    hooks.configure(self._store, self.options)

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Begin answering Twilio hosts (idempotent). A start after a stop begins with fresh
        state, as ``reset()`` leaves it; setup done before the first start is kept."""
        if self._running:
            return
        if self._started_before:
            self.reset()
        self._running = self._started_before = True
        interception.start(self)

    def stop(self) -> None:
        """Stop answering, over HTTP too (the servers ``serve()`` started); the store, calls and
        findings stay readable."""
        for server in self._servers:
            server.stop()
        self._servers.clear()
        if self._running:
            self._running = False
            interception.stop(self)

    def __enter__(self) -> FlexChannelsMock:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
        if exc_type is None:
            self.verify()

    def serve(self, host: str = "127.0.0.1", port: int = 0, **settings: Any) -> FlexServer:
        """Also answer over HTTP on ``host:port`` (0: any free port) from a background thread,
        until ``.stop()`` or the fake's own stop; ``.url`` is the base URL. Same store, calls and
        faults. ``settings`` go to ``FlexServer`` (threads, idle_timeout, max_body, cors_origins,
        control_token, ...)."""
        from .transports.server import FlexServer

        server = FlexServer(self, host, port, **settings).start()
        self._servers.add(server)  # stopped (again: stop is idempotent) with the fake
        return server

    @property
    def wsgi_app(self) -> FlexWsgiApp:
        """This fake as a WSGI application, to mount in any WSGI server or test client (httpx's
        ``WSGITransport``, werkzeug's ``Client``): the Flex API and the control API under
        ``/__flex/``."""
        if self._wsgi_app is None:
            from .transports.wsgi import FlexWsgiApp

            self._wsgi_app = FlexWsgiApp(self)
        return self._wsgi_app

    def reset(self) -> None:
        """Forget every channel, call, fault, refused request, extra account, key and flow; keep
        the default credentials and the default flow's SID, so clients built from them keep
        working. Safe while other threads are being answered: each request sees the state before
        or after, never a mix."""
        with self._lock:
            self.calls.clear()
            self.webhooks.clear()
            self._faults.clear()
            self._blocked.clear()
            self._populate(self.account.sid, self.account.auth_token, self.flex_flow.sid)

    def handle(self, request: Request) -> Response:
        """Answer one transport-neutral request (what every transport adapter calls)."""
        with self._lock:
            answer = self._api.handle(request)
        self._api.flush()  # the webhooks it fired, once the fake's locks are released
        return answer

    def deferring(self, outbox: Outbox) -> AbstractContextManager[None]:
        """Within the block, the webhooks this thread fires go to ``outbox`` instead of being
        delivered before the call returns: what a served fake does with each request."""
        return self._dispatcher.deferred(outbox)

    def outbox(self) -> Outbox:
        """A new outbox delivering this fake's webhooks on a thread of its own (a server's)."""
        return Outbox(self._dispatcher)

    def control(
        self, request: Request, *, control_token: str | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one request of the control API (a path under ``/__flex/``): status, headers
        and JSON body. What the WSGI application and the server hand control requests to, with
        the token they require (the fake itself holds none)."""
        from .control import Control

        if self._control is None:
            self._control = Control(self)
        return self._control(request, control_token=control_token)

    def refuse(self, method: str, url: str) -> str | None:
        """Why a request to a Twilio host is refused (None for Flex hosts); the refusal is kept
        for ``verify()``."""
        reason = REGISTRY.refusal(method, url)
        if reason is not None:
            with self._lock:
                self._blocked.append(f"{method.upper()} {url}")
        return reason

    # --- what the test is told at the end ----------------------------------------------------

    @property
    def blocked(self) -> list[str]:
        """Requests to Twilio hosts the fake does not model that nothing else answered, refused
        before they left the process (``"METHOD URL"``)."""
        with self._lock:
            return list(self._blocked)

    @property
    def unmatched(self) -> list[Call]:
        """Authenticated requests to Flex paths the fake does not know (answered 404)."""
        return [call for call in self.calls if call.unmatched]

    def problems(self) -> str | None:
        """What ``verify()`` fails with, or None when there is nothing to report."""
        lines: list[str] = []
        blocked = self.blocked
        if blocked:
            lines.append("Requests to Twilio hosts the fake does not model were refused:")
            lines += [f"  - {request}" for request in blocked]
            lines.append(
                "  Mock those hosts yourself (responses, aioresponses) or inject a client."
            )
        orphans = self.orphans if self.options.check_orphans else []
        if orphans:
            lines.append("The test left conversations or interaction channels open:")
            lines += [f"  - {orphan}" for orphan in orphans]
            lines.append(
                "  Close them (an interaction channel's Status=closed, a conversation's "
                "State=closed), or pass check_orphans=False."
            )
        unmatched = [] if self.options.allow_unmatched else self.unmatched
        if unmatched:
            lines.append("Flex requests matched no operation of the fake:")
            lines += [f"  - {call.describe()}" for call in unmatched]
            lines.append(
                "  The fake implements:\n"
                f"{REGISTRY.supported()}\n"
                "  Pass allow_unmatched=True (an option of the marker and the fake) to accept them."
            )
        if not lines:
            return None
        return "\n".join([*lines, self.calls.describe()])

    @property
    def orphans(self) -> list[str]:
        """Every conversation not ``closed`` and every interaction channel still open (``setup``,
        ``active``, ``pause``, ``transfer``), of every account, oldest first: what
        ``check_orphans`` fails a test with (the leak Twilio warns about)."""
        store = self._store
        with store.lock:
            found = [found for hooks in _HOOKS if hooks.orphans for found in hooks.orphans(store)]
        return [text for _, text in sorted(found)]

    def verify(self) -> None:
        """Raise ``AssertionError`` listing refused requests and unmatched Flex requests (unless
        ``allow_unmatched``) with every recorded call. The fixture runs it at teardown, the
        context manager when its block ends without an exception."""
        problems = self.problems()
        if problems is not None:
            raise AssertionError(problems)

    # --- clients that need no interception ------------------------------------------------------

    def client(self, account: Account | str | None = None) -> Client:
        """A ``twilio.rest.Client`` for ``account`` (default account) whose HTTP client answers
        from this fake directly, with no patching: for code that takes its client by injection.
        Works whether or not the fake is started."""
        from twilio.rest import Client

        from .transports.twilio import FakeHttpClient

        return Client(*self._credentials(account), http_client=FakeHttpClient(self.handle))

    def async_client(self, account: Account | str | None = None) -> Client:
        """The same for the async API (``create_async`` and friends)."""
        from twilio.rest import Client

        from .transports.twilio import FakeAsyncHttpClient

        return Client(*self._credentials(account), http_client=FakeAsyncHttpClient(self.handle))

    def _credentials(self, account: Account | str | None) -> tuple[str, str]:
        if account is None:
            return self.account.sid, self.account.auth_token
        if isinstance(account, Account):
            return account.sid, account.auth_token
        found = self._store.get_account(account)
        if found is None:
            raise KeyError(f"no account {account!r} in this fake")
        return found.sid, found.auth_token

    # --- the default account --------------------------------------------------------------

    @property
    def account_sid(self) -> str:
        return self.account.sid

    @property
    def auth_token(self) -> str:
        return self.account.auth_token

    @property
    def flex_flow_sid(self) -> str:
        return self.flex_flow.sid

    # --- setup ----------------------------------------------------------------------------

    def add_account(self, sid: str | None = None, auth_token: str | None = None) -> Account:
        """Another account: it sees only its own flows and channels."""
        return self._store.add_account(sid, auth_token)

    def add_api_key(
        self, account_sid: str | None = None, *, sid: str | None = None, secret: str | None = None
    ) -> ApiKey:
        """An ``SK`` key whose SID and secret authenticate as ``account_sid`` (default account)."""
        return self._store.add_api_key(account_sid or self.account.sid, sid, secret)

    def add_flex_flow(
        self,
        integration_type: IntegrationType = "task",
        channel_type: ChannelType = "web",
        long_lived: bool = False,
        sid: str | None = None,
        account_sid: str | None = None,
        *,
        friendly_name: str | None = None,
        janitor_enabled: bool = False,
        enabled: bool = True,
        integration: Mapping[str, Any] | None = None,
    ) -> FlexFlow:
        """A new flow. ``integration`` holds its ``Integration.*`` fields by snake_case name
        (``{"url": ..., "retry_count": 1}`` for an external flow); by default, what its type
        requires. Text holding a lone UTF-16 surrogate is a ``ValueError`` naming it."""
        surrogates.check("friendly_name", friendly_name)
        surrogates.check("integration", integration)
        return flex_models.add_flex_flow(
            self._store,
            account_sid or self.account.sid,
            integration_type=integration_type,
            channel_type=channel_type,
            long_lived=long_lived,
            sid=sid,
            friendly_name=friendly_name,
            janitor_enabled=janitor_enabled,
            enabled=enabled,
            integration=integration,
        )

    def create_channel(self, *, account_sid: str | None = None, **fields: Any) -> Channel:
        """Seed a channel without HTTP, by the API's rules (get-or-create included).

        Fields are the create parameters by their Python names (``identity``, ``flex_flow_sid``,
        ``chat_friendly_name``, ``long_lived``, ...). Omitted required ones get realistic values;
        ``pre_engagement_data`` and ``task_attributes`` may be dicts. Invalid values raise the
        ``FlexApiError`` the API would answer with; text holding a lone UTF-16 surrogate, the
        400/20001 a JSON body holding one gets (a form cannot carry one). Not recorded in
        ``calls``.
        """
        if not fields.keys() <= _FIELD_NAMES:
            unknown = sorted(fields.keys() - _FIELD_NAMES)
            raise TypeError(f"unknown channel fields {unknown}; known: {list(CREATE_FIELDS)}")
        for name, value in fields.items():  # what the caller gave, as a form would carry it
            if name == "long_lived" or value is None:
                continue
            if isinstance(value, Mapping | list):
                value = fields[name] = json.dumps(value)  # escaped: the JSON check sees it
            elif not isinstance(value, str):
                value = fields[name] = str(value)
            if not value.isascii() and not surrogates.whole(value):
                raise invalid_parameter(CREATE_FIELDS[name], EXPECTED_TEXT)
        account = account_sid or self.account.sid
        flow_sid = fields.get("flex_flow_sid")
        if flow_sid is None:
            flow_sid = fields["flex_flow_sid"] = (
                self.flex_flow.sid if account == self.account.sid else self._only_flow(account)
            )
        # The default flow is known without asking the store: seeding is a hot path.
        default = account == self.account.sid and flow_sid == self.flex_flow.sid
        flow = self.flex_flow if default else flex_models.flex_flow(self._store, account, flow_sid)
        fill_channel_defaults(fields, self._sids.values, flow.channel_type if flow else "web")
        return flex_models.create_channel(self._store, account, new_channel(fields))

    def _only_flow(self, account_sid: str) -> str:
        flows = flex_models.flex_flows(self._store, account_sid)
        if len(flows) != 1:
            raise ValueError(
                f"account {account_sid} has {len(flows)} Flex Flows: pass flex_flow_sid"
            )
        return flows[0].sid

    # --- fault injection ---------------------------------------------------------------------
    # Faults apply after authentication, to requests of ``operation`` ("create_channel",
    # "list_channels", ...: the names ``python -m pytest_flexchannels operations`` lists; any when
    # None), first added first matched. ``times`` is how many
    # requests a fault applies to; ``times=None`` makes it sticky until ``clear_faults()``.

    def fail_next(
        self,
        operation: str | None = None,
        *,
        status: int = 500,
        code: int | None = None,
        message: str | None = None,
        times: int | None = 1,
        after_processing: bool = False,
        latency: float = 0.0,
        retry_after: int | None = None,
    ) -> Fault:
        """Answer the next matching request(s) with a Twilio error instead of processing them.

        Defaults per status: 429 -> 20429 "Too Many Requests", 500 -> 20500 "Internal Server
        Error", 503 -> 20503 "Service Unavailable". With ``after_processing`` the request is
        processed (and stored) first and only its answer is replaced. ``retry_after`` adds a
        ``Retry-After`` header of that many seconds, which urllib3's ``Retry`` honours.
        """
        if code is not None:
            check_code(code)
        injected(status, code, message)  # refuse a bad status now, not at the request
        return self._add_fault(
            Fault(
                operation,
                status,
                code,
                message,
                None,
                after_processing,
                latency,
                times,
                retry_after,
            )
        )

    def raise_next(
        self,
        operation: str | None = None,
        exception: BaseException | type[BaseException] | None = None,
        *,
        times: int | None = 1,
        after_processing: bool = False,
        latency: float = 0.0,
    ) -> Fault:
        """Make the next matching request(s) fail in transport: ``exception`` (a class or an
        instance) is raised from the client's call; by default the connection drops, which each
        client sees as its own connection error (``requests.ConnectionError`` for the sync
        client, ``aiohttp.ClientConnectionError`` for the async one). With ``after_processing``
        the change is stored first."""
        if exception is None:
            exception = ConnectionDropped
        return self._add_fault(
            Fault(operation, None, None, None, exception, after_processing, latency, times)
        )

    def delay_next(
        self, operation: str | None = None, *, seconds: float, times: int | None = 1
    ) -> Fault:
        """Answer the next matching request(s) normally, after ``seconds`` of real time (0 to
        ``faults.MAX_WAIT``, an hour)."""
        check_wait("seconds", seconds)
        return self._add_fault(Fault(operation, latency=seconds, times=times))

    def clear_faults(self) -> None:
        """Drop every pending fault, sticky ones included."""
        self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        """The faults still pending, in matching order."""
        return self._faults.pending()

    def _add_fault(self, fault: Fault) -> Fault:
        operation = REGISTRY.canonical(fault.operation, stacklevel=4)
        if operation != fault.operation:
            fault = dataclasses.replace(fault, operation=operation)
        return self._faults.add(fault)

    # --- inspection and control ---------------------------------------------------------------

    def get_channel(self, sid: str, account_sid: str | None = None) -> Channel:
        """The stored record of ``sid`` in ``account_sid`` (default account), with every field."""
        account = account_sid or self.account.sid
        channel = flex_models.get_channel(self._store, account, sid)
        if channel is None:
            raise UnknownSidError(sid, account)
        return channel

    @property
    def channels(self) -> list[Channel]:
        """Every stored channel of every account, oldest first (deleted ones are gone)."""
        return flex_models.all_channels(self._store)

    def deactivate(self, sid: str, account_sid: str | None = None) -> Channel:
        """The agent ended the chat: the next create for that flow and identity opens a new one.
        As in Flex, the chat channel's attributes now say ``"status": "INACTIVE"``; its
        webhooks hear ``onChannelUpdated``, then ``onMemberRemoved`` as the agent leaves."""
        account = account_sid or self.account.sid
        channel, sent = agent.deactivate(self._store, account, sid)
        if sent:
            self._send(account, sent)
        return channel

    # --- the conversation: a simulated agent, and webhooks --------------------------------------

    def agent_reply(
        self,
        sid: str,
        body: str,
        *,
        author: str | None = None,
        attributes: Mapping[str, Any] | str | None = None,
        account_sid: str | None = None,
    ) -> ChatMessage | ConversationMessage:
        """The agent answers in a Flex channel's chat or in a conversation (``sid``: either),
        joining it first as an agent accepting the task does, as ``author`` (``"agent"`` when
        not given). Its webhooks that hear the message (``onMessageSent`` in a chat,
        ``onMessageAdded`` in a conversation) receive it, signed, before this returns; the
        stored message is returned. Invalid values raise the ``FlexApiError`` the API would
        answer with (``attributes`` that are not JSON: Chat's 50304; ``body`` or ``author``
        holding a lone UTF-16 surrogate: 400/20001 naming ``Body`` or ``Author``)."""
        account = account_sid or self.account.sid
        message, sent = agent.reply(self._store, account, sid, body, author, attributes)
        self._send(account, sent)
        return message

    def end_chat(self, sid: str, account_sid: str | None = None) -> None:
        """The agent ends the chat, on either stack: a Flex channel is deactivated (see
        ``deactivate``); a conversation closes as each agent leaves it, and the interaction
        channel that holds it closes too, with their webhooks."""
        account = account_sid or self.account.sid
        sent = agent.end(self._store, account, sid)
        if sent is None:
            self.deactivate(sid, account)
            return
        self._send(account, sent)

    def messages(
        self, sid: str, account_sid: str | None = None
    ) -> list[ChatMessage] | list[ConversationMessage]:
        """The messages of a Flex channel's chat or of a conversation, in index order (the
        app's and the agent's)."""
        return agent.messages(self._store, account_sid or self.account.sid, sid)

    def advance(self, seconds: float | timedelta = 1.0) -> None:
        """Move the fake's clock forward (freezing it first if it runs) and fire what falls
        due: conversation timers (``inactive``, ``closed``), with their webhooks. ``seconds``
        is finite, at least 0, and keeps the clock within its range (to year 9999), else
        ``ValueError`` and the clock stays; the move is the clock's own (one lock: concurrent
        advances add up), the timers fire after it."""
        self.clock.advance(seconds)
        store = self._store
        with store.lock:
            due = [fired for hooks in _HOOKS if hooks.due for fired in hooks.due(store)]
        for account, sent in due:
            self._send(account, sent)

    def fail_interaction_setup(
        self,
        code: int = DEFAULT_FAILURE[0],
        message: str = DEFAULT_FAILURE[1],
        *,
        times: int = 1,
    ) -> None:
        """Make the channels of the next ``times`` interactions created settle as ``failed``
        with this error (``error_code``, ``error_message``) instead of ``active``: the app's
        error branch. By default Twilio's "Channel validation error" (19025). ``times`` is
        kept as a count (1 to ``faults.MAX_TIMES``), ``code`` has at most five digits; a bad
        value is a ``ValueError`` naming it."""
        check_code(code)
        if not isinstance(message, str):
            raise ValueError(f"message must be text, got {message!r}")
        surrogates.check("message", message)
        check_count("times", times)
        lifecycle = self._store.shared(Lifecycle)
        with self._store.lock:
            lifecycle.fail(code, message, times)

    def route_webhooks(self, origin: str, app: Callable[..., Any]) -> None:
        """Deliver every webhook whose URL starts with ``origin`` (``"https://bridge.example"``)
        to ``app`` in process: a WSGI application (Flask, Django, ...), or a callable given a
        ``WebhookRequest`` that returns the status. Webhooks to loopback URLs go over HTTP; to
        any other URL, nowhere (recorded as undelivered)."""
        self._dispatcher.route(origin, app)

    def _send(self, account_sid: str, webhooks: list[Webhook]) -> None:
        """Send webhooks the agent fired, the way a request's are sent."""
        self._api.queue(account_sid, webhooks)
        self._api.flush()

    def __repr__(self) -> str:
        return (
            f"<FlexChannelsMock account={self.account.sid} seed={self.seed} "
            f"channels={len(self.channels)} calls={len(self.calls)}>"
        )
