"""A raw fuzzer of the served fake: every operation of every family and every control route,
sent over a real socket with hostile paths, queries, forms, JSON and headers.

Each example resets one served fake, builds a world its valid-looking SIDs name (a Flex
channel, flow and web channel; Chat's service, channel, member, message, user and webhook; a
conversation with its participant, message and webhook; an address configuration; an
interaction with its channel, participant and transfer), then sends up to two requests to any
route and one to the route under test, and after them what a client does next with whatever
state they left: the agent replies in the chat and in the conversation (their webhooks fire,
over HTTP back to the server), and one read of what is stored. No answer may be a 5xx or show
a traceback, every refusal is Twilio's error body, every success is as the official
description says, nothing is logged with a traceback, and the server still answers
``/__flex/state`` at the end.

The short run is in every test run; ``--fuzz`` adds the long one, per operation and route.
"""

from __future__ import annotations

import functools
import http.client
import json
import logging
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import quote, quote_from_bytes, quote_plus

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from pytest_flexchannels import FlexChannelsMock, FlexServer
from pytest_flexchannels.control import ROUTES
from pytest_flexchannels.core.http import CONTROL_PREFIX
from pytest_flexchannels.core.registry import Operation
from pytest_flexchannels.families import REGISTRY
from pytest_flexchannels.transports.server import MAX_HEAD
from tests.helpers import (
    ERROR_KEYS,
    JsonBody,
    basic_auth,
    chat_interaction,
    check_answer,
    examples,
    validate_body,
)

WORKSPACE = "WS" + "a" * 32
# Where each family is served (a served fake names the API by a path prefix; Flex's is empty).
PREFIXES = {name: domain.prefix for name, domain in REGISTRY.domains.items()}

# --- the world the valid-looking SIDs name ----------------------------------------------------

# The world's record a path parameter names, by the path up to it (parameters as ``{}``).
PATH_KEYS = {
    "/v1/Channels/{}": "channel",
    "/v1/FlexFlows/{}": "flow",
    "/v1/WebChannels/{}": "web_channel",
    "/v1/Interactions/{}": "interaction",
    "/v1/Interactions/{}/Channels/{}": "interaction_channel",
    "/v1/Interactions/{}/Channels/{}/Participants/{}": "interaction_participant",
    "/v1/Interactions/{}/Channels/{}/Transfers/{}": "transfer",
    "/chat/v2/Services/{}": "chat_service",
    "/chat/v2/Services/{}/Channels/{}": "chat_channel",
    "/chat/v2/Services/{}/Channels/{}/Messages/{}": "chat_message",
    "/chat/v2/Services/{}/Channels/{}/Members/{}": "chat_member",
    "/chat/v2/Services/{}/Channels/{}/Webhooks/{}": "chat_webhook",
    "/chat/v2/Services/{}/Users/{}": "chat_user",
    "/conversations/v1/Services/{}": "conversation_service",
    "/conversations/v1/Configuration/Addresses/{}": "address",
}
for _scope in ("/conversations/v1", "/conversations/v1/Services/{}"):
    PATH_KEYS[f"{_scope}/Conversations/{{}}"] = "conversation"
    for _kind in ("Participants", "Messages", "Webhooks"):
        PATH_KEYS[f"{_scope}/Conversations/{{}}/{_kind}/{{}}"] = _kind.lower()[:-1]


def _world(fake: FlexChannelsMock, hook: str) -> dict[str, str]:
    """Make the world in process, and name its records (and the names some paths also take: a
    chat member's identity, a conversation's unique name). Its webhooks go to ``hook``."""
    client = fake.client()
    channel = fake.create_channel(identity="already-here")
    service = client.chat.v2.services(channel.chat_service_sid)
    chat = service.channels(channel.sid)
    web_channel = client.flex_api.v1.web_channel.create(
        flex_flow_sid=fake.flex_flow_sid,
        identity="web-customer",
        customer_friendly_name="Ada",
        chat_friendly_name="Chat with Ada",
    )
    conversations = client.conversations.v1
    conversation = conversations.conversations.create(unique_name="fuzzed")
    scoped = conversations.conversations(conversation.sid)
    participant = scoped.participants.create(identity="already-here")  # the interaction's too
    interaction = chat_interaction(client, conversation.sid)
    interaction_channel = client.flex_api.v1.interaction(interaction.sid).channels(
        interaction.channel["sid"]
    )
    return {
        "account": fake.account_sid,
        "flow": fake.flex_flow_sid,
        "channel": channel.sid,
        "web_channel": web_channel.sid,
        "chat_service": channel.chat_service_sid,
        "chat_channel": channel.sid,
        "chat_message": chat.messages.create(body="hello").sid,
        "chat_member": chat.members("already-here").fetch().sid,
        "chat_webhook": chat.webhooks.create(
            type="webhook",
            configuration_url=hook,
            configuration_filters=["onMessageSent", "onChannelUpdated", "onMemberAdded"],
        ).sid,
        "chat_user": channel.user_sid,
        "identity": "already-here",
        "conversation_service": conversation.chat_service_sid,
        "conversation": conversation.sid,
        "unique_name": "fuzzed",
        "participant": participant.sid,
        "message": scoped.messages.create(author="already-here", body="hello").sid,
        "webhook": scoped.webhooks.create(
            target="webhook",
            configuration_url=hook,
            configuration_filters=["onMessageAdded", "onConversationStateUpdated"],
        ).sid,
        "address": conversations.address_configurations.create(
            type="chat", address="web", auto_creation_enabled=True
        ).sid,
        "interaction": interaction.sid,
        "interaction_channel": interaction.channel["sid"],
        "interaction_participant": interaction_channel.participants.list()[0].sid,
        "transfer": interaction_channel.transfers.create(JsonBody(type="warm")).sid,
    }


# --- what is fuzzed ---------------------------------------------------------------------------


class Target(NamedTuple):
    """An operation or a control route: its method, its served path template (parameters as
    ``{}``), the world's key of each parameter (None: a control route's, any record), the
    fields it takes and how (``form``, ``json``, ``query``), and the operation that answers
    each method on its path (for the body a success must have)."""

    label: str
    method: str
    template: str
    keys: tuple[str | None, ...]
    fields: tuple[str, ...]
    body: str
    control: bool
    answers: dict[str, str]


def _template(op: Operation) -> str:
    return re.sub(r"\{\w+\}", "{}", PREFIXES[op.domain] + op.path)


def _targets() -> list[Target]:
    found: list[Target] = []
    by_path: dict[str, dict[str, str]] = {}
    for op in REGISTRY:
        by_path.setdefault(_template(op), {})[op.method] = op.name
    for op in REGISTRY:
        template = _template(op)
        segments = template.split("/")
        keys = tuple(
            PATH_KEYS["/".join(segments[: i + 1])]
            for i, segment in enumerate(segments)
            if segment == "{}"
        )
        fields = tuple(p.wire for p in op.params)
        if op.list_key is not None:
            fields += ("PageSize", "Page", "PageToken")
        answers = dict(by_path[template])
        if "GET" in answers:
            answers["HEAD"] = answers["GET"]
        found.append(Target(op.name, op.method, template, keys, fields, op.body, False, answers))
    for route in ROUTES:
        sid: tuple[str | None, ...] = (None,) if "{sid}" in route.path else ()
        body = "query" if route.method == "GET" else "json"
        label = f"control {route.method} {route.path}"
        template = CONTROL_PREFIX + route.path.replace("{sid}", "{}")
        found.append(
            Target(label, route.method, template, sid, tuple(route.fields), body, True, {})
        )
    return found


TARGETS = _targets()


@dataclass(frozen=True)
class Ref:
    """A record of the world (its SID, or a name it has), or with ``tail``: a SID with its
    prefix that names nothing."""

    key: str
    tail: str | None = None


@dataclass(frozen=True)
class Raw:
    """Text sent as it is: already percent-encoded (``%ED%A0%BD``), or JSON text."""

    text: str


Piece = str | Raw | Ref  # a str is percent-encoded as a client would
Value = Piece | tuple[str, Any]  # or ("json", document): a JSON document's text


@dataclass(frozen=True)
class Draft:
    """One request, before the world's SIDs are filled in."""

    target: Target
    method: str
    params: tuple[Piece, ...]
    query: tuple[tuple[Value, Value], ...]
    body: Any  # ("form", pairs), ("json", document), ("bytes", bytes), Raw text, or None
    headers: tuple[tuple[str, str], ...]
    auth: str


# --- hostile values ---------------------------------------------------------------------------

NUMBERS = ["0", "1", "-1", "50", "51", "1000", "1001", "2147483648", "9223372036854775808"]
NUMBERS += ["-9223372036854775809", "9" * 18, "9" * 19, "9" * 400, "9" * 5000, "1e400", "1e3"]
NUMBERS += ["NaN", "Infinity", "-0", "0x1F", "+1", " 1", "1.5", "0" * 20 + "1"]
NUMBERS += ["\u0661\u0662", "\uff11"]  # Arabic-Indic and full-width digits: int() reads them
DATES = ["0001-01-01T00:00:00Z", "0999-12-31T23:59:59Z", "1000-01-01T00:00:00Z"]
DATES += ["1000-01-01T00:00:00+14:00", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-14:00"]
DATES += ["9999-12-31T23:59:59+14:00", "10000-01-01T00:00:00Z", "2026-06-01T10:00:00Z"]
DATES += ["2026-06-01T10:00:00", "2026-06-01", "2026-02-30T00:00:00Z", "2026-06-01T24:00:00Z"]
DATES += ["2026-06-01T10:00:00.999999999Z", "-2026-06-01T00:00:00Z", "2026-W22", "now"]
DURATIONS = ["PT1M", "PT59S", "PT10M", "P1D", "PT0S", "P0D", "P" + "9" * 30 + "D", "P1W"]
DURATIONS += ["PT" + "9" * 30 + "H", "P1Y", "P1M", "-PT1M", "PT", "P", "PT1.5M", "PT1e400S"]
BOOLEANS = ["true", "false", "True", "FALSE", "1", "0", "yes", "null"]
URLS = ["https://bridge.example/", "http://127.0.0.1:9/", "http://[::1]:9/hook", "ftp://x/"]
URLS += ["https://" + "a" * 300 + ".example/", "javascript:alert(1)", "https://", "//x", "http:"]
URLS += ["http://[/", "https://a]b/", "http://127.0.0.1:99999/", "http://localhost:abc/"]
ENUMS = ["web", "sms", "whatsapp", "facebook", "line", "custom", "chat", "email", "messenger"]
ENUMS += ["studio", "external", "task", "webhook", "trigger", "closed", "inactive", "active"]
ENUMS += ["completed", "failed", "warm", "cold", "customer", "agent", "GET", "POST", "get"]
ENUMS += ["public", "private", "asc", "desc", "ASC", "wrapup", "accepted", "onMessageSent"]
ENUMS += ["onMessageAdded", "onConversationStateUpdated", "supervisor", "INACTIVE", "*"]
SID_PREFIXES = ["WS", "WW", "WQ", "WK", "MG", "RL", "FW", "ME", "HX", "IS", "CH", "FO", "AC"]
SID_PREFIXES += ["WT", "KD", "UO", "UT", "IG", "US", "MB", "IM", "WH", "CF", "SK", "GT", "KN"]
OTHER_SIDS = [prefix + "a" * 32 for prefix in SID_PREFIXES]
OTHER_SIDS += ["FO" + "a" * 31, "fo" + "a" * 32, "FO" + "A" * 32, "FO" + "a" * 33, "FOZZ", "FO"]
# Percent-encoding garbage: a surrogate's UTF-8 bytes, cut sequences, overlong forms, bad escapes.
ENCODED = ["%ED%A0%BD", "%ED%B0%80", "%F0%9F%98", "%zz", "%", "%%", "%0", "%00", "%FF%FE"]
ENCODED += ["%C0%80", "%C0%AF", "+", "%2B", "%26", "%3D", "%2F", "..", ".", "%2e%2e", ";", "~"]
JSON_TEXTS = ["{}", "[]", "null", '""', "0", '{"a": 1}', '{"status": "closed"}', "NaN", "1e400"]
JSON_TEXTS += ["[Infinity]", "1" + "0" * 5000, '"\\ud83d"', '{"a": ["\\ud83d"]}', '{"\\udc00": 1}']
JSON_TEXTS += ["[" * 5000, "[" * 900 + "]" * 900, "{", '{"a": 1, "a": 2}', '{"type": "chat"}']
JSON_TEXTS += ['{"properties": {"workspace_sid": "' + WORKSPACE + '"}}', "\ufeff{}", "{}garbage"]
LONG = ["x" * 5000, "é" * 2000, "😀" * 1000, "\x00" * 100, "\u202e" * 50, " " * 300]
SURROGATES = ["\ud83d", "a\udc00b", "\ud83d\ude00", "\udfff" * 3]

texts = st.text(max_size=24) | st.sampled_from(LONG)
sids = st.sampled_from(OTHER_SIDS)
refs = st.builds(
    Ref,
    st.sampled_from(
        [
            *("account", "flow", "channel", "web_channel", "chat_service", "chat_user"),
            *("identity", "conversation", "conversation_service", "participant", "address"),
            *("unique_name", "interaction", "interaction_channel", "interaction_participant"),
            "transfer",
        ]
    ),
)
json_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | texts
    | st.sampled_from(SURROGATES)
    | st.sampled_from([Raw("1" + "0" * 5000), Raw("1e400"), Raw("-1e400"), Raw("NaN")])
    | refs
)
json_values = st.recursive(
    json_leaves,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(texts | st.sampled_from(SURROGATES), inner, max_size=3)
    ),
    max_leaves=8,
)
# A JSON text as a form value: described to, or written raw.
json_texts = json_values.map(lambda doc: ("json", doc)) | st.sampled_from(JSON_TEXTS).map(Raw)


def _mostly(
    usual: st.SearchStrategy[Any], odd: st.SearchStrategy[Any], one_in: int
) -> st.SearchStrategy[Any]:
    """``usual``, and ``odd`` one draw in ``one_in``: most requests must reach the handler for
    the odd part of the others to be tried there. (``a | b`` would weigh every branch of a
    flattened ``one_of`` alike.)"""
    return st.integers(1, one_in).flatmap(lambda pick: odd if pick == one_in else usual)


@functools.cache
def _values(name: str) -> st.SearchStrategy[Any]:
    """Values for a field: what its name suggests, more often than not, else anything."""
    lower = name.lower()
    specific: list[st.SearchStrategy[Any]] = []
    if lower.endswith("sid") or lower in ("from", "to", "createdby", "author", "identity"):
        specific += [refs, sids]
    if "date" in lower or "timestamp" in lower:
        specific.append(st.sampled_from(DATES))
    if lower.startswith("timers"):
        specific.append(st.sampled_from(DURATIONS))
    if any(word in lower for word in ("attributes", "data", "channel", "routing", "properties")):
        specific.append(json_texts)
    if "variables" in lower:
        specific.append(json_texts)
    if "url" in lower:
        specific.append(st.sampled_from(URLS))
    if any(word in lower for word in ("enabled", "longlived", "creationonmessage")):
        specific.append(st.sampled_from(BOOLEANS))
    if any(word in lower for word in ("count", "index", "priority", "timeout", "page")):
        specific.append(st.sampled_from(NUMBERS))
    if name == "PageToken":
        specific.append(st.sampled_from(["PA0-0000000000000000", "PB" + "f" * 64 + "-0", "PA"]))
    if any(word in lower for word in ("type", "status", "method", "target", "order", "state")):
        specific.append(st.sampled_from(ENUMS))
    if any(word in lower for word in ("filters", "triggers")):
        specific.append(st.sampled_from(ENUMS))
    if any(word in lower for word in ("name", "body", "address", "subject", "identity")):
        specific.append(st.text(min_size=1, max_size=24))
    generic = (
        st.sampled_from(ENUMS)
        | texts
        | st.sampled_from(NUMBERS + BOOLEANS + DATES)
        | st.sampled_from(ENCODED).map(Raw)
        | st.sampled_from(SURROGATES).map(lambda s: ("json", s))
        | st.binary(max_size=12).map(lambda b: Raw(quote_from_bytes(b)))
    )
    if not specific:
        return generic
    return _mostly(st.one_of(*specific), generic, 4)


def _pairs(fields: tuple[str, ...]) -> st.SearchStrategy[tuple[tuple[Value, Value], ...]]:
    """Form or query fields: every known one (half the time, so that a create can succeed) or
    some, then unknown and repeated ones."""
    values = [_values(name) for name in fields]
    extra = st.lists(
        st.tuples(st.sampled_from([*fields, "PageSize"]) | texts, _values("")), max_size=3
    )

    @st.composite
    def pairs(draw: st.DrawFn) -> tuple[tuple[Value, Value], ...]:
        every = draw(st.booleans())
        chosen = [
            (name, draw(value))
            for name, value in zip(fields, values, strict=True)
            if every or draw(st.booleans())
        ]
        return (*chosen, *draw(extra))

    return pairs()


def _segments(target: Target) -> st.SearchStrategy[tuple[Piece, ...]]:
    def one(key: str | None) -> st.SearchStrategy[Piece]:
        others = (
            refs | sids | texts.filter(bool) | st.sampled_from(ENCODED).map(Raw) | st.just(Raw(""))
        )
        if key is None:  # a control route's: any record's, or none
            return refs | others
        unknown = st.builds(Ref, st.just(key), st.text("0123456789abcdef"))
        return _mostly(st.just(Ref(key)), unknown | others, 4)

    return st.tuples(*(one(key) for key in target.keys))


METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS", "TRACE", "FOO"]
FORM_TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
]
# Types a control route refuses a body in (415), and odd ways to say JSON, which it takes.
NOT_JSON = ["application/x-www-form-urlencoded; charset=latin-1", "text/plain", ""]
NOT_JSON += ["multipart/form-data; boundary=x", "*/*", "x" * 200, "application/jsonx"]
STILL_JSON = ["application/json; charset=utf-16", "application/json;;;", " APPLICATION/JSON "]
# Origins as browsers send them: loopback pages (answered) and others (refused, 403).
LOOPBACK_ORIGINS = ["http://localhost:3000", "http://127.0.0.1", "https://[::1]:8443"]
FOREIGN_ORIGINS = ["https://evil.example", "null", "http://localhost.evil.example", "file://"]
FOREIGN_HOSTS = ["evil.example", "flex-api.twilio.com", "127.0.0.1.nip.io"]
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
BAD_AUTHS = ["none", "wrong", "garbage", "bearer", "latin-1"]


def _headers(target: Target) -> st.SearchStrategy[tuple[tuple[str, str], ...]]:
    """The Content-Type a client sends, and now and then odd headers besides (most requests
    are as a client sends them, so that they reach the handler)."""
    content = ["application/json"] if target.control else FORM_TYPES
    if target.body == "json" and not target.control:
        content = ["application/json", *FORM_TYPES]
    odd = st.one_of(
        st.tuples(st.just("Content-Type"), st.sampled_from(NOT_JSON + STILL_JSON) | header_text),
        st.tuples(st.just("X-Twilio-Signature"), header_text),
        st.tuples(st.just("X-Twilio-Webhook-Enabled"), st.sampled_from(BOOLEANS) | header_text),
        st.tuples(st.just("Accept"), st.sampled_from(["*/*", "text/html", "application/xml"])),
        st.tuples(st.just("Accept-Charset"), st.sampled_from(["latin-1", "utf-16", "x"])),
        st.tuples(st.just("Origin"), st.sampled_from(LOOPBACK_ORIGINS + FOREIGN_ORIGINS)),
        st.tuples(st.just("Host"), st.sampled_from(FOREIGN_HOSTS) | header_text),
        st.tuples(st.just("Authorization"), header_text),
    )
    first = st.tuples(st.just("Content-Type"), st.sampled_from(content))
    # Half the time REST actions fire their webhooks, as the helper libraries can ask.
    hooks = st.sampled_from([(), (("X-Twilio-Webhook-Enabled", "true"),)])
    odds = _mostly(st.just(()), st.lists(odd, min_size=1, max_size=2).map(tuple), 3)
    return st.tuples(first, hooks, odds).map(lambda drawn: (drawn[0], *drawn[1], *drawn[2]))


def _body(target: Target) -> st.SearchStrategy[Any]:
    raw = st.binary(max_size=64).map(lambda b: ("bytes", b)) | st.sampled_from(JSON_TEXTS).map(Raw)
    if target.body == "json":
        names = st.sampled_from(target.fields) if target.fields else texts
        members = st.dictionaries(
            names | texts | st.sampled_from(SURROGATES),
            _control_values() if target.control else json_values,
            max_size=len(target.fields) + 2,
        )
        forms = _pairs(target.fields).map(lambda pairs: ("form", pairs))
        # A member nested past what the parser takes on a server thread, or just short of it.
        deep = st.builds(
            lambda name, depth: Raw(f"{{{json.dumps(name)}: {'[' * depth}{']' * depth}}}"),
            names,
            st.sampled_from([500, 990, 5000, 100_000]),
        )
        return _mostly(members.map(lambda doc: ("json", doc)), forms | raw | deep, 4)
    if target.body == "form":
        return _mostly(_pairs(target.fields).map(lambda pairs: ("form", pairs)), raw, 5)
    return _mostly(st.just(("form", ())), raw, 5)


@functools.cache
def _control_values() -> st.SearchStrategy[Any]:
    """The values a control route's fields take, and numbers of every kind besides."""
    numbers: st.SearchStrategy[Any] = st.sampled_from(
        [
            *(0, 1, -1, 0.5, -0.5, 1e300, -1e300, 10**18, 3600, 3601, 1_000_000, 1_000_001),
            *(99_999, 100_000, 200, 400, 429, 499, 503, 599, 600, 60, 86400 * 365 * 8000),
            *(float("nan"), float("inf"), float("-inf"), True, False, "1", "", None, [], {}),
            *(Raw("1" + "0" * 5000), Raw("-1" + "0" * 5000), Raw("1e400"), Raw("NaN")),
        ]
    )
    names = st.sampled_from(
        [*REGISTRY.names(), "create", "list", "nothing", "", "*", "fail", "drop", "delay"]
    )
    return numbers | names | json_values | st.integers() | st.floats()


def _query(target: Target) -> st.SearchStrategy[tuple[tuple[Value, Value], ...]]:
    if target.body == "query" or target.method in ("GET", "DELETE"):
        # A control read takes no fields but ``GET /__flex/calls``'s filters.
        fields = target.fields or ("operation", "Identity", "status_code")
        return _pairs(fields) | st.just(())
    return st.just(()) | _pairs(("PageSize",))


def _drafts(target: Target) -> st.SearchStrategy[Draft]:
    """Requests to ``target``: its method most often, its body only where a body goes (and
    now and then on a GET or HEAD too). Built once per target: a strategy is validated when
    first drawn from, which costs more than the draw."""
    methods = _mostly(st.just(target.method), st.sampled_from(METHODS), 5)
    segments, query, body = _segments(target), _query(target), _body(target)
    headers, auths = _headers(target), _mostly(st.just("valid"), st.sampled_from(BAD_AUTHS), 10)

    @st.composite
    def draft(draw: st.DrawFn) -> Draft:
        method = draw(methods)
        sent = draw(body) if method not in ("GET", "HEAD") or draw(st.booleans()) else None
        return Draft(target, method, draw(segments), draw(query), sent, draw(headers), draw(auths))

    return draft()


DRAFTS = {target.label: _drafts(target) for target in TARGETS}
any_drafts = st.one_of(*DRAFTS.values())


def _plain(target: Target, sid: str = "channel", body: Any = None) -> Draft:
    """A request as a client sends it, naming the world's records: what follows the fuzzed
    ones, to use whatever state they left (a webhook to a bad URL, a closed conversation, a
    clock at its end)."""
    content = "application/json" if target.control else FORM_TYPES[0]
    headers = (("Content-Type", content), ("X-Twilio-Webhook-Enabled", "true"))
    params = tuple(Ref(key or sid) for key in target.keys)
    return Draft(target, target.method, params, (), body, headers, "valid")


_REPLY = next(t for t in TARGETS if t.label == "control POST channels/{sid}/agent_reply")
# The agent answers in the Flex channel's chat and in the conversation: their webhooks fire.
REPLIES = [
    _plain(_REPLY, sid, ("json", {"body": "still here"})) for sid in ("channel", "conversation")
]
# Then one read of what is stored: every list and fetch, and the control API's reads.
READS = [_plain(target) for target in TARGETS if target.method == "GET"]


# --- sending and checking ---------------------------------------------------------------------


class Answer(NamedTuple):
    """An answer as ``check_answer`` reads it (the attributes of a ``requests`` response)."""

    status_code: int
    headers: http.client.HTTPMessage
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


def _sid(ref: Ref, world: dict[str, str]) -> str:
    value = world[ref.key]
    return value if ref.tail is None else value[:2] + ref.tail


def _json(doc: Any, world: dict[str, str]) -> str:
    """A JSON document's text: NaN and Infinity as Python writes them, ``Raw`` as it is."""
    if isinstance(doc, Ref):
        return json.dumps(_sid(doc, world))
    if isinstance(doc, Raw):
        return doc.text
    if isinstance(doc, dict):
        members = (f"{json.dumps(key)}: {_json(value, world)}" for key, value in doc.items())
        return "{" + ", ".join(members) + "}"
    if isinstance(doc, list):
        return "[" + ", ".join(_json(value, world) for value in doc) + "]"
    return json.dumps(doc)


def _encoded(piece: Any, world: dict[str, str]) -> str:
    """A path segment or a form field's name or value, percent-encoded as clients do."""
    if isinstance(piece, Raw):
        return piece.text
    if isinstance(piece, Ref):
        return quote(_sid(piece, world), safe="")
    if isinstance(piece, tuple):  # ("json", document)
        return quote_plus(_json(piece[1], world))
    return quote_plus(piece)


def _form(pairs: tuple[tuple[Value, Value], ...], world: dict[str, str]) -> str:
    return "&".join(f"{_encoded(k, world)}={_encoded(v, world)}" for k, v in pairs)


def _body_bytes(body: Any, world: dict[str, str]) -> bytes:
    if body is None:
        return b""
    if isinstance(body, Raw):
        return body.text.encode()
    kind, value = body
    if kind == "bytes":
        return bytes(value)
    if kind == "json":
        return _json(value, world).encode()
    return _form(value, world).encode()


def _authorization(auth: str, fake: FlexChannelsMock) -> str | None:
    import base64

    return {
        "valid": basic_auth(fake),
        "none": None,
        "wrong": "Basic " + base64.b64encode(f"{fake.account_sid}:wrong".encode()).decode(),
        "garbage": "Basic !!!not-base64",
        "bearer": "Bearer token",
        "latin-1": "Basic " + base64.b64encode("AC\xe9:t\xf6ken".encode("latin-1")).decode(),
    }[auth]


class Request(NamedTuple):
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    netloc: str  # the server's, which the Host header names unless one is given

    @property
    def head(self) -> int:
        """The length of the head as sent: what waitress answers 431 for from ``MAX_HEAD``."""
        lines = [f"{self.method} {self.target} HTTP/1.1"]
        if "Host" not in self.headers:
            lines.append(f"Host: {self.netloc}")
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        return len("\r\n".join(lines).encode("latin-1")) + 4


def _request(draft: Draft, world: dict[str, str], fake: FlexChannelsMock, netloc: str) -> Request:
    parts = draft.target.template.split("{}")
    path = parts[0] + "".join(
        _encoded(segment, world) + rest
        for segment, rest in zip(draft.params, parts[1:], strict=True)
    )
    query = _form(draft.query, world)
    headers: dict[str, str] = {}
    authorization = _authorization(draft.auth, fake)
    if authorization is not None:
        headers["Authorization"] = authorization
    headers.update(draft.headers)
    body = _body_bytes(draft.body, world)
    if body or draft.method in ("POST", "PUT", "PATCH"):
        headers["Content-Length"] = str(len(body))
    return Request(draft.method, path + (f"?{query}" if query else ""), headers, body, netloc)


def _exchange(connection: http.client.HTTPConnection, request: Request) -> Answer:
    connection.putrequest(
        request.method,
        request.target,
        skip_host="Host" in request.headers,
        skip_accept_encoding=True,
    )
    for name, value in request.headers.items():
        connection.putheader(name, value)
    connection.endheaders(request.body or None)
    response = connection.getresponse()
    return Answer(response.status, response.headers, response.read())


def _check(target: Target, request: Request, answer: Answer) -> None:
    """No 5xx, no traceback, and each answer as the fake documents it."""
    assert answer.status_code < 500, answer.text
    assert b"Traceback" not in answer.content, answer.text
    if request.head >= MAX_HEAD:  # the server's own refusal, documented, before the fake
        assert answer.status_code == 431
        return
    headers = request.headers
    if request.method == "HEAD":
        assert answer.content == b""
    if target.control:
        _check_control(request, answer)
    elif headers.get("Origin") in FOREIGN_ORIGINS:  # refused before authentication
        assert answer.status_code == 403
        if request.method != "HEAD":
            body = answer.json()
            validate_body("error", body)
            assert (body["status"], body["code"]) == (403, 20403)
    elif request.method == "OPTIONS" and answer.status_code == 204:  # a CORS preflight
        assert answer.headers["Allow"] and answer.content == b""
    elif request.method == "HEAD":
        assert answer.headers["Twilio-Request-Id"].startswith("RQ")
    else:
        check_answer(answer, target.answers.get(request.method, "no operation"))
        if answer.status_code == 401:
            assert answer.headers["WWW-Authenticate"] == 'Basic realm="Twilio API"'
        elif answer.status_code == 405:
            assert answer.headers["Allow"]


def _check_control(request: Request, answer: Answer) -> None:
    """The control API's refusals, in the order it makes them: a foreign ``Host``, a foreign
    ``Origin``, a body not declared JSON; each Twilio's error body with ``error`` besides."""
    headers, status = request.headers, answer.status_code
    if headers.get("Host") in FOREIGN_HOSTS or headers.get("Origin") in FOREIGN_ORIGINS:
        assert status == 403
    elif (
        "Host" not in headers  # the server's own address: loopback
        and request.body
        and headers.get("Content-Type") in (*FORM_TYPES, *NOT_JSON)
    ):
        assert status == 415
    if status == 204 or request.method == "HEAD":
        assert answer.content == b""
    elif status >= 400:
        body = answer.json()
        assert set(body) == ERROR_KEYS | {"error"}, body
        validate_body("error", {key: body[key] for key in ERROR_KEYS})
        assert (body["status"], body["code"], body["error"]) == (
            status,
            20000 + status,
            body["message"],
        )
    else:
        answer.json()


# --- the runs ---------------------------------------------------------------------------------


class Served(NamedTuple):
    fake: FlexChannelsMock
    server: FlexServer
    logged: list[logging.LogRecord]  # every record logged with a traceback, or at ERROR
    stats: Counter[str]  # examples, requests, and answers by status


class _Collect(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__()
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.levelno >= logging.ERROR:
            self.into.append(record)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """One fake served for the module, and every traceback or error logged meanwhile."""
    fake = FlexChannelsMock(seed=20)
    logged: list[logging.LogRecord] = []
    handler = _Collect(logged)
    logging.getLogger().addHandler(handler)
    server = fake.serve()
    stats: Counter[str] = Counter()
    try:
        yield Served(fake, server, logged, stats)
    finally:
        fake.stop()
        logging.getLogger().removeHandler(handler)
        print(f"\nserver fuzz: {dict(sorted(stats.items()))}")


CLOCKS = ["2026-06-01T10:00:00Z"] * 4 + ["9999-12-31T23:59:59Z", "1000-01-01T00:00:00Z"]


def _run(served: Served, prelude: list[Draft], focus: Draft, read: Draft, at: str) -> None:
    fake = served.fake
    fake.reset()
    fake.clock.set(at)
    # Webhooks to the server itself: delivered over HTTP on its delivery thread (and refused).
    world = _world(fake, f"{served.server.url}/hook")
    host, port = served.server.url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    served.stats["examples"] += 1
    try:
        for draft in (*prelude, focus, *REPLIES, read):
            request = _request(draft, world, fake, f"{host}:{port}")
            note(f"{request.method} {request.target} {request.headers} {request.body[:500]!r}")
            answer = _exchange(connection, request)
            note(f"-> {answer.status_code} {answer.content[:500]!r}")
            served.stats["requests"] += 1
            served.stats[str(answer.status_code)] += 1
            _check(draft.target, request, answer)
            fake.clear_faults()  # an injected fault is asked for: it is not the fake's failure
    finally:
        connection.close()


def _alive(served: Served) -> None:
    """The server still answers, and nothing was logged with a traceback."""
    host, port = served.server.url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", f"{CONTROL_PREFIX}state")
        response = connection.getresponse()
        state = json.loads(response.read())
    finally:
        connection.close()
    assert (response.status, state["account_sid"]) == (200, served.fake.account_sid)
    logged = [record.getMessage() for record in served.logged]
    served.logged.clear()  # each test reports its own
    assert logged == []


FUZZ_SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings(FUZZ_SETTINGS, max_examples=40)
@given(
    prelude=st.lists(any_drafts, max_size=2),
    focus=any_drafts,
    read=st.sampled_from(READS),
    at=st.sampled_from(CLOCKS),
)
def test_any_route_answers_hostile_requests_without_a_5xx(
    served: Served, prelude: list[Draft], focus: Draft, read: Draft, at: str
) -> None:
    _run(served, prelude, focus, read, at)


def test_the_short_run_left_the_server_answering(served: Served) -> None:
    _alive(served)


# 300 cases a route at the full profile CI runs the long fuzz with (about 37,000 in all).
LONG_EXAMPLES = examples(300)


@pytest.mark.fuzz
@pytest.mark.parametrize("target", TARGETS, ids=[target.label for target in TARGETS])
def test_each_route_answers_hostile_requests_without_a_5xx(served: Served, target: Target) -> None:
    @settings(FUZZ_SETTINGS, max_examples=LONG_EXAMPLES)
    @given(
        prelude=st.lists(any_drafts, max_size=2),
        focus=DRAFTS[target.label],
        read=st.sampled_from(READS),
        at=st.sampled_from(CLOCKS),
    )
    def run(prelude: list[Draft], focus: Draft, read: Draft, at: str) -> None:
        _run(served, prelude, focus, read, at)

    run()
    _alive(served)
