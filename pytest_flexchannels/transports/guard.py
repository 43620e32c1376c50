"""What a served fake lets in from browsers and from other users of the machine: which ``Origin``
a page may call it from (loopback pages by default), the CORS grant it answers them with, and the
optional token its control API asks for.

A page on any site can make its browser send requests to ``127.0.0.1``; it cannot make it send
them without an ``Origin`` header (on every cross-origin ``POST``, ``DELETE`` or preflight) nor
read an answer the server did not grant it. So the origin a request comes from decides, before
anything else, whether it is served.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from collections.abc import Iterable, Mapping

# An origin as browsers serialise it (RFC 6454): scheme, host (an IPv6 literal in brackets) and
# a port when it is not the scheme's default; no path, no credentials.
_ORIGIN = re.compile(r"([a-z][a-z0-9+.-]*)://(\[[0-9a-f:.]+\]|[^\s:/?#@\[\]]+)(?::(\d{1,5}))?")
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_TOKEN = re.compile(r"[\x21-\x7e]+")  # visible ASCII: it travels in a header
# The headers a granted page may read besides the simple ones (the official description declares
# the Access-Control-* headers on the answers of Flex's operations).
_EXPOSED = "Twilio-Request-Id, Retry-After"


def loopback_origin(origin: str) -> bool:
    """Whether an ``Origin`` names a page served from this machine: ``http(s)://localhost``,
    ``127.0.0.0/8`` or ``[::1]``, any port. ``null`` is not: a page from any site sends it from
    a sandboxed frame, a ``data:`` URL or after a redirect."""
    found = _ORIGIN.fullmatch(origin.lower())
    if found is None or found.group(1) not in _DEFAULT_PORTS:
        return False
    host = found.group(2)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _normal(origin: str) -> str | None:
    """An origin as a browser would send it (lower case, no default port, no final slash), or
    None if it is not one."""
    found = _ORIGIN.fullmatch(origin.strip().lower().removesuffix("/"))
    if found is None:
        return None
    scheme, host, port = found.groups()
    port = None if port == _DEFAULT_PORTS.get(scheme) else port
    return f"{scheme}://{host}" + (f":{port}" if port else "")


class CorsOrigins:
    """The origins whose pages may call the Flex API routes of a served fake.

    ``None`` (the default): loopback pages only, the origin reflected with ``Vary: Origin``.
    ``"*"``: any page, as ``Access-Control-Allow-Origin: *``. Origins (``"https://app.test:3000"``,
    ``"null"`` for a page opened from a file): those as well as loopback pages.
    """

    def __init__(self, origins: str | Iterable[str] | None = None) -> None:
        given = [origins] if isinstance(origins, str) else list(origins or ())
        self.any = "*" in given
        listed: set[str] = set()
        for origin in given:
            if origin in ("*", "null"):
                listed.add(origin)
                continue
            normal = _normal(origin) if isinstance(origin, str) else None
            if normal is None:
                raise ValueError(
                    f"cors_origins takes origins such as 'https://app.test:3000', 'null' or '*', "
                    f"not {origin!r}"
                )
            listed.add(normal)
        self._listed = frozenset(listed)

    def allows(self, origin: str) -> bool:
        if self.any or loopback_origin(origin):
            return True
        return (origin if origin == "null" else _normal(origin)) in self._listed

    def grant(self, origin: str | None) -> dict[str, str]:
        """The CORS headers of an answer to a request from ``origin`` (None: not a browser's
        cross-origin request), which ``allows()`` let in."""
        if self.any:
            return {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": _EXPOSED}
        if origin is None:  # the same answer without a grant: a cache must tell them apart
            return {"Vary": "Origin"}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Expose-Headers": _EXPOSED,
            "Vary": "Origin",
        }


def checked_token(token: str | None) -> str | None:
    """A control token as a served fake takes it: visible ASCII, since it travels in a header."""
    if token is not None and (not isinstance(token, str) or _TOKEN.fullmatch(token) is None):
        raise ValueError("control_token must be a non-empty string of visible ASCII characters")
    return token


def bearer(headers: Mapping[str, str]) -> str | None:
    """The token of an ``Authorization: Bearer`` header (lower-case names), if there is one."""
    scheme, _, credentials = headers.get("authorization", "").strip().partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


def token_matches(given: str, token: str) -> bool:
    """In a time that does not tell how much of it matched. Header text arrives as Latin-1."""
    return hmac.compare_digest(given.encode("latin-1", "replace"), token.encode())
