"""The twilio async client (aiohttp) against the same fake, with no option: operations, paging,
errors, faults, and what aiohttp itself does around a request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock
from tests.helpers import basic_auth


@pytest_asyncio.fixture
async def async_client(flex_channels: FlexChannelsMock) -> AsyncIterator[Client]:
    http_client = AsyncTwilioHttpClient()
    yield Client(flex_channels.account_sid, flex_channels.auth_token, http_client=http_client)
    await http_client.session.close()


async def _create(client: Client, fake: FlexChannelsMock, identity: str, **kwargs: Any) -> Any:
    return await client.flex_api.v1.channel.create_async(
        flex_flow_sid=fake.flex_flow_sid,
        identity=identity,
        chat_user_friendly_name="Ada",
        chat_friendly_name="Chat with Ada",
        **kwargs,
    )


@pytest.mark.asyncio
async def test_create_fetch_list_delete(
    flex_channels: FlexChannelsMock, async_client: Client
) -> None:
    made = [await _create(async_client, flex_channels, f"customer-{i}") for i in range(5)]
    again = await _create(async_client, flex_channels, "customer-0")
    assert again.sid == made[0].sid  # get-or-create
    fetched = await async_client.flex_api.v1.channel(made[1].sid).fetch_async()
    assert (fetched.sid, fetched.user_sid) == (made[1].sid, made[1].user_sid)
    listed = await async_client.flex_api.v1.channel.list_async(page_size=2)
    assert [c.sid for c in listed] == [c.sid for c in made]
    assert await async_client.flex_api.v1.channel(made[0].sid).delete_async() is True
    assert [c.sid for c in flex_channels.channels] == [c.sid for c in made[1:]]
    operations = [c.operation for c in flex_channels.calls]
    assert operations == ["create_channel"] * 6 + [
        "fetch_channel",
        "list_channels",
        "list_channels",
        "list_channels",
        "delete_channel",
    ]
    assert flex_channels.calls[0].params["Identity"] == "customer-0"


@pytest.mark.asyncio
async def test_pages_through_the_async_client(
    flex_channels: FlexChannelsMock, async_client: Client
) -> None:
    sids = [flex_channels.create_channel(identity=f"c{i}").sid for i in range(5)]
    page = await async_client.flex_api.v1.channel.page_async(page_size=2)
    seen = [c.sid for c in page]
    while (page := await page.next_page_async()) is not None:
        seen += [c.sid for c in page]
    assert seen == sids


@pytest.mark.asyncio
async def test_errors_are_the_real_apis(
    flex_channels: FlexChannelsMock, async_client: Client
) -> None:
    with pytest.raises(TwilioRestException) as raised:
        await async_client.flex_api.v1.channel("CH" + "0" * 32).fetch_async()
    assert (raised.value.status, raised.value.code) == (404, 20404)
    assert raised.value.msg == (
        f"Unable to fetch record: The requested resource /Channels/CH{'0' * 32} was not found"
    )
    with pytest.raises(TwilioRestException) as missing:
        await _create(async_client, flex_channels, "")
    assert missing.value.msg == (
        "Unable to create record: Missing required parameter Identity in the post body"
    )
    stranger = Client("AC" + "0" * 32, "x", http_client=AsyncTwilioHttpClient())
    with pytest.raises(TwilioRestException) as denied:
        await _create(stranger, flex_channels, "alice")
    await stranger.http_client.session.close()
    assert (denied.value.status, denied.value.code) == (401, 20003)


@pytest.mark.asyncio
async def test_faults_reach_the_async_client(
    flex_channels: FlexChannelsMock, async_client: Client
) -> None:
    flex_channels.fail_next("create_channel", status=429)
    with pytest.raises(TwilioRestException) as raised:
        await _create(async_client, flex_channels, "alice")
    assert (raised.value.status, raised.value.code) == (429, 20429)
    flex_channels.raise_next("create_channel", after_processing=True)
    with pytest.raises(aiohttp.ServerDisconnectedError, match="Server disconnected"):
        await _create(async_client, flex_channels, "alice")
    retried = await _create(async_client, flex_channels, "alice")
    assert [c.sid for c in flex_channels.channels] == [retried.sid]
    flex_channels.fail_next("list_channels", status=503)
    with pytest.raises(TwilioException, match="Unable to fetch page"):
        await async_client.flex_api.v1.channel.list_async()
    assert [c.fault for c in flex_channels.calls if c.fault] == [
        "answer 429 error 20429 on create_channel",
        "drop the connection after processing on create_channel",
        "answer 503 error 20503 on list_channels",
    ]


@pytest.mark.asyncio
async def test_the_sync_client_shares_the_store(
    flex_channels: FlexChannelsMock, async_client: Client
) -> None:
    made = await _create(async_client, flex_channels, "alice")
    sync_client = Client(flex_channels.account_sid, flex_channels.auth_token)
    assert sync_client.flex_api.v1.channel(made.sid).fetch().sid == made.sid


@pytest.mark.asyncio
async def test_other_hosts_go_to_what_was_installed_before(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    async def earlier(connector: Any, req: Any, traces: Any, timeout: Any) -> Any:
        seen.append(str(req.url))
        raise aiohttp.ClientConnectionError("the earlier connector was reached")

    monkeypatch.setattr(aiohttp.TCPConnector, "_create_connection", earlier)
    with FlexChannelsMock() as fake:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientConnectionError, match="earlier connector"):
                await session.get("https://api.example.com/orders/1")
            credentials = basic_auth(fake)
            async with session.get(
                "https://flex-api.twilio.com/v1/Channels",
                params={"PageSize": "3"},
                headers={"Authorization": credentials},
            ) as flex:
                assert type(flex) is aiohttp.ClientResponse  # aiohttp's own, parsed from bytes
                assert flex.status == 200 and flex.ok and flex.reason == "OK"
                assert flex.headers["Twilio-Request-Id"].startswith("RQ")
                assert (flex.content_type, flex.charset) == ("application/json", None)
                assert flex.request_info.url == flex.url
                assert (await flex.json())["meta"]["page_size"] == 3
            missing = await session.get(
                "https://flex-api.twilio.com/v1/Channels/CH1",
                headers={"Authorization": credentials},
            )
            with pytest.raises(aiohttp.ClientResponseError) as raised:
                missing.raise_for_status()
            assert raised.value.status == 404
    assert seen == ["https://api.example.com/orders/1"]
    assert aiohttp.TCPConnector._create_connection is earlier
    assert [call.operation for call in fake.calls] == ["list_channels", "fetch_channel"]


def test_the_aiohttp_option_is_deprecated_and_changes_nothing() -> None:
    original = aiohttp.TCPConnector._create_connection
    with pytest.deprecated_call(match="the aiohttp option of pytest-flexchannels is deprecated"):
        fake = FlexChannelsMock(aiohttp=False)
    with fake:
        assert aiohttp.TCPConnector._create_connection is not original
    assert aiohttp.TCPConnector._create_connection is original


@pytest.mark.asyncio
async def test_flex_flows_crud_through_the_async_client(
    flex_channels: FlexChannelsMock, async_client: Client
) -> None:
    flows = async_client.flex_api.v1.flex_flow
    flow = await flows.create_async(
        friendly_name="Async flow",
        chat_service_sid="IS" + "1" * 32,
        channel_type="sms",
        integration_flow_sid="FW" + "2" * 32,
    )
    assert (await async_client.flex_api.v1.flex_flow(flow.sid).fetch_async()).channel_type == "sms"
    renamed = await async_client.flex_api.v1.flex_flow(flow.sid).update_async(friendly_name="New")
    assert renamed.friendly_name == "New"
    listed = await flows.list_async(friendly_name="New", page_size=1)
    assert [f.sid for f in listed] == [flow.sid]
    assert await async_client.flex_api.v1.flex_flow(flow.sid).delete_async() is True
    with pytest.raises(TwilioRestException) as raised:
        await async_client.flex_api.v1.flex_flow(flow.sid).fetch_async()
    assert (raised.value.status, raised.value.code) == (404, 20404)
