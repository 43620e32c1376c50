"""Paging, for every list operation alike: how its pages read (``PageSpec``), the view of a
request a page is rendered for (its context while answering, its recorded call later), the
paging parameters, signed page tokens, and a page's JSON text."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, NamedTuple, Protocol, TypeVar
from urllib.parse import urlencode

from . import errors
from .order import records as _records

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
_TOKEN = re.compile(r"(P[AB])([0-9a-f]{1,16})-([0-9a-f]{16})")


class PageSpec(NamedTuple):
    """How a list operation's pages read: the path page tokens are bound to (with the
    account) and page URLs name (None: the request's own, for a list under a parent such as
    ``/v2/Services/{ServiceSid}/Channels``), the list key, how an item renders
    (``render(view, record)``, as an answer's renderer is called), its position in the list's
    order, and the filter parameters every page URL carries, first."""

    path: str | None
    key: str
    render: Callable[[View, Any], str]
    position: Callable[[Any], int]
    filters: tuple[str, ...] = ()


class View(Protocol):
    """What renders an answer: the request's context while answering, the recorded call
    later. ``resource`` is the request's path as its API names it."""

    @property
    def account_sid(self) -> str | None: ...

    @property
    def params(self) -> Mapping[str, str]: ...

    @property
    def origin(self) -> str: ...

    @property
    def root(self) -> str: ...

    @property
    def resource(self) -> str: ...


def window(
    right: Callable[[int], int],
    left: Callable[[int], int],
    size: int,
    offset: int,
    after: int | None,
    before: int | None,
) -> tuple[int, int]:
    """The slice of a creation order a page covers: ``size`` items after, or before, a position
    served earlier (which may since be gone), else from ``offset``. ``right`` and ``left`` bisect
    the order's positions."""
    if after is not None:
        start = right(after)
        return start, start + size
    if before is not None:
        end = left(before)
        return max(0, end - size), end
    return offset, offset + size


def window_of(
    items: list[T],
    position: Callable[[T], int],
    size: int,
    offset: int,
    after: int | None,
    before: int | None,
) -> tuple[list[T], bool]:
    """A page of a plain list already in order of ``position`` (``window`` over it), and
    whether items follow it: for resources that hold a handful of records, or scan for them."""
    positions = [position(item) for item in items]
    start, end = window(
        partial(bisect_right, positions),
        partial(bisect_left, positions),
        size,
        offset,
        after,
        before,
    )
    return items[start:end], end < len(items)


def page_meta(
    origin: str,
    *,
    page: int,
    page_size: int,
    token: str | None = None,
    next_token: str | None = None,
    previous_token: str | None = None,
    path: str,
    key: str,
    filters: str = "",
) -> dict[str, Any]:
    """A list page's ``meta``, its URLs on ``origin`` (the host the request came to).

    ``token`` is the one this page was requested with; ``next_token`` is None on the last page;
    a previous page URL exists whenever ``page`` > 0 (by offset when ``previous_token`` is None).
    ``filters`` is the encoded query of list filters, which every page URL carries first.
    """
    base = f"{origin}{path}?{filters + '&' if filters else ''}PageSize={page_size}&Page="
    previous_url = None
    if page > 0:
        previous_url = f"{base}{page - 1}"
        if previous_token is not None:
            previous_url += f"&PageToken={previous_token}"
    next_url = None if next_token is None else f"{base}{page + 1}&PageToken={next_token}"
    return {
        "page": page,
        "page_size": page_size,
        "first_page_url": f"{base}0",
        "previous_page_url": previous_url,
        "url": f"{base}{page}" + (f"&PageToken={token}" if token is not None else ""),
        "next_page_url": next_url,
        "key": key,
    }


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


class Pages:
    """One fake's paging: its page tokens, signed so that an edited or foreign token is refused
    as Twilio refuses it, the last page of each list kept once, and a renderer for each list
    operation made once (a recorded page holds a reference to it)."""

    def __init__(self, seed: object) -> None:
        self._pages: dict[tuple[str, str | None], tuple[Any, ...]] = {}
        self._renderers: dict[PageSpec, Callable[..., str]] = {}
        self._token_key = hashlib.sha256(f"flex-page-token:{seed}".encode()).digest()

    def renderer(self, spec: PageSpec) -> Callable[..., str]:
        """``render`` for ``spec``'s pages, made once."""
        found = self._renderers.get(spec)
        if found is None:
            found = self._renderers[spec] = partial(self.render, spec)
        return found

    def paging(self, view: View, path: str) -> tuple[int, int, int | None, int | None]:
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
            kind, at = self.read_token(view.account_sid, path, token)
            after, before = (at, None) if kind == "PA" else (None, at)
        return min(requested, MAX_PAGE_SIZE), page, after, before

    def render(
        self,
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
        paging = getattr(view, "paging", None) or self.paging(view, path)
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
                next_token = self.token(account_sid, path, "PA", last)
        if page > 0 and records:
            previous_token = self.token(account_sid, path, "PB", position(records[0]))
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
        render = spec.render
        items = ", ".join([render(view, record) for record in records])
        return f'{{"meta": {json.dumps(meta)}, "{spec.key}": [{items}]}}'

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
