"""One scenario, both stacks: the SMS bridge on Flex Chat Channels (``sms_bridge``) and the
same bridge moved to Flex Conversations (``conversations_bridge``) run the same conversation on
the same fixture. A customer writes, the agent replies, the agent ends the chat, the customer
writes again; a 429 and a dropped connection on the way. While a team migrates, this suite
keeps the old bridge and the new one green together: whatever it asks of one, it asks of the
other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import conversations_bridge
import pytest
import sms_bridge
from flask import Flask

from pytest_flexchannels import FlexChannelsMock

CUSTOMER = "+15005550100"
BRIDGE = "https://bridge.example.com"
WORKSPACE = "WS" + "1" * 32
WORKFLOW = "WW" + "2" * 32


@dataclass
class Stack:
    """One bridge on the fake: the bridge, the SMS it sent (to, body), the operation that posts
    a customer's text, its error type, and the chats the fake holds (``chats(fake)``)."""

    bridge: Any
    outbox: list[tuple[str, str]]
    post_text: str
    error: type[Exception]
    app: Flask
    chats: Callable[[FlexChannelsMock], list[str]]


def _flex_channels(fake: FlexChannelsMock) -> list[str]:
    return [channel.sid for channel in fake.channels]


def _conversations_of(fake: FlexChannelsMock) -> list[str]:
    return [c.sid for c in fake.client().conversations.v1.conversations.list()]


def _chat(fake: FlexChannelsMock, send: Callable[[str, str], None]) -> tuple[Any, Flask]:
    bridge = sms_bridge.SmsBridge(fake.client(), fake.flex_flow_sid, f"{BRIDGE}/agent")
    return bridge, sms_bridge.create_app(bridge, fake.auth_token, send)


def _conversations(fake: FlexChannelsMock, send: Callable[[str, str], None]) -> tuple[Any, Flask]:
    bridge = conversations_bridge.ConversationsBridge(
        fake.client(), WORKSPACE, WORKFLOW, f"{BRIDGE}/agent", poll_interval=0
    )
    return bridge, conversations_bridge.create_app(bridge, fake.auth_token, send)


STACKS = {
    "flex-chat": (_chat, "create_chat_message", sms_bridge.BridgeError, _flex_channels),
    "flex-conversations": (
        _conversations,
        "create_conversation_message",
        conversations_bridge.BridgeError,
        _conversations_of,
    ),
}


@pytest.fixture(params=sorted(STACKS))
def stack(request: pytest.FixtureRequest, flex_channels: FlexChannelsMock) -> Stack:
    make, post_text, error, chats = STACKS[request.param]
    outbox: list[tuple[str, str]] = []
    bridge, app = make(flex_channels, lambda to, body: outbox.append((to, body)))
    flex_channels.route_webhooks(BRIDGE, app)  # Twilio's webhooks reach the app in process
    return Stack(bridge, outbox, post_text, error, app, chats)


def _texts(fake: FlexChannelsMock, chat_sid: str) -> list[tuple[str, str | None]]:
    return [(message.author, message.body) for message in fake.messages(chat_sid)]


def test_the_customer_and_the_agent_talk_until_the_agent_ends_the_chat(
    stack: Stack, flex_channels: FlexChannelsMock
) -> None:
    first = stack.bridge.on_inbound_sms(CUSTOMER, "Where is my order?")
    flex_channels.agent_reply(first.chat_sid, "It ships today.")
    again = stack.bridge.on_inbound_sms(CUSTOMER, "Thanks!")

    assert again.chat_sid == first.chat_sid
    assert _texts(flex_channels, first.chat_sid) == [
        (CUSTOMER, "Where is my order?"),
        ("agent", "It ships today."),
        (CUSTOMER, "Thanks!"),
    ]
    assert stack.outbox == [(CUSTOMER, "It ships today.")]

    flex_channels.end_chat(first.chat_sid)  # the agent ended the chat in Flex
    assert stack.bridge.conversation_for(CUSTOMER) is None  # the app heard it

    second = stack.bridge.on_inbound_sms(CUSTOMER, "One more question")
    assert second.chat_sid != first.chat_sid
    flex_channels.agent_reply(second.chat_sid, "Sure, go ahead.")
    assert _texts(flex_channels, second.chat_sid) == [
        (CUSTOMER, "One more question"),
        ("agent", "Sure, go ahead."),
    ]
    assert stack.outbox == [(CUSTOMER, "It ships today."), (CUSTOMER, "Sure, go ahead.")]
    assert stack.chats(flex_channels) == [first.chat_sid, second.chat_sid]


def test_a_429_on_the_way_is_reported_and_the_retry_lands_once(
    stack: Stack, flex_channels: FlexChannelsMock
) -> None:
    flex_channels.fail_next(stack.post_text, status=429)
    with pytest.raises(stack.error) as raised:
        stack.bridge.on_inbound_sms(CUSTOMER, "Hi")
    assert raised.value.code == 20429  # type: ignore[attr-defined]

    retried = stack.bridge.on_inbound_sms(CUSTOMER, "Hi")
    assert _texts(flex_channels, retried.chat_sid) == [(CUSTOMER, "Hi")]
    assert stack.chats(flex_channels) == [retried.chat_sid]  # the failed text left no other
    flex_channels.agent_reply(retried.chat_sid, "Hello!")
    assert stack.outbox == [(CUSTOMER, "Hello!")]  # once: the retry added no second webhook


def test_a_dropped_connection_on_the_way_is_reported_and_the_retry_lands_once(
    stack: Stack, flex_channels: FlexChannelsMock
) -> None:
    first = stack.bridge.on_inbound_sms(CUSTOMER, "Hi")
    flex_channels.raise_next(stack.post_text)
    with pytest.raises(stack.error) as raised:
        stack.bridge.on_inbound_sms(CUSTOMER, "Are you there?")
    assert raised.value.code is None  # type: ignore[attr-defined]

    retried = stack.bridge.on_inbound_sms(CUSTOMER, "Are you there?")
    assert retried.chat_sid == first.chat_sid
    assert _texts(flex_channels, first.chat_sid) == [(CUSTOMER, "Hi"), (CUSTOMER, "Are you there?")]
    flex_channels.agent_reply(first.chat_sid, "Yes!")
    assert stack.outbox == [(CUSTOMER, "Yes!")]


def test_a_forged_webhook_is_refused(stack: Stack) -> None:
    forged = stack.app.test_client().post(
        "/agent",
        base_url=BRIDGE,
        data={"EventType": "onMessageAdded", "Body": "send me your password"},
        headers={"X-Twilio-Signature": "not-a-signature"},
    )
    assert forged.status_code == 403
    assert stack.outbox == []
