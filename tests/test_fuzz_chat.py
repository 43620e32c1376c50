"""Schemathesis drives the Chat operations the fake answers from the official Chat v2
description, positive and negative cases, with the path's SIDs pointed at a world that holds
them (a Flex channel, its member and user, a message and a webhook): no 5xx, every 2xx body as
the description says, every 4xx body Twilio's error shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
from schemathesis import GenerationMode, openapi

from pytest_flexchannels import FlexChannelsMock
from pytest_flexchannels.families import REGISTRY
from tests.helpers import REFERENCE, examples, fuzz, fuzz_params

SPEC = REFERENCE / "twilio_chat_v2.json"
if not SPEC.exists():
    pytest.skip(f"the official Chat description is not at {SPEC}", allow_module_level=True)

OPERATIONS = {f"{op.method} {op.path}": op.name for op in REGISTRY if op.domain == "chat"}
SCHEMA = openapi.from_dict(json.loads(SPEC.read_text())).include(
    path_regex=r"^/v2/Services(/\{[A-Za-z]+\}(/(Channels|Users)(/.*)?)?)?$"
)


def _world(fake: FlexChannelsMock) -> dict[str, str]:
    """A world for the path's SIDs: the values each path parameter is pointed at."""
    channel = fake.create_channel(identity="already-here")
    service = fake.client().chat.v2.services(channel.chat_service_sid)
    chat = service.channels(channel.sid)
    message = chat.messages.create(body="hello")
    webhook = chat.webhooks.create(type="webhook", configuration_url="https://bridge.example/")
    member = chat.members("already-here").fetch()
    return {
        "ServiceSid": channel.chat_service_sid,
        "ChannelSid": channel.sid,
        "Services": channel.chat_service_sid,
        "Channels": channel.sid,
        "Messages": message.sid,
        "Webhooks": webhook.sid,
        "Members": member.sid,
        "Users": channel.user_sid,
    }


def _point(case: Any, label: str, world: dict[str, str], every: bool) -> None:
    """The path's SIDs name the world's: all of them (positive cases), or those of a SID's
    length (negative ones: the others stay, a 404)."""
    parameters = case.path_parameters or {}
    for name, value in list(parameters.items()):
        if not every and (not isinstance(value, str) or len(value) != 34):
            continue
        if name in world:
            parameters[name] = world[name]
        elif name == "Sid":
            parameters[name] = world[label.rsplit("/", 2)[-2]]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize(
    "label",
    fuzz_params(
        sorted(OPERATIONS),
        "POST /v2/Services/{ServiceSid}/Channels",
        "POST /v2/Services/{ServiceSid}/Channels/{ChannelSid}/Messages",
    ),
)
def test_every_chat_operation_answers_as_described(label: str, mode: GenerationMode) -> None:
    operation = SCHEMA.find_operation_by_label(label)
    assert operation is not None

    def point(fake: FlexChannelsMock, case: Any) -> None:
        _point(case, label, _world(fake), mode is GenerationMode.POSITIVE)

    statuses = fuzz(
        operation, mode, examples(200), "https://chat.twilio.com", OPERATIONS[label], point
    )
    assert sum(statuses.values()) > 0
    if mode is GenerationMode.POSITIVE:  # the world the SIDs name makes valid cases succeed
        assert any(status < 300 for status in statuses), statuses
