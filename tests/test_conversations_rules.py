"""Conversations v1 rules pinned one by one: each refusal with its code and message, each
boundary, and the exact parameters of each post-event webhook a REST action fires when asked
(``X-Twilio-Webhook-Enabled: true``). Events and their parameters follow
https://www.twilio.com/docs/conversations/conversations-webhooks ; what Twilio does not document
is marked modelled."""

from __future__ import annotations

import pytest
import requests
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock
from pytest_flexchannels.core.webhooks import WebhookRequest
from tests.helpers import error_body, twilio_error

API = "https://conversations.twilio.com/v1"
BRIDGE = "https://bridge.example.com"
NOW = "2026-06-01T10:00:00Z"
LATER = "2026-06-01T10:05:00Z"
ON = {"X-Twilio-Webhook-Enabled": "true"}


def _received(fake: FlexChannelsMock) -> list[WebhookRequest]:
    got: list[WebhookRequest] = []

    def app(request: WebhookRequest) -> int:
        got.append(request)
        return 200

    fake.route_webhooks(BRIDGE, app)
    return got


def _listening(client: Client, conversation_sid: str, *filters: str) -> str:
    hook = client.conversations.v1.conversations(conversation_sid).webhooks.create(
        target="webhook", configuration_url=f"{BRIDGE}/hook", configuration_filters=list(filters)
    )
    return str(hook.sid)


def test_updating_a_participant_fires_on_participant_updated_with_its_read_horizon(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """onParticipantUpdated carries the participant's fields plus DateUpdated and, once set,
    LastReadMessageIndex (documented on the webhook events page)."""
    got = _received(flex_channels)
    flex_channels.clock.set(NOW)
    conversation = client.conversations.v1.conversations.create()
    hook = _listening(client, conversation.sid, "onParticipantUpdated")
    participants = client.conversations.v1.conversations(conversation.sid).participants
    ada = participants.create(identity="ada")
    flex_channels.clock.set(LATER)
    participants(ada.sid).update(attributes='{"a": 1}', x_twilio_webhook_enabled="true")
    participants(ada.sid).update(last_read_message_index=3, x_twilio_webhook_enabled="true")
    first, second = (r.params for r in got)
    assert first == {
        "EventType": "onParticipantUpdated",
        "Source": "API",
        "WebhookSid": hook,
        "AccountSid": flex_channels.account_sid,
        "ConversationSid": conversation.sid,
        "ParticipantSid": ada.sid,
        "RoleSid": ada.role_sid,
        "Attributes": '{"a": 1}',
        "DateCreated": NOW,
        "DateUpdated": LATER,
        "Identity": "ada",
        "MessagingBinding.Type": "CHAT",
    }
    assert second == {**first, "LastReadMessageIndex": "3"}


def test_removing_a_participant_fires_on_participant_removed_and_a_gone_one_is_404(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    """onParticipantRemoved is sent for a participant deleted with webhooks enabled; fetching
    or deleting a participant no longer there is the 20404 of its own path."""
    got = _received(flex_channels)
    conversation = client.conversations.v1.conversations.create()
    _listening(client, conversation.sid, "onParticipantRemoved")
    participants = client.conversations.v1.conversations(conversation.sid).participants
    ada = participants.create(identity="ada")
    url = f"{API}/Conversations/{conversation.sid}/Participants/{ada.sid}"
    assert http.delete(url, headers=ON).status_code == 204
    assert [(r.params["EventType"], r.params["ParticipantSid"]) for r in got] == [
        ("onParticipantRemoved", ada.sid)
    ]
    for method in (http.get, http.delete):
        answer = method(url)
        assert (answer.status_code, answer.json()) == (
            404,
            error_body(
                404,
                20404,
                f"The requested resource /Conversations/{conversation.sid}"
                f"/Participants/{ada.sid} was not found",
            ),
        )


def test_a_participant_cannot_take_an_identity_another_participant_holds(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """Renaming a participant to an identity another participant of the conversation has is
    50433 (https://www.twilio.com/docs/api/errors/50433); keeping its own identity is fine."""
    conversation = client.conversations.v1.conversations.create()
    participants = client.conversations.v1.conversations(conversation.sid).participants
    ada = participants.create(identity="ada")
    participants.create(identity="bob")
    assert twilio_error(lambda: participants(ada.sid).update(identity="bob")) == (
        409,
        50433,
        "Participant already exists",
    )
    assert participants(ada.sid).update(identity="ada").identity == "ada"
    assert [p.identity for p in participants.list()] == ["ada", "bob"]


def test_a_bound_participants_proxy_and_projected_addresses_can_be_changed(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """An SMS participant's proxy (and projected) address change on update; its own address
    stays; the webhook names the binding's type in capitals with each address set."""
    got = _received(flex_channels)
    conversation = client.conversations.v1.conversations.create()
    _listening(client, conversation.sid, "onParticipantUpdated")
    participants = client.conversations.v1.conversations(conversation.sid).participants
    sms = participants.create(
        messaging_binding_address="+15550001111", messaging_binding_proxy_address="+15550002222"
    )
    moved = participants(sms.sid).update(
        messaging_binding_proxy_address="+15550003333", x_twilio_webhook_enabled="true"
    )
    assert moved.messaging_binding == {
        **sms.messaging_binding,
        "proxy_address": "+15550003333",
    }
    (hook,) = got
    assert {k: v for k, v in hook.params.items() if k.startswith("MessagingBinding.")} == {
        "MessagingBinding.Type": "SMS",
        "MessagingBinding.Address": "+15550001111",
        "MessagingBinding.ProxyAddress": "+15550003333",
    }


def test_updating_and_removing_a_message_fire_their_events_with_their_dates(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    """onMessageUpdated adds DateUpdated, onMessageRemoved adds DateRemoved to the message's
    parameters (webhook events page). Deletes go by raw HTTP: twilio 9.13's generated
    ``_delete`` drops its ``X-Twilio-Webhook-Enabled`` header."""
    got = _received(flex_channels)
    flex_channels.clock.set(NOW)
    conversation = client.conversations.v1.conversations.create()
    hook = _listening(client, conversation.sid, "onMessageUpdated", "onMessageRemoved")
    messages = client.conversations.v1.conversations(conversation.sid).messages
    sent = messages.create(author="ada", body="hello")
    flex_channels.clock.set(LATER)
    messages(sent.sid).update(body="hello, edited", x_twilio_webhook_enabled="true")
    url = f"{API}/Conversations/{conversation.sid}/Messages/{sent.sid}"
    assert http.delete(url, headers=ON).status_code == 204
    updated, removed = (r.params for r in got)
    common = {
        "Source": "API",
        "WebhookSid": hook,
        "AccountSid": flex_channels.account_sid,
        "ConversationSid": conversation.sid,
        "MessagingServiceSid": conversation.messaging_service_sid,
        "MessageSid": sent.sid,
        "Index": "0",
        "Author": "ada",
        "Attributes": "{}",
        "DateCreated": NOW,
        "Body": "hello, edited",
    }
    assert updated == {**common, "EventType": "onMessageUpdated", "DateUpdated": LATER}
    assert removed == {**common, "EventType": "onMessageRemoved", "DateRemoved": LATER}


def test_a_media_message_is_announced_with_its_media_and_no_body(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """A message of media alone is taken without a body; its onMessageAdded names the media
    as a JSON list of SIDs and carries no Body (webhook events page: Media)."""
    got = _received(flex_channels)
    conversation = client.conversations.v1.conversations.create()
    _listening(client, conversation.sid, "onMessageAdded")
    media = "ME" + "0" * 32
    messages = client.conversations.v1.conversations(conversation.sid).messages
    made = messages.create(media_sid=media, x_twilio_webhook_enabled="true")
    assert made.body is None and made.media == [{"sid": media, "category": "media"}]
    (hook,) = got
    assert hook.params["Media"] == f'[{{"Sid": "{media}"}}]'
    assert "Body" not in hook.params


def test_a_missing_message_is_the_404_of_its_path(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    conversation = client.conversations.v1.conversations.create()
    sid = "IM" + "0" * 32
    url = f"{API}/Conversations/{conversation.sid}/Messages/{sid}"
    message = (
        f"The requested resource /Conversations/{conversation.sid}/Messages/{sid} was not found"
    )
    for answer in (http.get(url), http.post(url, data={"Body": "x"}), http.delete(url)):
        assert (answer.status_code, answer.json()) == (404, error_body(404, 20404, message))


def test_updating_a_conversation_fires_updated_and_state_updated_when_its_state_moves(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """onConversationUpdated carries the conversation's fields (FriendlyName and UniqueName only
    when set); a state change also fires onConversationStateUpdated with Reason API."""
    got = _received(flex_channels)
    flex_channels.clock.set(NOW)
    conversations = client.conversations.v1.conversations
    conversation = conversations.create()
    hook = _listening(
        client, conversation.sid, "onConversationUpdated", "onConversationStateUpdated"
    )
    flex_channels.clock.set(LATER)
    conversations(conversation.sid).update(attributes='{"x": 1}', x_twilio_webhook_enabled="true")
    conversations(conversation.sid).update(
        friendly_name="Ada", unique_name="ada", state="inactive", x_twilio_webhook_enabled="true"
    )
    plain, named, moved = (r.params for r in got)
    common = {
        "Source": "API",
        "WebhookSid": hook,
        "AccountSid": flex_channels.account_sid,
        "ChatServiceSid": conversation.chat_service_sid,
        "ConversationSid": conversation.sid,
        "MessagingServiceSid": conversation.messaging_service_sid,
    }
    assert plain == {
        **common,
        "EventType": "onConversationUpdated",
        "Attributes": '{"x": 1}',
        "State": "active",
        "DateCreated": NOW,
        "DateUpdated": LATER,
    }
    assert named == {
        **plain,
        "State": "inactive",
        "FriendlyName": "Ada",
        "UniqueName": "ada",
    }
    assert moved == {
        **common,
        "EventType": "onConversationStateUpdated",
        "StateFrom": "active",
        "StateTo": "inactive",
        "StateUpdated": LATER,
        "Reason": "API",
    }


def test_removing_a_conversation_fires_on_conversation_removed_before_it_is_forgotten(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    got = _received(flex_channels)
    flex_channels.clock.set(NOW)
    conversations = client.conversations.v1.conversations
    conversation = conversations.create(friendly_name="Ada")
    _listening(client, conversation.sid, "onConversationRemoved")
    flex_channels.clock.set(LATER)
    url = f"{API}/Conversations/{conversation.sid}"
    assert http.delete(url, headers=ON).status_code == 204
    (hook,) = got
    assert hook.params["EventType"] == "onConversationRemoved"
    assert (hook.params["DateRemoved"], hook.params["FriendlyName"]) == (LATER, "Ada")
    assert "UniqueName" not in hook.params
    assert twilio_error(conversations(conversation.sid).fetch)[:2] == (404, 20404)


def test_a_closed_conversation_refuses_every_change(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """Closed is final: any update is 50377 (https://www.twilio.com/docs/api/errors/50377)."""
    conversations = client.conversations.v1.conversations
    conversation = conversations.create()
    conversations(conversation.sid).update(state="closed")
    for change in ({"state": "active"}, {"friendly_name": "again"}):
        assert twilio_error(
            lambda change=change: conversations(conversation.sid).update(**change)
        ) == (
            400,
            50377,
            "Can't update conversation as it's in final closed state",
        )
    assert conversations(conversation.sid).fetch().state == "closed"


@pytest.mark.parametrize(
    ("timer", "duration", "code", "message"),
    [
        ("timers_inactive", "P36500D", None, None),
        ("timers_inactive", "P36501D", 50379, "TimeToInactive format is invalid"),
        ("timers_closed", "P36501D", 50380, "TimeToClosed format is invalid"),
    ],
)
def test_a_timer_longer_than_a_hundred_years_is_refused(
    flex_channels: FlexChannelsMock,
    client: Client,
    timer: str,
    duration: str,
    code: int | None,
    message: str | None,
) -> None:
    """Modelled: a timer is at most 36500 days; longer is the timer's format error."""
    conversations = client.conversations.v1.conversations
    if code is None:
        assert conversations.create(**{timer: duration}).sid.startswith("CH")
    else:
        assert twilio_error(lambda: conversations.create(**{timer: duration})) == (
            400,
            code,
            message,
        )


def test_a_studio_webhook_needs_a_flow_sid_and_hears_nothing_at_a_url(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    """A studio webhook takes a Studio Flow SID (FW…), else 50367; no message reaches any app
    through it, with or without a URL (modelled: the fake runs no Studio flow)."""
    got = _received(flex_channels)
    conversation = client.conversations.v1.conversations.create()
    webhooks = client.conversations.v1.conversations(conversation.sid).webhooks
    assert twilio_error(
        lambda: webhooks.create(target="studio", configuration_flow_sid="XX" + "0" * 32)
    ) == (400, 50367, "Invalid conversation webhook flow SID")
    studio = webhooks.create(target="studio", configuration_flow_sid="FW" + "0" * 32)
    assert studio.configuration["flow_sid"] == "FW" + "0" * 32
    webhooks.create(
        target="studio", configuration_flow_sid="FW" + "1" * 32, configuration_url=BRIDGE
    )
    client.conversations.v1.conversations(conversation.sid).messages.create(
        body="help", x_twilio_webhook_enabled="true"
    )
    assert got == []


def test_a_webhook_without_a_target_or_with_a_bad_method_is_refused(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    """No Target is 50368 (https://www.twilio.com/docs/api/errors/50368); a method other than
    GET or POST (any case) is 20001."""
    conversation = client.conversations.v1.conversations.create()
    url = f"{API}/Conversations/{conversation.sid}/Webhooks"
    answer = http.post(url, data={"Configuration.Url": BRIDGE})
    assert (answer.status_code, answer.json()) == (
        400,
        error_body(400, 50368, "Conversation webhook type not provided"),
    )
    answer = http.post(
        url,
        data={"Target": "webhook", "Configuration.Url": BRIDGE, "Configuration.Method": "PUT"},
    )
    assert (answer.status_code, answer.json()) == (
        400,
        error_body(400, 20001, "Invalid parameter Configuration.Method: must be one of get, post"),
    )
    made = http.post(
        url,
        data={"Target": "webhook", "Configuration.Url": BRIDGE, "Configuration.Method": "GeT"},
    )
    assert (made.status_code, made.json()["configuration"]["method"]) == (201, "get")


def test_a_missing_conversation_webhook_is_the_404_of_its_path(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    conversation = client.conversations.v1.conversations.create()
    sid = "WH" + "0" * 32
    url = f"{API}/Conversations/{conversation.sid}/Webhooks/{sid}"
    message = (
        f"The requested resource /Conversations/{conversation.sid}/Webhooks/{sid} was not found"
    )
    for answer in (http.get(url), http.post(url, data={}), http.delete(url)):
        assert (answer.status_code, answer.json()) == (404, error_body(404, 20404, message))


def test_an_address_configuration_names_a_known_service_and_known_events(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    """An auto-creation service that is not the account's is the 20404 of that service; an
    unknown event among its webhook filters is 50365
    (https://www.twilio.com/docs/api/errors/50365); a method is kept in capitals."""
    url = f"{API}/Configuration/Addresses"
    form = {"Type": "sms", "Address": "+15550100", "AutoCreation.Enabled": "true"}
    service = "IS" + "0" * 32
    answer = http.post(url, data={**form, "AutoCreation.ConversationServiceSid": service})
    assert (answer.status_code, answer.json()) == (
        404,
        error_body(404, 20404, f"The requested resource /Services/{service} was not found"),
    )
    answer = http.post(url, data={**form, "AutoCreation.WebhookFilters": "onNothing"})
    assert (answer.status_code, answer.json()) == (
        400,
        error_body(400, 50365, "Invalid conversation webhook filter"),
    )
    made = http.post(url, data={**form, "AutoCreation.WebhookMethod": "get"})
    assert (made.status_code, made.json()["auto_creation"]["webhook_method"]) == (201, "GET")
    assert len(client.conversations.v1.address_configurations.list()) == 1


def test_an_email_binding_set_on_update_shows_in_bindings(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """``Bindings.Email.Address`` and ``.Name`` set the conversation's email binding, shown as
    ``bindings.email`` (https://www.twilio.com/docs/conversations/api/conversation-resource)."""
    conversations = client.conversations.v1.conversations
    conversation = conversations.create()
    updated = conversations(conversation.sid).update(
        bindings_email_address="ada@example.com", bindings_email_name="Ada"
    )
    assert updated.bindings == {"email": {"address": "ada@example.com", "name": "Ada"}}
    assert conversations(conversation.sid).fetch().bindings == updated.bindings


def test_the_agent_ending_a_closed_conversation_only_takes_its_agents_out(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """Modelled on how Flex wraps a chat up: ending a chat the API closed already takes each
    agent out (onParticipantRemoved, from the SDK as that agent) and announces no second
    state change; the customer stays."""
    got = _received(flex_channels)
    conversations = client.conversations.v1.conversations
    conversation = conversations.create()
    _listening(client, conversation.sid, "onParticipantRemoved", "onConversationStateUpdated")
    participants = conversations(conversation.sid).participants
    participants.create(identity="ada")
    participants.create(identity="alice", attributes='{"member_type": "agent"}')
    conversations(conversation.sid).update(state="closed")
    flex_channels.end_chat(conversation.sid)
    assert [
        (r.params["EventType"], r.params["Source"], r.params.get("ClientIdentity")) for r in got
    ] == [("onParticipantRemoved", "SDK", "alice")]
    assert [p.identity for p in participants.list()] == ["ada"]
    assert conversations(conversation.sid).fetch().state == "closed"


@pytest.mark.xfail(
    strict=True,
    reason="the fake takes an empty (or over-long) trigger keyword, where Twilio answers 50366; "
    "an empty one then hears every message with no first word (media alone, a blank body)",
)
@pytest.mark.parametrize("keyword", ["", "k" * 249], ids=["empty", "249-characters"])
def test_a_trigger_keyword_that_is_empty_or_over_248_characters_is_50366(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session, keyword: str
) -> None:
    """Documented (https://www.twilio.com/docs/api/errors/50366): a Configuration.Triggers
    keyword that is an empty string or passes 248 characters is 400/50366 "Invalid
    conversation webhook trigger"."""
    conversation = client.conversations.v1.conversations.create()
    answer = http.post(
        f"{API}/Conversations/{conversation.sid}/Webhooks",
        data={"Target": "trigger", "Configuration.Url": BRIDGE, "Configuration.Triggers": keyword},
    )
    assert (answer.status_code, answer.json()) == (
        400,
        error_body(400, 50366, "Invalid conversation webhook trigger"),
    )


def test_a_trigger_keyword_of_248_characters_is_taken(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """The documented bound itself (https://www.twilio.com/docs/api/errors/50366) is allowed."""
    conversation = client.conversations.v1.conversations.create()
    made = client.conversations.v1.conversations(conversation.sid).webhooks.create(
        target="trigger", configuration_url=BRIDGE, configuration_triggers=["k" * 248]
    )
    assert made.configuration["triggers"] == ["k" * 248]
