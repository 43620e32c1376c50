"""Authentication (account tokens, API keys, 401s) and routing (405, unknown paths)."""

from __future__ import annotations

import base64

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock
from tests.helpers import CHANNELS_URL, create, create_form, error_body

AUTHENTICATE = error_body(401, 20003, "Authenticate")


def _assert_401(response: requests.Response) -> None:
    assert response.status_code == 401
    assert response.json() == AUTHENTICATE
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Twilio API"'
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer abc",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
        "Basic " + base64.b64encode(b":").decode(),
    ],
)
def test_missing_or_malformed_credentials_are_401(
    flex_channels: FlexChannelsMock, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    _assert_401(requests.get(CHANNELS_URL, headers=headers))
    assert flex_channels.calls[0].account_sid is None
    assert flex_channels.calls[0].error_code == 20003


def test_wrong_token_and_unknown_account_are_401(flex_channels: FlexChannelsMock) -> None:
    _assert_401(requests.get(CHANNELS_URL, auth=(flex_channels.account_sid, "wrong")))
    _assert_401(requests.get(CHANNELS_URL, auth=("AC" + "0" * 32, flex_channels.auth_token)))
    _assert_401(requests.get(CHANNELS_URL, auth=(flex_channels.account_sid, "")))


def test_wrong_credentials_through_the_client(flex_channels: FlexChannelsMock) -> None:
    client = Client(flex_channels.account_sid, "not-the-token")
    with pytest.raises(TwilioRestException) as raised:
        create(client, flex_channels)
    assert (raised.value.status, raised.value.code) == (401, 20003)
    assert raised.value.msg == "Unable to create record: Authenticate"
    assert flex_channels.channels == []


def test_authentication_comes_before_routing(flex_channels: FlexChannelsMock) -> None:
    _assert_401(requests.get("https://flex-api.twilio.com/v1/Nothing"))
    _assert_401(requests.put(CHANNELS_URL))
    _assert_401(requests.post(CHANNELS_URL, data=create_form(flex_channels)))
    assert [call.operation for call in flex_channels.calls] == [None, None, "create_channel"]


def test_api_key_authenticates_as_its_account(flex_channels: FlexChannelsMock) -> None:
    key = flex_channels.add_api_key()
    assert key.sid.startswith("SK") and key.account_sid == flex_channels.account_sid
    client = Client(key.sid, key.secret, flex_channels.account_sid)
    channel = create(client, flex_channels)
    assert channel.account_sid == flex_channels.account_sid
    assert flex_channels.calls[0].account_sid == flex_channels.account_sid
    _assert_401(requests.get(CHANNELS_URL, auth=(key.sid, "wrong-secret")))
    _assert_401(requests.get(CHANNELS_URL, auth=(key.sid, flex_channels.auth_token)))


def test_api_key_of_another_account_sees_that_account(flex_channels: FlexChannelsMock) -> None:
    other = flex_channels.add_account()
    flex_channels.add_flex_flow(account_sid=other.sid)
    theirs = flex_channels.create_channel(account_sid=other.sid)
    key = flex_channels.add_api_key(other.sid)
    listed = requests.get(CHANNELS_URL, auth=(key.sid, key.secret)).json()["flex_chat_channels"]
    assert [item["sid"] for item in listed] == [theirs.sid]


def test_given_credentials_are_used(flex_channels: FlexChannelsMock) -> None:
    account = flex_channels.add_account("AC" + "1" * 32, "s3cret")
    key = flex_channels.add_api_key(account.sid, sid="SK" + "2" * 32, secret="k3y")
    assert (account.sid, account.auth_token) == ("AC" + "1" * 32, "s3cret")
    assert requests.get(CHANNELS_URL, auth=(account.sid, "s3cret")).status_code == 200
    assert requests.get(CHANNELS_URL, auth=(key.sid, "k3y")).status_code == 200


@pytest.mark.parametrize(
    ("method", "url", "allow"),
    [
        ("POST", f"{CHANNELS_URL}/CH" + "0" * 32, "GET, DELETE"),
        ("PUT", f"{CHANNELS_URL}/CH" + "0" * 32, "GET, DELETE"),
        ("PATCH", CHANNELS_URL, "GET, POST"),
        ("DELETE", CHANNELS_URL, "GET, POST"),
        ("PUT", CHANNELS_URL, "GET, POST"),
        ("OPTIONS", CHANNELS_URL, "GET, POST"),
    ],
)
def test_wrong_method_is_405(
    flex_channels: FlexChannelsMock, http: requests.Session, method: str, url: str, allow: str
) -> None:
    response = http.request(method, url)
    assert response.status_code == 405
    assert response.headers["Allow"] == allow
    assert response.json() == error_body(405, 20004, "Method not allowed")
    assert flex_channels.calls[0].operation is None
    assert flex_channels.unmatched == []  # Twilio answers the same: nothing to tell the test


def test_update_through_raw_post_does_not_change_the_channel(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    channel = create(client, flex_channels)
    before = flex_channels.get_channel(channel.sid)
    response = http.post(f"{CHANNELS_URL}/{channel.sid}", data={"ChatFriendlyName": "new"})
    assert response.status_code == 405
    assert flex_channels.get_channel(channel.sid) == before


def test_head_is_answered_as_get_without_a_body(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    response = http.head(CHANNELS_URL)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == b""
    assert response.headers["Content-Length"] == str(len(http.get(CHANNELS_URL).content))
    call = flex_channels.calls[0]
    assert (call.operation, call.method, call.status_code) == ("list_channels", "HEAD", 200)
    assert http.head(f"{CHANNELS_URL}/CH{'0' * 32}").status_code == 404


@pytest.mark.parametrize(
    ("url", "resource"),
    [
        ("https://flex-api.twilio.com/v1/Nothing", "/Nothing"),
        ("https://flex-api.twilio.com/v1/Channels/", "/Channels/"),
        (
            "https://flex-api.twilio.com/v1/Channels/CH" + "0" * 32 + "/Messages",
            "/Channels/CH" + "0" * 32 + "/Messages",
        ),
        # A version Flex serves is left out of the message (v2 holds WebChats); another is not.
        ("https://flex-api.twilio.com/v2/Channels", "/Channels"),
        ("https://flex-api.twilio.com/v3/Channels", "/v3/Channels"),
        ("https://flex-api.twilio.com/", "/"),
        ("https://flex-api.twilio.com/v1/Configuration", "/Configuration"),
    ],
)
@pytest.mark.flex_channels(allow_unmatched=True)
def test_unimplemented_flex_path_is_404_not_the_network(
    flex_channels: FlexChannelsMock, http: requests.Session, url: str, resource: str
) -> None:
    response = http.get(url)
    assert response.status_code == 404
    assert response.json() == error_body(
        404, 20404, f"The requested resource {resource} was not found"
    )
    assert [call.url for call in flex_channels.unmatched] == [url]
    assert flex_channels.calls[0].operation is None


@pytest.mark.parametrize(
    "host",
    [
        "flex-api.twilio.com",
        "FLEX-API.Twilio.com",
        "flex-api.us1.twilio.com",
        "flex-api.dublin.ie1.twilio.com",
        "flex-api.twilio.com:443",
    ],
)
def test_every_flex_host_is_answered(
    flex_channels: FlexChannelsMock, http: requests.Session, host: str
) -> None:
    assert http.get(f"https://{host}/v1/Channels").status_code == 200


def test_request_ids_are_unique(flex_channels: FlexChannelsMock, http: requests.Session) -> None:
    ids = {http.get(CHANNELS_URL).headers["Twilio-Request-Id"] for _ in range(20)}
    assert len(ids) == 20
    assert ids == {call.request_id for call in flex_channels.calls}
