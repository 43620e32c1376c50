"""Programmable Chat v2 through the real twilio client: a Flex channel is a chat channel of its
flow's service (one record), with its user and member; messages, members, users and webhooks;
Chat's own error answers. Every body is checked against the official description (conftest)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock
from tests.helpers import create, error_body, twilio_error

CHAT = "https://chat.twilio.com/v2"


def _service(client: Client, fake: FlexChannelsMock) -> Any:
    return client.chat.v2.services(fake.flex_flow.chat_service_sid)


def test_a_flex_channel_is_a_chat_channel_of_its_flows_service(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    channel = create(
        client,
        flex_channels,
        "alice",
        chat_user_friendly_name="Alice",
        chat_friendly_name="Chat with Alice",
        target="+15550100",
        pre_engagement_data=json.dumps({"question": "Hi"}),
    )
    service = _service(client, flex_channels)
    chat = service.channels(channel.sid).fetch()
    assert (chat.sid, chat.service_sid) == (channel.sid, flex_channels.flex_flow.chat_service_sid)
    assert (chat.friendly_name, chat.unique_name, chat.type, chat.created_by) == (
        "Chat with Alice",
        None,
        "private",
        "system",
    )
    assert json.loads(chat.attributes) == {
        "task_sid": channel.task_sid,
        "pre_engagement_data": {"question": "Hi"},
        "from": "+15550100",
        "channel_type": "web",
        "status": "ACTIVE",
        "long_lived": False,
    }
    assert (chat.members_count, chat.messages_count) == (1, 0)
    assert chat.links["messages"] == (
        f"{CHAT}/Services/{chat.service_sid}/Channels/{channel.sid}/Messages"
    )
    member = service.channels(channel.sid).members("alice").fetch()
    assert (member.identity, member.channel_sid) == ("alice", channel.sid)
    assert [m.sid for m in service.channels(channel.sid).members.list()] == [member.sid]
    user = service.users(channel.user_sid).fetch()
    assert (user.identity, user.friendly_name, user.joined_channels_count) == ("alice", "Alice", 1)
    assert service.users("alice").fetch().sid == channel.user_sid
    assert service.fetch().friendly_name == "Flex Chat Service"
    assert [s.sid for s in client.chat.v2.services.list()] == [chat.service_sid]


def test_messages_the_app_posts_list_in_order_across_pages(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    channel = create(client, flex_channels, "bob")
    messages = _service(client, flex_channels).channels(channel.sid).messages
    posted = [messages.create(from_="bob", body=f"message {i}") for i in range(5)]
    assert [m.index for m in posted] == [0, 1, 2, 3, 4]
    assert (posted[0]._from, posted[0].to, posted[0].type, posted[0].attributes) == (
        "bob",
        channel.sid,
        "text",
        "{}",
    )
    assert [m.body for m in messages.list(page_size=2)] == [f"message {i}" for i in range(5)]
    assert [m.index for m in messages.list(order="desc", page_size=2)] == [4, 3, 2, 1, 0]
    first = messages.page(page_size=2)
    assert first.next_page_url is not None and "PageToken=PA" in first.next_page_url
    assert [m.index for m in first.next_page()] == [2, 3]
    edited = messages(posted[1].sid).update(body="edited")
    assert (edited.body, edited.was_edited, messages(posted[1].sid).fetch().body) == (
        "edited",
        True,
        "edited",
    )
    messages(posted[4].sid).delete()
    assert messages.create(body="after").index == 5  # an index is never given again
    assert messages.create()._from == "system"
    chat = _service(client, flex_channels).channels(channel.sid).fetch()
    assert chat.messages_count == 6


def test_attributes_the_app_sets_inactive_end_the_flex_chat(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    first = create(client, flex_channels, "carol")
    service = _service(client, flex_channels)
    attributes = json.loads(service.channels(first.sid).fetch().attributes)
    ended = service.channels(first.sid).update(
        attributes=json.dumps({**attributes, "status": "INACTIVE"}), friendly_name="Done"
    )
    assert json.loads(ended.attributes)["status"] == "INACTIVE"
    assert flex_channels.get_channel(first.sid).active is False
    assert flex_channels.get_channel(first.sid).chat_friendly_name == "Done"
    second = create(client, flex_channels, "carol")
    assert second.sid != first.sid  # the next contact opens a new chat
    assert create(client, flex_channels, "carol").sid == second.sid


def test_deactivate_shows_in_chat_as_flex_ends_a_chat(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    plain = create(client, flex_channels, "dave")
    written = create(client, flex_channels, "erin")
    service = _service(client, flex_channels)
    service.channels(written.sid).update(attributes='{"status": "ACTIVE", "topic": "refund"}')
    flex_channels.deactivate(plain.sid)
    flex_channels.deactivate(written.sid)
    assert json.loads(service.channels(plain.sid).fetch().attributes)["status"] == "INACTIVE"
    assert json.loads(service.channels(written.sid).fetch().attributes) == {
        "status": "INACTIVE",
        "topic": "refund",
    }


def test_deleting_either_view_deletes_the_one_channel(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    through_chat = create(client, flex_channels, "fay")
    through_flex = create(client, flex_channels, "gus")
    service = _service(client, flex_channels)
    service.channels(through_chat.sid).delete()
    assert twilio_error(client.flex_api.v1.channel(through_chat.sid).fetch) == (
        404,
        20404,
        f"The requested resource /Channels/{through_chat.sid} was not found",
    )
    client.flex_api.v1.channel(through_flex.sid).delete()
    assert twilio_error(service.channels(through_flex.sid).fetch) == (
        404,
        20404,
        f"The requested resource /Services/{channel_service(flex_channels)}/Channels/"
        f"{through_flex.sid} was not found",
    )


def test_channels_made_through_chat_by_unique_name_and_type(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    flex = create(client, flex_channels, "hal")
    service = _service(client, flex_channels)
    made = service.channels.create(friendly_name="Ops", unique_name="ops", attributes='{"a": 1}')
    private = service.channels.create(type="private")
    assert (made.type, made.created_by, made.members_count, made.attributes) == (
        "public",
        "system",
        0,
        '{"a": 1}',
    )
    assert service.channels("ops").fetch().sid == made.sid
    assert [c.sid for c in service.channels.list()] == [flex.sid, made.sid, private.sid]
    assert [c.sid for c in service.channels.list(type="private")] == [flex.sid, private.sid]
    assert twilio_error(lambda: service.channels.create(unique_name="ops")) == (
        409,
        50307,
        "Channel with provided unique name already exists",
    )
    assert twilio_error(lambda: service.channels("ops").update(attributes="{nope")) == (
        400,
        50304,
        "Attributes not valid JSON",
    )
    assert service.channels("ops").update(unique_name="ops-2").unique_name == "ops-2"
    with pytest.raises(TwilioRestException):
        client.flex_api.v1.channel(made.sid).fetch()  # not a Flex channel


def test_members_and_users(flex_channels: FlexChannelsMock, client: Client) -> None:
    channel = create(client, flex_channels, "ivy", chat_user_friendly_name="Ivy")
    service = _service(client, flex_channels)
    members = service.channels(channel.sid).members
    agent = members.create(identity="agent-1", attributes='{"member_type": "agent"}')
    assert (agent.identity, agent.attributes, agent.role_sid.startswith("RL")) == (
        "agent-1",
        '{"member_type": "agent"}',
        True,
    )
    assert twilio_error(lambda: members.create(identity="agent-1")) == (
        409,
        50404,
        "Member already exists",
    )
    assert twilio_error(lambda: members.create(identity="")) == (
        400,
        20001,
        "Missing required parameter Identity in the post body",
    )
    assert [m.identity for m in members.list()] == ["ivy", "agent-1"]
    assert [m.identity for m in members.list(identity=["agent-1"])] == ["agent-1"]
    assert service.channels(channel.sid).fetch().members_count == 2
    # The new member's identity became a user of the service.
    assert [u.identity for u in service.users.list()] == ["ivy", "agent-1"]
    assert twilio_error(lambda: service.users.create(identity="ivy")) == (
        409,
        50201,
        "User already exists",
    )
    renamed = service.users("agent-1").update(friendly_name="Agent One")
    assert (renamed.friendly_name, renamed.joined_channels_count) == ("Agent One", 1)
    members("agent-1").delete()
    assert [m.identity for m in members.list()] == ["ivy"]
    made = service.users.create(identity="zoe", friendly_name="Zoe")
    assert (made.joined_channels_count, made.attributes, made.is_online) == (0, "{}", None)
    service.users("zoe").delete()
    gone = f"/Services/{channel_service(flex_channels)}/Users/zoe"
    assert twilio_error(service.users("zoe").fetch) == (
        404,
        20404,
        f"The requested resource {gone} was not found",
    )


def channel_service(fake: FlexChannelsMock) -> str:
    return fake.flex_flow.chat_service_sid


def test_channel_webhooks_and_their_rules(flex_channels: FlexChannelsMock, client: Client) -> None:
    channel = create(client, flex_channels, "jay")
    webhooks = _service(client, flex_channels).channels(channel.sid).webhooks
    made = webhooks.create(
        type="webhook",
        configuration_url="https://bridge.example.com/agent",
        configuration_filters=["onMessageSent", "onChannelUpdated"],
        configuration_retry_count=2,
    )
    assert made.configuration == {
        "url": "https://bridge.example.com/agent",
        "method": "POST",
        "filters": ["onMessageSent", "onChannelUpdated"],
        "retry_count": 2,
    }
    assert webhooks(made.sid).fetch().sid == made.sid
    changed = webhooks(made.sid).update(configuration_method="GET")
    assert changed.configuration["method"] == "GET"
    assert changed.configuration["filters"] == ["onMessageSent", "onChannelUpdated"]
    url = "https://bridge.example.com/x"
    assert twilio_error(lambda: webhooks.create(type="webhook")) == (
        400,
        50329,
        "Channel webhook url not provided",
    )
    bad_filter = webhooks.create
    assert twilio_error(
        lambda: bad_filter(type="webhook", configuration_url=url, configuration_filters=["oops"])
    ) == (400, 50325, "Invalid channel webhook filter")
    assert twilio_error(
        lambda: webhooks.create(type="webhook", configuration_url=url, configuration_retry_count=4)
    ) == (400, 50065, "Invalid webhook retry count")
    for _ in range(4):
        webhooks.create(type="webhook", configuration_url=url)
    assert twilio_error(lambda: webhooks.create(type="webhook", configuration_url=url)) == (
        403,
        50321,
        "Too many channel webhooks",
    )
    assert len(webhooks.list()) == 5
    webhooks(made.sid).delete()
    assert len(webhooks.list()) == 4


def test_a_repeated_filter_is_kept_once(flex_channels: FlexChannelsMock, client: Client) -> None:
    """Each ``Configuration.Filters`` names an event to hear, so a repeat adds nothing: the
    configuration lists it once, on create and on update (modelled: Twilio documents the field
    as repeated, one event a value, https://www.twilio.com/docs/chat/rest/channel-webhook-resource)."""
    channel = create(client, flex_channels, "kit")
    webhooks = _service(client, flex_channels).channels(channel.sid).webhooks
    made = webhooks.create(
        type="webhook",
        configuration_url="https://bridge.example.com/agent",
        configuration_filters=["onMessageSent", "onMemberAdded", "onMessageSent"],
    )
    assert made.configuration["filters"] == ["onMessageSent", "onMemberAdded"]
    changed = webhooks(made.sid).update(
        configuration_filters=["onChannelUpdated", "onChannelUpdated"]
    )
    assert changed.configuration["filters"] == ["onChannelUpdated"]
    assert webhooks(made.sid).fetch().configuration["filters"] == ["onChannelUpdated"]


def test_a_webhook_without_type_is_chats_own_error(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    channel = flex_channels.create_channel(identity="kim")
    url = f"{CHAT}/Services/{channel.chat_service_sid}/Channels/{channel.sid}/Webhooks"
    answer = http.post(url, data={"Configuration.Url": "https://bridge.example.com/"})
    assert (answer.status_code, answer.json()) == (
        400,
        error_body(400, 50328, "Channel webhook type not provided"),
    )


def test_chat_is_isolated_between_accounts(flex_channels: FlexChannelsMock, client: Client) -> None:
    channel = create(client, flex_channels, "lee")
    other = flex_channels.add_account()
    theirs = Client(other.sid, other.auth_token).chat.v2.services(channel_service(flex_channels))
    assert twilio_error(theirs.fetch)[:2] == (404, 20404)
    assert twilio_error(theirs.channels(channel.sid).fetch)[:2] == (404, 20404)


def test_an_unknown_chat_path_is_404_and_a_wrong_method_405(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    service = channel_service(flex_channels)
    answer = http.get(f"{CHAT}/Services/{service}/Roles")
    assert answer.json() == error_body(
        404, 20404, f"The requested resource /Services/{service}/Roles was not found"
    )
    assert flex_channels.calls[-1].operation is None
    flex_channels.calls.clear()  # the unmatched request is what this test is about
    answer = http.put(f"{CHAT}/Services/{service}")
    assert (answer.status_code, answer.headers["Allow"]) == (405, "GET, POST")


def test_chat_through_a_served_fake(flex_channels: FlexChannelsMock) -> None:
    channel = flex_channels.create_channel(identity="max")
    with flex_channels.serve() as server:
        client = Client(
            flex_channels.account_sid,
            flex_channels.auth_token,
            http_client=server.twilio_http_client(),
        )
        service = client.chat.v2.services(channel.chat_service_sid)
        fetched = service.channels(channel.sid).fetch()
        posted = service.channels(channel.sid).messages.create(body="hello")
    assert fetched.url == (
        f"{server.url}/chat/v2/Services/{channel.chat_service_sid}/Channels/{channel.sid}"
    )
    assert posted.body == "hello"
    assert [call.operation for call in flex_channels.calls] == [
        "fetch_chat_channel",
        "create_chat_message",
    ]


def test_faults_cover_chat_as_they_cover_flex(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    channel = create(client, flex_channels, "nia")
    messages = _service(client, flex_channels).channels(channel.sid).messages
    flex_channels.fail_next("create_chat_message", status=429)
    assert twilio_error(lambda: messages.create(body="first try")) == (
        429,
        20429,
        "Too Many Requests",
    )
    flex_channels.raise_next("list_chat_messages")
    with pytest.raises(requests.ConnectionError):
        messages.list()
    messages.create(body="second try")
    assert [m.body for m in flex_channels.messages(channel.sid)] == ["second try"]
    made = flex_channels.calls.filter("create_chat_message")
    assert [(call.status_code, call.fault is not None) for call in made] == [
        (429, True),
        (201, False),
    ]
