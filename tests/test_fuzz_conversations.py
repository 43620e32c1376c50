"""Schemathesis drives every Conversations, Interactions and WebChats operation the fake
answers from the official descriptions, positive and negative cases, with the path's SIDs
pointed at a world that holds them (a conversation with a participant, a message and a webhook;
an address configuration; an interaction with its channel, participant and transfer): no 5xx,
every 2xx body as the description says, every 4xx body Twilio's error shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
from schemathesis import GenerationMode, openapi

from pytest_flexchannels import FlexChannelsMock
from pytest_flexchannels.families import REGISTRY
from tests.helpers import REFERENCE, SPECS, JsonBody, chat_interaction, examples, fuzz, fuzz_params

HOSTS = {"conversations": "https://conversations.twilio.com", "flex": "https://flex-api.twilio.com"}
FAMILY = [op for op in REGISTRY if op.domain == "conversations" or "Interactions" in op.path]
FAMILY += [op for op in REGISTRY if op.path == "/v2/WebChats"]
if not all((REFERENCE / SPECS[op.domain, op.path.split("/")[1]]).exists() for op in FAMILY):
    pytest.skip("the official descriptions are not in ../shared/reference", allow_module_level=True)
SCHEMAS = {
    key: openapi.from_dict(json.loads((REFERENCE / name).read_text()))
    for key, name in SPECS.items()
    if key[0] in HOSTS
}
OPERATIONS = {f"{op.method} {op.path}": op for op in FAMILY}
# Creates whose described form cannot say what makes them succeed: a positive case need not be
# 2xx. A Channel, a Routing and a participant's MediaProperties are values the description leaves
# open (any JSON, null or a list as often as an object); a webhook's target needs
# fields it marks optional; a message needs one of Body, MediaSid and ContentSid, a participant
# an identity or an address with its proxy, all optional there.
OPEN_BODIES = {
    "create_interaction",
    "create_interaction_invite",
    "create_interaction_participant",
    "create_web_chat",
    *(
        f"create_{scope}conversation_{kind}"
        for scope in ("", "service_")
        for kind in ("webhook", "message", "participant")
    ),
}


def _world(fake: FlexChannelsMock) -> dict[str, str]:
    """A world for the path's SIDs: the values each path parameter is pointed at."""
    client = fake.client()
    conversation = client.conversations.v1.conversations.create(unique_name="fuzzed")
    scoped = client.conversations.v1.conversations(conversation.sid)
    participant = scoped.participants.create(identity="already-here")
    message = scoped.messages.create(author="already-here", body="hello")
    webhook = scoped.webhooks.create(target="webhook", configuration_url="https://bridge.example/")
    address = client.conversations.v1.address_configurations.create(
        type="chat", address="web", auto_creation_enabled=True
    )
    interaction = chat_interaction(client, conversation.sid)
    channel = client.flex_api.v1.interaction(interaction.sid).channels(interaction.channel["sid"])
    customer = channel.participants.list()[0]
    transfer = channel.transfers.create(JsonBody(type="warm"))
    return {
        "ChatServiceSid": conversation.chat_service_sid,
        "ConversationSid": conversation.sid,
        "Conversations": conversation.sid,
        "Participants": participant.sid,
        "Messages": message.sid,
        "Webhooks": webhook.sid,
        "Addresses": address.sid,
        "InteractionSid": interaction.sid,
        "Interactions": interaction.sid,
        "ChannelSid": interaction.channel["sid"],
        "Channels": interaction.channel["sid"],
        "Transfers": transfer.sid,
        "Participants@flex": customer.sid,
        "AddressSid": address.sid,
    }


# Body fields a positive case points at the world (a made-up service would be a 404).
POINTED_FIELDS = {
    "AddressSid": "AddressSid",
    "AutoCreation.ConversationServiceSid": "ChatServiceSid",
}


def _point(case: Any, label: str, world: dict[str, str], every: bool, domain: str) -> None:
    """The path's SIDs name the world's: all of them (positive cases), or those of a SID's
    length (negative ones: the others stay, a 404). A positive case's body names the world's
    address and service."""
    parameters = case.path_parameters or {}
    for name, value in list(parameters.items()):
        if not every and (not isinstance(value, str) or len(value) != 34):
            continue
        if name in world:
            parameters[name] = world[name]
        elif name == "Sid":
            collection = label.rsplit("/", 2)[-2]
            parameters[name] = world.get(f"{collection}@{domain}", world[collection])
    if every and isinstance(case.body, dict):
        for name, world_name in POINTED_FIELDS.items():
            if name in case.body:
                case.body[name] = world[world_name]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize(
    "label",
    fuzz_params(
        sorted(OPERATIONS),
        "POST /v1/Conversations/{ConversationSid}/Participants",
        "POST /v1/Interactions/{InteractionSid}/Channels/{ChannelSid}/Transfers",
    ),
)
def test_every_conversations_and_interactions_operation_answers_as_described(
    label: str, mode: GenerationMode
) -> None:
    op = OPERATIONS[label]
    schema = SCHEMAS[op.domain, op.path.split("/")[1]]
    operation = schema.find_operation_by_label(label)
    assert operation is not None

    def point(fake: FlexChannelsMock, case: Any) -> None:
        _point(case, label, _world(fake), mode is GenerationMode.POSITIVE, op.domain)

    statuses = fuzz(operation, mode, examples(100), HOSTS[op.domain], op.name, point)
    assert sum(statuses.values()) > 0
    if mode is GenerationMode.POSITIVE and op.name not in OPEN_BODIES:
        assert any(status < 300 for status in statuses), statuses
