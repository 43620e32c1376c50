"""Flex Interactions and v2 WebChats rules pinned one by one: who a channel participant brings
into the conversation and when it is refused (45367), what closing a participant takes away,
the 404s of a participant's and transfer's own paths, the channel shapes an interaction refuses
(45366), and how a web chat reads its address configuration (45763) and pre-engagement data.
Error codes follow https://www.twilio.com/docs/api/errors ; the rest is modelled where said."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock
from pytest_flexchannels.core.webhooks import WebhookRequest
from tests.helpers import error_body, twilio_error

FLEX = "https://flex-api.twilio.com/v1"
WORKSPACE = "WS" + "a" * 32
WORKFLOW = "WW" + "b" * 32
QUEUE = "WQ" + "c" * 32
WORKER = "WK" + "d" * 32
BRIDGE = "https://bridge.example.com"
PARTICIPANT_INVALID = (400, 45367, "Failed to add Participant. Invalid request parameters.")
CHANNEL_INVALID = error_body(400, 45366, "Failed to create Channel. Invalid request parameters.")


def _routing() -> dict[str, Any]:
    return {"properties": {"workspace_sid": WORKSPACE, "workflow_sid": WORKFLOW}}


def _inbound(client: Client) -> tuple[Any, Any, Any]:
    """An inbound SMS interaction: (its conversation, the interaction, its channel's client)."""
    conversation = client.conversations.v1.conversations.create()
    client.conversations.v1.conversations(conversation.sid).participants.create(
        messaging_binding_address="+15550100", messaging_binding_proxy_address="+15559999"
    )
    interaction = client.flex_api.v1.interaction.create(
        channel={
            "type": "sms",
            "initiated_by": "customer",
            "properties": {"media_channel_sid": conversation.sid},
        },
        routing=_routing(),
    )
    channel = client.flex_api.v1.interaction(interaction.sid).channels(interaction.channel["sid"])
    return conversation, interaction, channel


def test_a_participant_joins_by_address_or_not_at_all_and_only_agents_are_marked(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """Media properties naming an address with its proxy address bring an SMS participant into
    the conversation; ones naming neither (an email's) bring no one; an agent or supervisor
    joins with ``{"member_type": "agent"}``, anyone else with no attributes (modelled on how
    Flex marks its agents)."""
    conversation, _, channel = _inbound(client)
    members = client.conversations.v1.conversations(conversation.sid).participants
    channel.participants.create(
        type="external",
        media_properties={"address": "+15550200", "proxy_address": "+15559999"},
    )
    channel.participants.create(type="external", media_properties={"address": "+15550300"})
    channel.participants.create(type="supervisor", media_properties={"identity": "sue"})
    channel.participants.create(type="customer", media_properties={"identity": "cat"})
    joined = members.list()
    assert [(p.identity, (p.messaging_binding or {}).get("address")) for p in joined] == [
        (None, "+15550100"),
        (None, "+15550200"),
        ("sue", None),
        ("cat", None),
    ]
    assert [p.attributes for p in joined[1:]] == ["{}", '{"member_type": "agent"}', "{}"]
    assert len(channel.participants.list()) == 5  # the customer's own, and these four


def test_a_participant_the_conversation_refuses_is_45367_and_a_closed_channel_takes_none(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """A participant the conversation would refuse (its identity already there) is 45367, as
    is any participant of a channel no longer open
    (https://www.twilio.com/docs/api/errors/45367)."""
    _, _, channel = _inbound(client)
    channel.participants.create(type="agent", media_properties={"identity": "alice"})
    assert (
        twilio_error(
            lambda: channel.participants.create(
                type="agent", media_properties={"identity": "alice"}
            )
        )
        == PARTICIPANT_INVALID
    )
    assert len(channel.participants.list()) == 2
    channel.update(status="closed")
    for media in ({"identity": "bob"}, {"address": "bob@example.com"}):
        assert (
            twilio_error(
                lambda media=media: channel.participants.create(
                    type="agent", media_properties=media
                )
            )
            == PARTICIPANT_INVALID
        )


def test_closing_a_participant_who_already_left_the_conversation_just_closes_it(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """Modelled: closing a participant takes its member out of the conversation if it is
    still there; one removed already (or closed twice) is simply closed."""
    conversation, _, channel = _inbound(client)
    agent = channel.participants.create(type="agent", media_properties={"identity": "alice"})
    members = client.conversations.v1.conversations(conversation.sid).participants
    members("alice").delete()
    for _ in range(2):
        assert channel.participants(agent.sid).update(status="closed").sid == agent.sid
    assert [p.identity for p in members.list()] == [None]


def test_a_missing_participant_or_transfer_is_the_404_of_its_path(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    _, interaction, _ = _inbound(client)
    channel = f"/Interactions/{interaction.sid}/Channels/{interaction.channel['sid']}"
    for path, answer in [
        (
            f"{channel}/Participants/UT{'0' * 32}",
            lambda url: http.post(url, data={"Status": "closed"}),
        ),
        (f"{channel}/Transfers/TT{'0' * 32}", http.get),
        (f"{channel}/Transfers/TT{'0' * 32}", lambda url: http.post(url, json={})),
    ]:
        got = answer(f"{FLEX}{path}")
        assert (got.status_code, got.json()) == (
            404,
            error_body(404, 20404, f"The requested resource {path} was not found"),
        )


@pytest.mark.parametrize(
    "channel",
    [
        pytest.param({"participants": []}, id="no-participants"),
        pytest.param({"participants": {"identity": "ada"}}, id="participants-not-a-list"),
        pytest.param({"participants": 5}, id="participants-a-number"),
        pytest.param({"participants": ["ada"]}, id="a-participant-not-an-object"),
        pytest.param(
            {"participants": [{"identity": "ada"}], "properties": {"media_channel_sid": 7}},
            id="media-channel-not-a-string",
        ),
        pytest.param(
            {
                "participants": [{"identity": "ada"}],
                "properties": {"media_channel_sid": "IS" + "0" * 32},
            },
            id="media-channel-not-a-conversation",
        ),
    ],
)
def test_an_agent_initiated_channel_of_a_bad_shape_is_45366(
    flex_channels: FlexChannelsMock, http: requests.Session, channel: dict[str, Any]
) -> None:
    """An agent-initiated channel names a non-empty list of participant objects, and a media
    channel, if any, by its conversation's CH SID (https://www.twilio.com/docs/api/errors/45366)."""
    routing = {"properties": {"workspace_sid": WORKSPACE, "queue_sid": QUEUE, "worker_sid": WORKER}}
    form = {
        "Channel": json.dumps({"type": "sms", "initiated_by": "agent", **channel}),
        "Routing": json.dumps(routing),
    }
    answer = http.post(f"{FLEX}/Interactions", data=form)
    assert (answer.status_code, answer.json()) == (400, CHANNEL_INVALID)
    assert flex_channels.orphans == []


def _address(client: Client, **auto: Any) -> Any:
    return client.conversations.v1.address_configurations.create(
        type="chat", address="web-chat", auto_creation_enabled=True, **auto
    )


def test_a_studio_address_without_a_flow_is_45763(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """https://www.twilio.com/docs/api/errors/45763"""
    address = _address(client, auto_creation_type="studio")
    assert twilio_error(
        lambda: client.flex_api.v2.web_channels.create(address_sid=address.sid)
    ) == (
        400,
        45763,
        "Unable to validate address configuration. Auto create studio flow SID missing.",
    )


def test_a_studio_address_hooks_its_flow_to_the_new_conversation(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """Modelled: a web chat through a studio address configuration opens a conversation with a
    studio webhook naming the address's flow (and nothing delivered to any URL)."""
    flow = "FW" + "1" * 32
    address = _address(client, auto_creation_type="studio", auto_creation_studio_flow_sid=flow)
    opened = client.flex_api.v2.web_channels.create(address_sid=address.sid)
    (hook,) = client.conversations.v1.conversations(opened.conversation_sid).webhooks.list()
    assert (hook.target, hook.configuration["flow_sid"]) == ("studio", flow)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ('{"question": "refund"}', {"question": "refund"}),
        ("not json {", "not json {"),
        ("[" * 5000, "[" * 5000),
    ],
    ids=["json", "text", "too-deep"],
)
def test_pre_engagement_data_is_kept_as_json_or_else_as_its_text(
    flex_channels: FlexChannelsMock, client: Client, given: str, kept: Any
) -> None:
    """Modelled: pre-engagement data that is JSON is nested as JSON in the conversation's
    attributes; text that is not (or nests too deep to read) is kept as the text it is."""
    address = _address(client, auto_creation_type="default")
    opened = client.flex_api.v2.web_channels.create(
        address_sid=address.sid, pre_engagement_data=given
    )
    attributes = client.conversations.v1.conversations(opened.conversation_sid).fetch().attributes
    assert json.loads(attributes) == {"pre_engagement_data": kept}


def test_a_webhook_address_without_filters_hears_new_messages_only(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """Modelled: an address configuration's webhook with no filters hears onMessageAdded, and
    only that."""
    got: list[WebhookRequest] = []
    flex_channels.route_webhooks(BRIDGE, lambda request: got.append(request) or 200)
    address = _address(
        client, auto_creation_type="webhook", auto_creation_webhook_url=f"{BRIDGE}/in"
    )
    opened = client.flex_api.v2.web_channels.create(address_sid=address.sid, identity="ada")
    conversation = client.conversations.v1.conversations(opened.conversation_sid)
    (hook,) = conversation.webhooks.list()
    assert (hook.target, hook.configuration["url"], hook.configuration["filters"]) == (
        "webhook",
        f"{BRIDGE}/in",
        ["onMessageAdded"],
    )
    conversation.participants.create(identity="bob", x_twilio_webhook_enabled="true")
    conversation.messages.create(author="ada", body="hi", x_twilio_webhook_enabled="true")
    assert [(r.url, r.method, r.params["EventType"]) for r in got] == [
        (f"{BRIDGE}/in", "POST", "onMessageAdded")
    ]


@pytest.mark.xfail(
    strict=True,
    reason="the webhook a web chat adds keeps the address's method as given ('POST'), where a "
    "conversation-scoped webhook shows its method as one of get, post (as the fake itself "
    "shows one made through the REST API)",
)
def test_the_webhook_a_web_chat_adds_shows_its_method_as_conversations_do(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """Conversation-scoped webhooks take and show ``Configuration.Method`` as one of ``get``,
    ``post`` (https://www.twilio.com/docs/conversations/api/conversation-scoped-webhook-resource);
    one the fake adds for a web chat should read the same as one made through the API."""
    address = _address(
        client, auto_creation_type="webhook", auto_creation_webhook_url=f"{BRIDGE}/in"
    )
    opened = client.flex_api.v2.web_channels.create(address_sid=address.sid)
    (hook,) = client.conversations.v1.conversations(opened.conversation_sid).webhooks.list()
    assert hook.configuration["method"] == "post"


def test_an_interaction_update_without_a_ttid_and_closing_a_closed_channel_change_nothing(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    """Modelled: an update naming no WebhookTtid keeps the one the interaction has; closing a
    channel that is closed already answers it as it is, its task left as it was."""
    _, interaction, channel = _inbound(client)
    url = f"{FLEX}/Interactions/{interaction.sid}"
    assert http.post(url, data={"WebhookTtid": "flex_interaction"}).status_code == 200
    kept = http.post(url, data={})
    assert (kept.status_code, kept.json()["webhook_ttid"]) == (200, "flex_interaction")
    assert channel.update(status="closed").status == "closed"
    task_sid = interaction.routing["properties"]["sid"]
    before = http.get(url).json()
    flex_channels.advance(60)
    assert channel.update(status="closed").status == "closed"
    assert http.get(url).json() == before
    assert task_sid == before["routing"]["properties"]["sid"]


def test_a_channel_update_without_a_status_is_45358(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    """https://www.twilio.com/docs/api/errors/45358"""
    _, interaction, _ = _inbound(client)
    sid = interaction.channel["sid"]
    answer = http.post(f"{FLEX}/Interactions/{interaction.sid}/Channels/{sid}", data={})
    assert (answer.status_code, answer.json()) == (
        400,
        error_body(
            400,
            45358,
            f"Failed to close Channel {sid}. No Channel status parameter was provided.",
        ),
    )


def test_a_transfer_update_that_changes_nothing_keeps_its_date(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    """Modelled: a transfer updated without a status, or to the status it has, is unchanged
    (its date_updated too); a new status moves it."""
    flex_channels.clock.set("2026-06-01T10:00:00Z")
    _, interaction, _ = _inbound(client)
    url = f"{FLEX}/Interactions/{interaction.sid}/Channels/{interaction.channel['sid']}/Transfers"
    made = http.post(url, json={"type": "cold", "to": WORKFLOW}).json()
    flex_channels.clock.set("2026-06-01T10:05:00Z")
    for body in ({}, {"status": made["status"]}):
        same = http.post(f"{url}/{made['sid']}", json=body).json()
        assert (same["status"], same["date_updated"]) == (made["status"], made["date_updated"])
    done = http.post(f"{url}/{made['sid']}", json={"status": "completed"}).json()
    assert (done["status"], done["date_updated"]) == ("completed", "2026-06-01T10:05:00Z")
