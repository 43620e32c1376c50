"""Flex Interactions and v2 WebChats through the real twilio client, in one world with
Conversations: the asynchronous lifecycle (``setup``, then ``active`` or ``failed``), tasks,
participants, invites, transfers; closing a channel closes its conversation; the orphan check.
Every body is checked against the official description (conftest)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock
from pytest_flexchannels.core.webhooks import WebhookRequest
from tests.helpers import INNER_INI, JsonBody, error_body, twilio_error

FLEX = "https://flex-api.twilio.com/v1"
WORKSPACE = "WS" + "a" * 32
WORKFLOW = "WW" + "b" * 32
QUEUE = "WQ" + "c" * 32
WORKER = "WK" + "d" * 32
BRIDGE = "https://bridge.example.com"


def _routing(**attributes: Any) -> dict[str, Any]:
    return {
        "properties": {
            "workspace_sid": WORKSPACE,
            "workflow_sid": WORKFLOW,
            "task_channel_unique_name": "sms",
            "attributes": attributes,
        }
    }


def _sms_conversation(client: Client) -> Any:
    conversation = client.conversations.v1.conversations.create(friendly_name="SMS +15550100")
    client.conversations.v1.conversations(conversation.sid).participants.create(
        messaging_binding_address="+15550100", messaging_binding_proxy_address="+15559999"
    )
    return conversation


def _inbound(client: Client, conversation_sid: str) -> Any:
    return client.flex_api.v1.interaction.create(
        channel={
            "type": "sms",
            "initiated_by": "customer",
            "properties": {"media_channel_sid": conversation_sid},
        },
        routing=_routing(customerName="Ada"),
    )


def test_an_inbound_interaction_routes_a_conversation_and_settles_after_a_read(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    conversation = _sms_conversation(client)
    interaction = _inbound(client, conversation.sid)
    assert interaction.sid.startswith("KD")
    assert interaction.channel == {"type": "sms", "sid": interaction.channel["sid"]}
    assert interaction.links == {"channels": f"{FLEX}/Interactions/{interaction.sid}/Channels"}
    assert (interaction.interaction_context_sid, interaction.webhook_ttid) == (None, None)
    task = interaction.routing["properties"]
    assert interaction.routing["reservation"] is None
    assert (task["sid"][:2], task["workspace_sid"], task["assignment_status"]) == (
        "WT",
        WORKSPACE,
        "pending",
    )
    attributes = json.loads(task["attributes"])
    assert attributes == {
        "customerName": "Ada",
        "flexInteractionSid": interaction.sid,
        "flexInteractionChannelSid": interaction.channel["sid"],
        "flexChannelInviteSid": attributes["flexChannelInviteSid"],
        "conversationSid": conversation.sid,
        "initiatedBy": "customer",
        "direction": "inbound",
        "channelType": "sms",
    }
    channel = client.flex_api.v1.interaction(interaction.sid).channels(interaction.channel["sid"])
    first = channel.fetch()
    assert (first.status, first.error_code, first.error_message) == ("setup", None, None)
    assert channel.fetch().status == "active"
    assert [c.sid for c in client.flex_api.v1.interaction(interaction.sid).channels.list()] == [
        first.sid
    ]
    assert [(p.type, p.routing_properties) for p in channel.participants.list()] == [
        ("customer", None)
    ]
    assert [i.sid for i in channel.invites.list()] == [attributes["flexChannelInviteSid"]]


@pytest.mark.flex_channels(interaction_setup_fetches=0, interaction_setup_seconds=30)
def test_a_channel_can_take_seconds_on_the_fakes_clock_to_settle(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    flex_channels.clock.set("2026-06-01T10:00:00Z")
    interaction = _inbound(client, _sms_conversation(client).sid)
    channel = client.flex_api.v1.interaction(interaction.sid).channels(interaction.channel["sid"])
    assert [channel.fetch().status for _ in range(3)] == ["setup"] * 3
    flex_channels.advance(30)
    assert channel.fetch().status == "active"


def test_a_channel_settles_as_failed_when_told_or_when_its_conversation_is_missing(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    flex_channels.fail_interaction_setup()
    failed = _inbound(client, _sms_conversation(client).sid)
    channel = client.flex_api.v1.interaction(failed.sid).channels(failed.channel["sid"])
    assert channel.fetch().status == "setup"
    settled = channel.fetch()
    assert (settled.status, settled.error_code, settled.error_message) == (
        "failed",
        19025,
        "Channel validation error",
    )
    missing = _inbound(client, "CH" + "0" * 32)
    channel = client.flex_api.v1.interaction(missing.sid).channels(missing.channel["sid"])
    channel.fetch()
    settled = channel.fetch()
    assert (settled.status, settled.error_code, settled.error_message) == (
        "failed",
        45356,
        "Failed to create a channel. Downstream error.",
    )
    # The next one is not told to fail.
    fine = _inbound(client, _sms_conversation(client).sid)
    channel = client.flex_api.v1.interaction(fine.sid).channels(fine.channel["sid"])
    assert [channel.fetch().status, channel.fetch().status] == ["setup", "active"]


def test_an_agent_initiated_interaction_opens_a_conversation_with_its_participants(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    interaction = client.flex_api.v1.interaction.create(
        channel={
            "type": "whatsapp",
            "initiated_by": "agent",
            "participants": [
                {"address": "whatsapp:+15550100", "proxy_address": "whatsapp:+15559999"}
            ],
        },
        routing={
            "properties": {
                "workspace_sid": WORKSPACE,
                "workflow_sid": WORKFLOW,
                "queue_sid": QUEUE,
                "worker_sid": WORKER,
                "task_channel_unique_name": "chat",
            }
        },
    )
    task = interaction.routing["properties"]
    attributes = json.loads(task["attributes"])
    assert (attributes["direction"], task["routing_target"], task["queue_sid"]) == (
        "outbound",
        WORKER,
        QUEUE,
    )
    conversation = client.conversations.v1.conversations(attributes["conversationSid"])
    assert conversation.fetch().state == "active"
    assert [p.messaging_binding for p in conversation.participants.list()] == [
        {"type": "whatsapp", "address": "whatsapp:+15550100", "proxy_address": "whatsapp:+15559999"}
    ]


def test_bad_channels_and_routings_get_flexs_answers(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    url = f"{FLEX}/Interactions"
    sms = {
        "type": "sms",
        "initiated_by": "customer",
        "properties": {"media_channel_sid": "CH" + "1" * 32},
    }
    cases = [
        ({}, 400, 20001, "Missing required parameter Channel in the post body"),
        ({"Channel": "{not json"}, 400, 20001, "Invalid parameter Channel: must be a JSON object"),
        (
            {"Channel": json.dumps({**sms, "type": "pigeon"}), "Routing": json.dumps(_routing())},
            400,
            45366,
            "Failed to create Channel. Invalid request parameters.",
        ),
        (
            {
                "Channel": json.dumps({"type": "sms", "initiated_by": "customer"}),
                "Routing": json.dumps(_routing()),
            },
            400,
            45366,
            "Failed to create Channel. Invalid request parameters.",
        ),
        (
            {"Channel": json.dumps(sms)},
            400,
            20001,
            "Missing required parameter Routing in the post body",
        ),
        (
            {"Channel": json.dumps(sms), "Routing": json.dumps({"properties": {}})},
            400,
            20001,
            "Invalid parameter Routing: must be a JSON object whose properties name a "
            "workspace_sid (and, for an agent-initiated contact, a queue_sid and a worker_sid)",
        ),
    ]
    # TaskRouter's description: a task's priority is 0 to 2^31 - 1, its timeout at most two weeks.
    for name, value, bounds in [
        ("priority", -1, "0 to 2,147,483,647"),
        ("priority", 2**31, "0 to 2,147,483,647"),
        ("timeout", 0, "1 to 1,209,600"),
        ("timeout", 1_209_601, "1 to 1,209,600"),
        ("timeout", 10**400, "1 to 1,209,600"),
    ]:
        routing = {"properties": {"workspace_sid": WORKSPACE, name: value}}
        cases.append(
            (
                {"Channel": json.dumps(sms), "Routing": json.dumps(routing)},
                400,
                20001,
                f"Invalid parameter Routing: {name} must be {bounds}",
            )
        )
    outbound = {
        "type": "sms",
        "initiated_by": "agent",
        "participants": [{"address": "+15550100", "proxy_address": "+15550100"}],
    }
    routing = {"properties": {"workspace_sid": WORKSPACE, "queue_sid": QUEUE, "worker_sid": WORKER}}
    cases.append(
        (
            {"Channel": json.dumps(outbound), "Routing": json.dumps(routing)},
            400,
            45366,
            "Failed to create Channel. Invalid request parameters.",
        )
    )
    for form, status, code, message in cases:
        answer = http.post(url, data=form)
        assert (answer.status_code, answer.json()) == (status, error_body(status, code, message))
    assert flex_channels.orphans == []  # nothing was made by a refused create


def test_a_customer_initiated_channel_needs_its_media_channel_sid_even_with_participants(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    """A customer-initiated contact binds to the conversation it came in on
    (``properties.media_channel_sid``, documented:
    https://www.twilio.com/docs/flex/developer/conversations/interactions-api/interactions);
    participants are what an agent-initiated one opens a conversation with, and stand in for
    nothing here: 45366, and no conversation made."""
    channel = {
        "type": "sms",
        "initiated_by": "customer",
        "participants": [{"address": "+15550100", "proxy_address": "+15559999"}],
    }
    answer = http.post(
        f"{FLEX}/Interactions",
        data={"Channel": json.dumps(channel), "Routing": json.dumps(_routing())},
    )
    assert (answer.status_code, answer.json()) == (
        400,
        error_body(400, 45366, "Failed to create Channel. Invalid request parameters."),
    )
    assert client.conversations.v1.conversations.list() == []


@pytest.mark.parametrize(
    "participant",
    [{"identity": "alice"}, {"address": "+15550100", "proxy_address": "+15559999"}],
    ids=["identity", "address"],
)
def test_an_agent_initiated_channel_refuses_the_same_participant_twice(
    flex_channels: FlexChannelsMock, client: Client, participant: dict[str, str]
) -> None:
    """The participants of an agent-initiated channel are checked as a whole before the
    conversation is opened: one named twice is Flex's 45366, and nothing is left half made
    (modelled: a conversation takes a participant once)."""
    routing = {"properties": {"workspace_sid": WORKSPACE, "queue_sid": QUEUE, "worker_sid": WORKER}}
    assert twilio_error(
        lambda: client.flex_api.v1.interaction.create(
            channel={
                "type": "sms",
                "initiated_by": "agent",
                "participants": [participant, dict(participant)],
            },
            routing=routing,
        )
    ) == (400, 45366, "Failed to create Channel. Invalid request parameters.")
    assert client.conversations.v1.conversations.list() == []
    assert flex_channels.orphans == []


@pytest.mark.parametrize(("priority", "timeout"), [(0, 1), (2**31 - 1, 1_209_600)])
def test_a_routing_takes_a_task_priority_and_timeout_at_either_end_of_their_ranges(
    client: Client, priority: int, timeout: int
) -> None:
    routing = _routing()
    routing["properties"].update(priority=priority, timeout=timeout)
    conversation = _sms_conversation(client)
    interaction = client.flex_api.v1.interaction.create(
        channel={
            "type": "sms",
            "initiated_by": "customer",
            "properties": {"media_channel_sid": conversation.sid},
        },
        routing=routing,
    )
    task = interaction.routing["properties"]
    assert (task["priority"], task["timeout"]) == (priority, timeout)


def test_closing_the_channel_closes_its_conversation_and_wraps_its_task_up(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    got: list[WebhookRequest] = []
    flex_channels.route_webhooks(BRIDGE, lambda request: got.append(request) or 200)
    conversation = _sms_conversation(client)
    client.conversations.v1.conversations(conversation.sid).webhooks.create(
        target="webhook",
        configuration_url=f"{BRIDGE}/state",
        configuration_filters=["onConversationStateUpdated"],
    )
    interaction = _inbound(client, conversation.sid)
    sid = interaction.channel["sid"]
    channel = client.flex_api.v1.interaction(interaction.sid).channels(sid)
    assert twilio_error(lambda: channel.update(status="paused")) == (
        400,
        45359,
        f"Failed to close Channel {sid}. The channel status provided was invalid.",
    )
    assert twilio_error(lambda: channel.update(status="inactive")) == (
        400,
        20001,
        'Invalid parameter Routing: must be {"status": "closed"} (required when Status is '
        "inactive)",
    )
    assert channel.update(status="closed").status == "closed"
    assert client.conversations.v1.conversations(conversation.sid).fetch().state == "closed"
    fetched = client.flex_api.v1.interaction(interaction.sid).fetch()
    assert fetched.routing["properties"]["assignment_status"] == "wrapping"
    assert [(r.params["StateFrom"], r.params["StateTo"]) for r in got] == [("active", "closed")]
    assert RequestValidator(flex_channels.auth_token).validate(
        got[0].url, got[0].params, got[0].headers["X-Twilio-Signature"]
    )
    assert twilio_error(
        lambda: channel.update(status="inactive", routing={"status": "closed"})
    ) == (
        400,
        45359,
        f"Failed to close Channel {sid}. The channel status provided was invalid.",
    )
    # A closed conversation takes no new interaction.
    assert twilio_error(lambda: _inbound(client, conversation.sid)) == (
        400,
        45354,
        "Cannot create a Channel for a closed Conversation.",
    )


def test_making_the_channel_inactive_completes_its_task_and_keeps_the_conversation(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """``Status=inactive`` (with the ``Routing`` status ``closed`` it requires) sets the tasks
    to completed, not wrapping, and leaves the conversation open (documented:
    https://www.twilio.com/docs/flex/developer/conversations/interactions-api/channels-subresource)."""
    conversation = _sms_conversation(client)
    interaction = _inbound(client, conversation.sid)
    channel = client.flex_api.v1.interaction(interaction.sid).channels(interaction.channel["sid"])
    assert interaction.routing["properties"]["assignment_status"] == "pending"
    updated = channel.update(status="inactive", routing={"status": "closed"})
    assert updated.status == "inactive" == channel.fetch().status
    fetched = client.flex_api.v1.interaction(interaction.sid).fetch()
    assert fetched.routing["properties"]["assignment_status"] == "completed"
    assert client.conversations.v1.conversations(conversation.sid).fetch().state == "active"


def test_participants_join_the_conversation_and_leave_it_when_closed(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    conversation = _sms_conversation(client)
    interaction = _inbound(client, conversation.sid)
    channel = client.flex_api.v1.interaction(interaction.sid).channels(interaction.channel["sid"])
    task = interaction.routing["properties"]["sid"]
    agent = channel.participants.create(
        type="agent",
        media_properties={"identity": "alice"},
        routing_properties={"task_sid": task, "worker_sid": WORKER},
    )
    assert (agent.type, agent.routing_properties) == (
        "agent",
        {"task_sid": task, "worker_sid": WORKER},
    )
    members = client.conversations.v1.conversations(conversation.sid).participants
    assert [p.identity for p in members.list()] == [None, "alice"]
    assert channel.participants(agent.sid).update(status="wrapup").sid == agent.sid
    assert [p.identity for p in members.list()] == [None, "alice"]
    channel.participants(agent.sid).update(status="closed")
    assert [p.identity for p in members.list()] == [None]
    assert [p.type for p in channel.participants.list()] == ["customer", "agent"]


def test_invites_route_new_tasks_and_transfers_take_a_json_body(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    interaction = _inbound(client, _sms_conversation(client).sid)
    channel = client.flex_api.v1.interaction(interaction.sid).channels(interaction.channel["sid"])
    invite = channel.invites.create(
        routing={"properties": {"workspace_sid": WORKSPACE, "worker_sid": WORKER}}
    )
    assert invite.sid.startswith("KG") and invite.routing["properties"]["routing_target"] == WORKER
    assert len(channel.invites.list()) == 2
    customer = channel.participants.list()[0]

    transfer = channel.transfers.create(
        JsonBody(type="cold", **{"from": customer.sid, "to": WORKFLOW})
    )
    assert (transfer.type, transfer.status, transfer._from, transfer.to) == (
        "cold",
        "active",
        customer.sid,
        WORKFLOW,
    )
    assert transfer.instance_sid.startswith("GO")
    done = channel.transfers(transfer.sid).update(JsonBody(status="completed"))
    assert done.status == "completed" == channel.transfers(transfer.sid).fetch().status
    (created,) = flex_channels.calls.filter("create_interaction_transfer")
    assert created.status_code == 201
    assert json.loads(created.request.body) == {
        "type": "cold",
        "from": customer.sid,
        "to": WORKFLOW,
    }
    # The fake's own client (no interception) sends the JSON body as twilio's sync client does.
    fake_client = flex_channels.client()
    again = fake_client.flex_api.v1.interaction(interaction.sid).channels(
        interaction.channel["sid"]
    )
    assert again.transfers.create(JsonBody(type="external")).type == "external"


def test_a_transfer_is_from_a_participant_of_its_own_channel(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """``from`` names who hands the channel on: a participant of this channel, not of another
    channel nor an unknown SID (modelled)."""
    here = _inbound(client, _sms_conversation(client).sid)
    there = _inbound(client, _sms_conversation(client).sid)
    channel = client.flex_api.v1.interaction(here.sid).channels(here.channel["sid"])
    elsewhere = client.flex_api.v1.interaction(there.sid).channels(there.channel["sid"])
    stranger = elsewhere.participants.list()[0].sid
    for source in (stranger, "UT" + "0" * 32):
        assert twilio_error(
            lambda source=source: channel.transfers.create(
                JsonBody(type="warm", **{"from": source, "to": WORKFLOW})
            )
        ) == (
            400,
            20001,
            "Invalid parameter from: must be the SID of a participant of this channel",
        )
    assert [c.status_code for c in flex_channels.calls.filter("create_interaction_transfer")] == [
        400,
        400,
    ]
    own = channel.participants.list()[0].sid
    assert channel.transfers.create(JsonBody(type="warm", **{"from": own}))._from == own


def test_a_json_bodys_members_keep_their_json_types(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    """A JSON body's member that is not a string (an object, a number, a boolean) is handed on
    as its JSON text, never as Python's rendering of it (modelled: the transfer's body is JSON,
    as the official description says)."""
    interaction = _inbound(client, _sms_conversation(client).sid)
    url = f"{FLEX}/Interactions/{interaction.sid}/Channels/{interaction.channel['sid']}/Transfers"
    target = {"worker_sid": WORKER, "priority": 2, "urgent": True, "note": None}
    answer = http.post(url, json={"type": "cold", "to": target})
    assert answer.status_code == 201, answer.text
    shown = f'{{"worker_sid": "{WORKER}", "priority": 2, "urgent": true, "note": null}}'
    assert answer.json()["to"] == shown
    assert json.loads(answer.json()["to"]) == target
    assert http.post(url, json={"to": True}).json()["to"] == "true"


def test_web_chats_open_a_conversation_through_an_address_configuration(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    got: list[WebhookRequest] = []
    flex_channels.route_webhooks(BRIDGE, lambda request: got.append(request) or 200)
    addresses = client.conversations.v1.address_configurations
    web = addresses.create(
        type="chat",
        address="web-chat",
        auto_creation_enabled=True,
        auto_creation_type="webhook",
        auto_creation_webhook_url=f"{BRIDGE}/inbound",
    )
    opened = client.flex_api.v2.web_channels.create(
        address_sid=web.sid,
        chat_friendly_name="Chat with Ada",
        customer_friendly_name="Ada",
        pre_engagement_data='{"question": "refund"}',
        identity="guest-ada",
    )
    assert opened.identity == "guest-ada"
    conversation = client.conversations.v1.conversations(opened.conversation_sid)
    fetched = conversation.fetch()
    assert (fetched.friendly_name, json.loads(fetched.attributes)) == (
        "Chat with Ada",
        {"pre_engagement_data": {"question": "refund"}},
    )
    assert [p.identity for p in conversation.participants.list()] == ["guest-ada"]
    conversation.messages.create(author="guest-ada", body="Hi", x_twilio_webhook_enabled="true")
    assert [(r.url, r.params["Body"]) for r in got] == [(f"{BRIDGE}/inbound", "Hi")]
    off = addresses.create(type="chat", address="off")
    assert twilio_error(lambda: client.flex_api.v2.web_channels.create(address_sid=off.sid)) == (
        400,
        45761,
        "Failed to validate address configuration. Auto create not enabled.",
    )
    assert twilio_error(
        lambda: client.flex_api.v2.web_channels.create(address_sid="IG" + "0" * 32)
    ) == (400, 45765, "Address configuration data not found")


def test_the_agent_ending_the_chat_closes_the_interaction_channel_and_conversation(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    conversation = _sms_conversation(client)
    interaction = _inbound(client, conversation.sid)
    flex_channels.agent_reply(conversation.sid, "Hello, Alice here")
    flex_channels.end_chat(conversation.sid)
    channel = client.flex_api.v1.interaction(interaction.sid).channels(interaction.channel["sid"])
    assert channel.fetch().status == "closed"
    assert client.conversations.v1.conversations(conversation.sid).fetch().state == "closed"
    members = client.conversations.v1.conversations(conversation.sid).participants.list()
    assert [p.identity for p in members] == [None]  # the agent left
    assert flex_channels.orphans == []


def test_an_account_sees_only_its_own_interactions_and_addresses(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    conversation = _sms_conversation(client)
    interaction = _inbound(client, conversation.sid)
    address = client.conversations.v1.address_configurations.create(
        type="chat", address="web", auto_creation_enabled=True
    )
    theirs = flex_channels.client(flex_channels.add_account())
    assert twilio_error(lambda: theirs.flex_api.v1.interaction(interaction.sid).fetch()) == (
        404,
        20404,
        f"The requested resource /Interactions/{interaction.sid} was not found",
    )
    assert theirs.conversations.v1.address_configurations.list() == []
    assert twilio_error(
        lambda: theirs.flex_api.v2.web_channels.create(address_sid=address.sid)
    ) == (
        400,
        45765,
        "Address configuration data not found",
    )
    # Routing another account's conversation: the channel cannot reach it.
    routed = _inbound(theirs, conversation.sid)
    channel = theirs.flex_api.v1.interaction(routed.sid).channels(routed.channel["sid"])
    channel.fetch()
    assert (channel.fetch().status, channel.fetch().error_code) == ("failed", 45356)


@pytest.mark.asyncio
async def test_the_async_client_creates_an_interaction_and_polls_its_channel(
    flex_channels: FlexChannelsMock,
) -> None:
    client = flex_channels.async_client()
    conversation = await client.conversations.v1.conversations.create_async()
    interaction = await client.flex_api.v1.interaction.create_async(
        channel={
            "type": "chat",
            "initiated_by": "customer",
            "properties": {"media_channel_sid": conversation.sid},
        },
        routing=_routing(),
    )
    channel = client.flex_api.v1.interaction(interaction.sid).channels(interaction.channel["sid"])
    statuses = [(await channel.fetch_async()).status for _ in range(2)]
    assert statuses == ["setup", "active"]


def test_the_orphan_check_names_what_a_test_left_open(pytester: pytest.Pytester) -> None:
    pytester.makeini(INNER_INI + "flex_channels_check_orphans = true\n")
    pytester.makepyfile(
        """
        from twilio.rest import Client

        ROUTING = {"properties": {"workspace_sid": "WS" + "a" * 32}}

        def _open(client):
            conversation = client.conversations.v1.conversations.create()
            interaction = client.flex_api.v1.interaction.create(
                channel={"type": "chat", "initiated_by": "customer",
                         "properties": {"media_channel_sid": conversation.sid}},
                routing=ROUTING,
            )
            return conversation, interaction

        def test_leaves_them_open(flex_channels):
            conversation, interaction = _open(Client())
            print("LEFT", conversation.sid, interaction.channel["sid"])

        def test_closes_them(flex_channels):
            client = Client()
            conversation, interaction = _open(client)
            channel = client.flex_api.v1.interaction(interaction.sid).channels(
                interaction.channel["sid"]
            )
            channel.update(status="closed")

        def test_not_asked(flex_channels, request):
            _open(Client())

        import pytest
        test_not_asked = pytest.mark.flex_channels(check_orphans=False)(test_not_asked)
        """
    )
    result = pytester.runpytest("-p", "no:randomly", "-s")
    result.assert_outcomes(passed=3, errors=1)
    left = next(line for line in result.outlines if "LEFT " in line)
    conversation, channel = left.partition("LEFT ")[2].split()[:2]
    result.stdout.fnmatch_lines(
        [
            "*The test left conversations or interaction channels open:",
            f"*  - conversation {conversation} (active) of account AC*",
            f"*  - interaction channel {channel} (setup) of interaction KD*, account AC*",
        ]
    )


def test_conversations_and_interactions_through_a_served_fake(
    flex_channels: FlexChannelsMock,
) -> None:
    with flex_channels.serve() as server:
        client = Client(
            flex_channels.account_sid,
            flex_channels.auth_token,
            http_client=server.twilio_http_client(),
        )
        conversation = client.conversations.v1.conversations.create(friendly_name="served")
        message = client.conversations.v1.conversations(conversation.sid).messages.create(
            body="hello"
        )
        interaction = _inbound(client, conversation.sid)
        opened = client.flex_api.v2.web_channels.create(
            address_sid=client.conversations.v1.address_configurations.create(
                type="chat", address="web", auto_creation_enabled=True
            ).sid
        )
    assert conversation.url == f"{server.url}/conversations/v1/Conversations/{conversation.sid}"
    assert message.url == f"{conversation.url}/Messages/{message.sid}"
    assert interaction.url == f"{server.url}/v1/Interactions/{interaction.sid}"
    assert opened.conversation_sid.startswith("CH")
    assert [call.operation for call in flex_channels.calls] == [
        "create_conversation",
        "create_conversation_message",
        "create_interaction",
        "create_address_configuration",
        "create_web_chat",
    ]
