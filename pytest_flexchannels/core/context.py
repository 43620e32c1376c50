"""What an operation's handler is given: ``Context``, one a request."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from .http import header
from .order import Span
from .paging import Pages, PageSpec, window_of
from .urls import values as _values
from .webhooks import Webhook

if TYPE_CHECKING:
    from .world import Store

_NO_PARAMS: Mapping[str, str] = MappingProxyType({})
# An answer as the operation gave it: a render function and what it renders, called with the
# call (or, while answering, the request's context) first. Kept instead of the answer's text.
Answer = tuple[Any, ...]
Send = Callable[[str, list[Webhook]], None]  # (account SID, webhooks): sent once answered


class Scope(Protocol):
    """What a family's rules read of whoever acts (a request's ``Context``, or the simulated
    agent's stand-in): the store, the account, and the path an error of theirs names."""

    @property
    def store(self) -> Store: ...

    @property
    def account_sid(self) -> str: ...

    @property
    def resource(self) -> str: ...


class Context:
    """What an operation's handler is given: the store, the caller's account, the values of the
    path's parameters, the checked parameters by Python name, and where the answer's URLs
    point (``root`` for resources, ``origin`` for page URLs)."""

    __slots__ = (
        "_pages",
        "_send",
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
        store: Store,
        pages: Pages,
        send: Send,
        account_sid: str,
        path: tuple[str, ...],
        args: dict[str, Any],
        params: Mapping[str, str],
        origin: str,
        root: str,
        resource: str,
    ) -> None:
        self.store = store
        self._pages = pages
        self._send = send
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
        self._send(self.account_sid, webhooks)

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
        found: list[Any]
        | Callable[[int, int, int | None, int | None], tuple[Span | list[Any], bool]],
    ) -> Answer:
        """A list page: of ``found``, every record of the list in ``spec``'s order (windowed
        here), or ``found(size, offset, after, before)``, which gives the records (a list, or a
        span of an ``order.Order``) and whether more follow, for a list that pages itself."""
        pages = self._pages
        if self.paging is None:  # the request path read them first for a list operation
            self.paging = pages.paging(self, spec.path or self.resource)
        size, page, after, before = self.paging
        records: Span | list[Any]
        if isinstance(found, list):
            records, more = window_of(found, spec.position, size, page * size, after, before)
        else:
            records, more = found(size, page * size, after, before)
        if isinstance(records, list):
            kept = pages.shared(spec, self, records)
            records = (kept, 0, None, len(kept))
        return (pages.renderer(spec), more, *records)
