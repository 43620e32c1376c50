"""Programmable Chat v2 rules pinned one by one: the post-event webhooks REST actions fire when
asked (``X-Twilio-Webhook-Enabled: true``) with their exact parameters (events documented at
https://www.twilio.com/docs/chat/webhook-events), the 404s of a member's, message's and
webhook's own paths, and what an empty update leaves alone. Deletes go by raw HTTP: twilio
9.13's generated ``_delete`` drops its ``X-Twilio-Webhook-Enabled`` header."""

from __future__ import annotations

from typing import Any

import requests
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock
from pytest_flexchannels.core.webhooks import WebhookRequest
from tests.helpers import create, error_body, twilio_error

CHAT = "https://chat.twilio.com/v2"
BRIDGE = "https://bridge.example.com"
NOW = "2026-06-01T10:00:00Z"
LATER = "2026-06-01T10:05:00Z"
ON = {"X-Twilio-Webhook-Enabled": "true"}


def _service(client: Client, fake: FlexChannelsMock) -> Any:
    return client.chat.v2.services(fake.flex_flow.chat_service_sid)


def _hearing(fake: FlexChannelsMock, client: Client, *filters: str) -> list[WebhookRequest]:
    """The service's post-event webhook set to hear ``filters``, and what reaches it."""
    _service(client, fake).update(post_webhook_url=f"{BRIDGE}/post", webhook_filters=list(filters))
    got: list[WebhookRequest] = []

    def app(request: WebhookRequest) -> int:
        got.append(request)
        return 200

    fake.route_webhooks(BRIDGE, app)
    return got


def _channels(fake: FlexChannelsMock) -> str:
    return f"/Services/{fake.flex_flow.chat_service_sid}/Channels"


def _not_found(answer: requests.Response, path: str) -> None:
    assert (answer.status_code, answer.json()) == (
        404,
        error_body(404, 20404, f"The requested resource {path} was not found"),
    )


def test_updating_a_chat_channel_fires_on_channel_updated_with_its_names(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """onChannelUpdated carries the channel's fields, FriendlyName and UniqueName when set."""
    got = _hearing(flex_channels, client, "onChannelUpdated")
    flex_channels.clock.set(NOW)
    service = _service(client, flex_channels)
    channel = service.channels.create(friendly_name="Ops", created_by="ada")
    flex_channels.clock.set(LATER)
    service.channels(channel.sid).update(unique_name="ops", x_twilio_webhook_enabled="true")
    (hook,) = got
    assert hook.params == {
        "EventType": "onChannelUpdated",
        "Source": "API",
        "AccountSid": flex_channels.account_sid,
        "InstanceSid": flex_channels.flex_flow.chat_service_sid,
        "ChannelSid": channel.sid,
        "Attributes": "{}",
        "DateCreated": NOW,
        "DateUpdated": LATER,
        "CreatedBy": "ada",
        "ChannelType": "public",
        "FriendlyName": "Ops",
        "UniqueName": "ops",
    }


def test_an_empty_channel_update_changes_nothing_and_announces_nothing(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """Modelled: an update naming no field leaves the channel (its DateUpdated too) as it was,
    whether it was made through Chat or is a Flex channel, and fires no onChannelUpdated."""
    got = _hearing(flex_channels, client, "onChannelUpdated")
    flex_channels.clock.set(NOW)
    service = _service(client, flex_channels)
    chat_only = service.channels.create(friendly_name="Ops")
    flex = create(client, flex_channels, "ada")
    flex_channels.clock.set(LATER)
    for sid in (chat_only.sid, flex.sid):
        before = service.channels(sid).fetch()
        after = service.channels(sid).update(x_twilio_webhook_enabled="true")
        assert (after.date_updated, after.friendly_name) == (
            before.date_updated,
            before.friendly_name,
        )
    assert got == []
    service.channels(chat_only.sid).update(created_by="bob", x_twilio_webhook_enabled="true")
    assert service.channels(chat_only.sid).fetch().created_by == "bob"
    assert [r.params["CreatedBy"] for r in got] == ["bob"]


def test_destroying_a_chat_channel_fires_on_channel_destroyed_and_forgets_its_parts(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    """onChannelDestroyed carries DateDestroyed in place of DateUpdated, and the channel is
    gone (its path 404)."""
    got = _hearing(flex_channels, client, "onChannelDestroyed")
    flex_channels.clock.set(NOW)
    service = _service(client, flex_channels)
    channel = service.channels.create(friendly_name="Ops")
    service.channels(channel.sid).members.create(identity="ada")
    service.channels(channel.sid).messages.create(body="hi")
    flex_channels.clock.set(LATER)
    path = f"{_channels(flex_channels)}/{channel.sid}"
    assert http.delete(f"{CHAT}{path}", headers=ON).status_code == 204
    (hook,) = got
    assert hook.params["EventType"] == "onChannelDestroyed"
    assert hook.params["DateDestroyed"] == LATER and "DateUpdated" not in hook.params
    assert hook.params["ChannelSid"] == channel.sid
    _not_found(http.get(f"{CHAT}{path}"), path)


def test_adding_and_removing_a_member_fire_their_events(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    """onMemberAdded (Reason ADDED) and onMemberRemoved (Reason REMOVED, with DateRemoved)."""
    got = _hearing(flex_channels, client, "onMemberAdded", "onMemberRemoved")
    flex_channels.clock.set(NOW)
    service = _service(client, flex_channels)
    channel = service.channels.create()
    members = service.channels(channel.sid).members
    ada = members.create(identity="ada", x_twilio_webhook_enabled="true")
    flex_channels.clock.set(LATER)
    path = f"{_channels(flex_channels)}/{channel.sid}/Members/{ada.sid}"
    assert http.delete(f"{CHAT}{path}", headers=ON).status_code == 204
    added, removed = (r.params for r in got)
    common = {
        "Source": "API",
        "AccountSid": flex_channels.account_sid,
        "InstanceSid": flex_channels.flex_flow.chat_service_sid,
        "ChannelSid": channel.sid,
        "MemberSid": ada.sid,
        "Identity": "ada",
        "RoleSid": ada.role_sid,
        "DateCreated": NOW,
    }
    assert added == {**common, "EventType": "onMemberAdded", "Reason": "ADDED"}
    assert removed == {
        **common,
        "EventType": "onMemberRemoved",
        "Reason": "REMOVED",
        "DateRemoved": LATER,
    }
    _not_found(http.get(f"{CHAT}{path}"), path)
    _not_found(http.delete(f"{CHAT}{path}"), path)


def test_updating_and_removing_a_message_fire_their_events(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    """onMessageUpdated carries ModifiedBy (the editor, else the author) and DateUpdated;
    onMessageRemoved carries DateRemoved."""
    got = _hearing(flex_channels, client, "onMessageUpdated", "onMessageRemoved")
    flex_channels.clock.set(NOW)
    service = _service(client, flex_channels)
    channel = service.channels.create()
    messages = service.channels(channel.sid).messages
    sent = messages.create(body="hello", from_="ada")
    flex_channels.clock.set(LATER)
    messages(sent.sid).update(body="hello!", x_twilio_webhook_enabled="true")
    messages(sent.sid).update(last_updated_by="bob", x_twilio_webhook_enabled="true")
    path = f"{_channels(flex_channels)}/{channel.sid}/Messages/{sent.sid}"
    assert http.delete(f"{CHAT}{path}", headers=ON).status_code == 204
    by_author, by_editor, removed = (r.params for r in got)
    common = {
        "Source": "API",
        "AccountSid": flex_channels.account_sid,
        "InstanceSid": flex_channels.flex_flow.chat_service_sid,
        "ChannelSid": channel.sid,
        "MessageSid": sent.sid,
        "Index": "0",
        "Body": "hello!",
        "Attributes": "{}",
        "From": "ada",
        "DateCreated": NOW,
    }
    updated = {**common, "EventType": "onMessageUpdated", "DateUpdated": LATER}
    assert by_author == {**updated, "ModifiedBy": "ada"}
    assert by_editor == {**updated, "ModifiedBy": "bob"}
    assert removed == {**common, "EventType": "onMessageRemoved", "DateRemoved": LATER}
    _not_found(http.get(f"{CHAT}{path}"), path)


def test_an_empty_message_update_leaves_it_unedited(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """Modelled: an update naming no field changes nothing (not DateUpdated, not WasEdited)."""
    flex_channels.clock.set(NOW)
    service = _service(client, flex_channels)
    channel = service.channels.create()
    messages = service.channels(channel.sid).messages
    sent = messages.create(body="hello")
    flex_channels.clock.set(LATER)
    same = messages(sent.sid).update()
    assert (same.date_updated, same.was_edited) == (sent.date_updated, False)
    assert messages(sent.sid).update(body="again").was_edited is True


def test_a_message_is_found_only_under_its_own_channel(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    """A message SID asked for under another channel of the service is the 404 of that path."""
    service = _service(client, flex_channels)
    home, other = service.channels.create(), service.channels.create()
    sent = service.channels(home.sid).messages.create(body="hello")
    path = f"{_channels(flex_channels)}/{other.sid}/Messages/{sent.sid}"
    _not_found(http.get(f"{CHAT}{path}"), path)
    _not_found(http.post(f"{CHAT}{path}", data={"Body": "x"}), path)
    assert service.channels(home.sid).messages(sent.sid).fetch().body == "hello"


def test_a_services_filters_are_checked_on_update_and_an_empty_update_keeps_it(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """An unknown event among WebhookFilters is 50325; an update naming nothing keeps the
    service as it was (DateUpdated included)."""
    flex_channels.clock.set(NOW)
    service = _service(client, flex_channels)
    before = service.fetch()
    flex_channels.clock.set(LATER)
    assert twilio_error(lambda: service.update(webhook_filters=["onMessageSent", "onNope"])) == (
        400,
        50325,
        "Invalid channel webhook filter",
    )
    assert service.update().date_updated == before.date_updated
    assert service.fetch().webhook_filters == before.webhook_filters


def test_a_channel_webhooks_filters_are_checked_on_update_and_a_gone_one_is_404(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    service = _service(client, flex_channels)
    channel = service.channels.create()
    webhooks = service.channels(channel.sid).webhooks
    made = webhooks.create(
        type="webhook", configuration_url=BRIDGE, configuration_filters=["onMessageSent"]
    )
    assert twilio_error(lambda: webhooks(made.sid).update(configuration_filters=["nope"])) == (
        400,
        50325,
        "Invalid channel webhook filter",
    )
    assert webhooks(made.sid).fetch().configuration["filters"] == ["onMessageSent"]
    path = f"{_channels(flex_channels)}/{channel.sid}/Webhooks/{made.sid}"
    assert http.delete(f"{CHAT}{path}").status_code == 204
    for answer in (http.get(f"{CHAT}{path}"), http.post(f"{CHAT}{path}", data={})):
        _not_found(answer, path)


def test_an_empty_user_update_keeps_the_user_as_it_was(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """Modelled: an update naming no field changes nothing (DateUpdated included)."""
    flex_channels.clock.set(NOW)
    users = _service(client, flex_channels).users
    made = users.create(identity="ada", friendly_name="Ada")
    flex_channels.clock.set(LATER)
    same = users(made.sid).update()
    assert (same.date_updated, same.friendly_name) == (made.date_updated, "Ada")
    assert users(made.sid).update(friendly_name="Ada L").date_updated != made.date_updated
