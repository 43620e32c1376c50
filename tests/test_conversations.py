"""Conversations v1 through the real twilio client: conversations (state, timers on the fake's
clock), participants, messages, conversation-scoped webhooks (signed, checked with twilio's own
RequestValidator), address configurations; the service-scoped paths; isolation between accounts.
Every body is checked against the official description (conftest)."""

from __future__ import annotations

import json

import pytest
import requests
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock
from pytest_flexchannels.core.webhooks import WebhookRequest
from tests.helpers import error_body, twilio_error

API = "https://conversations.twilio.com/v1"
BRIDGE = "https://bridge.example.com"


def _received(fake: FlexChannelsMock) -> list[WebhookRequest]:
    """Route the bridge's origin to a callable that keeps every request (answering 200)."""
    got: list[WebhookRequest] = []

    def app(request: WebhookRequest) -> int:
        got.append(request)
        return 200

    fake.route_webhooks(BRIDGE, app)
    return got


def test_a_conversation_is_created_fetched_by_sid_or_unique_name_and_listed(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    flex_channels.clock.set("2026-06-01T10:00:00Z")
    conversations = client.conversations.v1.conversations
    made = conversations.create(
        friendly_name="Chat with Ada", unique_name="ada-1", attributes='{"vip": true}'
    )
    assert made.sid.startswith("CH") and made.state == "active"
    assert made.chat_service_sid == flex_channels.flex_flow.chat_service_sid
    assert made.messaging_service_sid.startswith("MG")
    assert (made.friendly_name, made.unique_name, made.attributes) == (
        "Chat with Ada",
        "ada-1",
        '{"vip": true}',
    )
    assert made.timers == {} and made.bindings == {}
    assert made.url == f"{API}/Conversations/{made.sid}"
    assert made.links == {
        "participants": f"{API}/Conversations/{made.sid}/Participants",
        "messages": f"{API}/Conversations/{made.sid}/Messages",
        "webhooks": f"{API}/Conversations/{made.sid}/Webhooks",
    }
    assert conversations("ada-1").fetch().sid == made.sid
    other = conversations.create(friendly_name="Chat with Bob")
    assert [c.sid for c in conversations.list()] == [made.sid, other.sid]
    assert [c.sid for c in conversations.list(page_size=1, limit=1)] == [made.sid]
    scoped = client.conversations.v1.services(made.chat_service_sid).conversations
    assert scoped(made.sid).fetch().url == (
        f"{API}/Services/{made.chat_service_sid}/Conversations/{made.sid}"
    )
    assert [c.sid for c in scoped.list()] == [made.sid, other.sid]


def test_a_unique_name_is_one_conversations_and_an_unknown_one_is_404(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    conversations = client.conversations.v1.conversations
    conversations.create(unique_name="taken")
    assert twilio_error(lambda: conversations.create(unique_name="taken")) == (
        409,
        50353,
        "Conversation with provided unique name already exists",
    )
    assert twilio_error(lambda: conversations("nobody").fetch()) == (
        404,
        20404,
        "The requested resource /Conversations/nobody was not found",
    )
    service = "IS" + "0" * 32
    scoped = client.conversations.v1.services(service).conversations
    assert twilio_error(lambda: scoped("taken").fetch()) == (
        404,
        20404,
        f"The requested resource /Services/{service}/Conversations/taken was not found",
    )


def test_state_moves_with_timers_on_the_fakes_clock_and_closed_is_final(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    flex_channels.clock.set("2026-06-01T10:00:00Z")
    conversations = client.conversations.v1.conversations
    made = conversations.create(timers_inactive="PT5M", timers_closed="PT1H")
    assert made.timers == {
        "date_inactive": "2026-06-01T10:05:00Z",
        "date_closed": "2026-06-01T11:00:00Z",
    }
    flex_channels.advance(299)
    assert conversations(made.sid).fetch().state == "active"
    flex_channels.advance(1)
    inactive = conversations(made.sid).fetch()
    assert (inactive.state, inactive.timers) == (
        "inactive",
        {"date_closed": "2026-06-01T11:00:00Z"},
    )
    # A message brings it back, and its inactive timer starts again from then.
    conversations(made.sid).messages.create(author="ada", body="still there?")
    again = conversations(made.sid).fetch()
    assert (again.state, again.timers["date_inactive"]) == ("active", "2026-06-01T10:10:00Z")
    flex_channels.advance(3600)
    closed = conversations(made.sid).fetch()
    assert (closed.state, closed.timers) == ("closed", {})
    final = (400, 50377, "Can't update conversation as it's in final closed state")
    assert twilio_error(lambda: conversations(made.sid).update(state="active")) == final
    assert twilio_error(lambda: conversations(made.sid).update(friendly_name="again")) == final
    assert (
        twilio_error(lambda: conversations(made.sid).messages.create(author="ada", body="hello?"))
        == final
    )
    assert twilio_error(lambda: conversations(made.sid).participants.create(identity="x")) == final
    assert twilio_error(lambda: conversations.create(state="closed")) == (
        400,
        50384,
        "Initial state can't be 'closed'",
    )
    assert [c.sid for c in conversations.list(state="closed")] == [made.sid]
    assert conversations.list(state="active") == []


def test_timers_shorter_than_their_minimum_and_bad_durations_are_refused(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    for form, code, message in [
        (
            {"Timers.Inactive": "PT30S"},
            50375,
            "TimeToInactive should be greater or equal to 1 minute",
        ),
        ({"Timers.Closed": "PT9M"}, 50376, "TimeToClosed should be greater or equal to 10 minutes"),
        ({"Timers.Inactive": "ten minutes"}, 50379, "TimeToInactive format is invalid"),
        ({"Timers.Closed": "P"}, 50380, "TimeToClosed format is invalid"),
        ({"State": "paused"}, 50378, "'State' parameter value is invalid"),
        ({"Attributes": "{not json"}, 50304, "Attributes not valid JSON"),
    ]:
        answer = http.post(f"{API}/Conversations", data=form)
        assert (answer.status_code, answer.json()) == (400, error_body(400, code, message))
    assert flex_channels.calls.filter("create_conversation")[-1].status_code == 400
    # PT0S turns a timer off.
    made = http.post(f"{API}/Conversations", data={"Timers.Inactive": "PT0S"}).json()
    assert made["timers"] == {}


def test_participants_by_identity_or_messaging_binding(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    conversation = client.conversations.v1.conversations.create()
    participants = client.conversations.v1.conversations(conversation.sid).participants
    chat = participants.create(identity="ada", attributes='{"role": "customer"}')
    assert (chat.identity, chat.messaging_binding, chat.attributes) == (
        "ada",
        None,
        '{"role": "customer"}',
    )
    assert chat.sid.startswith("MB") and chat.role_sid.startswith("RL")
    sms = participants.create(
        messaging_binding_address="+15550100001", messaging_binding_proxy_address="+15550199999"
    )
    assert (sms.identity, sms.messaging_binding) == (
        None,
        {"type": "sms", "address": "+15550100001", "proxy_address": "+15550199999"},
    )
    whatsapp = participants.create(
        messaging_binding_address="whatsapp:+15550100002",
        messaging_binding_proxy_address="whatsapp:+15550199999",
    )
    assert whatsapp.messaging_binding["type"] == "whatsapp"
    assert participants("ada").fetch().sid == chat.sid
    assert [p.sid for p in participants.list()] == [chat.sid, sms.sid, whatsapp.sid]
    assert twilio_error(lambda: participants.create(identity="ada")) == (
        409,
        50433,
        "Participant already exists",
    )
    assert twilio_error(
        lambda: participants.create(
            messaging_binding_address="+15550100001",
            messaging_binding_proxy_address="+15550199999",
        )
    ) == (
        409,
        50416,
        "A binding for this participant and proxy address already exists in Conversation "
        f"{conversation.sid}",
    )
    for kwargs, code, message in [
        ({"attributes": "{}"}, 50204, "Identity not provided"),
        (
            {"identity": "eve", "messaging_binding_address": "+15550100003"},
            50211,
            "Identity parameter not acceptable for this Participant",
        ),
        (
            {"messaging_binding_address": "+15550100003"},
            50412,
            "Participant proxy address is empty",
        ),
        (
            {"messaging_binding_proxy_address": "+15550100003"},
            50411,
            "Participant address is empty",
        ),
        (
            {
                "messaging_binding_address": "+15550100003",
                "messaging_binding_proxy_address": "+15550100003",
            },
            50409,
            "Participant address equals proxy address",
        ),
    ]:
        assert twilio_error(lambda kwargs=kwargs: participants.create(**kwargs)) == (
            400,
            code,
            message,
        )
    group = participants.create(identity="gus", messaging_binding_projected_address="+15550199999")
    assert group.messaging_binding == {"type": "sms", "projected_address": "+15550199999"}
    updated = participants(chat.sid).update(last_read_message_index=3)
    assert updated.last_read_message_index == 3
    participants(chat.sid).delete()
    assert [p.sid for p in participants.list()] == [sms.sid, whatsapp.sid, group.sid]


def test_messages_take_the_next_index_and_list_either_way(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    conversation = client.conversations.v1.conversations.create()
    ada = client.conversations.v1.conversations(conversation.sid).participants.create(
        identity="ada"
    )
    messages = client.conversations.v1.conversations(conversation.sid).messages
    first = messages.create(author="ada", body="hello")
    second = messages.create(body="a system note")
    assert (first.index, first.author, first.participant_sid) == (0, "ada", ada.sid)
    assert (second.index, second.author, second.participant_sid) == (1, "system", None)
    assert first.links == {
        "delivery_receipts": f"{first.url}/Receipts",
        "channel_metadata": f"{first.url}/ChannelMetadata",
    }
    messages(first.sid).delete()
    third = messages.create(author="ada", body="again")
    assert third.index == 2  # a deleted message's index is not given again
    assert [m.body for m in messages.list(order="desc")] == ["again", "a system note"]
    assert [m.index for m in messages.list(order="asc", page_size=1)] == [1, 2]
    edited = messages(third.sid).update(body="again, edited")
    assert (edited.body, messages(third.sid).fetch().body) == ("again, edited", "again, edited")
    assert twilio_error(lambda: messages.create(author="ada")) == (
        400,
        50503,
        "Message body not provided",
    )


def test_conversation_webhooks_hear_rest_actions_only_when_enabled_and_the_agent_always(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    got = _received(flex_channels)
    conversation = client.conversations.v1.conversations.create()
    hook = client.conversations.v1.conversations(conversation.sid).webhooks.create(
        target="webhook",
        configuration_url=f"{BRIDGE}/agent",
        configuration_method="POST",
        configuration_filters=["onMessageAdded", "onParticipantAdded"],
    )
    assert hook.configuration == {
        "url": f"{BRIDGE}/agent",
        "method": "post",
        "filters": ["onMessageAdded", "onParticipantAdded"],
    }
    messages = client.conversations.v1.conversations(conversation.sid).messages
    messages.create(author="ada", body="not announced")
    assert got == []
    enabled = messages.create(author="ada", body="announced", x_twilio_webhook_enabled="true")
    reply = flex_channels.agent_reply(conversation.sid, "How can I help?")
    assert [(r.params["EventType"], r.params["Source"]) for r in got] == [
        ("onMessageAdded", "API"),
        ("onParticipantAdded", "SDK"),
        ("onMessageAdded", "SDK"),
    ]
    validator = RequestValidator(flex_channels.auth_token)
    for request in got:
        assert validator.validate(
            request.url, request.params, request.headers["X-Twilio-Signature"]
        )
    assert got[0].params["MessageSid"] == enabled.sid
    assert {k: got[2].params[k] for k in ("Body", "Author", "ClientIdentity", "Index")} == {
        "Body": "How can I help?",
        "Author": "agent",
        "ClientIdentity": "agent",
        "Index": "2",
    }
    assert got[2].params["MessageSid"] == reply.sid
    assert [m.body for m in flex_channels.messages(conversation.sid)] == [
        "not announced",
        "announced",
        "How can I help?",
    ]


def test_a_conversation_takes_five_webhooks_and_checks_their_configuration(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    conversation = client.conversations.v1.conversations.create()
    webhooks = client.conversations.v1.conversations(conversation.sid).webhooks
    assert twilio_error(lambda: webhooks.create(target="webhook")) == (
        400,
        50369,
        "Conversation webhook URL not provided",
    )
    assert twilio_error(lambda: webhooks.create(target="pigeon")) == (
        400,
        50364,
        "Invalid conversation webhook type",
    )
    assert twilio_error(lambda: webhooks.create(target="trigger", configuration_url=BRIDGE)) == (
        400,
        50371,
        "Conversation webhook trigger not provided",
    )
    assert twilio_error(
        lambda: webhooks.create(
            target="trigger",
            configuration_url=BRIDGE,
            configuration_triggers=["a", "b", "c", "d", "e", "f"],
        )
    ) == (400, 50362, "Too many conversation webhook triggers")
    assert twilio_error(lambda: webhooks.create(target="studio")) == (
        400,
        50367,
        "Invalid conversation webhook flow SID",
    )
    assert twilio_error(
        lambda: webhooks.create(
            target="webhook", configuration_url=BRIDGE, configuration_filters=["onNothing"]
        )
    ) == (400, 50365, "Invalid conversation webhook filter")
    made = [
        webhooks.create(
            target="trigger", configuration_url=f"{BRIDGE}/{n}", configuration_triggers=["help"]
        )
        for n in range(5)
    ]
    assert twilio_error(lambda: webhooks.create(target="webhook", configuration_url=BRIDGE)) == (
        400,
        50361,
        "Too many conversation webhooks",
    )
    assert [w.sid for w in webhooks.list()] == [w.sid for w in made]
    updated = webhooks(made[0].sid).update(configuration_url=f"{BRIDGE}/moved")
    assert updated.configuration["url"] == f"{BRIDGE}/moved"
    webhooks(made[0].sid).delete()
    assert len(webhooks.list()) == 4


def test_a_trigger_webhook_hears_a_message_that_starts_with_its_keyword(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    got = _received(flex_channels)
    conversation = client.conversations.v1.conversations.create()
    hook = client.conversations.v1.conversations(conversation.sid).webhooks.create(
        target="trigger", configuration_url=f"{BRIDGE}/help", configuration_triggers=["help"]
    )
    messages = client.conversations.v1.conversations(conversation.sid).messages
    messages.create(body="no keyword here", x_twilio_webhook_enabled="true")
    messages.create(body="HELP me please", x_twilio_webhook_enabled="true")
    assert [(r.url, r.params["Body"], r.params["WebhookSid"]) for r in got] == [
        (f"{BRIDGE}/help", "HELP me please", hook.sid)
    ]


def test_a_trigger_webhook_takes_five_keywords_and_refuses_a_sixth(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """Five keywords is the most a trigger webhook takes, a sixth is 50362 (documented:
    https://www.twilio.com/docs/api/errors/50362), on create and on update alike."""
    conversation = client.conversations.v1.conversations.create()
    webhooks = client.conversations.v1.conversations(conversation.sid).webhooks
    five = ["one", "two", "three", "four", "five"]
    made = webhooks.create(
        target="trigger", configuration_url=f"{BRIDGE}/kw", configuration_triggers=five
    )
    assert made.configuration["triggers"] == five
    assert twilio_error(
        lambda: webhooks(made.sid).update(configuration_triggers=[*five, "six"])
    ) == (400, 50362, "Too many conversation webhook triggers")
    assert twilio_error(
        lambda: webhooks.create(
            target="trigger", configuration_url=f"{BRIDGE}/kw", configuration_triggers=[*five, "6"]
        )
    ) == (400, 50362, "Too many conversation webhook triggers")
    assert [w.configuration["triggers"] for w in webhooks.list()] == [five]


def test_a_trigger_keyword_matches_whatever_the_case_of_either_side(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """A keyword configured in mixed case hears a message whose first word is that keyword in
    any case (modelled: keywords are words a person types, not exact strings)."""
    got = _received(flex_channels)
    conversation = client.conversations.v1.conversations.create()
    client.conversations.v1.conversations(conversation.sid).webhooks.create(
        target="trigger", configuration_url=f"{BRIDGE}/agent", configuration_triggers=["AgEnT"]
    )
    messages = client.conversations.v1.conversations(conversation.sid).messages
    for body in ("agent please", "AGENT now", "Agent", "an agent please"):
        messages.create(body=body, x_twilio_webhook_enabled="true")
    assert [r.params["Body"] for r in got] == ["agent please", "AGENT now", "Agent"]


def test_a_timer_closing_a_conversation_is_announced(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    got = _received(flex_channels)
    flex_channels.clock.set("2026-06-01T10:00:00Z")
    conversation = client.conversations.v1.conversations.create(timers_closed="PT10M")
    client.conversations.v1.conversations(conversation.sid).webhooks.create(
        target="webhook",
        configuration_url=f"{BRIDGE}/state",
        configuration_filters=["onConversationStateUpdated"],
    )
    flex_channels.advance(600)  # nothing is asked of the fake: advancing fires the timer
    assert [(r.params["StateFrom"], r.params["StateTo"], r.params["Reason"]) for r in got] == [
        ("active", "closed", "TIMER")
    ]
    assert got[0].params["ConversationSid"] == conversation.sid


def test_address_configurations_by_sid_or_address(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    addresses = client.conversations.v1.address_configurations
    made = addresses.create(
        type="sms",
        address="+15550100000",
        friendly_name="Support line",
        auto_creation_enabled=True,
        auto_creation_type="webhook",
        auto_creation_webhook_url=f"{BRIDGE}/inbound",
        auto_creation_webhook_method="POST",
        auto_creation_webhook_filters=["onMessageAdded"],
    )
    assert made.sid.startswith("IG")
    assert made.auto_creation == {
        "enabled": True,
        "type": "webhook",
        "conversation_service_sid": flex_channels.flex_flow.chat_service_sid,
        "webhook_url": f"{BRIDGE}/inbound",
        "webhook_method": "POST",
        "webhook_filters": ["onMessageAdded"],
    }
    assert addresses("+15550100000").fetch().sid == made.sid
    assert twilio_error(lambda: addresses.create(type="sms", address="+15550100000")) == (
        409,
        20409,
        "Address configuration for +15550100000 already exists",
    )
    web = addresses.create(type="chat", address="web-chat-1")
    assert [a.sid for a in addresses.list(type="chat")] == [web.sid]
    assert addresses(made.sid).update(friendly_name="Sales").friendly_name == "Sales"
    addresses(made.sid).delete()
    assert [a.sid for a in addresses.list()] == [web.sid]


def test_one_address_takes_an_sms_and_a_whatsapp_configuration_but_not_two_of_a_type(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """A configuration is one address of one type: the same number may be configured for SMS and
    for WhatsApp, each once (modelled: the docs list ``Type`` beside ``Address``,
    https://www.twilio.com/docs/conversations/api/address-configuration-resource)."""
    addresses = client.conversations.v1.address_configurations
    sms = addresses.create(type="sms", address="+15550100001")
    whatsapp = addresses.create(type="whatsapp", address="+15550100001")
    assert sms.sid != whatsapp.sid
    assert [(a.type, a.address) for a in addresses.list()] == [
        ("sms", "+15550100001"),
        ("whatsapp", "+15550100001"),
    ]
    for kind in ("sms", "whatsapp"):
        assert twilio_error(
            lambda kind=kind: addresses.create(type=kind, address="+15550100001")
        ) == (
            409,
            20409,
            "Address configuration for +15550100001 already exists",
        )
    assert [a.sid for a in addresses.list(type="whatsapp")] == [whatsapp.sid]


def test_an_account_sees_only_its_own_conversations(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    mine = client.conversations.v1.conversations.create(unique_name="mine")
    other = flex_channels.add_account()
    theirs = flex_channels.client(other)
    assert theirs.conversations.v1.conversations.list() == []
    assert twilio_error(lambda: theirs.conversations.v1.conversations(mine.sid).fetch()) == (
        404,
        20404,
        f"The requested resource /Conversations/{mine.sid} was not found",
    )
    made = theirs.conversations.v1.conversations.create(unique_name="mine")  # names are per account
    assert made.chat_service_sid != mine.chat_service_sid


@pytest.mark.asyncio
async def test_the_async_client_creates_and_lists_conversations(
    flex_channels: FlexChannelsMock,
) -> None:
    client = flex_channels.async_client()
    made = await client.conversations.v1.conversations.create_async(friendly_name="async")
    await client.conversations.v1.conversations(made.sid).messages.create_async(body="hi")
    listed = await client.conversations.v1.conversations(made.sid).messages.list_async()
    assert [m.body for m in listed] == ["hi"]
    assert (
        json.loads((await client.conversations.v1.conversations(made.sid).fetch_async()).attributes)
        == {}
    )
