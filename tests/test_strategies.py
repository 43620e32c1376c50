"""The Hypothesis strategies: valid where they promise, accepted or refused by the fake exactly as
they say, and bodies valid against the official description. Default settings throughout: no
health check is suppressed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from twilio.rest import Client

from pytest_flexchannels import Channel, FlexChannelsMock, FlexFlow
from pytest_flexchannels import strategies as fst
from pytest_flexchannels.flex.models import missing_integration
from pytest_flexchannels.strategies.chat import _WEBHOOK_EVENTS
from tests.helpers import CHANNEL_KEYS, OFFICIAL_SID_PATTERNS, Validate, post_form, sid_pattern

NAMED = {
    "AC": fst.account_sids(),
    "SK": fst.api_key_sids(),
    "FO": fst.flex_flow_sids(),
    "CH": fst.channel_sids(),
    "US": fst.user_sids(),
    "WT": fst.task_sids(),
}


def test_official_patterns_are_read() -> None:
    if not OFFICIAL_SID_PATTERNS:
        pytest.skip("the official OpenAPI description is absent")
    assert {"AC", "FO", "CH", "US", "WT"} <= set(OFFICIAL_SID_PATTERNS)


@pytest.mark.parametrize("prefix", sorted(NAMED))
@given(data=st.data())
def test_named_sid_strategies_match_the_official_patterns(prefix: str, data: st.DataObject) -> None:
    sid = data.draw(NAMED[prefix])
    assert re.search(sid_pattern(prefix), sid)
    assert re.fullmatch(rf"{prefix}[0-9a-f]{{32}}", sid)  # lowercase, as generated


@given(st.sampled_from(["ZS", "IS", "QQ"]).flatmap(lambda p: st.tuples(st.just(p), fst.sids(p))))
def test_sids_of_any_prefix(pair: tuple[str, str]) -> None:
    prefix, sid = pair
    assert re.fullmatch(rf"{prefix}[0-9a-f]{{32}}", sid)


@given(fst.sids(st.sampled_from(["CH", "FO"])))
def test_sids_accept_a_strategy_of_prefixes(sid: str) -> None:
    assert sid[:2] in ("CH", "FO")


def _drawing_raises(strategy: st.SearchStrategy[Any], match: str) -> None:
    @given(strategy)
    def draw(_: Any) -> None:
        pass

    with pytest.raises(InvalidArgument, match=match):
        draw()


@pytest.mark.parametrize("prefix", ["ch", "C", "CHX", "C1", ""])
def test_bad_prefix_is_an_invalid_argument(prefix: str) -> None:
    with pytest.raises(InvalidArgument, match="prefix must be two capital letters"):
        fst.sids(prefix)
    _drawing_raises(fst.sids(st.just(prefix)), "prefix must be two capital letters")


def test_bad_arguments_are_invalid_arguments() -> None:
    with pytest.raises(InvalidArgument, match=r"flex_flow_sid must match \^FO"):
        fst.create_channel_params(flex_flow_sid="FO1")
    with pytest.raises(InvalidArgument, match="identity must be a non-empty string"):
        fst.create_channel_params(identity="")
    with pytest.raises(InvalidArgument, match="integration_type must be one of"):
        fst.flex_flows(integration_type="queue")
    with pytest.raises(InvalidArgument, match="page_size must be between 1 and 1000"):
        fst.channel_pages(page_size=0)
    with pytest.raises(InvalidArgument, match="max_items"):
        fst.channel_pages(max_items=-1)
    _drawing_raises(fst.channel_resources(account_sid=st.just("nope")), "account_sid must match")


def _post(fake: FlexChannelsMock, params: dict[str, str]) -> tuple[int | None, Any]:
    """A create through the one request path, form-encoded as requests does it."""
    return post_form(fake, urlencode(params).encode())


@given(fst.create_channel_params())
def test_every_valid_form_is_created(params: dict[str, str]) -> None:
    with FlexChannelsMock(flex_flow_sid=params["FlexFlowSid"]) as fake:
        status, body = _post(fake, params)
        assert status == 201, body
        stored = fake.get_channel(body["sid"])
        assert stored.identity == params["Identity"]
        assert stored.chat_friendly_name == params["ChatFriendlyName"]
        assert stored.target == params.get("Target")
        assert stored.pre_engagement_data == params.get("PreEngagementData")


@given(fst.create_channel_kwargs())
def test_every_valid_kwargs_is_created_through_the_client(kwargs: dict[str, Any]) -> None:
    with FlexChannelsMock(flex_flow_sid=kwargs["flex_flow_sid"]) as fake:
        client = Client(fake.account_sid, fake.auth_token)
        answer = client.flex_api.v1.channel.create_with_http_info(**kwargs)
        assert answer.status_code == 201
        stored = fake.get_channel(answer.data.sid)
        assert stored.identity == kwargs["identity"]
        assert stored.long_lived == kwargs.get("long_lived", False)
        assert stored.task_attributes == kwargs.get("task_attributes")


@given(fst.create_channel_params(flex_flow_sid="FO" + "a" * 32, identity="alice"))
def test_values_pin_fields(params: dict[str, str]) -> None:
    assert params["FlexFlowSid"] == "FO" + "a" * 32 and params["Identity"] == "alice"


def _assert_answered_as_carried(example: fst.InvalidCreate) -> None:
    with FlexChannelsMock(flex_flow_sid=example.flex_flow_sid) as fake:
        status, body = _post(fake, example.params)
        carried = (example.status, example.code, example.message)
        assert (status, body["code"], body["message"]) == carried, example.rule
        assert fake.channels == []


@given(fst.invalid_create_channel_params())
def test_every_invalid_form_gets_the_answer_it_carries(example: fst.InvalidCreate) -> None:
    _assert_answered_as_carried(example)


@pytest.mark.parametrize("rule", fst.INVALID_CREATE_RULES)
@given(data=st.data())
def test_each_rule_alone_gets_its_answer(rule: str, data: st.DataObject) -> None:
    example = data.draw(fst.invalid_create_channel_params(rules=[rule]))
    assert example.rule == rule
    _assert_answered_as_carried(example)
    assert example.status == (404 if rule == "unknown_flex_flow" else 400)
    assert example.field in example.message or rule == "unknown_flex_flow"


def test_an_invalid_create_is_an_invalid_request() -> None:
    # Code that takes the broken forms of any API takes Flex's too, by the same fields.
    assert issubclass(fst.InvalidCreate, fst.InvalidRequest)


@pytest.mark.parametrize("rules", [[], ["nonsense"], "missing_required"])
def test_unknown_rules_are_invalid_arguments(rules: Any) -> None:
    with pytest.raises(InvalidArgument, match="rules must be a non-empty collection"):
        fst.invalid_create_channel_params(rules=rules)


@given(fst.channel_resources())
def test_channel_resources_validate(openapi: Validate, body: dict[str, Any]) -> None:
    assert set(body) == CHANNEL_KEYS
    openapi("channel", body)


@given(fst.channel_pages())
def test_channel_pages_validate(openapi: Validate, page: dict[str, Any]) -> None:
    openapi("list", page)
    meta = page["meta"]
    assert len(page["flex_chat_channels"]) <= meta["page_size"]
    if len(page["flex_chat_channels"]) < meta["page_size"]:
        assert meta["next_page_url"] is None
    assert (meta["previous_page_url"] is None) == (meta["page"] == 0)


@given(fst.channel_pages(page_size=2, max_items=2))
def test_channel_pages_parse_through_the_client(page: dict[str, Any]) -> None:
    from twilio.base.version import Version
    from twilio.http.response import Response
    from twilio.rest.flex_api.v1.channel import ChannelPage

    version = Version(Client("AC" + "0" * 32, "x").flex_api, "v1")
    parsed = ChannelPage(version, Response(200, json.dumps(page)))
    sids = [channel.sid for channel in parsed]
    assert sids == [item["sid"] for item in page["flex_chat_channels"]]
    assert parsed.next_page_url == page["meta"]["next_page_url"]


@given(fst.channels(integration_type="task"))
def test_task_channels_have_tasks(channel: Channel) -> None:
    assert channel.task_sid is not None and channel.date_updated >= channel.date_created


@given(fst.channels(integration_type=st.sampled_from(["studio", "external"])))
def test_other_channels_have_none(channel: Channel) -> None:
    assert channel.task_sid is None


@given(fst.flex_flows())
def test_flex_flows_can_be_added_to_the_fake(flow: FlexFlow) -> None:
    fake = FlexChannelsMock()
    added = fake.add_flex_flow(flow.integration_type, flow.channel_type, flow.long_lived, flow.sid)
    channel = fake.create_channel(flex_flow_sid=added.sid)
    assert (channel.task_sid is None) == (flow.integration_type != "task")


@given(fst.flex_flows())
def test_flex_flows_have_what_their_type_requires(flow: FlexFlow) -> None:
    assert missing_integration(flow.integration_type, flow.integration) is None
    assert flow.integration.get("retry_count", 0) in range(4)


@given(st.from_type(Channel), st.from_type(FlexFlow))
def test_types_resolve_through_the_entry_point(channel: Channel, flow: FlexFlow) -> None:
    assert channel.sid.startswith("CH") and flow.sid.startswith("FO")


@pytest.mark.parametrize(("plugins", "registered"), [("", True), ("1", False)])
def test_type_hooks_come_from_the_entry_point_not_the_import(
    plugins: str, registered: bool
) -> None:
    code = (
        "import hypothesis.strategies._internal.types as types;"
        "import pytest_flexchannels.strategies;"
        "from pytest_flexchannels import Channel, FlexFlow;"
        "print(Channel in types._global_type_lookup, FlexFlow in types._global_type_lookup)"
    )
    env = {**os.environ, "HYPOTHESIS_NO_PLUGINS": plugins}
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert output.split() == [str(registered)] * 2


# --- Programmable Chat ---------------------------------------------------------------------------


@given(fst.chat_message_params())
def test_every_message_form_is_posted(params: dict[str, str]) -> None:
    with FlexChannelsMock() as fake:
        channel = fake.create_channel(identity="ann")
        url = (
            f"https://chat.twilio.com/v2/Services/{channel.chat_service_sid}/Channels/"
            f"{channel.sid}/Messages"
        )
        status, body = _handle(fake, "POST", url, urlencode(params).encode())
        assert status == 201, body
        assert (body["body"], body["from"], body["attributes"]) == (
            params["Body"],
            params.get("From", "system"),
            params.get("Attributes", "{}"),
        )


@given(fst.chat_webhook_params())
def test_every_webhook_form_is_created_as_configured(params: dict[str, Any]) -> None:
    with FlexChannelsMock() as fake:
        channel = fake.create_channel(identity="bea")
        url = (
            f"https://chat.twilio.com/v2/Services/{channel.chat_service_sid}/Channels/"
            f"{channel.sid}/Webhooks"
        )
        status, body = _handle(fake, "POST", url, urlencode(params, doseq=True).encode())
        assert status == 201, body
        assert body["configuration"] == {
            "url": params["Configuration.Url"],
            "method": params.get("Configuration.Method", "POST"),
            "filters": params["Configuration.Filters"],
            "retry_count": int(params.get("Configuration.RetryCount", "0")),
        }


@given(fst.chat_webhook_events(), st.sampled_from(["https://bridge.example.com/agent"]))
def test_webhook_events_sign_and_read_as_the_fake_sends_them(
    event: dict[str, str], url: str
) -> None:
    from twilio.request_validator import RequestValidator

    from pytest_flexchannels.core.webhooks import signature

    assert event["EventType"] in _WEBHOOK_EVENTS
    assert ("ClientIdentity" in event) == (event["Source"] == "SDK")
    kind = next(
        k for k in ("onMessage", "onMember", "onChannel") if event["EventType"].startswith(k)
    )
    marks = {"onMessage": "MessageSid", "onMember": "MemberSid", "onChannel": "CreatedBy"}
    assert marks[kind] in event
    token = "f" * 32
    assert RequestValidator(token).validate(url, event, signature(token, url, event))


def test_chat_strategy_arguments_are_checked() -> None:
    with pytest.raises(InvalidArgument):
        fst.chat_webhook_params(events=["onNothing"])

    @given(st.data())
    def draw(data: st.DataObject) -> None:
        with pytest.raises(InvalidArgument):
            data.draw(fst.chat_webhook_events(event="onNothing"))
        params = data.draw(fst.chat_webhook_params(events=["onMessageSent"]))
        assert params["Configuration.Filters"] == ["onMessageSent"]

    draw()


def _handle(fake: FlexChannelsMock, method: str, url: str, body: bytes) -> tuple[int | None, Any]:
    from pytest_flexchannels.core.http import Request
    from tests.helpers import basic_auth

    headers = {"Authorization": basic_auth(fake)}
    response = fake.handle(Request(method, url, headers, body))
    return response.status, json.loads(response.body)


# --- Flex Conversations ------------------------------------------------------------------------

CONVERSATIONS = "https://conversations.twilio.com/v1/Conversations"


@given(fst.conversation_params())
def test_every_conversation_form_is_created(params: dict[str, str]) -> None:
    with FlexChannelsMock(now="2026-06-01T10:00:00Z") as fake:
        status, body = _handle(fake, "POST", CONVERSATIONS, urlencode(params).encode())
        assert status == 201, body
        assert body["state"] == params.get("State", "active")
        assert (body["friendly_name"], body["unique_name"]) == (
            params.get("FriendlyName"),
            params.get("UniqueName"),
        )
        expected = {}
        if "Timers.Inactive" in params and body["state"] == "active":
            expected["date_inactive"] = _after(params["Timers.Inactive"])
        if "Timers.Closed" in params:
            expected["date_closed"] = _after(params["Timers.Closed"])
        assert body["timers"] == expected


def _after(duration: str) -> str:
    """2026-06-01T10:00:00Z plus an ISO 8601 duration of days, hours, minutes, seconds."""
    from datetime import datetime, timedelta, timezone

    match = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", duration)
    assert match is not None, duration
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    start = datetime(2026, 6, 1, 10, tzinfo=timezone.utc)
    moment = start + timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("rule", fst.INVALID_CONVERSATION_RULES)
@given(data=st.data())
def test_each_conversation_rule_gets_its_answer(rule: str, data: st.DataObject) -> None:
    example = data.draw(fst.invalid_conversation_params(rules=[rule]))
    assert example.rule == rule
    with FlexChannelsMock() as fake:
        status, body = _handle(fake, "POST", CONVERSATIONS, urlencode(example.params).encode())
        assert (status, body["code"], body["message"]) == (
            example.status,
            example.code,
            example.message,
        )
        assert fake.client().conversations.v1.conversations.list() == []


@given(fst.interaction_params())
def test_every_interaction_form_routes_its_conversation(params: dict[str, str]) -> None:
    with FlexChannelsMock() as fake:
        conversation = json.loads(params["Channel"])["properties"]["media_channel_sid"]
        url = "https://flex-api.twilio.com/v1/Interactions"
        status, body = _handle(fake, "POST", url, urlencode(params).encode())
        assert status == 200, body
        task = body["routing"]["properties"]
        assert task["workspace_sid"] == json.loads(params["Routing"])["properties"]["workspace_sid"]
        assert json.loads(task["attributes"])["conversationSid"] == conversation
        # No such conversation in a fresh fake: its channel settles as failed (45356).
        channel = (
            fake.client().flex_api.v1.interaction(body["sid"]).channels(body["channel"]["sid"])
        )
        assert [channel.fetch().status, channel.fetch().error_code] == ["setup", 45356]


@pytest.mark.parametrize("rule", fst.INVALID_INTERACTION_RULES)
@given(data=st.data())
def test_each_interaction_rule_gets_its_answer(rule: str, data: st.DataObject) -> None:
    example = data.draw(fst.invalid_interaction_params(rules=[rule]))
    assert example.rule == rule
    with FlexChannelsMock() as fake:
        url = "https://flex-api.twilio.com/v1/Interactions"
        status, body = _handle(fake, "POST", url, urlencode(example.params).encode())
        assert (status, body["code"], body["message"]) == (
            example.status,
            example.code,
            example.message,
        )
        assert fake.orphans == []


@given(fst.conversation_webhook_events(), st.sampled_from(["https://bridge.example.com/agent"]))
def test_conversation_webhook_events_sign_and_read_as_the_fake_sends_them(
    event: dict[str, str], url: str
) -> None:
    from twilio.request_validator import RequestValidator

    from pytest_flexchannels.core.webhooks import signature

    assert ("ClientIdentity" in event) == (event["Source"] == "SDK")
    marks = {
        "onMessage": "MessageSid",
        "onParticipant": "ParticipantSid",
        "onConversationStateUpdated": "StateTo",
    }
    assert any(event["EventType"].startswith(k) and mark in event for k, mark in marks.items())
    assert event["WebhookSid"].startswith("WH") and event["ConversationSid"].startswith("CH")
    token = "f" * 32
    assert RequestValidator(token).validate(url, event, signature(token, url, event))


def test_conversations_strategy_arguments_are_checked() -> None:
    for make in (fst.invalid_conversation_params, fst.invalid_interaction_params):
        with pytest.raises(InvalidArgument, match="rules must be a non-empty collection"):
            make(rules=["nonsense"])

    @given(st.data())
    def draw(data: st.DataObject) -> None:
        with pytest.raises(InvalidArgument):
            data.draw(fst.conversation_webhook_events(event="onNothing"))
        with pytest.raises(InvalidArgument):
            data.draw(fst.interaction_params(channel_type="fax"))
        with pytest.raises(InvalidArgument):
            data.draw(fst.interaction_params(media_channel_sid="CH1"))

    draw()
