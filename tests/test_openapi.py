"""Bodies against the official OpenAPI description (every fixture test also checks its bodies)."""

from __future__ import annotations

import pytest
import requests
from jsonschema.exceptions import ValidationError

from pytest_flexchannels import FlexChannelsMock
from tests.helpers import CHANNELS_URL, Validate


def test_channel_bodies_of_every_flow_type_validate(
    flex_channels: FlexChannelsMock, http: requests.Session, openapi: Validate
) -> None:
    for integration_type in ("studio", "external", "task"):
        flow = flex_channels.add_flex_flow(integration_type=integration_type)
        channel = flex_channels.create_channel(flex_flow_sid=flow.sid)
        openapi("channel", http.get(f"{CHANNELS_URL}/{channel.sid}").json())
    page = http.get(CHANNELS_URL, params={"PageSize": 2}).json()
    openapi("list", page)
    openapi("list", http.get(page["meta"]["next_page_url"]).json())


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("sid", "CH123"),
        ("user_sid", "XX" + "0" * 32),
        ("date_created", "yesterday"),
        ("url", "not a uri"),
    ],
)
def test_the_validator_rejects_what_the_description_forbids(
    flex_channels: FlexChannelsMock, http: requests.Session, openapi: Validate, key: str, value: str
) -> None:
    body = http.post(
        CHANNELS_URL,
        data={
            "FlexFlowSid": flex_channels.flex_flow_sid,
            "Identity": "a",
            "ChatUserFriendlyName": "b",
            "ChatFriendlyName": "c",
        },
    ).json()
    openapi("channel", body)
    with pytest.raises(ValidationError):
        openapi("channel", {**body, key: value})
    page = http.get(CHANNELS_URL).json()
    with pytest.raises(ValidationError):
        openapi("list", {**page, "flex_chat_channels": [{**body, key: value}]})


def test_the_validator_rejects_wrong_keys(openapi: Validate) -> None:
    with pytest.raises(AssertionError):
        openapi("channel", {"sid": "CH" + "0" * 32})
    with pytest.raises(AssertionError):
        openapi("error", {"code": 20404, "message": "x", "status": 404})
