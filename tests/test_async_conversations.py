"""Every Conversations, Interactions and WebChats operation through the twilio client's async
API (``*_async``), on both forms of the Conversations paths: each answers as it does to the sync
client (the bodies checked against the official descriptions by conftest), and the test checks
that it called every such operation the registry holds."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_flexchannels import FlexChannelsMock
from pytest_flexchannels.families import REGISTRY
from tests.helpers import JsonBody

WORKSPACE = "WS" + "a" * 32


async def _conversation_walk(root: Any, label: str) -> str:
    """Every conversation operation under ``root`` (``client.conversations.v1`` or one of its
    services): create, fetch, list, update; participants, messages, webhooks; then delete."""
    made = await root.conversations.create_async(friendly_name=label, unique_name=label)
    conversation = root.conversations(made.sid)
    assert (await root.conversations(label).fetch_async()).sid == made.sid
    assert made.sid in [c.sid for c in await root.conversations.list_async()]
    assert (await conversation.update_async(friendly_name="renamed")).friendly_name == "renamed"

    ada = await conversation.participants.create_async(identity="ada")
    assert (await conversation.participants("ada").fetch_async()).sid == ada.sid
    assert [p.sid for p in await conversation.participants.list_async()] == [ada.sid]
    updated = await conversation.participants(ada.sid).update_async(last_read_message_index=0)
    assert updated.last_read_message_index == 0

    message = await conversation.messages.create_async(author="ada", body="hi")
    assert (await conversation.messages(message.sid).fetch_async()).body == "hi"
    edited = await conversation.messages(message.sid).update_async(body="hello")
    assert [m.body for m in await conversation.messages.list_async()] == [edited.body]
    assert await conversation.messages(message.sid).delete_async()

    hook = await conversation.webhooks.create_async(
        target="webhook", configuration_url="https://bridge.example.com/a"
    )
    assert (await conversation.webhooks(hook.sid).fetch_async()).target == "webhook"
    assert [w.sid for w in await conversation.webhooks.list_async()] == [hook.sid]
    moved = await conversation.webhooks(hook.sid).update_async(
        configuration_url="https://bridge.example.com/b"
    )
    assert moved.configuration["url"] == "https://bridge.example.com/b"
    assert await conversation.webhooks(hook.sid).delete_async()

    assert await conversation.participants(ada.sid).delete_async()
    assert await conversation.delete_async()
    return str(made.chat_service_sid)


@pytest.mark.asyncio
async def test_every_new_operation_answers_the_async_client(
    flex_channels: FlexChannelsMock,
) -> None:
    client = flex_channels.async_client()
    v1 = client.conversations.v1
    service = await _conversation_walk(v1, "default")
    await _conversation_walk(v1.services(service), "scoped")

    addresses = v1.address_configurations
    address = await addresses.create_async(type="chat", address="web", auto_creation_enabled=True)
    assert (await addresses("web").fetch_async()).sid == address.sid
    assert [a.sid for a in await addresses.list_async()] == [address.sid]
    assert (await addresses(address.sid).update_async(friendly_name="Web")).friendly_name == "Web"

    opened = await client.flex_api.v2.web_channels.create_async(address_sid=address.sid)
    assert await addresses(address.sid).delete_async()

    interactions = client.flex_api.v1.interaction
    made = await interactions.create_async(
        channel={
            "type": "web",
            "initiated_by": "customer",
            "properties": {"media_channel_sid": opened.conversation_sid},
        },
        routing={"properties": {"workspace_sid": WORKSPACE}},
    )
    interaction = interactions(made.sid)
    assert (await interaction.fetch_async()).channel == made.channel
    ttid = "flex_interactionwebhook_00000000000000000000000000"
    assert (await interaction.update_async(webhook_ttid=ttid)).webhook_ttid == ttid
    channel = interaction.channels(made.channel["sid"])
    assert [c.status for c in await interaction.channels.list_async()] == ["setup"]
    assert (await channel.fetch_async()).status == "active"
    guest = (await channel.participants.list_async())[0]
    agent = await channel.participants.create_async(
        type="agent", media_properties={"identity": "alice"}
    )
    assert (await channel.participants(agent.sid).update_async(status="wrapup")).sid == agent.sid
    invite = await channel.invites.create_async(
        routing={"properties": {"workspace_sid": WORKSPACE}}
    )
    assert invite.sid in [i.sid for i in await channel.invites.list_async()]
    transfer = await channel.transfers.create_async(JsonBody(type="warm", **{"from": guest.sid}))
    assert (await channel.transfers(transfer.sid).fetch_async()).status == "active"
    sent = flex_channels.calls.filter("create_interaction_transfer")[0].request
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.body == f"type=warm&from={guest.sid}".encode()  # what the async client sends
    done = await channel.transfers(transfer.sid).update_async(JsonBody(status="completed"))
    assert done.status == "completed"
    assert (await channel.update_async(status="closed")).status == "closed"

    called = {call.operation for call in flex_channels.calls}
    new = {
        op.name
        for op in REGISTRY
        if op.domain == "conversations" or "/Interactions" in op.path or op.path == "/v2/WebChats"
    }
    assert new - called == set()
    assert all(
        call.status_code is not None and call.status_code < 300 for call in flex_channels.calls
    )
