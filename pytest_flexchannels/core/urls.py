"""A request's URL and fields as the fake reads them: shared by the request path and by the
recorded calls, which read them again on demand instead of keeping copies. (Which API a URL
names is the registry's to say: ``Registry.locate``.)"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple
from urllib.parse import SplitResult, unquote_plus

from . import errors, surrogates


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
NETLOC = re.compile(r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
TWILIO_NETLOC = re.compile(r"\.twilio\.com\.?(?::[0-9]+)?$")


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


def root(origin: str, path: str) -> str:
    """``origin`` and the path's version segment: ``https://chat.twilio.com/v2``."""
    version = path[1:].partition("/")[0] if path.startswith("/") else ""
    return f"{origin}/{version or 'v1'}"
