"""A request's URL and fields as the fake reads them: shared by the request path and by the
recorded calls, which read them again on demand instead of keeping copies."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, unquote_plus

from .models import API_ROOT, PUBLIC_ORIGIN


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


# What may stand between ``scheme://`` and the path of a URL the fake writes: a host name or an
# IP address, and a port. Anything else a Host header carried is not echoed into answers.
_NETLOC = re.compile(r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
_TWILIO_NETLOC = re.compile(r"\.twilio\.com\.?(?::[0-9]+)?$")
_PUBLIC_NETLOC = PUBLIC_ORIGIN.removeprefix("https://")


def roots(parts: SplitResult) -> tuple[str, str]:
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


def split(url: str) -> SplitResult:
    """``urlsplit`` for the absolute URLs transports give, at a third of its cost on a URL not
    seen before (every fetch and delete names a new SID). A URL without ``scheme://`` is all
    path, which no route matches."""
    match = _URL.match(url)
    if match is None:
        return SplitResult("", "", url, "", "")
    scheme, netloc, path, query = match.groups()
    return SplitResult(scheme.lower(), netloc, path, query or "", "")
