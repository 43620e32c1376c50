"""Parameters: how a value is checked (``Param`` and its checks), how an operation's are
checked together (``_Plan``), and the parameters Twilio's official descriptions give each
operation (``described``, from the generated ``reference_params``), so that a resource module
names only where the fake differs from them or goes beyond them (a ``Rule``, with its reason).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from . import errors, sids, surrogates
from .reference_params import TABLE

Check = Callable[[str, Any], Any]  # (wire name, raw value) -> value, or raise a FlexApiError

_BOOLEANS = {"true": True, "false": False}
_INTEGER = re.compile(r"-?[0-9]{1,18}")
_URL = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)


def text(wire: str, raw: Any) -> Any:
    return raw


def boolean(wire: str, raw: Any) -> bool:
    """``true``/``false`` in any case, as the helper library sends booleans (or a Python bool)."""
    if raw is True or raw is False:
        return bool(raw)
    value = _BOOLEANS.get(str(raw).lower())
    if value is None:
        raise errors.invalid_parameter(wire, errors.EXPECTED_BOOLEAN)
    return value


def integer(wire: str, raw: Any) -> int:
    if not _INTEGER.fullmatch(str(raw)):
        raise errors.invalid_parameter(wire, errors.EXPECTED_INTEGER)
    return int(raw)


def url(wire: str, raw: Any) -> str:
    """An absolute http(s) URL that ``urlsplit`` splits, as delivery does: one it cannot split
    (``http://[/``, ``http://a]b/``) would fail every webhook sent to it."""
    if not _URL.fullmatch(raw):
        raise errors.invalid_parameter(wire, errors.EXPECTED_URL)
    try:
        urlsplit(raw)
    except ValueError:
        raise errors.invalid_parameter(wire, errors.EXPECTED_URL) from None
    return str(raw)


def date_time(wire: str, raw: Any) -> datetime:
    """An ISO 8601 date and time with a time zone (``2026-06-01T10:00:00Z``), in UTC; one that
    is not in UTC's years 1000 to 9999 is refused as not a date."""
    moment: datetime | None
    try:
        given = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        # In UTC: 9999-12-31T23:00:00-05:00 is past the last date Python (and Twilio) can write.
        moment = given.astimezone(timezone.utc) if given.tzinfo is not None else None
    except (ValueError, OverflowError):
        moment = None
    # Twilio's dates have four-digit years (a date before 1000 has no such form).
    if moment is None or moment.year < 1000:
        raise errors.invalid_parameter(wire, errors.EXPECTED_DATE)
    return moment.replace(microsecond=0)


date_time.__name__ = "ISO 8601 date"


def json_text(wire: str, raw: Any) -> str:
    """A string that must hold JSON (no lone surrogate, NaN or Infinity: see ``surrogates``);
    kept as the text given."""
    try:
        surrogates.loads(raw)
    except (ValueError, RecursionError):
        raise errors.invalid_parameter(wire, errors.EXPECTED_JSON) from None
    return str(raw)


def json_object(wire: str, raw: Any) -> dict[str, Any]:
    """A JSON object, given as JSON text (how the helper library sends ``Channel``); one that
    holds a lone surrogate, NaN or Infinity is not one."""
    try:
        value = surrogates.loads(raw)
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        raise errors.invalid_parameter(wire, errors.EXPECTED_JSON_OBJECT)
    return value


json_object.__name__ = "JSON object"


def sid(prefix: str) -> Check:
    def check(wire: str, raw: Any) -> str:
        if not sids.is_sid(raw, prefix):
            raise errors.invalid_sid(wire, prefix)
        return str(raw)

    check.__name__ = f"`{prefix}…` SID"
    return check


def one_of(values: Iterable[str]) -> Check:
    allowed = tuple(values)

    def check(wire: str, raw: Any) -> str:
        if raw not in allowed:
            message = errors.EXPECTED_ONE_OF.format(values=", ".join(allowed))
            raise errors.invalid_parameter(wire, message)
        return str(raw)

    check.__name__ = f"one of {', '.join(allowed)}"
    return check


def integer_in(values: range, expected: str) -> Check:
    def check(wire: str, raw: Any) -> int:
        if not _INTEGER.fullmatch(str(raw)) or int(raw) not in values:
            raise errors.invalid_parameter(wire, expected)
        return int(raw)

    check.__name__ = f"integer {values.start} to {values.stop - 1}"
    return check


@dataclass(frozen=True)
class Param:
    """One parameter: its wire name, its Python name, how its value is checked, and whether a
    request must carry it. An empty value counts as absent."""

    wire: str
    python: str
    check: Check = text
    required: bool = False

    @property
    def kind(self) -> str:
        """What the value must be, as the table of operations shows it."""
        name = getattr(self.check, "__name__", "text")
        return {"url": "URL", "json_text": "JSON text"}.get(name, name)


class _Plan:
    """Checks the parameters of one operation by Python name: absent required ones first, in
    declared order (Twilio names the first), then each value given, in declared order. Values
    come by wire name (a request) or by Python name (seeding).

    It runs for every create, and seeding a million channels feels each step: it checks the
    fields given, in the order given, and only when one is wrong (or a required one absent)
    goes through every parameter in declared order to raise the error Twilio names first."""

    __slots__ = ("_by_python", "_by_wire", "_checks", "_required")

    def __init__(self, params: tuple[Param, ...]) -> None:
        self._required = tuple((p.wire, p.python) for p in params if p.required)
        # (wire name, Python name, the check, or None for text taken as it is)
        self._checks = tuple(
            (p.wire, p.python, None if p.check is text else p.check) for p in params
        )
        self._by_wire = {check[0]: check for check in self._checks}
        self._by_python = {check[1]: check for check in self._checks}

    def __call__(self, values: Mapping[str, Any], by_wire: bool) -> dict[str, Any]:
        known = self._by_wire if by_wire else self._by_python
        checked: dict[str, Any] = {}
        try:
            for name, raw in values.items():
                found = known.get(name)
                if found is not None and raw is not None and raw != "":
                    wire, python, check = found
                    checked[python] = raw if check is None else check(wire, raw)
        except errors.FlexApiError:
            return self._in_order(values, by_wire)
        for _, python in self._required:
            if python not in checked:
                return self._in_order(values, by_wire)
        return checked

    def _in_order(self, values: Mapping[str, Any], by_wire: bool) -> dict[str, Any]:
        get = values.get
        for wire, python in self._required:
            if not get(wire if by_wire else python):
                raise errors.missing_parameter(wire)
        checked: dict[str, Any] = {}
        for wire, python, check in self._checks:
            raw = get(wire if by_wire else python)
            if raw is not None and raw != "":
                checked[python] = raw if check is None else check(wire, raw)
        return checked


# --- the parameters the descriptions give -------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """Where the fake deliberately differs from Twilio's description of one parameter, or goes
    beyond it; ``why`` says how, in a line. ``check`` and ``required`` replace the described
    ones; ``skip`` leaves a described parameter out (the fake ignores it, as any unknown one; a
    name ending in ``.`` leaves out its group); ``added`` declares one the description lacks
    (appended, in the order given; ``python`` names it where the naming rule does not)."""

    wire: str
    why: str
    check: Check | None = None
    required: bool | None = None
    skip: bool = False
    added: bool = False
    python: str | None = None


def _in_group(wire: str, group: str) -> bool:
    return group.endswith(".") and wire.startswith(group)


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def python_name(wire: str, names: Mapping[str, str] | None = None) -> str:
    """The Python name the handlers read: ``names``' entry for the wire name, else for its
    dotted group (``{"AutoCreation.": "auto_"}``) before the snake case of the rest, else the
    snake case of its last part (``Integration.FlowSid``: ``flow_sid``)."""
    if names:
        if wire in names:
            return names[wire]
        group, dot, last = wire.rpartition(".")
        if dot and group + dot in names:
            return names[group + dot] + _CAMEL.sub("_", last).lower()
    return _CAMEL.sub("_", wire.rpartition(".")[2]).lower()


def _derived(kind: str, detail: Any) -> Check:
    """The check a described kind (see ``scripts/reference_params.py``) gets; a parameter
    given once a value is checked a value at a time."""
    kind = kind.removesuffix("[]")
    if kind == "sid":
        return sid(detail)
    if kind == "enum":
        return one_of(detail)
    if kind == "integer" and detail is not None:
        raise ValueError(f"an integer bounded {detail} needs a Rule saying what Twilio answers")
    return _CHECKS[kind]


_CHECKS: dict[str, Check] = {
    "string": text,
    "boolean": boolean,
    "integer": integer,
    "date-time": date_time,
    "uri": url,
    "object": json_object,
}


def described(
    host: str,
    method: str,
    path: str,
    *rules: Rule,
    names: Mapping[str, str] | None = None,
) -> tuple[Param, ...]:
    """The parameters Twilio's description gives ``method`` on ``path`` of the API at ``host``
    (``"chat"``), in its order, each with its Python name (``python_name``) and the check its
    kind gets, as ``rules`` change them. Built once, at import: requests check them through the
    operation's ``_Plan`` as before."""
    rows = TABLE.get((host, method, path))
    if rows is None:
        raise LookupError(
            f"{method} {host} {path}: not in reference_params (declare its Params by hand, "
            "then run scripts/reference_params.py)"
        )
    if not all(rule.why for rule in rules):
        raise ValueError(f"{method} {path}: a rule says not why")
    if len({rule.wire for rule in rules}) != len(rules):
        raise ValueError(f"{method} {path}: a parameter has two rules")
    wires = [row[0] for row in rows]
    for rule in rules:
        known = any(w == rule.wire or (rule.skip and _in_group(w, rule.wire)) for w in wires)
        if known == rule.added or (rule.python is not None and not rule.added):
            raise ValueError(f"{method} {path}: the rule for {rule.wire} does not fit")
    for key in names or ():
        if not any(w == key or _in_group(w, key) for w in wires):
            raise ValueError(f"{method} {path}: no parameter is named {key}")
    params = []
    for wire, required, kind, detail in rows:
        found = [r for r in rules if r.wire == wire or (r.skip and _in_group(wire, r.wire))]
        if found and found[0].skip:
            continue
        rule = found[0] if found else Rule(wire, "")
        if rule.required is not None:
            required = rule.required
        check = rule.check or _derived(kind, detail)
        params.append(Param(wire, python_name(wire, names), check, required))
    params += [
        Param(r.wire, r.python or python_name(r.wire, names), r.check or text, bool(r.required))
        for r in rules
        if r.added
    ]
    return tuple(params)
