"""The Faker provider: valid values, every one reproduced by ``seed_instance``."""

from __future__ import annotations

import json
import random
import re

import pytest
from faker import Faker

from pytest_flexchannels import FlexChannelsMock
from pytest_flexchannels.providers import FlexChannelsProvider
from pytest_flexchannels.values import EMAIL_DOMAINS, QUESTIONS
from tests.helpers import sid_pattern

METHODS = [
    "flex_channel_sid",
    "flex_flow_sid",
    "twilio_account_sid",
    "chat_user_sid",
    "taskrouter_task_sid",
    "flex_identity",
    "flex_chat_user_friendly_name",
    "flex_chat_friendly_name",
    "flex_target",
    "flex_pre_engagement_data",
    "flex_task_attributes",
    "flex_chat_message_body",
    "flex_agent_reply",
    "chat_message_sid",
    "conversation_sid",
    "conversation_participant_sid",
    "conversation_address_configuration_sid",
    "flex_interaction_sid",
    "flex_interaction_channel_sid",
    "flex_interaction_channel",
    "flex_interaction_routing",
]
E164 = r"\+[1-9]\d{7,14}"


@pytest.fixture
def fake() -> Faker:
    faker = Faker()
    faker.add_provider(FlexChannelsProvider)
    faker.seed_instance(2024)
    return faker


@pytest.mark.parametrize(
    ("method", "prefix"),
    [
        ("flex_channel_sid", "CH"),
        ("flex_flow_sid", "FO"),
        ("twilio_account_sid", "AC"),
        ("chat_user_sid", "US"),
        ("taskrouter_task_sid", "WT"),
        ("chat_message_sid", "IM"),
        ("conversation_sid", "CH"),
        ("conversation_participant_sid", "MB"),
        ("conversation_address_configuration_sid", "IG"),
        ("flex_interaction_sid", "KD"),
        ("flex_interaction_channel_sid", "UO"),
    ],
)
def test_sids_match_the_official_patterns(fake: Faker, method: str, prefix: str) -> None:
    values = {getattr(fake, method)() for _ in range(200)}
    assert len(values) == 200
    for sid in values:
        assert re.search(sid_pattern(prefix), sid)
        assert re.fullmatch(rf"{prefix}[0-9a-f]{{32}}", sid)


def test_targets_are_e164_or_whatsapp(fake: Faker) -> None:
    targets = [fake.flex_target() for _ in range(200)]
    assert all(re.fullmatch(rf"(whatsapp:)?{E164}", target) for target in targets)
    assert any(t.startswith("whatsapp:") for t in targets)
    assert any(not t.startswith("whatsapp:") for t in targets)


@pytest.mark.parametrize(
    ("channel_type", "pattern"),
    [
        ("sms", E164),
        ("whatsapp", rf"whatsapp:{E164}"),
        ("facebook", r"messenger:\d{16}"),
        ("line", r"line:U[0-9a-f]{32}"),
        ("web", r"web-[0-9a-f]{12}"),
        ("custom", r"custom-[0-9a-f]{12}"),
    ],
)
def test_identities_follow_the_channel_type(fake: Faker, channel_type: str, pattern: str) -> None:
    assert re.fullmatch(pattern, fake.flex_identity(channel_type))


def test_json_fields(fake: Faker) -> None:
    for _ in range(50):
        data = json.loads(fake.flex_pre_engagement_data())
        assert set(data) == {"friendly_name", "email", "question"}
        assert data["email"].rsplit("@", 1)[1] in EMAIL_DOMAINS
        assert re.fullmatch(r"[a-z.]+@[a-z.]+", data["email"])
        assert data["question"] in QUESTIONS
        attributes = json.loads(fake.flex_task_attributes())
        assert isinstance(attributes, dict) and set(attributes) >= {"name", "channelType"}
    assert fake.flex_chat_friendly_name().startswith("Chat with ")
    assert fake.flex_chat_user_friendly_name()


def test_seed_instance_reproduces_every_value() -> None:
    def run(seed: int) -> list[str]:
        faker = Faker()
        faker.add_provider(FlexChannelsProvider)
        faker.seed_instance(seed)
        return [getattr(faker, method)() for method in METHODS for _ in range(3)]

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_provider_never_draws_from_the_global_random(fake: Faker) -> None:
    random.seed(0)
    state = random.getstate()
    for method in METHODS:
        getattr(fake, method)()
    assert random.getstate() == state


def test_provider_values_are_accepted_by_the_fake(fake: Faker) -> None:
    with FlexChannelsMock() as fc:
        channel = fc.create_channel(
            identity=fake.flex_identity("sms"),
            chat_user_friendly_name=fake.flex_chat_user_friendly_name(),
            chat_friendly_name=fake.flex_chat_friendly_name(),
            target=fake.flex_target(),
            pre_engagement_data=fake.flex_pre_engagement_data(),
            task_attributes=fake.flex_task_attributes(),
        )
        assert channel.active


def test_message_bodies_are_what_customers_and_agents_write(fake: Faker) -> None:
    from pytest_flexchannels.values import REPLIES

    bodies = {fake.flex_chat_message_body() for _ in range(200)}
    assert bodies <= set(QUESTIONS) | set(REPLIES) and bodies & set(REPLIES)
    assert {fake.flex_agent_reply() for _ in range(50)} <= set(REPLIES)


def test_interaction_forms_are_accepted_by_the_fake(fake: Faker) -> None:
    with FlexChannelsMock() as fc:
        client = fc.client()
        conversation = client.conversations.v1.conversations.create()
        channel = fake.flex_interaction_channel(conversation.sid)
        routing = fake.flex_interaction_routing()
        interaction = client.flex_api.v1.interaction.create(
            channel=json.loads(channel), routing=json.loads(routing)
        )
        attributes = json.loads(interaction.routing["properties"]["attributes"])
        assert (
            attributes["customerName"]
            == json.loads(routing)["properties"]["attributes"]["customerName"]
        )
        assert attributes["conversationSid"] == conversation.sid
        assert json.loads(channel)["type"] in ("sms", "whatsapp", "web", "chat")
        assert (
            json.loads(fake.flex_interaction_channel())["properties"]["media_channel_sid"][:2]
            == "CH"
        )
