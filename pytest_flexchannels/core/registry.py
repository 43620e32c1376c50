"""The operations the fake answers, each declared once: its name, method, path template,
parameters and handler. Routing, validation, the names ``calls`` and faults accept, the text of
what the fake supports and the README's table are all read from here.

Each family of APIs declares its operations in a ``Family``; ``families`` (the one list of
them) adds each to ``REGISTRY``, where the request path (``handle``) looks them up with
``route``. In the spirit of fakeredis' command registry and
moto's split of each service into models, responses and URLs.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import SplitResult, urlsplit

from . import errors
from .params import (
    Check,
    Param,
    Rule,
    _Plan,
    boolean,
    date_time,
    described,
    integer,
    integer_in,
    json_object,
    json_text,
    one_of,
    sid,
    text,
    url,
)
from .urls import NETLOC, TWILIO_NETLOC, Place, root, split

if TYPE_CHECKING:
    from .context import Answer, Context
    from .webhooks import Webhook
    from .world import Store

# What declares parameters lives in ``params``; declarations import it from here.
__all__ = [
    "REGISTRY",
    "Check",
    "Domain",
    "Family",
    "Handler",
    "Operation",
    "Param",
    "Registry",
    "Rule",
    "boolean",
    "date_time",
    "described",
    "integer",
    "integer_in",
    "json_object",
    "json_text",
    "one_of",
    "sid",
    "text",
    "url",
]

# --- operations --------------------------------------------------------------------------------

Handler = Callable[["Context"], "Answer | None"]


@dataclass(frozen=True)
class Operation:
    """One operation of an API: ``handler`` answers it from the request's ``Context`` with
    what its answer is made of (a render function and the immutable records it renders, see
    ``Answer``; None for a 204), sent with ``status``.

    ``params`` come in a form body when ``body`` is ``"form"``, as a JSON object's members when
    it is ``"json"``, else in the query. A list
    operation names its ``list_key``; its paging parameters (``PageSize``, ``Page``,
    ``PageToken``) are the request path's, so ``params`` holds only its filters. ``rules`` checks
    what one parameter alone cannot (a field another field's value requires).
    """

    name: str
    method: str
    path: str  # a template: ``/v1/Channels/{Sid}``
    handler: Handler
    params: tuple[Param, ...] = ()
    body: Literal["form", "query", "json"] = "query"
    list_key: str | None = None
    status: int = 200
    summary: str = ""
    legacy: str | None = None  # the name it had before names were uniform (deprecated)
    rules: Callable[[dict[str, Any]], None] | None = None
    domain: str = ""  # the API host it is served on (``Domain.name``; "": its family's)
    path_params: tuple[str, ...] = field(init=False, default=())
    _plan: _Plan = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "path_params", tuple(re.findall(r"\{(\w+)\}", self.path)))
        object.__setattr__(self, "_plan", _Plan(self.params))

    def parse(self, values: Mapping[str, Any], *, by_wire: bool = True) -> dict[str, Any]:
        """The request's parameters checked, by Python name."""
        checked = self._plan(values, by_wire)
        if self.rules is not None:
            self.rules(checked)
        return checked


_METHOD_ORDER = ["GET", "POST", "PUT", "PATCH", "DELETE"]  # as Allow headers list them


@dataclass(frozen=True)
class Domain:
    """An API host the fake answers: its ``name`` (what operations name), the first label of
    its hosts (``flex-api``, as in ``flex-api.{edge}.{region}.twilio.com``), and the path prefix
    that names it on a host that is not Twilio's (a served fake: ``/chat/v2/Services``); Flex's
    is empty, so a served fake's ``/v1/Channels`` is Flex's as it always was."""

    name: str
    host: str
    prefix: str

    @property
    def origin(self) -> str:
        """Its public origin: where resources' URLs point, whichever edge or region served."""
        return f"https://{self.host}.twilio.com"


class _Node:
    """A path segment's node: literal children, one child for a ``{parameter}``, and the
    operations by method of a path that ends here."""

    __slots__ = ("allowed", "literal", "methods", "wild")

    def __init__(self) -> None:
        self.literal: dict[str, _Node] = {}
        self.wild: _Node | None = None
        self.methods: dict[str, Operation] = {}
        self.allowed = ""  # the methods, as an Allow header lists them


@dataclass(frozen=True)
class Hooks:
    """What a family adds to the fake's own verbs, each optional; the fake calls them under the
    store's lock, so a family's rules here need no lock of their own. ``configure(store,
    options)``: set up a fresh store from the fake's options (``FlexChannelsOptions``);
    ``due(store)``: after the clock moved, fire the family's timers, answering the webhooks
    fired, by account; ``orphans(store)``: what a test left open, as (order made, text)."""

    configure: Callable[[Store, Any], None] | None = None
    due: Callable[[Store], list[tuple[str, list[Webhook]]]] | None = None
    orphans: Callable[[Store], list[tuple[int, str]]] | None = None


@dataclass(frozen=True)
class Family:
    """What a family of APIs declares (as ``FAMILY`` in its package): its name, the API host it
    serves, its operations in the order the table of operations reads them, and the hooks the
    fake asks it for what is its own (timers, orphans, settings)."""

    name: str
    domain: Domain
    operations: tuple[Operation, ...]
    hooks: Hooks = Hooks()


def _served(domains: Iterable[Domain]) -> re.Pattern[str]:
    """The origins of ``domains``' hosts: ``flex-api.twilio.com``, ``chat.us1.twilio.com``,
    ``flex-api.sydney.au1.twilio.com`` (as the helper library forms edges and regions).
    Credentials in the URL and a fully qualified name's final dot change nothing."""
    hosts = "|".join(re.escape(domain.host) for domain in domains)
    return re.compile(
        rf"https?://(?:[^/?#@]*@)?({hosts})(?:\.[a-z0-9-]+){{0,2}}\.twilio\.com\.?(?::\d+)?"
        r"(?=[/?#]|$)",
        re.IGNORECASE,
    )


class Registry:
    """Every operation, by name and by route."""

    def __init__(self) -> None:
        self._by_name: dict[str, Operation] = {}
        self._legacy: dict[str, str] = {}
        self._roots: dict[str, _Node] = {}
        self.domains: dict[str, Domain] = {}
        self.served = _served(())  # the origins of the hosts served
        # The domain a path without an API's prefix belongs to on a served fake (the one whose
        # prefix is empty), and what ``locate`` remembers of the hosts it saw.
        self.default: Domain | None = None
        self._hosts: dict[str, str] = {}
        self._prefixed: list[Domain] = []
        self._twilio: dict[tuple[str, str], tuple[str | None, str, str]] = {}

    def add_family(self, family: Family) -> None:
        """Serve ``family``'s host and operations (an operation that names no domain is on its
        family's)."""
        self.add_domain(family.domain)
        name = family.domain.name
        self.register(*(op if op.domain else replace(op, domain=name) for op in family.operations))

    def add_domain(self, domain: Domain) -> None:
        """Serve ``domain``'s hosts (a family declares its domain before its operations)."""
        known = self.domains.get(domain.name)
        if known is not None and known != domain:
            raise ValueError(f"domain {domain.name!r} is declared twice, differently")
        if not domain.prefix and self.default not in (None, domain):
            raise ValueError(f"domain {domain.name!r}: only one domain goes without a prefix")
        self.domains[domain.name] = domain
        self._roots.setdefault(domain.name, _Node())
        self.served = _served(self.domains.values())
        if not domain.prefix:
            self.default = domain
        self._hosts = {known.host: known.name for known in self.domains.values()}
        self._prefixed = [known for known in self.domains.values() if known.prefix]
        self._twilio.clear()

    def register(self, *operations: Operation) -> None:
        for operation in operations:
            if operation.name in self._by_name:
                raise ValueError(f"operation {operation.name!r} is declared twice")
            if operation.method not in _METHOD_ORDER:
                raise ValueError(f"{operation.name}: unknown method {operation.method}")
            node = self._roots.get(operation.domain)
            if node is None:
                raise ValueError(f"{operation.name}: unknown domain {operation.domain!r}")
            for segment in operation.path.strip("/").split("/"):
                if segment.startswith("{"):
                    node.wild = node.wild or _Node()
                    node = node.wild
                else:
                    node = node.literal.setdefault(segment, _Node())
            if operation.method in node.methods:
                raise ValueError(f"{operation.method} {operation.path} is declared twice")
            node.methods[operation.method] = operation
            node.allowed = ", ".join(sorted(node.methods, key=_METHOD_ORDER.index))
            self._by_name[operation.name] = operation
            if operation.legacy is not None:
                self._legacy[operation.legacy] = operation.name

    def route(
        self, method: str, path: str, domain: str | None
    ) -> tuple[Operation | None, tuple[str, ...], str | None]:
        """The operation for ``method`` on ``path`` of ``domain`` (None when the path allows
        other methods, or is unknown), the values of the path's parameters, and the methods the
        path allows (``"GET, POST"``; None for a path no operation has)."""
        node: _Node | None = self._roots.get(domain) if domain is not None else None
        if node is None:
            return None, (), None
        values: list[str] = []
        for segment in path[1:].split("/") if path.startswith("/") else ("\0",):
            assert node is not None
            child = node.literal.get(segment)
            if child is None:
                child = node.wild
                if child is None or not segment:
                    return None, (), None
                values.append(segment)
            node = child
        assert node is not None
        if not node.methods:
            return None, (), None
        operation = node.methods.get("GET" if method == "HEAD" else method)
        return operation, tuple(values), node.allowed

    def resource(self, path: str, domain: str | None) -> str:
        """A path as a 404's message names it: without the version, when it is one the domain
        serves (``/v1/Nothing`` is ``/Nothing`` on Flex; ``/v2/Channels`` stays whole)."""
        version, slash, rest = path[1:].partition("/")
        node = self._roots.get(domain) if domain is not None else None
        if slash and node is not None and version in node.literal:
            return f"/{rest}"
        return path

    def __iter__(self) -> Iterator[Operation]:
        """Every operation, grouped by domain in the order the domains were added, each
        domain's in the order they were declared."""
        order = {name: index for index, name in enumerate(self.domains)}
        return iter(sorted(self._by_name.values(), key=lambda op: order[op.domain]))

    def names(self) -> tuple[str, ...]:
        return tuple(op.name for op in self)

    def get(self, name: str) -> Operation | None:
        return self._by_name.get(name)

    def canonical(self, name: str | None, *, stacklevel: int = 3) -> str | None:
        """``name`` as the fake records it: an old name (``"create"``) becomes its operation's
        name (``"create_channel"``) with a ``DeprecationWarning``; an unknown one is refused."""
        if name is None or name in self._by_name:
            return name
        new = self._legacy.get(name)
        if new is not None:
            warnings.warn(
                f"the operation name {name!r} is deprecated: use {new!r}",
                DeprecationWarning,
                stacklevel=stacklevel,
            )
            return new
        raise ValueError(f"operation must be one of {self.names()} or None, got {name!r}")

    def supported(self) -> str:
        """What the fake answers, one operation a line (as failures name it)."""
        return "\n".join(f"    {op.method} {self.where(op)} ({op.name})" for op in self)

    def where(self, operation: Operation) -> str:
        """The operation's path as the table names it: the default domain's alone (Flex's),
        another host's after it."""
        if self.default is not None and operation.domain == self.default.name:
            return operation.path
        return f"{self.domains[operation.domain].host}.twilio.com{operation.path}"

    def table(self) -> str:
        """The table of operations, as Markdown (what ``python -m pytest_flexchannels
        operations`` prints and the README holds). ``*`` marks a required parameter."""
        lines = [
            "| operation | method and path | what it does | parameters | answer |",
            "|---|---|---|---|---|",
        ]
        for op in self:
            params = [f"`{name}` (path)" for name in op.path_params]
            params += [f"`{p.wire}`{'*' if p.required else ''} ({p.kind})" for p in op.params]
            if op.list_key is not None:
                params.append("`PageSize`, `Page`, `PageToken`")
            name = f"`{op.name}`" + (f" (was `{op.legacy}`)" if op.legacy else "")
            answer = f"{op.status}" + (f", list key `{op.list_key}`" if op.list_key else "")
            lines.append(
                f"| {name} | `{op.method} {self.where(op)}` | {op.summary} "
                f"| {', '.join(params) or '—'} | {answer} |"
            )
        return "\n".join(lines)

    # --- where a URL goes -----------------------------------------------------------------------

    def locate(self, parts: SplitResult) -> Place:
        """The place a request went, from its URL: on a Twilio host the host names the API
        (``chat.twilio.com``, ``flex-api.us1.twilio.com``); on any other (a served fake) a path
        prefix does (``/chat/v2/...``), and a path without one is the default domain's."""
        netloc, path = parts.netloc, parts.path
        known = self._twilio.get((parts.scheme, netloc))
        if known is not None:  # a Twilio host seen before (nearly every request)
            domain, origin, public = known
            return Place(
                domain, path, origin, f"{public}/v1" if path[:4] == "/v1/" else root(public, path)
            )
        default = self.default
        netloc = netloc.rpartition("@")[2]
        usable = parts.scheme in ("http", "https") and NETLOC.fullmatch(netloc) is not None
        if usable and TWILIO_NETLOC.search(netloc):
            domain = self._hosts.get(netloc.partition(".")[0].lower())
            if domain is not None:
                public = self.domains[domain].origin
            else:
                public = default.origin if default is not None else "https://api.twilio.com"
            origin = f"{parts.scheme}://{netloc}"
            if len(self._twilio) < 64 and parts.netloc == netloc:
                self._twilio[(parts.scheme, netloc)] = (domain, origin, public)
            return Place(domain, path, origin, root(public, path))
        name, prefix = (default.name, "") if default is not None else (None, "")
        for named in self._prefixed:
            if path == named.prefix or path.startswith(named.prefix + "/"):
                name, prefix, path = named.name, named.prefix, path[len(named.prefix) :] or "/"
                break
        if usable:
            origin = f"{parts.scheme}://{netloc}{prefix}"
        else:
            origin = self.domains[name].origin if name is not None else "https://api.twilio.com"
        return Place(name, path, origin, root(origin, path))

    def refusal(self, method: str, url: str) -> str | None:
        """Why a request to a Twilio host is refused (None for a host the fake serves)."""
        if self.served.match(url):
            return None
        served = ", ".join(f"{domain.host}.twilio.com" for domain in self.domains.values())
        return errors.refused(method, url, urlsplit(url).hostname or url, served)

    def to_served(self, url: str, base: str) -> str:
        """``url`` as a served fake at ``base`` takes it: a Twilio host of an API the fake serves
        becomes ``base`` and the API's prefix (``https://chat.twilio.com/v2/Services`` becomes
        ``{base}/chat/v2/Services``); any other URL is left as it is."""
        match = self.served.match(url)
        if match is None:
            return url
        host = match.group(1).lower()
        prefix = next(d.prefix for d in self.domains.values() if d.host == host)
        return f"{base}{prefix}{url[match.end() :]}"

    def allowed_methods(self, url: str) -> str | None:
        """The methods the path of ``url`` allows (``"GET, POST"``), or None for a path the fake
        does not know: what a CORS preflight is answered with."""
        place = self.locate(split(url))
        return self.route("GET", place.path, place.domain)[2]


# The request path's table of operations: empty here, filled by ``families`` (the one list of
# families, and the only module that names them all) when it is imported.
REGISTRY = Registry()
