"""Helpers for the project's tests: OpenAPI validation of bodies, and valid create arguments."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from _pytest.mark import ParameterSet
from hypothesis import settings
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock

SPEC_PATH = Path(__file__).resolve().parents[2] / "shared" / "reference" / "twilio_flex_v1.json"
CHANNELS_URL = "https://flex-api.twilio.com/v1/Channels"
CHANNEL_KEYS = {
    "account_sid",
    "flex_flow_sid",
    "sid",
    "user_sid",
    "task_sid",
    "url",
    "date_created",
    "date_updated",
}
ERROR_KEYS = {"code", "message", "more_info", "status"}
FLEX_FLOW_KEYS = {
    "account_sid",
    "date_created",
    "date_updated",
    "sid",
    "friendly_name",
    "chat_service_sid",
    "channel_type",
    "contact_identity",
    "enabled",
    "integration_type",
    "integration",
    "long_lived",
    "janitor_enabled",
    "url",
}
WEB_CHANNEL_KEYS = {"account_sid", "flex_flow_sid", "sid", "url", "date_created", "date_updated"}
# The official descriptions, by the domain whose operations they describe.
REFERENCE = SPEC_PATH.parent
SPECS = {
    ("flex", "v1"): "twilio_flex_v1.json",
    ("flex", "v2"): "twilio_flex_v2.json",
    ("chat", "v2"): "twilio_chat_v2.json",
    ("conversations", "v1"): "twilio_conversations_v1.json",
}
# The body kinds of the first tests: the operation whose success answer they are.
KINDS = {
    "channel": "fetch_channel",
    "list": "list_channels",
    "flex_flow": "fetch_flex_flow",
    "flex_flow_list": "list_flex_flows",
    "web_channel": "fetch_web_channel",
    "web_channel_list": "list_web_channels",
}

Validate = Callable[[str, Any], None]

# The ini of inner pytest runs: pytest-asyncio warns at the start of a run that leaves its loop
# scope unset, as this project's own ini does not.
INNER_INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


def _keys(schema: dict[str, Any], spec: dict[str, Any]) -> Callable[[Any], None]:
    """A check that a body has exactly the keys the schema's properties name (Twilio answers
    every field, null or not), a list page's items included."""

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        return spec["components"]["schemas"][ref.rpartition("/")[2]] if ref else node

    top = resolve(schema)
    names = set(top["properties"])
    items = {
        key: set(resolve(value["items"])["properties"])
        for key, value in top["properties"].items()
        if value.get("type") == "array" and "$ref" in value.get("items", {})
    }

    def check(body: Any) -> None:
        assert set(body) == names, body
        for key, expected in items.items():
            for item in body[key]:
                assert set(item) == expected, item

    return check


def _load_validators() -> dict[str, Callable[[Any], None]] | None:
    """Per operation, a check of its success answer against the official description."""
    if not SPEC_PATH.exists():
        return None
    from openapi_schema_validator import OAS30Validator, oas30_format_checker

    from pytest_flexchannels.families import REGISTRY

    specs = {key: json.loads((REFERENCE / name).read_text()) for key, name in SPECS.items()}
    validators = {}
    for op in REGISTRY:
        spec = specs[op.domain, op.path.split("/")[1]]
        answer = spec["paths"][op.path][op.method.lower()]["responses"].get(str(op.status), {})
        content = answer.get("content", {}).get("application/json")
        if content is None:
            continue
        schema = content["schema"]
        validate = OAS30Validator(
            {**schema, "components": spec["components"]}, format_checker=oas30_format_checker
        ).validate
        keys = _keys(schema, spec)

        def both(body: Any, keys: Any = keys, validate: Any = validate) -> None:
            keys(body)
            validate(body)

        validators[op.name] = both
    return validators


VALIDATORS = _load_validators()


def validate_body(kind: str, body: Any) -> None:
    """Check a body against the official description: the success answer of an operation (by
    its name, or a first kind: ``channel``, ``list``, ...), or ``error``."""
    if kind == "error":
        assert set(body) == ERROR_KEYS, body
        assert body["more_info"] == f"https://www.twilio.com/docs/errors/{body['code']}"
        return
    kind = KINDS.get(kind, kind)
    if VALIDATORS is not None:
        VALIDATORS[kind](body)
    elif kind.endswith("_channel") and kind.startswith(("create", "fetch")):
        assert set(body) == CHANNEL_KEYS, body


def check_answer(response: Any, kind: str) -> None:
    """A fuzzed request's answer: never a 5xx, a request id always, an empty 204, a success body
    as the description says (``kind``: see ``validate_body``), an error in Twilio's shape."""
    assert response.status_code < 500, response.text
    assert response.headers["Twilio-Request-Id"].startswith("RQ")
    if response.status_code == 204:
        assert response.content == b""
    elif response.status_code < 300:
        validate_body(kind, response.json())
    else:
        body = response.json()
        validate_body("error", body)
        assert body["status"] == response.status_code


def examples(full: int) -> int:
    """A property's case count: ``full`` under Hypothesis' own count (the ``full`` profile CI
    runs), a fifth of it under ``quick`` (the project's default run)."""
    return max(1, full * min(settings.default.max_examples, 100) // 100)


def fuzz_params(labels: Iterable[str], *smoke: str) -> list[ParameterSet]:
    """The operations a fuzz suite tries: the ``smoke`` ones in every run, the rest marked
    ``fuzz`` (run with ``--fuzz``, as CI does), so the default run stays short."""
    assert set(smoke) <= set(labels), set(smoke) - set(labels)
    return [
        pytest.param(label, marks=() if label in smoke else pytest.mark.fuzz, id=label)
        for label in labels
    ]


def fuzz(
    operation: Any,
    mode: Any,
    examples: int,
    base_url: str,
    kind: str,
    point: Callable[[FlexChannelsMock, Any], None],
) -> Counter[int]:
    """Schemathesis' cases of ``operation`` (``mode``: positive or negative), each sent over
    ``requests`` to a fresh fake after ``point(fake, case)`` made the world its path names,
    and each answer checked (``check_answer(..., kind)``); the statuses seen."""
    import requests
    from hypothesis import HealthCheck, given, settings

    statuses: Counter[int] = Counter()

    @settings(deadline=None, max_examples=examples, suppress_health_check=[HealthCheck.too_slow])
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Any) -> None:
        with FlexChannelsMock(seed=1, allow_unmatched=True) as fake:
            point(fake, case)
            request = case.as_transport_kwargs(base_url=base_url)
            request["auth"] = (fake.account_sid, fake.auth_token)
            response = requests.request(**request)
        statuses[response.status_code] += 1
        check_answer(response, kind)

    check()
    return statuses


def chat_interaction(client: Client, conversation_sid: str) -> Any:
    """A customer-initiated chat interaction routing ``conversation_sid`` (a fuzzed world's)."""
    return client.flex_api.v1.interaction.create(
        channel={
            "type": "chat",
            "initiated_by": "customer",
            "properties": {"media_channel_sid": conversation_sid},
        },
        routing={"properties": {"workspace_sid": "WS" + "a" * 32}},
    )


class JsonBody:
    """A JSON operation's body as the helper library takes it (anything with ``to_dict``): an
    interaction transfer's."""

    def __init__(self, **fields: str) -> None:
        self.fields = fields

    def to_dict(self) -> dict[str, str]:
        return self.fields


def create_form(fake: FlexChannelsMock, **fields: str) -> dict[str, str]:
    """A valid create form for the default flow; ``fields`` override or add wire fields."""
    form = {
        "FlexFlowSid": fake.flex_flow_sid,
        "Identity": "customer-1",
        "ChatUserFriendlyName": "Ada Lovelace",
        "ChatFriendlyName": "Chat with Ada",
    }
    form.update(fields)
    return form


def create(
    client: Client, fake: FlexChannelsMock, identity: str = "customer-1", **kwargs: Any
) -> Any:
    """Create a channel on the default flow through the twilio client."""
    return client.flex_api.v1.channel.create(
        flex_flow_sid=kwargs.pop("flex_flow_sid", fake.flex_flow_sid),
        identity=identity,
        chat_user_friendly_name=kwargs.pop("chat_user_friendly_name", "Ada Lovelace"),
        chat_friendly_name=kwargs.pop("chat_friendly_name", "Chat with Ada"),
        **kwargs,
    )


def twilio_error(call: Callable[[], Any]) -> tuple[int, int, str]:
    """The status, code and message (without the helper library's prefix) of the Twilio error
    ``call`` raises through the client."""
    with pytest.raises(TwilioRestException) as raised:
        call()
    error = raised.value
    return error.status, error.code, error.msg.partition(": ")[2]


def error_body(status: int, code: int, message: str) -> dict[str, Any]:
    """Twilio's error body, written out in full for exact comparison."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _official_sid_patterns() -> dict[str, str]:
    """Every SID pattern the official description states, by prefix (empty without it)."""
    if not SPEC_PATH.exists():
        return {}
    found: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "pattern" and isinstance(value, str) and value.startswith("^"):
                    found[value[1:3]] = value
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(SPEC_PATH.read_text()))
    return found


OFFICIAL_SID_PATTERNS = _official_sid_patterns()


def sid_pattern(prefix: str) -> str:
    """The official pattern of a prefix when the description states one, else the project's."""
    from pytest_flexchannels.core import sids

    return OFFICIAL_SID_PATTERNS.get(prefix, sids.pattern(prefix))


def basic_auth(fake: FlexChannelsMock) -> str:
    """The Authorization header of the fake's default account."""
    import base64

    credentials = f"{fake.account_sid}:{fake.auth_token}".encode()
    return "Basic " + base64.b64encode(credentials).decode()


def post_form(fake: FlexChannelsMock, body: bytes) -> tuple[int | None, Any]:
    """A create with this raw form body through the one request path (no transport)."""
    from pytest_flexchannels.core.http import Request

    request = Request("POST", CHANNELS_URL, {"Authorization": basic_auth(fake)}, body)
    response = fake.handle(request)
    return response.status, json.loads(response.body)


def serve_process(*args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """``python -m pytest_flexchannels serve`` with ``args``, and the state it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_flexchannels", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    state: dict[str, Any] = json.loads(process.stdout.readline())
    return process, state
