"""List and pagination through stream(), list(limit=...), page().next_page() and raw requests."""

from __future__ import annotations

import re

import pytest
import requests
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock
from tests.helpers import CHANNELS_URL, create, error_body

NEXT = re.compile(
    r"https://flex-api\.twilio\.com/v1/Channels\?PageSize=(\d+)&Page=(\d+)&PageToken=(PA[\w-]+)"
)


def _seed(fake: FlexChannelsMock, count: int) -> list[str]:
    return [fake.create_channel(identity=f"customer-{i}").sid for i in range(count)]


def _pages(fake: FlexChannelsMock) -> list[str]:
    return [call.url for call in fake.calls if call.operation == "list_channels"]


def test_empty_list_envelope(flex_channels: FlexChannelsMock, http: requests.Session) -> None:
    response = http.get(CHANNELS_URL)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {
        "meta": {
            "page": 0,
            "page_size": 50,
            "first_page_url": f"{CHANNELS_URL}?PageSize=50&Page=0",
            "previous_page_url": None,
            "url": f"{CHANNELS_URL}?PageSize=50&Page=0",
            "next_page_url": None,
            "key": "flex_chat_channels",
        },
        "flex_chat_channels": [],
    }


def test_single_page_lists_every_channel_oldest_first(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    sids = _seed(flex_channels, 3)
    assert [c.sid for c in client.flex_api.v1.channel.list()] == sids
    body = http.get(CHANNELS_URL).json()
    assert [item["sid"] for item in body["flex_chat_channels"]] == sids
    assert body["flex_chat_channels"][0] == http.get(f"{CHANNELS_URL}/{sids[0]}").json()
    assert body["meta"]["next_page_url"] is None


def test_list_follows_next_page_urls_across_pages(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    sids = _seed(flex_channels, 7)
    assert [c.sid for c in client.flex_api.v1.channel.list(page_size=3)] == sids
    pages = _pages(flex_channels)
    assert len(pages) == 3
    assert pages[0] == f"{CHANNELS_URL}?PageSize=3"
    assert [NEXT.fullmatch(url).group(1, 2) for url in pages[1:]] == [("3", "1"), ("3", "2")]


def test_stream_with_limit_stops_early(flex_channels: FlexChannelsMock, client: Client) -> None:
    sids = _seed(flex_channels, 7)
    assert [c.sid for c in client.flex_api.v1.channel.stream(limit=5, page_size=2)] == sids[:5]
    assert len(_pages(flex_channels)) == 3


def test_list_with_limit_uses_it_as_page_size(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    sids = _seed(flex_channels, 7)
    assert [c.sid for c in client.flex_api.v1.channel.list(limit=4)] == sids[:4]
    assert _pages(flex_channels) == [f"{CHANNELS_URL}?PageSize=4"]
    flex_channels.calls.assert_called_once_with("list_channels", PageSize="4")


def test_page_next_and_previous(flex_channels: FlexChannelsMock, client: Client) -> None:
    sids = _seed(flex_channels, 5)
    first = client.flex_api.v1.channel.page(page_size=2)
    assert [c.sid for c in first] == sids[:2]
    assert first.previous_page_url is None
    second = first.next_page()
    assert [c.sid for c in second] == sids[2:4]
    third = second.next_page()
    assert [c.sid for c in third] == sids[4:]
    assert third.next_page_url is None and third.next_page() is None
    back = third.previous_page()
    assert [c.sid for c in back] == sids[2:4]
    assert [c.sid for c in back.previous_page()] == sids[:2]


def test_the_next_page_after_an_empty_previous_page_starts_where_it_was_asked(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """A previous page can come back empty (everything before it was deleted); its next page is
    the page it was asked from, first channel included."""
    sids = _seed(flex_channels, 3)
    second = client.flex_api.v1.channel.page(page_size=1).next_page()
    assert [c.sid for c in second] == sids[1:2]
    client.flex_api.v1.channel(sids[0]).delete()
    empty = second.previous_page()
    assert list(empty) == []
    assert [c.sid for c in empty.next_page()] == sids[1:2]


def test_meta_of_a_middle_page(flex_channels: FlexChannelsMock, http: requests.Session) -> None:
    _seed(flex_channels, 5)
    first = http.get(CHANNELS_URL, params={"PageSize": 2}).json()["meta"]
    token = NEXT.fullmatch(first["next_page_url"]).group(3)
    meta = http.get(first["next_page_url"]).json()["meta"]
    assert meta["page"] == 1 and meta["page_size"] == 2
    assert meta["url"] == f"{CHANNELS_URL}?PageSize=2&Page=1&PageToken={token}"
    assert meta["first_page_url"] == f"{CHANNELS_URL}?PageSize=2&Page=0"
    assert meta["previous_page_url"].startswith(f"{CHANNELS_URL}?PageSize=2&Page=0&PageToken=PB")
    assert NEXT.fullmatch(meta["next_page_url"]).group(1, 2) == ("2", "2")
    assert meta["key"] == "flex_chat_channels"


def test_pages_are_stable_while_channels_come_and_go(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    sids = _seed(flex_channels, 7)
    first = client.flex_api.v1.channel.page(page_size=3)
    assert [c.sid for c in first] == sids[:3]
    # Between page requests: delete the last one served and one not yet served, add new ones.
    client.flex_api.v1.channel(sids[2]).delete()
    client.flex_api.v1.channel(sids[4]).delete()
    newer = create(client, flex_channels, "late-arrival")
    second = first.next_page()
    assert [c.sid for c in second] == [sids[3], sids[5], sids[6]]
    third = second.next_page()
    assert [c.sid for c in third] == [newer.sid]
    assert third.next_page_url is None


def test_stream_survives_deletes_between_pages(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    sids = _seed(flex_channels, 6)
    seen = []
    for channel in client.flex_api.v1.channel.stream(page_size=2):
        seen.append(channel.sid)
        client.flex_api.v1.channel(channel.sid).delete()
    assert seen == sids
    assert flex_channels.channels == []


def test_page_size_above_1000_is_served_as_1000(
    flex_channels: FlexChannelsMock, client: Client, http: requests.Session
) -> None:
    sids = _seed(flex_channels, 1500)
    meta = http.get(CHANNELS_URL, params={"PageSize": 5000}).json()["meta"]
    assert meta["page_size"] == 1000
    assert meta["url"] == f"{CHANNELS_URL}?PageSize=1000&Page=0"
    assert NEXT.fullmatch(meta["next_page_url"]).group(1) == "1000"
    flex_channels.calls.clear()
    # The helper library sends PageSize=limit uncapped.
    assert [c.sid for c in client.flex_api.v1.channel.list(limit=1200)] == sids[:1200]
    assert len(_pages(flex_channels)) == 2
    assert _pages(flex_channels)[0] == f"{CHANNELS_URL}?PageSize=1200"


def test_page_without_token_is_an_offset(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    sids = _seed(flex_channels, 5)
    body = http.get(CHANNELS_URL, params={"PageSize": 2, "Page": 1}).json()
    assert [item["sid"] for item in body["flex_chat_channels"]] == sids[2:4]
    assert body["meta"]["page"] == 1
    assert body["meta"]["previous_page_url"] is not None
    beyond = http.get(CHANNELS_URL, params={"PageSize": 2, "Page": 9}).json()
    assert beyond["flex_chat_channels"] == []
    assert beyond["meta"]["next_page_url"] is None
    assert beyond["meta"]["previous_page_url"] == f"{CHANNELS_URL}?PageSize=2&Page=8"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PageSize", "0", "Invalid parameter PageSize: must be an integer of at least 1"),
        ("PageSize", "-1", "Invalid parameter PageSize: must be an integer of at least 1"),
        ("PageSize", "1.5", "Invalid parameter PageSize: must be an integer of at least 1"),
        ("PageSize", "ten", "Invalid parameter PageSize: must be an integer of at least 1"),
        ("PageSize", "", "Invalid parameter PageSize: must be an integer of at least 1"),
        ("PageSize", "١٢", "Invalid parameter PageSize: must be an integer of at least 1"),
        ("Page", "-1", "Invalid parameter Page: must be an integer of at least 0"),
        ("Page", "first", "Invalid parameter Page: must be an integer of at least 0"),
    ],
)
def test_bad_paging_parameter_is_400(
    flex_channels: FlexChannelsMock, http: requests.Session, name: str, value: str, message: str
) -> None:
    response = http.get(CHANNELS_URL, params={name: value})
    assert response.status_code == 400
    assert response.json() == error_body(400, 20001, message)


@pytest.mark.parametrize(
    "url",
    [
        "https://chat.twilio.com/v2/Services/IS00000000000000000000000000000000/Channels",
        "https://conversations.twilio.com/v1/Conversations/CH00000000000000000000000000000000/Messages",
        "https://flex-api.twilio.com/v1/Interactions/KD00000000000000000000000000000000"
        "/Channels/UO00000000000000000000000000000000/Participants",
    ],
)
def test_a_bad_page_is_refused_before_the_list_is_looked_up(
    flex_channels: FlexChannelsMock, http: requests.Session, url: str
) -> None:
    """The request path reads a list's paging before its handler runs (modelled: one order for
    every list), so a bad page of a parent that does not exist is the 400, not its 404."""
    response = http.get(url, params={"PageSize": "0"})
    assert response.status_code == 400
    assert response.json() == error_body(
        400, 20001, "Invalid parameter PageSize: must be an integer of at least 1"
    )
    assert http.get(url).status_code == 404


def test_huge_numbers_are_served_not_raised(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    _seed(flex_channels, 3)
    body = http.get(CHANNELS_URL, params={"PageSize": "9" * 5000, "Page": "9" * 5000}).json()
    assert body["meta"]["page_size"] == 1000
    assert body["flex_chat_channels"] == []


def _token_error(http: requests.Session, token: str) -> tuple[int, dict[str, object]]:
    response = http.get(CHANNELS_URL, params={"PageSize": 2, "Page": 1, "PageToken": token})
    return response.status_code, response.json()


INVALID_TOKEN = error_body(400, 21481, "Invalid PageToken")


def test_unknown_or_tampered_page_token_is_400(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    _seed(flex_channels, 5)
    token = NEXT.fullmatch(
        http.get(CHANNELS_URL, params={"PageSize": 2}).json()["meta"]["next_page_url"]
    ).group(3)
    tampered = token[:2] + "9" + token[3:]
    for bad in ["garbage", "", "PA", tampered, token + "0", token.lower().replace("pa", "PB", 1)]:
        assert _token_error(http, bad) == (400, INVALID_TOKEN), bad
    assert _token_error(http, token)[0] == 200


def test_another_accounts_page_token_is_400(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    other = flex_channels.add_account()
    flex_channels.add_flex_flow(account_sid=other.sid)
    for i in range(3):
        flex_channels.create_channel(account_sid=other.sid, identity=f"theirs-{i}")
    theirs = requests.get(CHANNELS_URL, params={"PageSize": 1}, auth=(other.sid, other.auth_token))
    token = NEXT.fullmatch(theirs.json()["meta"]["next_page_url"]).group(3)
    assert _token_error(http, token) == (400, INVALID_TOKEN)


def test_failed_page_reaches_the_client_as_twilio_exception(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    with pytest.raises(TwilioException, match="Unable to fetch page"):
        client.flex_api.v1.channel.page(page_token="garbage")


def test_accounts_list_only_their_own_channels(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    mine = _seed(flex_channels, 2)
    other = flex_channels.add_account()
    flex_channels.add_flex_flow(account_sid=other.sid)
    theirs = flex_channels.create_channel(account_sid=other.sid)
    assert [c.sid for c in client.flex_api.v1.channel.list()] == mine
    their_client = Client(other.sid, other.auth_token)
    assert [c.sid for c in their_client.flex_api.v1.channel.list()] == [theirs.sid]


def test_edge_and_region_hosts_page_on_their_own_host(flex_channels: FlexChannelsMock) -> None:
    sids = _seed(flex_channels, 5)
    client = Client(
        flex_channels.account_sid, flex_channels.auth_token, edge="sydney", region="au1"
    )
    assert [c.sid for c in client.flex_api.v1.channel.list(page_size=2)] == sids
    hosts = {call.url.split("/")[2] for call in flex_channels.calls}
    assert hosts == {"flex-api.sydney.au1.twilio.com"}
    first = flex_channels.calls[0].response_json["meta"]
    assert first["next_page_url"].startswith("https://flex-api.sydney.au1.twilio.com/v1/Channels?")
    fetched = client.flex_api.v1.channel(sids[0]).fetch()
    assert fetched.url == f"https://flex-api.twilio.com/v1/Channels/{sids[0]}"


def test_region_only_host_is_served(flex_channels: FlexChannelsMock) -> None:
    client = Client(flex_channels.account_sid, flex_channels.auth_token, region="ie1")
    channel = create(client, flex_channels)
    assert flex_channels.calls[0].url == "https://flex-api.ie1.twilio.com/v1/Channels"
    assert client.flex_api.v1.channel(channel.sid).fetch().sid == channel.sid
