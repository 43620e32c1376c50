"""A request's URL and fields as the fake reads them: shared by the request path and by the
recorded calls, which read them again on demand instead of keeping copies."""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple
from urllib.parse import SplitResult, unquote_plus

from ..models import API_ROOT, PUBLIC_ORIGIN
from . import errors, surrogates
from .registry import FLEX, REGISTRY, Domain


def fields(text: str) -> dict[str, str]:
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


def values(text: str, name: str) -> list[str]:
    """Every value of a repeated form or query field (``Configuration.Filters``), in order."""
    found = []
    for field in text.split("&"):
        key, _, value = field.partition("=")
        if "%" in field or "+" in field:
            key = unquote_plus(key, errors="replace")
            value = unquote_plus(value, errors="replace")
        if key == name:
            found.append(value)
    return found


# What may stand between ``scheme://`` and the path of a URL the fake writes: a host name or an
# IP address, and a port. Anything else a Host header carried is not echoed into answers.
_NETLOC = re.compile(r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
_TWILIO_NETLOC = re.compile(r"\.twilio\.com\.?(?::[0-9]+)?$")
_PUBLIC_NETLOC = PUBLIC_ORIGIN.removeprefix("https://")


class Place(NamedTuple):
    """Where a request went: the API ``domain`` that serves it (None for a Twilio host the fake
    does not model), its ``path`` as that API names it, the ``origin`` its page URLs name and
    the ``root`` its resources' URLs name (``{origin}/v1``; Twilio's public one on any Twilio
    host, as the helper library puts its edge and region back in)."""

    domain: str | None
    path: str
    origin: str
    root: str


def json_fields(raw: str) -> dict[str, Any]:
    """A JSON body's members, nested values as JSON text; a body that is not JSON is read as a
    form (the async helper library sends its JSON operations' data form-encoded). A member that
    holds a lone UTF-16 surrogate, in its name or anywhere in its value, is 400/20001 naming it:
    stored, it would fail every answer that shows it."""
    try:
        value = json.loads(raw) if raw.strip() else {}
    except (ValueError, RecursionError):
        return fields(raw)
    if not isinstance(value, dict):
        return {}
    if surrogates.escaped(raw):
        for name, member in value.items():
            if surrogates.found(name) or surrogates.found(member):
                shown = surrogates.shown(name)
                raise errors.invalid_parameter(shown, errors.EXPECTED_TEXT)
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


def _root(origin: str, path: str) -> str:
    """``origin`` and the path's version segment: ``https://chat.twilio.com/v2``."""
    version = path[1:].partition("/")[0] if path.startswith("/") else ""
    return f"{origin}/{version or 'v1'}"


def locate(parts: SplitResult) -> Place:
    """The place a request went, from its URL: on a Twilio host the host names the API
    (``chat.twilio.com``, ``flex-api.us1.twilio.com``); on any other (a served fake) a path
    prefix does (``/chat/v2/...``), and a path without one is Flex's."""
    netloc, path = parts.netloc, parts.path
    if netloc == _PUBLIC_NETLOC and parts.scheme == "https":  # nearly every request
        return Place(
            FLEX.name,
            path,
            PUBLIC_ORIGIN,
            API_ROOT if path[:4] == "/v1/" else _root(PUBLIC_ORIGIN, path),
        )
    known = _twilio.get((parts.scheme, netloc))
    if known is not None:  # a Twilio host seen before (chat.twilio.com, a region's)
        domain, origin, public = known
        return Place(domain, path, origin, _root(public, path))
    netloc = netloc.rpartition("@")[2]
    usable = parts.scheme in ("http", "https") and _NETLOC.fullmatch(netloc) is not None
    if usable and _TWILIO_NETLOC.search(netloc):
        domain = _by_host().get(netloc.partition(".")[0].lower())
        public = REGISTRY.domains[domain].origin if domain is not None else PUBLIC_ORIGIN
        origin = f"{parts.scheme}://{netloc}"
        if len(_twilio) < 64 and parts.netloc == netloc:
            _twilio[(parts.scheme, netloc)] = (domain, origin, public)
        return Place(domain, path, origin, _root(public, path))
    domain, prefix = FLEX.name, ""
    for named in _prefixed():
        if path == named.prefix or path.startswith(named.prefix + "/"):
            domain, prefix, path = named.name, named.prefix, path[len(named.prefix) :] or "/"
            break
    origin = f"{parts.scheme}://{netloc}{prefix}" if usable else REGISTRY.domains[domain].origin
    return Place(domain, path, origin, _root(origin, path))


_hosts: dict[str, str] = {}
# Twilio hosts by (scheme, netloc), as located once: (domain, origin, public origin).
_twilio: dict[tuple[str, str], tuple[str | None, str, str]] = {}
_prefixes: list[Domain] = []


def _by_host() -> dict[str, str]:
    """Domain names by the first label of their hosts (the registry's, read once it grew)."""
    if len(_hosts) != len(REGISTRY.domains):
        _hosts.clear()
        _hosts.update({domain.host: domain.name for domain in REGISTRY.domains.values()})
    return _hosts


def _prefixed() -> list[Domain]:
    if len(_prefixes) != sum(1 for domain in REGISTRY.domains.values() if domain.prefix):
        _prefixes[:] = [domain for domain in REGISTRY.domains.values() if domain.prefix]
    return _prefixes


# scheme://netloc, then the path, the query and a fragment: what every transport hands over.
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^?#]*)(?:\?([^#]*))?")


def split(url: str) -> SplitResult:
    """``urlsplit`` for the absolute URLs transports give, at a third of its cost on a URL not
    seen before (every fetch and delete names a new SID). A URL without ``scheme://`` is all
    path, which no route matches."""
    match = _URL.match(url)
    if match is None:
        return SplitResult("", "", url, "", "")
    scheme, netloc, path, query = match.groups()
    return SplitResult(scheme.lower(), netloc, path, query or "", "")
