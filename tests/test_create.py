"""Create through the real twilio client and raw requests: success, get-or-create, every error."""

from __future__ import annotations

import re

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock
from tests.helpers import CHANNEL_KEYS, CHANNELS_URL, create, create_form

SID = re.compile(r"[A-Z]{2}[0-9a-f]{32}")
DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def test_create_returns_201_and_the_channel(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    flex_channels.clock.set("2026-03-01T09:30:00Z")
    answer = client.flex_api.v1.channel.create_with_http_info(
        flex_flow_sid=flex_channels.flex_flow_sid,
        identity="customer-1",
        chat_user_friendly_name="Ada",
        chat_friendly_name="Chat with Ada",
    )
    channel = answer.data
    assert answer.status_code == 201
    assert channel.account_sid == flex_channels.account_sid
    assert channel.flex_flow_sid == flex_channels.flex_flow_sid
    assert channel.sid.startswith("CH") and SID.fullmatch(channel.sid)
    assert channel.user_sid.startswith("US") and SID.fullmatch(channel.user_sid)
    assert channel.task_sid.startswith("WT") and SID.fullmatch(channel.task_sid)
    assert channel.url == f"https://flex-api.twilio.com/v1/Channels/{channel.sid}"
    assert channel.date_created.isoformat() == "2026-03-01T09:30:00+00:00"
    assert channel.date_updated == channel.date_created


def test_create_wire_body_headers_and_keys(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    response = http.post(CHANNELS_URL, data=create_form(flex_channels))
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    assert re.fullmatch(r"RQ[0-9a-f]{32}", response.headers["Twilio-Request-Id"])
    body = response.json()
    assert set(body) == CHANNEL_KEYS
    assert DATE.fullmatch(body["date_created"]) and DATE.fullmatch(body["date_updated"])
    stored = flex_channels.get_channel(body["sid"])
    assert body["user_sid"] == stored.user_sid and body["task_sid"] == stored.task_sid


def test_every_field_is_stored(flex_channels: FlexChannelsMock, client: Client) -> None:
    channel = create(
        client,
        flex_channels,
        "whatsapp:+15550100",
        chat_user_friendly_name="Bola",
        chat_friendly_name="WhatsApp with Bola",
        target="whatsapp:+15550100",
        chat_unique_name="wa-15550100",
        pre_engagement_data='{"friendly_name": "Bola"}',
        task_attributes='{"channel": "whatsapp"}',
        long_lived=True,
    )
    stored = flex_channels.get_channel(channel.sid)
    assert stored.identity == "whatsapp:+15550100"
    assert stored.chat_user_friendly_name == "Bola"
    assert stored.chat_friendly_name == "WhatsApp with Bola"
    assert stored.target == "whatsapp:+15550100"
    assert stored.chat_unique_name == "wa-15550100"
    assert stored.pre_engagement_data == '{"friendly_name": "Bola"}'
    assert stored.task_attributes == '{"channel": "whatsapp"}'
    assert stored.long_lived is True
    assert stored.active is True


def test_unicode_fields_survive_form_encoding(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    channel = create(client, flex_channels, "ünïcødé 🙂", chat_friendly_name="Чат & co=1")
    stored = flex_channels.get_channel(channel.sid)
    assert stored.identity == "ünïcødé 🙂"
    assert stored.chat_friendly_name == "Чат & co=1"


def test_percent_encoded_field_names_are_read_decoded(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    """A form field's name is percent-encoded like its value (``%46`` is ``F``), so an encoded
    name is the field it spells (modelled on the standard form encoding, as ``parse_qsl``
    reads it: https://url.spec.whatwg.org/#application/x-www-form-urlencoded)."""
    body = (
        f"%46lex%46low%53id={flex_channels.flex_flow_sid}&Identity=ada"
        "&Chat%55serFriendlyName=Ada&Chat%46riendlyName=Chat+with+Ada"
    )
    response = http.post(
        CHANNELS_URL, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 201, response.text
    stored = flex_channels.get_channel(response.json()["sid"])
    assert (stored.flex_flow_sid, stored.chat_user_friendly_name, stored.chat_friendly_name) == (
        flex_channels.flex_flow_sid,
        "Ada",
        "Chat with Ada",
    )


def test_get_or_create_returns_the_active_channel(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    first = create(client, flex_channels, "customer-1")
    flex_channels.clock.advance(60)
    again = create(client, flex_channels, "customer-1", chat_friendly_name="Another name")
    assert (again.sid, again.user_sid, again.task_sid) == (
        first.sid,
        first.user_sid,
        first.task_sid,
    )
    assert again.date_created == first.date_created
    assert len(flex_channels.channels) == 1
    assert [call.status_code for call in flex_channels.calls] == [201, 201]


def test_deactivated_channel_is_replaced_and_user_kept(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    first = create(client, flex_channels, "customer-1")
    flex_channels.deactivate(first.sid)
    second = create(client, flex_channels, "customer-1")
    assert second.sid != first.sid
    assert second.user_sid == first.user_sid
    assert second.task_sid != first.task_sid
    assert [c.active for c in flex_channels.channels] == [False, True]


def test_deleted_channel_is_replaced(flex_channels: FlexChannelsMock, client: Client) -> None:
    first = create(client, flex_channels, "customer-1")
    client.flex_api.v1.channel(first.sid).delete()
    second = create(client, flex_channels, "customer-1")
    assert second.sid != first.sid and second.user_sid == first.user_sid


def test_identity_reuse_is_per_flow_and_user_per_identity(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    other_flow = flex_channels.add_flex_flow(integration_type="task", channel_type="sms")
    on_default = create(client, flex_channels, "customer-1")
    on_other = create(client, flex_channels, "customer-1", flex_flow_sid=other_flow.sid)
    someone_else = create(client, flex_channels, "customer-2")
    assert on_other.sid != on_default.sid
    assert on_other.user_sid == on_default.user_sid
    assert someone_else.user_sid != on_default.user_sid


@pytest.mark.parametrize("integration_type", ["studio", "external"])
def test_task_sid_is_null_unless_task_flow(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session, integration_type: str
) -> None:
    flow = flex_channels.add_flex_flow(integration_type=integration_type)
    channel = create(client, flex_channels, flex_flow_sid=flow.sid, task_sid="WT" + "a" * 32)
    assert channel.task_sid is None
    assert http.get(f"{CHANNELS_URL}/{channel.sid}").json()["task_sid"] is None


def test_given_task_sid_is_used_on_task_flow(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    channel = create(client, flex_channels, task_sid="WT" + "AB" * 16)
    assert channel.task_sid == "WT" + "AB" * 16


@pytest.mark.parametrize(
    ("sent", "stored"), [("true", True), ("TRUE", True), ("False", False), ("false", False)]
)
def test_long_lived_is_parsed_case_insensitively(
    flex_channels: FlexChannelsMock, http: requests.Session, sent: str, stored: bool
) -> None:
    response = http.post(CHANNELS_URL, data=create_form(flex_channels, LongLived=sent))
    assert response.status_code == 201
    assert flex_channels.get_channel(response.json()["sid"]).long_lived is stored


def test_long_lived_defaults_to_the_flow(flex_channels: FlexChannelsMock, client: Client) -> None:
    flow = flex_channels.add_flex_flow(long_lived=True)
    channel = create(client, flex_channels, flex_flow_sid=flow.sid)
    assert flex_channels.get_channel(channel.sid).long_lived is True


def test_unknown_fields_are_ignored_and_first_repeated_value_wins(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    form = [*create_form(flex_channels).items(), ("Identity", "second"), ("Colour", "blue")]
    response = http.post(CHANNELS_URL, data=form)
    assert response.status_code == 201
    assert flex_channels.get_channel(response.json()["sid"]).identity == "customer-1"


# --- errors -----------------------------------------------------------------------------------


def _error(response: requests.Response) -> tuple[int, int, str]:
    body = response.json()
    assert body["status"] == response.status_code
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{body['code']}"
    return response.status_code, body["code"], body["message"]


@pytest.mark.parametrize(
    ("missing", "reported"),
    [
        ({"FlexFlowSid"}, "FlexFlowSid"),
        ({"Identity"}, "Identity"),
        ({"ChatUserFriendlyName"}, "ChatUserFriendlyName"),
        ({"ChatFriendlyName"}, "ChatFriendlyName"),
        ({"ChatFriendlyName", "Identity"}, "Identity"),
        ({"ChatUserFriendlyName", "ChatFriendlyName", "FlexFlowSid"}, "FlexFlowSid"),
    ],
)
def test_first_missing_required_parameter_in_spec_order(
    flex_channels: FlexChannelsMock, http: requests.Session, missing: set[str], reported: str
) -> None:
    form = {k: v for k, v in create_form(flex_channels).items() if k not in missing}
    assert _error(http.post(CHANNELS_URL, data=form)) == (
        400,
        20001,
        f"Missing required parameter {reported} in the post body",
    )
    assert flex_channels.channels == []


def test_the_error_named_is_the_first_in_declared_order_whatever_the_body_order(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    """A missing required parameter comes before any bad value, and of two bad values the one
    the official description declares first is named, however the body orders its fields."""
    form = create_form(flex_channels)
    bad_late = [("LongLived", "maybe"), *form.items(), ("TaskSid", "WT1")]
    form.pop("ChatFriendlyName")
    missing = [("LongLived", "maybe"), ("FlexFlowSid", "FO1"), *form.items()]
    assert _error(http.post(CHANNELS_URL, data=bad_late)) == (
        400,
        20001,
        "Invalid parameter TaskSid: must match ^WT[0-9a-fA-F]{32}$",
    )
    assert _error(http.post(CHANNELS_URL, data=missing)) == (
        400,
        20001,
        "Missing required parameter ChatFriendlyName in the post body",
    )
    assert flex_channels.channels == []


def test_empty_required_value_counts_as_missing(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    response = http.post(CHANNELS_URL, data=create_form(flex_channels, ChatUserFriendlyName=""))
    assert _error(response) == (
        400,
        20001,
        "Missing required parameter ChatUserFriendlyName in the post body",
    )


def test_missing_parameter_through_the_client(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    with pytest.raises(TwilioRestException) as raised:
        create(client, flex_channels, identity="")
    error = raised.value
    assert (error.status, error.code) == (400, 20001)
    assert (
        error.msg == "Unable to create record: Missing required parameter Identity in the post body"
    )
    assert error.uri == "/Channels"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("FlexFlowSid", "FO123", "Invalid parameter FlexFlowSid: must match ^FO[0-9a-fA-F]{32}$"),
        (
            "FlexFlowSid",
            "CH" + "a" * 32,
            "Invalid parameter FlexFlowSid: must match ^FO[0-9a-fA-F]{32}$",
        ),
        ("TaskSid", "WT" + "g" * 32, "Invalid parameter TaskSid: must match ^WT[0-9a-fA-F]{32}$"),
        ("LongLived", "yes", "Invalid parameter LongLived: must be true or false"),
        ("LongLived", "1", "Invalid parameter LongLived: must be true or false"),
        (
            "PreEngagementData",
            "{'a': 1}",
            "Invalid parameter PreEngagementData: must be a JSON string",
        ),
        ("TaskAttributes", "not json", "Invalid parameter TaskAttributes: must be a JSON string"),
        (
            "TaskAttributes",
            "[" * 100_000,
            "Invalid parameter TaskAttributes: must be a JSON string",
        ),
    ],
)
def test_malformed_field_names_the_parameter(
    flex_channels: FlexChannelsMock, http: requests.Session, field: str, value: str, message: str
) -> None:
    response = http.post(CHANNELS_URL, data=create_form(flex_channels, **{field: value}))
    assert _error(response) == (400, 20001, message)
    assert flex_channels.channels == []


def test_dict_passed_as_json_field_is_rejected(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    # A common bug: a dict instead of JSON text. requests form-encodes it into its keys.
    with pytest.raises(TwilioRestException) as raised:
        create(client, flex_channels, pre_engagement_data={"friendly_name": "Ada"})
    assert (raised.value.status, raised.value.code) == (400, 20001)
    assert raised.value.msg == (
        "Unable to create record: Invalid parameter PreEngagementData: must be a JSON string"
    )


def test_unknown_flow_is_404(flex_channels: FlexChannelsMock, client: Client) -> None:
    unknown = "FO" + "0" * 32
    with pytest.raises(TwilioRestException) as raised:
        create(client, flex_channels, flex_flow_sid=unknown)
    assert (raised.value.status, raised.value.code) == (404, 20404)
    assert raised.value.msg == (
        f"Unable to create record: The requested resource /FlexFlows/{unknown} was not found"
    )


def test_flow_sid_lookup_is_exact(flex_channels: FlexChannelsMock, http: requests.Session) -> None:
    upper = "FO" + flex_channels.flex_flow_sid[2:].upper()
    response = http.post(CHANNELS_URL, data=create_form(flex_channels, FlexFlowSid=upper))
    assert _error(response) == (
        404,
        20404,
        f"The requested resource /FlexFlows/{upper} was not found",
    )


def test_another_accounts_flow_is_404(flex_channels: FlexChannelsMock, client: Client) -> None:
    other = flex_channels.add_account()
    foreign_flow = flex_channels.add_flex_flow(account_sid=other.sid)
    with pytest.raises(TwilioRestException) as raised:
        create(client, flex_channels, flex_flow_sid=foreign_flow.sid)
    assert (raised.value.status, raised.value.code) == (404, 20404)


def test_json_body_instead_of_form_is_missing_parameters(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    response = http.post(CHANNELS_URL, json=create_form(flex_channels))
    assert _error(response) == (
        400,
        20001,
        "Missing required parameter FlexFlowSid in the post body",
    )


def test_invalid_utf8_body_is_answered_not_raised(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    body = b"FlexFlowSid=" + flex_channels.flex_flow_sid.encode() + b"&Identity=\xff\xfe&"
    body += b"ChatUserFriendlyName=a&ChatFriendlyName=b"
    response = http.post(
        CHANNELS_URL,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 201
    assert flex_channels.get_channel(response.json()["sid"]).identity == "\ufffd\ufffd"
