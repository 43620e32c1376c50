"""Text that always encodes: a lone UTF-16 surrogate (``"\\ud83d"``, half of an emoji a
JavaScript client cut in two) is refused wherever text enters the fake, so that no stored value
ever fails to render as UTF-8 (an answer, a webhook's form, the control API's JSON).

Forms cannot carry one (they are decoded as UTF-8 with replacement); JSON can, as an escape
(``\\ud83d``), and Python strings can, so JSON text from outside and the fixture's arguments are
checked. The checks cost nothing on the usual path: JSON text is walked only when it holds a
surrogate escape at all (an emoji's pair does too, and passes)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from .errors import EXPECTED_TEXT


def escaped(raw: str | bytes) -> bool:
    """Whether JSON text may hold a surrogate (an escape of U+D800 to U+DFFF): the cheap test
    before any walk of what it parsed to."""
    if isinstance(raw, bytes):
        return b"\\ud" in raw or b"\\uD" in raw
    return "\\ud" in raw or "\\uD" in raw


def whole(text: str) -> bool:
    """Whether ``text`` encodes as UTF-8 (holds no lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def found(value: Any) -> bool:
    """Whether a lone surrogate is anywhere in ``value``: a string, or the keys and values of
    mappings and the items of lists and tuples within it (walked without recursion, however
    deep the nesting JSON allowed)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not item.isascii() and not whole(item):
                return True
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False


def shown(text: str) -> str:
    """``text`` safe to show anywhere: a lone surrogate as its escape (``\\ud83d``)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def check(name: str, value: Any) -> None:
    """The fixture's refusal of an argument holding a lone surrogate: ``ValueError`` naming it."""
    if value is not None and found(value):
        raise ValueError(f"{name} {EXPECTED_TEXT}")


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _number(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text} is past the range of a JSON number")
    return value


# Made once: ``json.loads`` with hooks would make a decoder for every call.
_DECODER = json.JSONDecoder(parse_constant=_constant, parse_float=_number)


def loads(raw: str) -> Any:
    """JSON text from outside, parsed: ``ValueError`` (as for malformed text) for a lone
    surrogate (RFC 8259 leaves what it means to each parser), ``NaN`` and ``Infinity`` (not
    JSON) and a number past a double's range (what it renders as is not JSON either)."""
    value = _DECODER.decode(raw)
    if escaped(raw) and found(value):
        raise ValueError("a lone UTF-16 surrogate is not text")
    return value
