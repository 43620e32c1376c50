"""The example app's own tests: its real twilio calls answered by the ``flex_channels`` fake."""

from __future__ import annotations

import json

import pytest
from sms_bridge import BridgeError, SmsBridge
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock

CUSTOMER = "+15005550100"


@pytest.fixture
def bridge(flex_channels: FlexChannelsMock) -> SmsBridge:
    client = Client(flex_channels.account_sid, flex_channels.auth_token)
    return SmsBridge(client, flex_channels.flex_flow_sid)


def _removed_in_flex(fake: FlexChannelsMock, channel_sid: str) -> None:
    """Someone removed the channel in Flex behind the app's back."""
    Client(fake.account_sid, fake.auth_token).flex_api.v1.channel(channel_sid).delete()


def test_first_text_opens_a_channel(bridge: SmsBridge, flex_channels: FlexChannelsMock) -> None:
    conversation = bridge.on_inbound_sms(CUSTOMER, "Hi, my order is late", profile_name="Ada")

    channel = flex_channels.get_channel(conversation.channel_sid)
    assert channel.identity == CUSTOMER and channel.target == CUSTOMER
    assert channel.chat_friendly_name == "SMS with Ada"
    assert json.loads(channel.task_attributes or "")["first_message"] == "Hi, my order is late"
    assert conversation.task_sid == channel.task_sid
    flex_channels.calls.assert_called_once_with(
        "create_channel",
        FlexFlowSid=flex_channels.flex_flow_sid,
        Identity=CUSTOMER,
        Target=CUSTOMER,
    )


def test_follow_ups_reuse_the_channel(bridge: SmsBridge, flex_channels: FlexChannelsMock) -> None:
    first = bridge.on_inbound_sms(CUSTOMER, "Hi")
    again = bridge.on_inbound_sms(CUSTOMER, "Anyone there?")

    assert again == first
    assert len(flex_channels.channels) == 1
    flex_channels.calls.assert_called("create_channel", times=2)


def test_a_chat_the_agent_ended_is_not_reused(
    bridge: SmsBridge, flex_channels: FlexChannelsMock
) -> None:
    first = bridge.on_inbound_sms(CUSTOMER, "Hi")
    flex_channels.deactivate(first.channel_sid)  # the agent ended the chat in Flex

    second = bridge.on_inbound_sms(CUSTOMER, "One more question")

    assert second.channel_sid != first.channel_sid
    assert bridge.conversation_for(CUSTOMER) == second


def test_a_channel_removed_in_flex_is_reopened(
    bridge: SmsBridge, flex_channels: FlexChannelsMock
) -> None:
    first = bridge.on_inbound_sms(CUSTOMER, "Hi")
    _removed_in_flex(flex_channels, first.channel_sid)

    second = bridge.on_inbound_sms(CUSTOMER, "Hello again")

    assert second.channel_sid != first.channel_sid
    assert [c.sid for c in flex_channels.channels] == [second.channel_sid]
    first_user = flex_channels.calls[0].response_json["user_sid"]
    assert flex_channels.get_channel(second.channel_sid).user_sid == first_user


def test_closing_deletes_the_channel_once(
    bridge: SmsBridge, flex_channels: FlexChannelsMock
) -> None:
    conversation = bridge.on_inbound_sms(CUSTOMER, "Hi")

    assert bridge.close(CUSTOMER) is True
    assert bridge.close(CUSTOMER) is False

    assert flex_channels.channels == []
    flex_channels.calls.assert_called_once_with("delete_channel", Sid=conversation.channel_sid)


def test_closing_a_channel_already_gone_is_not_an_error(
    bridge: SmsBridge, flex_channels: FlexChannelsMock
) -> None:
    conversation = bridge.on_inbound_sms(CUSTOMER, "Hi")
    _removed_in_flex(flex_channels, conversation.channel_sid)

    assert bridge.close(CUSTOMER) is False
    assert flex_channels.calls[-1].status_code == 404


def test_listing_reads_every_page(bridge: SmsBridge, flex_channels: FlexChannelsMock) -> None:
    seeded = [flex_channels.create_channel(identity=f"+1500555{i:04d}").sid for i in range(120)]

    assert bridge.open_channel_sids() == seeded
    flex_channels.calls.assert_called("list_channels", times=3)


def test_an_unknown_flow_is_reported_not_retried(flex_channels: FlexChannelsMock) -> None:
    client = Client(flex_channels.account_sid, flex_channels.auth_token)
    bridge = SmsBridge(client, "FO" + "0" * 32)

    with pytest.raises(BridgeError) as raised:
        bridge.on_inbound_sms(CUSTOMER, "Hi")

    assert raised.value.code == 20404
    assert str(raised.value) == (
        f"could not open a Flex channel for {CUSTOMER}: Unable to create record: "
        f"The requested resource /FlexFlows/FO{'0' * 32} was not found"
    )
    flex_channels.calls.assert_called("create_channel", times=1)


def test_wrong_credentials_are_reported(flex_channels: FlexChannelsMock) -> None:
    bridge = SmsBridge(
        Client(flex_channels.account_sid, "stale-token"), flex_channels.flex_flow_sid
    )

    with pytest.raises(BridgeError) as raised:
        bridge.on_inbound_sms(CUSTOMER, "Hi")

    assert raised.value.code == 20003
    assert flex_channels.channels == []


@pytest.mark.flex_channels(integration_type="studio", channel_type="sms")
def test_a_studio_flow_opens_no_task(bridge: SmsBridge, flex_channels: FlexChannelsMock) -> None:
    conversation = bridge.on_inbound_sms(CUSTOMER, "Hi")

    assert conversation.task_sid is None
    assert flex_channels.get_channel(conversation.channel_sid).task_sid is None


def test_the_app_builds_its_client_from_the_environment(flex_channels: FlexChannelsMock) -> None:
    # Production builds Client() from TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN; the fixture provides
    # them for the test, and nothing the app sends can reach Twilio.
    bridge = SmsBridge(Client(), flex_channels.flex_flow_sid)

    conversation = bridge.on_inbound_sms(CUSTOMER, "Hi")

    assert flex_channels.get_channel(conversation.channel_sid).identity == CUSTOMER


def test_a_slow_flex_times_out_on_the_apps_own_client(flex_channels: FlexChannelsMock) -> None:
    from requests import ReadTimeout
    from twilio.http.http_client import TwilioHttpClient

    client = Client(http_client=TwilioHttpClient(timeout=0.05))
    bridge = SmsBridge(client, flex_channels.flex_flow_sid)
    flex_channels.delay_next("create_channel", seconds=0.5)

    with pytest.raises(BridgeError) as raised:
        bridge.on_inbound_sms(CUSTOMER, "Hi")
    assert raised.value.code is None and isinstance(raised.value.__cause__, ReadTimeout)
    # A slow answer is still an answer: Flex opened the channel, and the retry finds it.
    assert bridge.on_inbound_sms(CUSTOMER, "Hi again").channel_sid == flex_channels.channels[0].sid


def test_an_injected_client_needs_no_interception(flex_channels: FlexChannelsMock) -> None:
    bridge = SmsBridge(flex_channels.client(), flex_channels.flex_flow_sid)

    conversation = bridge.on_inbound_sms(CUSTOMER, "Hi")

    flex_channels.calls.assert_called_once_with("create_channel", Identity=CUSTOMER)
    assert flex_channels.channels[0].sid == conversation.channel_sid
