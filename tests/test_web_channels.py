"""Flex WebChannels through the twilio client and raw requests: create (get-or-create), fetch,
list with its pages, update (ending the chat), delete; Twilio's error answers; the store's
accounts and flows shared with Channels. Every body is checked against the official
description at teardown (conftest)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock
from tests.helpers import error_body, sid_pattern

URL = "https://flex-api.twilio.com/v1/WebChannels"


def _open(client: Client, fake: FlexChannelsMock, identity: str = "visitor-1", **kw: Any) -> Any:
    return client.flex_api.v1.web_channel.create(
        flex_flow_sid=kw.pop("flex_flow_sid", fake.flex_flow_sid),
        identity=identity,
        customer_friendly_name=kw.pop("customer_friendly_name", "Ada"),
        chat_friendly_name=kw.pop("chat_friendly_name", "Chat with Ada"),
        **kw,
    )


def test_create_fetch_and_the_body_twilio_describes(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    flex_channels.clock.set("2026-03-04T05:06:07Z")
    made = _open(client, flex_channels, pre_engagement_data='{"question": "refund"}')
    assert made.sid.startswith("CH") and len(made.sid) == 34
    assert (made.account_sid, made.flex_flow_sid) == (
        flex_channels.account_sid,
        flex_channels.flex_flow_sid,
    )
    assert made.url == f"{URL}/{made.sid}"
    assert made.date_created.isoformat() == "2026-03-04T05:06:07+00:00"
    fetched = client.flex_api.v1.web_channel(made.sid).fetch()
    assert (fetched.sid, fetched.date_updated) == (made.sid, made.date_created)
    create = flex_channels.calls.assert_called_once_with(
        "create_web_channel", Identity="visitor-1", CustomerFriendlyName="Ada"
    )
    assert create.status_code == 201
    assert flex_channels.calls[-1].operation == "fetch_web_channel"


def test_a_create_returns_the_open_chat_until_it_ends(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    first = _open(client, flex_channels)
    assert _open(client, flex_channels, customer_friendly_name="Other").sid == first.sid
    assert _open(client, flex_channels, "visitor-2").sid != first.sid
    flex_channels.clock.advance(30)
    ended = client.flex_api.v1.web_channel(first.sid).update(
        chat_status="inactive", post_engagement_data="rated 5"
    )
    assert ended.sid == first.sid
    assert (ended.date_updated - ended.date_created).total_seconds() == 30
    second = _open(client, flex_channels)
    assert second.sid not in (first.sid,)
    # Ending an ended chat changes nothing, not even its date.
    again = client.flex_api.v1.web_channel(first.sid).update(chat_status="inactive")
    assert again.date_updated == ended.date_updated


def test_list_pages_in_creation_order_with_tokens(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    made = [_open(client, flex_channels, f"v{i}").sid for i in range(7)]
    assert [c.sid for c in client.flex_api.v1.web_channel.list(page_size=3)] == made
    page = client.flex_api.v1.web_channel.page(page_size=3)
    client.flex_api.v1.web_channel(made[3]).delete()  # between two page requests
    following = page.next_page()
    assert [c.sid for c in following] == made[4:7]
    assert [c.sid for c in following.previous_page()] == made[:3]
    assert client.flex_api.v1.flex_flow.list() != []  # flows are the store's, shared


def test_delete_and_the_404s_after(flex_channels: FlexChannelsMock, client: Client) -> None:
    sid = _open(client, flex_channels).sid
    assert client.flex_api.v1.web_channel(sid).delete() is True
    for call in (
        lambda: client.flex_api.v1.web_channel(sid).fetch(),
        lambda: client.flex_api.v1.web_channel(sid).update(chat_status="inactive"),
        lambda: client.flex_api.v1.web_channel(sid).delete(),
    ):
        with pytest.raises(TwilioRestException) as raised:
            call()
        assert (raised.value.status, raised.value.code) == (404, 20404)
        assert raised.value.msg.endswith(f"The requested resource /WebChannels/{sid} was not found")
    assert _open(client, flex_channels).sid != sid  # the deleted one was the open chat


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"Identity": "v", "CustomerFriendlyName": "Ada", "ChatFriendlyName": "Chat"},
            "Missing required parameter FlexFlowSid in the post body",
        ),
        (
            {"FlexFlowSid": "FO1", "Identity": "v", "ChatFriendlyName": "Chat"},
            "Missing required parameter CustomerFriendlyName in the post body",
        ),
        (
            {
                "FlexFlowSid": "FO1",
                "Identity": "v",
                "CustomerFriendlyName": "Ada",
                "ChatFriendlyName": "Chat",
            },
            f"Invalid parameter FlexFlowSid: must match {sid_pattern('FO')}",
        ),
        (
            {
                "Identity": "v",
                "CustomerFriendlyName": "A",
                "ChatFriendlyName": "C",
                "PreEngagementData": "{",
            },
            "Invalid parameter PreEngagementData: must be a JSON string",
        ),
    ],
)
def test_bad_creates_are_400(
    flex_channels: FlexChannelsMock, http: requests.Session, form: dict[str, str], message: str
) -> None:
    if "FlexFlowSid" not in form and "FlexFlowSid" not in message:
        form = {"FlexFlowSid": flex_channels.flex_flow_sid, **form}
    answer = http.post(URL, data=form)
    assert (answer.status_code, answer.json()) == (400, error_body(400, 20001, message))
    assert http.get(URL).json()["flex_chat_channels"] == []  # nothing was created


def test_unknown_flows_accounts_and_statuses(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    missing = "FO" + "9" * 32
    with pytest.raises(TwilioRestException) as raised:
        _open(client, flex_channels, flex_flow_sid=missing)
    assert (raised.value.status, raised.value.code) == (404, 20404)
    assert raised.value.msg.endswith(f"The requested resource /FlexFlows/{missing} was not found")
    sid = _open(client, flex_channels).sid
    other = flex_channels.add_account()
    with pytest.raises(TwilioRestException) as raised:
        Client(other.sid, other.auth_token).flex_api.v1.web_channel(sid).fetch()
    assert raised.value.status == 404  # another account's channel does not exist for it
    answer = http.post(f"{URL}/{sid}", data={"ChatStatus": "active"})
    assert (answer.status_code, answer.json()) == (
        400,
        error_body(400, 20001, "Invalid parameter ChatStatus: must be one of inactive"),
    )
    answer = http.put(f"{URL}/{sid}")
    assert answer.status_code == 405 and answer.headers["Allow"] == "GET, POST, DELETE"


def test_a_flow_made_again_with_its_sid_has_no_open_chats(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    flow = flex_channels.add_flex_flow(sid="FO" + "7" * 32)
    before = _open(client, flex_channels, flex_flow_sid=flow.sid)
    client.flex_api.v1.flex_flow(flow.sid).delete()
    flex_channels.add_flex_flow(sid=flow.sid)
    assert _open(client, flex_channels, flex_flow_sid=flow.sid).sid != before.sid


def test_faults_and_reset_reach_web_channels(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    flex_channels.fail_next("create_web_channel", status=503)
    with pytest.raises(TwilioRestException) as raised:
        _open(client, flex_channels)
    assert (raised.value.status, raised.value.code) == (503, 20503)
    _open(client, flex_channels)
    flex_channels.reset()
    assert list(client.flex_api.v1.web_channel.list()) == []
