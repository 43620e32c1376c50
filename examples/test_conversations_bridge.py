"""The Conversations bridge's own tests: what only the new stack has. An interaction routes the
conversation to Flex and settles asynchronously (the bridge polls it, and reports a channel
that failed); the orphan check makes sure no test leaves a conversation open."""

from __future__ import annotations

import json

import pytest
from conversations_bridge import BridgeError, ConversationsBridge

from pytest_flexchannels import FlexChannelsMock

CUSTOMER = "+15005550100"
WORKSPACE = "WS" + "1" * 32
WORKFLOW = "WW" + "2" * 32

pytestmark = pytest.mark.flex_channels(check_orphans=True)


@pytest.fixture
def bridge(flex_channels: FlexChannelsMock) -> ConversationsBridge:
    return ConversationsBridge(flex_channels.client(), WORKSPACE, WORKFLOW, poll_interval=0)


def test_the_first_text_is_routed_to_flex_by_an_interaction(
    bridge: ConversationsBridge, flex_channels: FlexChannelsMock
) -> None:
    conversation = bridge.on_inbound_sms(CUSTOMER, "My order is late", profile_name="Ada")

    create = flex_channels.calls.filter("create_interaction")[0]
    channel = json.loads(create.params["Channel"])
    assert channel == {
        "type": "sms",
        "initiated_by": "customer",
        "properties": {"media_channel_sid": conversation.conversation_sid},
    }
    attributes = json.loads(create.response_json["routing"]["properties"]["attributes"])
    assert attributes["customerName"] == "Ada" and attributes["from"] == CUSTOMER
    assert attributes["conversationSid"] == conversation.conversation_sid
    # The bridge waited for Flex: its channel answered setup once, then active.
    assert len(flex_channels.calls.filter("fetch_interaction_channel")) == 2
    bridge.on_inbound_sms(CUSTOMER, "Order 1234")
    flex_channels.calls.assert_called("create_interaction", times=1)
    flex_channels.end_chat(conversation.conversation_sid)


def test_a_channel_flex_could_not_set_up_is_reported(
    bridge: ConversationsBridge, flex_channels: FlexChannelsMock
) -> None:
    flex_channels.fail_interaction_setup()

    with pytest.raises(BridgeError) as raised:
        bridge.on_inbound_sms(CUSTOMER, "Hi")

    assert raised.value.code == 19025
    assert str(raised.value) == (
        f"Flex could not set up the chat of {CUSTOMER}: Channel validation error"
    )
    assert bridge.conversation_for(CUSTOMER) is None
    # The bridge gave that conversation up: close it, as its alerting runbook says.
    (orphan,) = flex_channels.client().conversations.v1.conversations.list()
    orphan.update(state="closed")


@pytest.mark.flex_channels(interaction_setup_fetches=5)
def test_a_slow_setup_is_polled_until_it_settles(
    bridge: ConversationsBridge, flex_channels: FlexChannelsMock
) -> None:
    conversation = bridge.on_inbound_sms(CUSTOMER, "Hi")
    assert len(flex_channels.calls.filter("fetch_interaction_channel")) == 6
    flex_channels.end_chat(conversation.conversation_sid)
