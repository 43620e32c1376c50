"""Flex Flows over HTTP through the twilio client: create, fetch, list with its filter and pages,
update and delete, sharing the store with the Channels resource."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock
from tests.helpers import create, error_body

SERVICE = "IS" + "1" * 32
STUDIO_FLOW = "FW" + "2" * 32
FLOWS_URL = "https://flex-api.twilio.com/v1/FlexFlows"
# What each integration type requires, as the twilio client's keyword arguments.
REQUIRED = {
    "studio": {"integration_flow_sid": STUDIO_FLOW},
    "external": {"integration_url": "https://example.com/flex"},
    "task": {
        "integration_workspace_sid": "WS" + "3" * 32,
        "integration_workflow_sid": "WW" + "4" * 32,
    },
}


def _flow(client: Client, name: str = "Webchat", **kwargs: Any) -> Any:
    """A flow made over HTTP, with what its integration type requires unless given."""
    kwargs = {**REQUIRED[kwargs.get("integration_type", "studio")], **kwargs}
    return client.flex_api.v1.flex_flow.create(
        friendly_name=name,
        chat_service_sid=kwargs.pop("chat_service_sid", SERVICE),
        channel_type=kwargs.pop("channel_type", "web"),
        **kwargs,
    )


def test_create_with_every_field(flex_channels: FlexChannelsMock, client: Client) -> None:
    flex_channels.clock.set("2026-02-03T04:05:06Z")
    flow = _flow(
        client,
        "SMS to Flex",
        channel_type="sms",
        contact_identity="+15005550100",
        enabled=False,
        integration_type="studio",
        integration_flow_sid="FW" + "2" * 32,
        integration_url="https://example.com/flex",
        integration_workspace_sid="WS" + "3" * 32,
        integration_workflow_sid="WW" + "4" * 32,
        integration_channel="default",
        integration_timeout=30,
        integration_priority=-5,
        integration_creation_on_message=True,
        long_lived=True,
        janitor_enabled=True,
        integration_retry_count=2,
    )
    assert flow.sid.startswith("FO") and flow.account_sid == flex_channels.account_sid
    assert (flow.friendly_name, flow.chat_service_sid, flow.channel_type) == (
        "SMS to Flex",
        SERVICE,
        "sms",
    )
    assert (flow.contact_identity, flow.enabled, flow.integration_type) == (
        "+15005550100",
        False,
        "studio",
    )
    assert (flow.long_lived, flow.janitor_enabled) == (True, True)
    assert flow.integration == {
        "flow_sid": "FW" + "2" * 32,
        "url": "https://example.com/flex",
        "workspace_sid": "WS" + "3" * 32,
        "workflow_sid": "WW" + "4" * 32,
        "channel": "default",
        "timeout": 30,
        "priority": -5,
        "creation_on_message": True,
        "retry_count": 2,
    }
    assert flow.url == f"{FLOWS_URL}/{flow.sid}"
    assert flow.date_created.isoformat() == "2026-02-03T04:05:06+00:00"
    assert flex_channels.calls.assert_called_once_with("create_flex_flow").status_code == 201


def test_defaults_of_a_minimal_flow(flex_channels: FlexChannelsMock, client: Client) -> None:
    flow = _flow(client)
    assert (flow.integration_type, flow.enabled, flow.long_lived, flow.janitor_enabled) == (
        "studio",
        True,
        False,
        False,
    )
    assert (flow.contact_identity, flow.integration) == (None, {"flow_sid": STUDIO_FLOW})


def test_a_flow_made_over_http_takes_channels_and_deleting_it_refuses_them(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    flow = _flow(client, integration_type="task")
    channel = create(client, flex_channels, "alice", flex_flow_sid=flow.sid)
    assert channel.flex_flow_sid == flow.sid and channel.task_sid is not None
    assert client.flex_api.v1.flex_flow(flow.sid).delete() is True
    with pytest.raises(TwilioRestException) as raised:
        create(client, flex_channels, "bob", flex_flow_sid=flow.sid)
    assert (raised.value.status, raised.value.code) == (404, 20404)
    assert raised.value.msg == (
        f"Unable to create record: The requested resource /FlexFlows/{flow.sid} was not found"
    )
    assert flex_channels.get_channel(channel.sid).flex_flow_sid == flow.sid  # channels stay


def test_fetch_update_and_delete(flex_channels: FlexChannelsMock, client: Client) -> None:
    flex_channels.clock.set("2026-01-01T00:00:00Z")
    flow = _flow(client)
    fetched = client.flex_api.v1.flex_flow(flow.sid).fetch()
    assert (fetched.sid, fetched.friendly_name) == (flow.sid, "Webchat")
    flex_channels.clock.advance(60)
    updated = client.flex_api.v1.flex_flow(flow.sid).update(
        friendly_name="Renamed", enabled=False, integration_retry_count=3
    )
    assert (updated.friendly_name, updated.enabled, updated.channel_type) == (
        "Renamed",
        False,
        "web",
    )
    assert updated.integration == {"flow_sid": "FW" + "2" * 32, "retry_count": 3}
    assert updated.date_created.isoformat() == "2026-01-01T00:00:00+00:00"
    assert updated.date_updated.isoformat() == "2026-01-01T00:01:00+00:00"
    assert client.flex_api.v1.flex_flow(flow.sid).delete() is True
    for call in (
        lambda: client.flex_api.v1.flex_flow(flow.sid).fetch(),
        lambda: client.flex_api.v1.flex_flow(flow.sid).update(friendly_name="x"),
        lambda: client.flex_api.v1.flex_flow(flow.sid).delete(),
    ):
        with pytest.raises(TwilioRestException) as raised:
            call()
        assert (raised.value.status, raised.value.code) == (404, 20404)
        assert raised.value.msg.endswith(
            f"The requested resource /FlexFlows/{flow.sid} was not found"
        )


def test_list_filter_and_pages(flex_channels: FlexChannelsMock, client: Client) -> None:
    made = [_flow(client, "Team A" if i % 2 else "Team B") for i in range(7)]
    every = [flex_channels.flex_flow_sid] + [f.sid for f in made]
    assert [f.sid for f in client.flex_api.v1.flex_flow.list(page_size=3)] == every
    team_a = client.flex_api.v1.flex_flow.list(friendly_name="Team A", page_size=2)
    assert [f.sid for f in team_a] == [f.sid for f in made if f.friendly_name == "Team A"]
    pages = [c for c in flex_channels.calls if c.operation == "list_flex_flows"][-2:]
    assert pages[0].url == f"{FLOWS_URL}?FriendlyName=Team+A&PageSize=2"
    meta = pages[0].response_json["meta"]
    assert meta["key"] == "flex_flows"
    assert meta["first_page_url"] == f"{FLOWS_URL}?FriendlyName=Team+A&PageSize=2&Page=0"
    assert meta["next_page_url"].startswith(f"{FLOWS_URL}?FriendlyName=Team+A&PageSize=2&Page=1&")
    assert client.flex_api.v1.flex_flow.list(friendly_name="nobody") == []


def test_accounts_see_only_their_flows(flex_channels: FlexChannelsMock, client: Client) -> None:
    other = flex_channels.add_account()
    theirs = _flow(Client(other.sid, other.auth_token))
    assert theirs.sid not in [f.sid for f in client.flex_api.v1.flex_flow.list()]
    with pytest.raises(TwilioRestException) as raised:
        client.flex_api.v1.flex_flow(theirs.sid).fetch()
    assert raised.value.status == 404


def test_a_channels_page_token_is_refused_on_flows(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    for i in range(3):
        flex_channels.create_channel(identity=f"c{i}")
    next_url = http.get("https://flex-api.twilio.com/v1/Channels?PageSize=1").json()["meta"][
        "next_page_url"
    ]
    token = next_url.rsplit("PageToken=", 1)[1]
    response = http.get(FLOWS_URL, params={"PageToken": token})
    assert (response.status_code, response.json()) == (
        400,
        error_body(400, 21481, "Invalid PageToken"),
    )


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"ChatServiceSid": SERVICE, "ChannelType": "web"},
            "Missing required parameter FriendlyName in the post body",
        ),
        (
            {"FriendlyName": "x", "ChannelType": "web"},
            "Missing required parameter ChatServiceSid in the post body",
        ),
        (
            {"FriendlyName": "x", "ChatServiceSid": SERVICE},
            "Missing required parameter ChannelType in the post body",
        ),
        (
            {"ChatServiceSid": "IS1"},
            "Invalid parameter ChatServiceSid: must match ^IS[0-9a-fA-F]{32}$",
        ),
        (
            {"ChannelType": "fax"},
            "Invalid parameter ChannelType: must be one of "
            "web, sms, facebook, whatsapp, line, custom",
        ),
        (
            {"IntegrationType": "queue"},
            "Invalid parameter IntegrationType: must be one of studio, external, task",
        ),
        ({"Enabled": "yes"}, "Invalid parameter Enabled: must be true or false"),
        (
            {"Integration.Timeout": "soon"},
            "Invalid parameter Integration.Timeout: must be an integer",
        ),
        (
            {"Integration.Url": "not a url"},
            "Invalid parameter Integration.Url: must be an absolute http(s) URL",
        ),
        (
            {"Integration.FlowSid": "FW1"},
            "Invalid parameter Integration.FlowSid: must match ^FW[0-9a-fA-F]{32}$",
        ),
        *[
            (
                {"Integration.RetryCount": count},
                "Invalid parameter Integration.RetryCount: must be an integer from 0 to 3",
            )
            for count in ("-1", "4", "three", "1.5")
        ],
    ],
)
def test_bad_flow_forms_are_400(
    flex_channels: FlexChannelsMock, http: requests.Session, form: dict[str, str], message: str
) -> None:
    base = {
        "FriendlyName": "x",
        "ChatServiceSid": SERVICE,
        "ChannelType": "web",
        "Integration.FlowSid": STUDIO_FLOW,
    }
    complete = {**base, **form} if "Missing" not in message else form
    response = http.post(FLOWS_URL, data=complete)
    assert (response.status_code, response.json()) == (400, error_body(400, 20001, message))
    assert len(http.get(FLOWS_URL).json()["flex_flows"]) == 1  # nothing was created


def test_a_bad_update_changes_nothing(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    url = f"{FLOWS_URL}/{flex_channels.flex_flow_sid}"
    before = http.get(url).json()
    response = http.post(url, data={"FriendlyName": "new", "LongLived": "maybe"})
    assert response.status_code == 400
    assert http.get(url).json() == before


def test_wrong_method_on_a_flow_is_405(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    response = http.put(f"{FLOWS_URL}/{flex_channels.flex_flow_sid}")
    assert response.status_code == 405 and response.headers["Allow"] == "GET, POST, DELETE"


def test_a_deleted_flow_forgets_its_open_chats(flex_channels: FlexChannelsMock) -> None:
    """A flow made again with the SID of a deleted one starts with no open chat: a create for an
    identity that had one opens a new channel."""
    flow = flex_channels.add_flex_flow(sid="FO" + "7" * 32)
    before = flex_channels.create_channel(flex_flow_sid=flow.sid, identity="alice")
    flex_channels.client().flex_api.v1.flex_flow(flow.sid).delete()
    flex_channels.add_flex_flow(sid=flow.sid)
    after = flex_channels.create_channel(flex_flow_sid=flow.sid, identity="alice")
    assert after.sid != before.sid
    assert flex_channels.get_channel(before.sid).active  # its channels stay, as they were


@pytest.mark.parametrize(
    ("integration_type", "given", "missing"),
    [
        ("studio", {"Integration.Url": "https://example.com/flex"}, "Integration.FlowSid"),
        ("external", {"Integration.FlowSid": STUDIO_FLOW}, "Integration.Url"),
        ("task", {"Integration.WorkflowSid": "WW" + "4" * 32}, "Integration.WorkspaceSid"),
        ("task", {"Integration.WorkspaceSid": "WS" + "3" * 32}, "Integration.WorkflowSid"),
    ],
)
def test_each_integration_type_requires_its_parameters(
    flex_channels: FlexChannelsMock,
    http: requests.Session,
    integration_type: str,
    given: dict[str, str],
    missing: str,
) -> None:
    form = {"FriendlyName": "x", "ChatServiceSid": SERVICE, "ChannelType": "sms", **given}
    if integration_type != "studio":  # studio is the type a form without one gets
        form["IntegrationType"] = integration_type
    response = http.post(FLOWS_URL, data=form)
    message = f"Missing required parameter {missing} in the post body"
    assert (response.status_code, response.json()) == (400, error_body(400, 20001, message))
    assert len(http.get(FLOWS_URL).json()["flex_flows"]) == 1  # nothing was created


def test_retry_counts_from_0_to_3_are_taken(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    counts = [_flow(client, integration_retry_count=n).integration["retry_count"] for n in range(4)]
    assert counts == [0, 1, 2, 3]


def test_an_update_must_leave_the_flow_with_what_its_type_requires(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    url = f"{FLOWS_URL}/{flex_channels.add_flex_flow('studio').sid}"
    before = http.get(url).json()
    response = http.post(url, data={"IntegrationType": "external"})
    message = "Missing required parameter Integration.Url in the post body"
    assert (response.status_code, response.json()) == (400, error_body(400, 20001, message))
    assert http.get(url).json() == before
    changed = http.post(
        url, data={"IntegrationType": "external", "Integration.Url": "https://example.com/in"}
    ).json()
    assert (changed["integration_type"], changed["integration"]) == (
        "external",
        {"flow_sid": before["integration"]["flow_sid"], "url": "https://example.com/in"},
    )


def test_seeded_flows_have_what_their_type_requires(flex_channels: FlexChannelsMock) -> None:
    studio = flex_channels.add_flex_flow("studio").integration
    external = flex_channels.add_flex_flow("external").integration
    task = flex_channels.add_flex_flow("task").integration
    assert list(studio) == ["flow_sid"] and studio["flow_sid"].startswith("FW")
    assert external == {"url": "https://flex-flow.example.invalid/messages"}
    assert [task["workspace_sid"][:2], task["workflow_sid"][:2]] == ["WS", "WW"]
