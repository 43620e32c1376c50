"""Every error and header, seen only through ``twilio.rest.Client``, as user code sees them."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock
from tests.helpers import CHANNELS_URL, create, error_body


def test_headers_through_with_http_info(flex_channels: FlexChannelsMock, client: Client) -> None:
    answer = client.flex_api.v1.channel.create_with_http_info(
        flex_flow_sid=flex_channels.flex_flow_sid,
        identity="alice",
        chat_user_friendly_name="Alice",
        chat_friendly_name="Chat",
    )
    assert answer.status_code == 201
    assert answer.headers["Content-Type"] == "application/json"
    assert re.fullmatch(r"RQ[0-9a-f]{32}", answer.headers["Twilio-Request-Id"])
    listed = client.flex_api.v1.channel.page_with_http_info(page_size=1)
    assert listed.status_code == 200
    assert listed.headers["Twilio-Request-Id"] != answer.headers["Twilio-Request-Id"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"identity": ""}, "Missing required parameter Identity in the post body"),
        (
            {"chat_user_friendly_name": ""},
            "Missing required parameter ChatUserFriendlyName in the post body",
        ),
        (
            {"chat_friendly_name": ""},
            "Missing required parameter ChatFriendlyName in the post body",
        ),
        ({"flex_flow_sid": ""}, "Missing required parameter FlexFlowSid in the post body"),
        (
            {"flex_flow_sid": "FO-nope"},
            "Invalid parameter FlexFlowSid: must match ^FO[0-9a-fA-F]{32}$",
        ),
        ({"task_sid": "WT1"}, "Invalid parameter TaskSid: must match ^WT[0-9a-fA-F]{32}$"),
        ({"long_lived": "maybe"}, "Invalid parameter LongLived: must be true or false"),
        ({"task_attributes": "{oops"}, "Invalid parameter TaskAttributes: must be a JSON string"),
        (
            {"pre_engagement_data": "<xml/>"},
            "Invalid parameter PreEngagementData: must be a JSON string",
        ),
    ],
)
def test_bad_create_arguments(
    flex_channels: FlexChannelsMock, client: Client, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(TwilioRestException) as raised:
        create(client, flex_channels, **kwargs)
    error = raised.value
    assert (error.status, error.code, error.method) == (400, 20001, "POST")
    assert error.msg == f"Unable to create record: {message}"
    assert flex_channels.channels == []
    assert flex_channels.calls[0].error_code == 20001


@pytest.mark.parametrize("page_size", [0, -5])
def test_bad_page_size_fails_the_page(
    flex_channels: FlexChannelsMock, client: Client, page_size: int
) -> None:
    with pytest.raises(TwilioException, match="Unable to fetch page"):
        client.flex_api.v1.channel.page(page_size=page_size)
    assert flex_channels.calls[0].response_json["message"] == (
        "Invalid parameter PageSize: must be an integer of at least 1"
    )


@pytest.mark.flex_channels(allow_unmatched=True)
def test_raw_client_requests_see_405_and_404(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    channel = create(client, flex_channels)
    update = client.request("POST", f"{CHANNELS_URL}/{channel.sid}", data={"ChatFriendlyName": "x"})
    assert update.status_code == 405
    assert update.headers["Allow"] == "GET, DELETE"
    assert json.loads(update.text) == error_body(405, 20004, "Method not allowed")
    missing = client.request("GET", "https://flex-api.twilio.com/v1/Configuration")
    assert missing.status_code == 404
    assert (
        json.loads(missing.text)["message"] == "The requested resource /Configuration was not found"
    )


def test_no_credentials_through_the_client(flex_channels: FlexChannelsMock) -> None:
    client = Client("AC" + "0" * 32, "nobody")
    answer = client.request("GET", CHANNELS_URL)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == 'Basic realm="Twilio API"'
    with pytest.raises(TwilioRestException) as raised:
        client.flex_api.v1.channel("CH" + "0" * 32).fetch()
    assert (raised.value.status, raised.value.code, raised.value.msg) == (
        401,
        20003,
        "Unable to fetch record: Authenticate",
    )
