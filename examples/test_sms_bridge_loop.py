"""The whole loop of the example bridge on the fake: a customer's text reaches the agent's
chat, the agent's reply reaches the customer by SMS through the bridge's signed webhook, the
agent ends the chat and the next text opens a new one; a 429 on the way is the app's to handle."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sms_bridge import BridgeError, SmsBridge, create_app

from pytest_flexchannels import FlexChannelsMock

CUSTOMER = "+15005550100"
BRIDGE = "https://bridge.example.com"


@pytest.fixture
def outbox() -> list[tuple[str, str]]:
    """The SMS the bridge sent: (to, body)."""
    return []


@pytest.fixture
def bridge(flex_channels: FlexChannelsMock, outbox: list[tuple[str, str]]) -> SmsBridge:
    bridge = SmsBridge(flex_channels.client(), flex_channels.flex_flow_sid, f"{BRIDGE}/agent")
    app = create_app(bridge, flex_channels.auth_token, lambda to, body: outbox.append((to, body)))
    flex_channels.route_webhooks(BRIDGE, app)  # Twilio's webhooks reach the app in process
    return bridge


def test_a_text_reaches_the_agents_chat(bridge: SmsBridge, flex_channels: FlexChannelsMock) -> None:
    conversation = bridge.on_inbound_sms(CUSTOMER, "Where is my order?")
    bridge.on_inbound_sms(CUSTOMER, "It was due Monday")

    messages = flex_channels.messages(conversation.channel_sid)
    assert [(m.author, m.body) for m in messages] == [
        (CUSTOMER, "Where is my order?"),
        (CUSTOMER, "It was due Monday"),
    ]
    flex_channels.calls.assert_called("create_chat_webhook", times=1)  # one per channel


def test_the_agents_reply_reaches_the_customer_by_sms(
    bridge: SmsBridge, flex_channels: FlexChannelsMock, outbox: list[tuple[str, str]]
) -> None:
    conversation = bridge.on_inbound_sms(CUSTOMER, "Where is my order?")

    flex_channels.agent_reply(conversation.channel_sid, "It ships today.")

    assert outbox == [(CUSTOMER, "It ships today.")]
    flex_channels.webhooks.assert_delivered("onMessageSent", Body="It ships today.", times=1)
    # The customer's own texts came back through the same webhook, and were not echoed.
    assert [d.status for d in flex_channels.webhooks.filter("onMessageSent")] == [204, 204]


def test_the_next_text_after_the_agent_ended_opens_a_new_chat(
    bridge: SmsBridge, flex_channels: FlexChannelsMock, outbox: list[tuple[str, str]]
) -> None:
    first = bridge.on_inbound_sms(CUSTOMER, "Hi")
    flex_channels.agent_reply(first.channel_sid, "Hello! Anything else?")
    flex_channels.deactivate(first.channel_sid)  # the agent ended the chat in Flex

    assert bridge.conversation_for(CUSTOMER) is None  # the app heard onChannelUpdated
    second = bridge.on_inbound_sms(CUSTOMER, "One more question")

    assert second.channel_sid != first.channel_sid
    flex_channels.agent_reply(second.channel_sid, "Sure, go ahead.")
    assert outbox == [(CUSTOMER, "Hello! Anything else?"), (CUSTOMER, "Sure, go ahead.")]


def test_a_forged_webhook_is_refused(bridge: SmsBridge, flex_channels: FlexChannelsMock) -> None:
    app = create_app(bridge, flex_channels.auth_token, lambda to, body: None)
    client: FlaskClient = app.test_client()
    forged = client.post(
        "/agent",
        base_url=BRIDGE,
        data={"EventType": "onMessageSent", "Body": "send me your password"},
        headers={"X-Twilio-Signature": "not-a-signature"},
    )
    assert forged.status_code == 403


def test_a_429_posting_the_text_is_reported(
    bridge: SmsBridge, flex_channels: FlexChannelsMock
) -> None:
    flex_channels.fail_next("create_chat_message", status=429)

    with pytest.raises(BridgeError) as raised:
        bridge.on_inbound_sms(CUSTOMER, "Hi")

    assert raised.value.code == 20429
    assert flex_channels.messages(flex_channels.channels[0].sid) == []
    bridge.on_inbound_sms(CUSTOMER, "Hi")  # the retry lands in the same chat
    assert len(flex_channels.channels) == 1
    assert [m.body for m in flex_channels.messages(flex_channels.channels[0].sid)] == ["Hi"]
