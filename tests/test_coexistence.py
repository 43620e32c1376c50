"""The fake beside the user's own ``responses`` mocks, in every order, and nested fakes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses
from requests.adapters import HTTPAdapter
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock
from tests.helpers import CHANNELS_URL, create

OTHER_URL = "https://api.example.com/customers/42"


def _flex_and_other_are_both_served(fake: FlexChannelsMock, client: Client) -> None:
    channel = create(client, fake)
    assert requests.get(OTHER_URL).json() == {"name": "Ada"}
    assert client.flex_api.v1.channel(channel.sid).fetch().sid == channel.sid
    assert [call.operation for call in fake.calls] == ["create_channel", "fetch_channel"]


@responses.activate
def test_beside_responses_activate(flex_channels: FlexChannelsMock, client: Client) -> None:
    responses.add(responses.GET, OTHER_URL, json={"name": "Ada"})
    _flex_and_other_are_both_served(flex_channels, client)
    # Flex requests are the fake's, and pass through the user's mock as responses shows them.
    sid = flex_channels.channels[0].sid
    assert [call.request.url for call in responses.calls] == [
        CHANNELS_URL,
        OTHER_URL,
        f"{CHANNELS_URL}/{sid}",
    ]
    assert [call.response.status_code for call in responses.calls] == [201, 200, 200]


@pytest.fixture
def started_before() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, OTHER_URL, json={"name": "Ada"})
        yield mock


def test_beside_a_mock_started_before(
    started_before: responses.RequestsMock, flex_channels: FlexChannelsMock, client: Client
) -> None:
    _flex_and_other_are_both_served(flex_channels, client)
    assert len(started_before.calls) == 3


def test_beside_a_mock_started_after(flex_channels: FlexChannelsMock, client: Client) -> None:
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, OTHER_URL, json={"name": "Ada"})
        _flex_and_other_are_both_served(flex_channels, client)
        assert len(mock.calls) == 3
    # And after the user's mock stops, the fake still answers on its own.
    assert len(client.flex_api.v1.channel.list()) == 1


def test_unregistered_other_url_is_refused_by_the_users_mock(
    flex_channels: FlexChannelsMock,
) -> None:
    with (
        responses.RequestsMock(assert_all_requests_are_fired=False),
        pytest.raises(requests.ConnectionError, match="Connection refused by Responses"),
    ):
        requests.get("https://api.example.com/unregistered")
    assert len(flex_channels.calls) == 0


def test_users_unfired_registration_still_asserts(flex_channels: FlexChannelsMock) -> None:
    with (
        pytest.raises(AssertionError, match="Not all requests have been executed"),
        responses.RequestsMock() as mock,
    ):
        mock.add(responses.GET, OTHER_URL, json={})
        requests.get(CHANNELS_URL, auth=(flex_channels.account_sid, flex_channels.auth_token))


def test_flex_urls_registered_by_the_user_are_still_the_fakes(
    flex_channels: FlexChannelsMock,
) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.GET, CHANNELS_URL, json={"stub": True})
        body = requests.get(
            CHANNELS_URL, auth=(flex_channels.account_sid, flex_channels.auth_token)
        )
    assert "flex_chat_channels" in body.json()


def test_a_send_installed_before_sees_every_request_and_flex_is_answered_under_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []
    genuine = HTTPAdapter.send

    def earlier_send(adapter: HTTPAdapter, request: requests.PreparedRequest, **kw: Any) -> Any:
        seen.append(request.url or "")
        if request.url == CHANNELS_URL:
            return genuine(adapter, request, **kw)
        response = requests.Response()
        response.status_code = 299
        return response

    monkeypatch.setattr(HTTPAdapter, "send", earlier_send)
    with FlexChannelsMock() as fake:
        assert requests.get(OTHER_URL).status_code == 299
        assert requests.get(CHANNELS_URL).status_code == 401
    assert seen == [OTHER_URL, CHANNELS_URL]
    assert HTTPAdapter.send is earlier_send
    assert len(fake.calls) == 1


def test_stopping_restores_responses_and_requests() -> None:
    originals = (
        HTTPAdapter.send,
        HTTPAdapter.get_connection_with_tls_context,
        requests.Session.send,
        responses.RequestsMock._on_request,
    )

    def hooks() -> tuple[Any, ...]:
        return (
            HTTPAdapter.send,
            HTTPAdapter.get_connection_with_tls_context,
            requests.Session.send,
            responses.RequestsMock._on_request,
        )

    with FlexChannelsMock():
        assert [a is b for a, b in zip(hooks(), originals, strict=True)] == [
            True,
            False,
            False,
            False,
        ]
    assert hooks() == originals
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, CHANNELS_URL, json={"stub": True})
        assert requests.get(CHANNELS_URL).json() == {"stub": True}


def test_nested_fake_answers_until_it_stops(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    outer = create(client, flex_channels)
    with FlexChannelsMock() as inner:
        inner_client = Client(inner.account_sid, inner.auth_token)
        assert inner_client.flex_api.v1.channel.list() == []
        create(inner_client, inner)
        assert len(inner.channels) == 1
    assert [c.sid for c in client.flex_api.v1.channel.list()] == [outer.sid]
    assert len(flex_channels.channels) == 1


def test_context_manager_starts_fresh_each_time() -> None:
    for _ in range(2):
        with FlexChannelsMock() as fake:
            client = Client(fake.account_sid, fake.auth_token)
            assert client.flex_api.v1.channel.list() == []
            create(client, fake)
            assert len(client.flex_api.v1.channel.list()) == 1


def test_start_and_stop_are_idempotent() -> None:
    fake = FlexChannelsMock()
    fake.start()
    fake.start()
    assert requests.get(CHANNELS_URL).status_code == 401
    fake.stop()
    fake.stop()
    assert len(fake.calls) == 1


def test_after_stopping_flex_requests_are_not_answered() -> None:
    with FlexChannelsMock():
        pass
    # The suite's conftest blocks the network, so an unanswered request fails loudly here.
    with pytest.raises(requests.ConnectionError, match="network access in tests is disabled"):
        requests.get(CHANNELS_URL)
