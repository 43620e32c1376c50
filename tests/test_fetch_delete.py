"""Fetch and delete through the real twilio client and raw requests."""

from __future__ import annotations

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock
from tests.helpers import CHANNEL_KEYS, CHANNELS_URL, create, error_body


def test_fetch_returns_the_created_channel(flex_channels: FlexChannelsMock, client: Client) -> None:
    created = create(client, flex_channels)
    answer = client.flex_api.v1.channel(created.sid).fetch_with_http_info()
    fetched = answer.data
    assert answer.status_code == 200
    assert (fetched.sid, fetched.user_sid, fetched.task_sid, fetched.flex_flow_sid) == (
        created.sid,
        created.user_sid,
        created.task_sid,
        flex_channels.flex_flow_sid,
    )
    assert fetched.date_created == created.date_created


def test_fetch_wire_body_equals_create_body(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    created = create(client, flex_channels)
    response = http.get(f"{CHANNELS_URL}/{created.sid}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert set(response.json()) == CHANNEL_KEYS
    assert response.json() == flex_channels.calls[0].response_json


@pytest.mark.parametrize(
    "sid",
    [
        "CH" + "0" * 32,  # well formed, unknown
        "CH123",  # malformed
        "FO" + "0" * 32,  # another kind of SID
        "not-a-sid",
    ],
)
def test_fetch_unknown_or_malformed_sid_is_404(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session, sid: str
) -> None:
    with pytest.raises(TwilioRestException) as raised:
        client.flex_api.v1.channel(sid).fetch()
    assert (raised.value.status, raised.value.code) == (404, 20404)
    assert raised.value.msg == (
        f"Unable to fetch record: The requested resource /Channels/{sid} was not found"
    )
    response = http.get(f"{CHANNELS_URL}/{sid}")
    assert response.status_code == 404
    assert response.json() == error_body(
        404, 20404, f"The requested resource /Channels/{sid} was not found"
    )


def test_fetch_lookup_is_exact(flex_channels: FlexChannelsMock, client: Client) -> None:
    created = create(client, flex_channels)
    upper = "CH" + created.sid[2:].upper()
    with pytest.raises(TwilioRestException) as raised:
        client.flex_api.v1.channel(upper).fetch()
    assert raised.value.status == 404


def test_another_accounts_channel_is_404(flex_channels: FlexChannelsMock, client: Client) -> None:
    other = flex_channels.add_account()
    flex_channels.add_flex_flow(account_sid=other.sid)
    theirs = flex_channels.create_channel(account_sid=other.sid)
    with pytest.raises(TwilioRestException) as raised:
        client.flex_api.v1.channel(theirs.sid).fetch()
    assert (raised.value.status, raised.value.code) == (404, 20404)
    with pytest.raises(TwilioRestException):
        client.flex_api.v1.channel(theirs.sid).delete()
    assert flex_channels.get_channel(theirs.sid, account_sid=other.sid) == theirs


def test_delete_is_204_with_empty_body_then_404(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    created = create(client, flex_channels)
    answer = client.flex_api.v1.channel(created.sid).delete_with_http_info()
    assert (answer.data, answer.status_code) == (True, 204)
    assert flex_channels.channels == []
    response = http.delete(f"{CHANNELS_URL}/{created.sid}")
    assert response.status_code == 404
    assert (
        response.json()["message"]
        == f"The requested resource /Channels/{created.sid} was not found"
    )
    with pytest.raises(TwilioRestException) as raised:
        client.flex_api.v1.channel(created.sid).delete()
    assert raised.value.msg == (
        f"Unable to delete record: The requested resource /Channels/{created.sid} was not found"
    )


def test_delete_wire_response(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    created = create(client, flex_channels)
    response = http.delete(f"{CHANNELS_URL}/{created.sid}")
    assert response.status_code == 204
    assert response.content == b""
    assert "Content-Type" not in response.headers
    assert response.headers["Twilio-Request-Id"].startswith("RQ")


def test_delete_leaves_other_channels(flex_channels: FlexChannelsMock, client: Client) -> None:
    keep = [create(client, flex_channels, f"customer-{i}") for i in range(3)]
    gone = create(client, flex_channels, "customer-gone")
    client.flex_api.v1.channel(gone.sid).delete()
    assert [c.sid for c in flex_channels.channels] == [c.sid for c in keep]
    assert [c.sid for c in client.flex_api.v1.channel.list()] == [c.sid for c in keep]
