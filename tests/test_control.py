"""The control and inspection API: accounts, flows, seeding, records, deactivate, reset, clock,
seeds."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from twilio.rest import Client

from pytest_flexchannels import Channel, FlexApiError, FlexChannelsMock, UnknownSidError
from pytest_flexchannels.values import FIRST_NAMES, LAST_NAMES
from tests.helpers import create


def test_default_account_and_flow(flex_channels: FlexChannelsMock) -> None:
    assert re.fullmatch(r"AC[0-9a-f]{32}", flex_channels.account_sid)
    assert re.fullmatch(r"[0-9a-f]{32}", flex_channels.auth_token)
    assert re.fullmatch(r"FO[0-9a-f]{32}", flex_channels.flex_flow_sid)
    flow = flex_channels.flex_flow
    assert (flow.integration_type, flow.channel_type, flow.long_lived) == ("task", "web", False)
    assert flow.chat_service_sid.startswith("IS")


def test_default_account_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "e" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "env-token")
    with FlexChannelsMock() as fake:
        assert (fake.account_sid, fake.auth_token) == ("AC" + "e" * 32, "env-token")
        client = Client()  # no arguments: the environment, as in production code
        assert create(client, fake).account_sid == "AC" + "e" * 32


def test_options_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "e" * 32)
    fake = FlexChannelsMock(account_sid="AC" + "f" * 32, auth_token="given")
    assert (fake.account_sid, fake.auth_token) == ("AC" + "f" * 32, "given")


def test_malformed_environment_account_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "ACtest")
    with pytest.raises(ValueError, match=r"TWILIO_ACCOUNT_SID\), got 'ACtest'"):
        FlexChannelsMock()


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="integration_type must be one of"):
        FlexChannelsMock(integration_type="queue")
    with pytest.raises(ValueError, match="channel_type must be one of"):
        FlexChannelsMock(channel_type="fax")
    with pytest.raises(TypeError):
        FlexChannelsMock(colour="blue")


def test_add_flex_flow(flex_channels: FlexChannelsMock) -> None:
    flow = flex_channels.add_flex_flow("studio", "sms", True, sid="FO" + "1" * 32)
    assert (flow.sid, flow.integration_type, flow.channel_type, flow.long_lived) == (
        "FO" + "1" * 32,
        "studio",
        "sms",
        True,
    )
    assert flow.account_sid == flex_channels.account_sid
    with pytest.raises(ValueError, match="already exists"):
        flex_channels.add_flex_flow(sid="FO" + "1" * 32)
    with pytest.raises(ValueError, match="must match"):
        flex_channels.add_flex_flow(sid="FO1")
    with pytest.raises(ValueError, match="unknown account"):
        flex_channels.add_flex_flow(account_sid="AC" + "0" * 32)
    with pytest.raises(ValueError, match="integration_type must be one of"):
        flex_channels.add_flex_flow("queue")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="channel_type must be one of"):
        flex_channels.add_flex_flow(channel_type="fax")  # type: ignore[arg-type]


def test_seeded_channel_has_realistic_defaults(flex_channels: FlexChannelsMock) -> None:
    channel = flex_channels.create_channel()
    assert re.fullmatch(r"web-[0-9a-f]{12}", channel.identity)
    first, last = channel.chat_user_friendly_name.split(" ", 1)
    assert first in FIRST_NAMES and last in LAST_NAMES
    assert channel.chat_friendly_name == f"Chat with {channel.chat_user_friendly_name}"
    assert channel.flex_flow_sid == flex_channels.flex_flow_sid
    assert channel.task_sid is not None and channel.active
    assert len(flex_channels.calls) == 0  # seeding is not a call


@pytest.mark.parametrize(
    ("channel_type", "pattern"),
    [("sms", r"\+1\d{3}55501\d\d"), ("whatsapp", r"whatsapp:\+1\d{3}55501\d\d")],
)
def test_seeded_phone_channels_use_the_number_as_identity_and_target(
    flex_channels: FlexChannelsMock, channel_type: str, pattern: str
) -> None:
    flow = flex_channels.add_flex_flow(channel_type=channel_type)
    channel = flex_channels.create_channel(flex_flow_sid=flow.sid)
    assert re.fullmatch(pattern, channel.identity)
    assert channel.target == channel.identity


def test_seeding_takes_python_values(flex_channels: FlexChannelsMock) -> None:
    channel = flex_channels.create_channel(
        identity="alice",
        target=None,
        long_lived=True,
        pre_engagement_data={"email": "a@example.com"},
        task_attributes={"priority": 1},
    )
    assert channel.target is None
    assert channel.long_lived is True
    assert channel.pre_engagement_data == '{"email": "a@example.com"}'
    assert channel.task_attributes == '{"priority": 1}'


def test_seeding_follows_the_api_rules(flex_channels: FlexChannelsMock, client: Client) -> None:
    seeded = flex_channels.create_channel(identity="alice")
    assert flex_channels.create_channel(identity="alice") == seeded
    assert create(client, flex_channels, "alice").sid == seeded.sid
    with pytest.raises(FlexApiError) as raised:
        flex_channels.create_channel(flex_flow_sid="FO" + "0" * 32)
    assert (raised.value.status, raised.value.code) == (404, 20404)
    assert raised.value.message == f"The requested resource /FlexFlows/FO{'0' * 32} was not found"
    with pytest.raises(FlexApiError, match="Invalid parameter TaskSid"):
        flex_channels.create_channel(task_sid="nope")
    with pytest.raises(FlexApiError, match="Invalid parameter PreEngagementData"):
        flex_channels.create_channel(pre_engagement_data="{not json")
    with pytest.raises(TypeError, match="unknown channel fields"):
        flex_channels.create_channel(colour="blue")
    assert len(flex_channels.channels) == 1


def test_seeding_in_an_account_with_several_flows_needs_the_flow(
    flex_channels: FlexChannelsMock,
) -> None:
    other = flex_channels.add_account()
    with pytest.raises(ValueError, match="has 0 Flex Flows: pass flex_flow_sid"):
        flex_channels.create_channel(account_sid=other.sid)
    flow = flex_channels.add_flex_flow(account_sid=other.sid)
    assert flex_channels.create_channel(account_sid=other.sid).flex_flow_sid == flow.sid
    flex_channels.add_flex_flow(account_sid=other.sid)
    with pytest.raises(ValueError, match="has 2 Flex Flows"):
        flex_channels.create_channel(account_sid=other.sid)


def test_get_channel_of_unknown_sid_is_a_key_error(flex_channels: FlexChannelsMock) -> None:
    sid = "CH" + "0" * 32
    with pytest.raises(KeyError) as raised:
        flex_channels.get_channel(sid)
    assert isinstance(raised.value, UnknownSidError)
    assert str(raised.value) == f"no channel {sid!r} in account {flex_channels.account_sid}"
    with pytest.raises(UnknownSidError):
        flex_channels.deactivate(sid)


def test_records_are_immutable_snapshots(flex_channels: FlexChannelsMock) -> None:
    channel = flex_channels.create_channel()
    with pytest.raises(AttributeError):
        channel.identity = "changed"  # type: ignore[misc]
    assert isinstance(channel, Channel)
    assert channel.url == f"https://flex-api.twilio.com/v1/Channels/{channel.sid}"
    assert repr(channel).startswith(f"Channel(sid={channel.sid!r}, account_sid=")
    assert "seq=" not in repr(channel)  # an internal position, not a Twilio field


def test_deactivate(flex_channels: FlexChannelsMock, client: Client) -> None:
    flex_channels.clock.set(datetime(2026, 1, 1, tzinfo=timezone.utc))
    channel = flex_channels.create_channel(identity="alice")
    flex_channels.clock.advance(timedelta(minutes=5))
    ended = flex_channels.deactivate(channel.sid)
    assert ended.active is False
    assert ended.date_updated == datetime(2026, 1, 1, 0, 5, tzinfo=timezone.utc)
    assert flex_channels.get_channel(channel.sid) == ended
    fetched = client.flex_api.v1.channel(channel.sid).fetch()
    assert fetched.date_updated == ended.date_updated
    assert flex_channels.deactivate(channel.sid) == ended  # already ended: unchanged
    assert flex_channels.create_channel(identity="alice").sid != channel.sid


def test_channels_of_every_account_in_creation_order(flex_channels: FlexChannelsMock) -> None:
    other = flex_channels.add_account()
    flex_channels.add_flex_flow(account_sid=other.sid)
    a = flex_channels.create_channel()
    b = flex_channels.create_channel(account_sid=other.sid)
    c = flex_channels.create_channel()
    assert flex_channels.channels == [a, b, c]


def test_reset_keeps_credentials_and_flow(flex_channels: FlexChannelsMock, client: Client) -> None:
    create(client, flex_channels)
    other = flex_channels.add_account()
    flow_sid = flex_channels.flex_flow_sid
    flex_channels.reset()
    assert flex_channels.channels == [] and len(flex_channels.calls) == 0
    assert flex_channels.flex_flow_sid == flow_sid
    assert client.flex_api.v1.channel.list() == []
    assert create(client, flex_channels).flex_flow_sid == flow_sid
    with pytest.raises(ValueError, match="unknown account"):
        flex_channels.add_flex_flow(account_sid=other.sid)


def test_clock_runs_until_set(flex_channels: FlexChannelsMock) -> None:
    before = datetime.now(timezone.utc).replace(microsecond=0)
    assert not flex_channels.clock.frozen
    channel = flex_channels.create_channel()
    assert before <= channel.date_created <= datetime.now(timezone.utc)
    flex_channels.clock.set("2030-05-06T07:08:09")
    assert flex_channels.create_channel().date_created.isoformat() == "2030-05-06T07:08:09+00:00"
    flex_channels.clock.advance(1.5)
    assert flex_channels.clock.now().isoformat() == "2030-05-06T07:08:10+00:00"
    flex_channels.clock.resume()
    assert not flex_channels.clock.frozen


def test_clock_converts_other_timezones() -> None:
    fake = FlexChannelsMock(now="2026-06-01T12:00:00+02:00")
    assert fake.clock.now() == datetime(2026, 6, 1, 10, tzinfo=timezone.utc)


def test_same_seed_same_sids() -> None:
    def run(seed: int) -> list[str]:
        with FlexChannelsMock(seed=seed) as fake:
            client = Client(fake.account_sid, fake.auth_token)
            made = [create(client, fake, f"c{i}") for i in range(3)]
            seeded = fake.create_channel()
            return [
                fake.account_sid,
                fake.auth_token,
                fake.flex_flow_sid,
                *(c.sid for c in made),
                *(c.user_sid for c in made),
                seeded.sid,
                seeded.identity,
                fake.calls[0].request_id or "",
            ]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_random_seed_is_exposed() -> None:
    fake = FlexChannelsMock()
    again = FlexChannelsMock(seed=fake.seed)
    assert (again.account_sid, again.flex_flow_sid) == (fake.account_sid, fake.flex_flow_sid)


def test_repr_summarises(flex_channels: FlexChannelsMock) -> None:
    flex_channels.create_channel()
    assert repr(flex_channels) == (
        f"<FlexChannelsMock account={flex_channels.account_sid} seed={flex_channels.seed} "
        "channels=1 calls=0>"
    )
