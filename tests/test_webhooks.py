"""Webhooks out: signed as Twilio signs them (checked with twilio's own RequestValidator),
delivered in process to a Flask app or a callable, over HTTP to an app in a subprocess, never to
any other address; retried as the webhook's retry count says; recorded in ``fc.webhooks``."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from pytest_flexchannels import FlexApiError, FlexChannelsMock
from pytest_flexchannels.core.webhooks import WebhookRequest, signature
from tests.helpers import create

BRIDGE = "https://bridge.example.com"


def _hook(client: Client, fake: FlexChannelsMock, channel_sid: str, **configuration: Any) -> Any:
    service = client.chat.v2.services(fake.flex_flow.chat_service_sid)
    return service.channels(channel_sid).webhooks.create(
        type="webhook",
        configuration_url=configuration.pop("url", f"{BRIDGE}/agent"),
        configuration_filters=configuration.pop("filters", ["onMessageSent"]),
        **configuration,
    )


def _bridge(token: str) -> tuple[Flask, list[dict[str, Any]]]:
    """A Flask app that checks each webhook's signature as a bridge does."""
    app = Flask("bridge")
    received: list[dict[str, Any]] = []

    @app.post("/agent")
    def agent() -> tuple[str, int]:
        valid = RequestValidator(token).validate(
            request.url, request.form, request.headers.get("X-Twilio-Signature", "")
        )
        received.append({"valid": valid, "form": dict(request.form), "headers": request.headers})
        return ("", 204) if valid else ("bad signature", 403)

    return app, received


def test_an_agent_reply_reaches_a_flask_app_signed(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    channel = create(client, flex_channels, "ann")
    hook = _hook(client, flex_channels, channel.sid, filters=["onMessageSent", "onMemberAdded"])
    app, received = _bridge(flex_channels.auth_token)
    flex_channels.route_webhooks(BRIDGE, app)
    message = flex_channels.agent_reply(channel.sid, "Hello, how can I help?")
    assert (message.body, message.author, message.position) == (
        "Hello, how can I help?",
        "agent",
        0,
    )
    assert [r["valid"] for r in received] == [True, True]
    joined, sent = (r["form"] for r in received)
    assert (joined["EventType"], joined["Identity"], joined["Reason"]) == (
        "onMemberAdded",
        "agent",
        "JOINED",
    )
    assert sent == {
        "EventType": "onMessageSent",
        "Source": "SDK",
        "ClientIdentity": "agent",
        "AccountSid": flex_channels.account_sid,
        "InstanceSid": flex_channels.flex_flow.chat_service_sid,
        "ChannelSid": channel.sid,
        "MessageSid": message.sid,
        "Index": "0",
        "Body": "Hello, how can I help?",
        "Attributes": "{}",
        "From": "agent",
        "DateCreated": sent["DateCreated"],
        "WebhookType": "webhook",
        "WebhookSid": hook.sid,
    }
    headers = received[1]["headers"]
    assert headers["User-Agent"] == "TwilioProxy/1.1"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert [d.status for d in flex_channels.webhooks] == [204, 204]
    flex_channels.webhooks.assert_delivered("onMessageSent", Body="Hello, how can I help?")
    assert [m.body for m in flex_channels.messages(channel.sid)] == ["Hello, how can I help?"]
    tagged = flex_channels.agent_reply(channel.sid, "Noted.", attributes={"tag": "follow-up"})
    assert tagged.attributes == '{"tag": "follow-up"}'
    with pytest.raises(FlexApiError) as refused:
        flex_channels.agent_reply(channel.sid, "?", attributes="{not json")
    assert (refused.value.status, refused.value.code) == (400, 50304)


def test_retries_as_the_retry_count_asks_each_signed(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    channel = create(client, flex_channels, "ben")
    _hook(client, flex_channels, channel.sid, configuration_retry_count=2)
    seen: list[WebhookRequest] = []

    def failing(hook: WebhookRequest) -> int:
        seen.append(hook)
        return 500

    flex_channels.route_webhooks(BRIDGE, failing)
    flex_channels.agent_reply(channel.sid, "Are you there?")
    sent = flex_channels.webhooks.filter("onMessageSent")
    assert [(d.attempt, d.status, d.params.get("RetryCount")) for d in sent] == [
        (1, 500, None),
        (2, 500, "1"),
        (3, 500, "2"),
    ]
    validator = RequestValidator(flex_channels.auth_token)
    assert all(validator.validate(h.url, h.params, h.headers["X-Twilio-Signature"]) for h in seen)
    tokens = {h.headers["I-Twilio-Idempotency-Token"] for h in seen}
    assert len(tokens) == 1  # one webhook, tried three times


def test_a_get_webhook_is_signed_over_its_url(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    channel = create(client, flex_channels, "cat")
    _hook(client, flex_channels, channel.sid, configuration_method="GET", url=f"{BRIDGE}/g?x=1")
    seen: list[WebhookRequest] = []
    flex_channels.route_webhooks(BRIDGE, lambda hook: seen.append(hook) or 200)
    flex_channels.agent_reply(channel.sid, "hi")
    (hook,) = seen
    assert hook.method == "GET" and hook.url.startswith(f"{BRIDGE}/g?x=1&EventType=onMessageSent")
    validator = RequestValidator(flex_channels.auth_token)
    assert validator.validate(hook.url, {}, hook.headers["X-Twilio-Signature"])


def test_a_url_neither_routed_nor_local_is_never_contacted(
    flex_channels: FlexChannelsMock, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = create(client, flex_channels, "dan")
    _hook(client, flex_channels, channel.sid, url="https://hooks.example.org/in")

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"a webhook tried the network: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    flex_channels.agent_reply(channel.sid, "hello?")
    (undelivered,) = flex_channels.webhooks.undelivered
    assert (undelivered.url, undelivered.status, undelivered.delivered) == (
        "https://hooks.example.org/in",
        None,
        False,
    )
    assert undelivered.error == "not delivered: neither routed to an app nor on this machine"
    with pytest.raises(AssertionError, match="expected onMessageSent delivered at least once"):
        flex_channels.webhooks.assert_delivered("onMessageSent")


def test_rest_actions_fire_webhooks_only_when_asked(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    channel = create(client, flex_channels, "eve")
    _hook(client, flex_channels, channel.sid)
    seen: list[WebhookRequest] = []
    flex_channels.route_webhooks(BRIDGE, lambda hook: seen.append(hook) or 200)
    messages = (
        client.chat.v2.services(flex_channels.flex_flow.chat_service_sid)
        .channels(channel.sid)
        .messages
    )
    messages.create(from_="eve", body="quiet")
    messages.create(from_="eve", body="loud", x_twilio_webhook_enabled="true")
    assert [(h.params["Body"], h.params["Source"]) for h in seen] == [("loud", "API")]
    assert "ClientIdentity" not in seen[0].params


def test_deactivate_is_seen_by_the_app_as_flex_shows_it(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    channel = create(client, flex_channels, "fox")
    _hook(client, flex_channels, channel.sid, filters=["onChannelUpdated", "onMemberRemoved"])
    seen: list[WebhookRequest] = []
    flex_channels.route_webhooks(BRIDGE, lambda hook: seen.append(hook) or 200)
    flex_channels.agent_reply(channel.sid, "Anything else?", author="agent-7")
    flex_channels.deactivate(channel.sid)
    flex_channels.deactivate(channel.sid)  # already ended: nothing more
    updated, left = (hook.params for hook in seen)
    assert (updated["EventType"], updated["ClientIdentity"], updated["Source"]) == (
        "onChannelUpdated",
        "agent-7",
        "SDK",
    )
    assert json.loads(updated["Attributes"])["status"] == "INACTIVE"
    assert (left["EventType"], left["Identity"], left["Reason"]) == (
        "onMemberRemoved",
        "agent-7",
        "LEFT",
    )
    service = client.chat.v2.services(flex_channels.flex_flow.chat_service_sid)
    assert [m.identity for m in service.channels(channel.sid).members.list()] == ["fox"]


def test_an_external_flow_hears_each_message_at_its_integration_url(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    flow = flex_channels.add_flex_flow(
        integration_type="external",
        channel_type="sms",
        integration={"url": f"{BRIDGE}/bot", "retry_count": 1},
    )
    channel = flex_channels.create_channel(flex_flow_sid=flow.sid, identity="+15550123")
    service = client.chat.v2.services(flow.chat_service_sid)
    (flex_hook,) = service.channels(channel.sid).webhooks.list()
    assert (flex_hook.type, flex_hook.configuration) == (
        "webhook",
        {"url": f"{BRIDGE}/bot", "method": "POST", "filters": ["onMessageSent"], "retry_count": 1},
    )
    seen: list[WebhookRequest] = []
    flex_channels.route_webhooks(f"{BRIDGE}/bot", lambda hook: seen.append(hook) or 503)
    service.channels(channel.sid).messages.create(
        from_="+15550123", body="Hi", x_twilio_webhook_enabled="true"
    )
    assert [(h.params["Body"], h.params.get("RetryCount")) for h in seen] == [
        ("Hi", None),
        ("Hi", "1"),
    ]


def test_flexs_own_channel_webhook_retries_three_times_when_the_flow_says_nothing(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    """The webhook Flex adds to a channel of an external flow takes the flow's
    ``Integration.RetryCount``, which defaults to 3 (documented:
    https://www.twilio.com/docs/flex/developer/messaging/flow)."""
    flow = client.flex_api.v1.flex_flow.create(
        friendly_name="SMS bridge",
        chat_service_sid=flex_channels.flex_flow.chat_service_sid,
        channel_type="sms",
        integration_type="external",
        integration_url=f"{BRIDGE}/bot",
    )
    assert flow.integration == {"url": f"{BRIDGE}/bot"}  # no retry count given
    channel = create(client, flex_channels, "+15550124", flex_flow_sid=flow.sid)
    service = client.chat.v2.services(flow.chat_service_sid)
    (flex_hook,) = service.channels(channel.sid).webhooks.list()
    assert flex_hook.configuration["retry_count"] == 3
    flex_channels.route_webhooks(f"{BRIDGE}/bot", lambda hook: 500)
    service.channels(channel.sid).messages.create(
        from_="+15550124", body="Hi", x_twilio_webhook_enabled="true"
    )
    assert [(d.attempt, d.status, d.params.get("RetryCount")) for d in flex_channels.webhooks] == [
        (1, 500, None),
        (2, 500, "1"),
        (3, 500, "2"),
        (4, 500, "3"),
    ]


@pytest.mark.parametrize(("answer", "attempts"), [(429, 2), (503, 2), (404, 1), (200, 1)])
def test_an_apps_429_is_retried_as_a_5xx_is_and_another_4xx_is_not(
    flex_channels: FlexChannelsMock, client: Client, answer: int, attempts: int
) -> None:
    """An app that answers 429 (too many requests) failed the attempt, which is tried again as
    the retry count says; any other 4xx was received and is not (modelled on Twilio's retry
    policies: https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides)."""
    channel = create(client, flex_channels, "ivy")
    _hook(client, flex_channels, channel.sid, configuration_retry_count=1)
    flex_channels.route_webhooks(BRIDGE, lambda hook: answer)
    flex_channels.agent_reply(channel.sid, "Still there?")
    sent = flex_channels.webhooks.filter("onMessageSent")
    assert [(d.attempt, d.status, d.delivered) for d in sent] == [
        (n, answer, True) for n in range(1, attempts + 1)
    ]


_SERVER = textwrap.dedent(
    """
    import sys
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from urllib.parse import parse_qsl
    from twilio.request_validator import RequestValidator

    token = sys.argv[1]

    class Bridge(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            url = f"http://{self.headers['Host']}{self.path}"
            valid = RequestValidator(token).validate(
                url, dict(parse_qsl(body)), self.headers["X-Twilio-Signature"]
            )
            self.send_response(200 if valid else 403)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Bridge)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    """
)


@pytest.fixture
def bridge_process(flex_channels: FlexChannelsMock, tmp_path: Path) -> Iterator[str]:
    """An app in a process of its own that checks signatures: its URL."""
    script = tmp_path / "bridge.py"
    script.write_text(_SERVER)
    process = subprocess.Popen(
        [sys.executable, str(script), flex_channels.auth_token],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}/agent"
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_a_loopback_app_in_a_subprocess_gets_it_over_http(
    flex_channels: FlexChannelsMock, client: Client, bridge_process: str
) -> None:
    channel = create(client, flex_channels, "gil")
    _hook(client, flex_channels, channel.sid, url=bridge_process)
    flex_channels.agent_reply(channel.sid, "Over the wire")
    (delivery,) = flex_channels.webhooks
    assert (delivery.url, delivery.status, delivery.delivered) == (bridge_process, 200, True)


def test_the_signature_matches_twilios_own_test_vector() -> None:
    """twilio-python's RequestValidator test: the same token, URL and parameters."""
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert signature("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_the_services_post_event_webhook_hears_what_its_filters_name(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    channel = create(client, flex_channels, "hal")
    service = client.chat.v2.services(flex_channels.flex_flow.chat_service_sid)
    updated = service.update(
        post_webhook_url=f"{BRIDGE}/service",
        webhook_filters=["onMessageSent"],
        post_webhook_retry_count=1,
    )
    assert (updated.post_webhook_url, updated.webhook_filters, updated.webhook_method) == (
        f"{BRIDGE}/service",
        ["onMessageSent"],
        "POST",
    )
    seen: list[WebhookRequest] = []
    flex_channels.route_webhooks(BRIDGE, lambda hook: seen.append(hook) or 200)
    flex_channels.agent_reply(channel.sid, "From the service's point of view")
    flex_channels.deactivate(channel.sid)  # onChannelUpdated: not in the service's filters
    (hook,) = seen
    assert (hook.url, hook.params["EventType"], hook.params["Source"]) == (
        f"{BRIDGE}/service",
        "onMessageSent",
        "SDK",
    )
    assert "WebhookSid" not in hook.params  # not a channel webhook
    with pytest.raises(TwilioRestException) as raised:
        service.update(webhook_filters=["onEverything"])
    assert (raised.value.status, raised.value.code) == (400, 50325)


def test_an_app_that_raises_answers_500_and_is_retried(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    channel = create(client, flex_channels, "ivy")
    _hook(client, flex_channels, channel.sid, configuration_retry_count=1)
    app = Flask("broken")

    @app.post("/agent")
    def agent() -> str:
        raise RuntimeError("the bridge is down")

    def crash(hook: WebhookRequest) -> int:
        raise ValueError("no handler")

    flex_channels.route_webhooks(f"{BRIDGE}/agent", app)
    flex_channels.agent_reply(channel.sid, "Hello?")
    assert [(d.attempt, d.status, d.delivered) for d in flex_channels.webhooks] == [
        (1, 500, True),  # Flask answers its own 500
        (2, 500, True),
    ]
    flex_channels.webhooks.clear()
    flex_channels.route_webhooks(BRIDGE, crash)
    _hook(client, flex_channels, channel.sid, url=f"{BRIDGE}/other")
    flex_channels.agent_reply(channel.sid, "Still there?")
    crashed = flex_channels.webhooks.filter(url=f"{BRIDGE}/other")
    assert [(d.status, d.error) for d in crashed] == [
        (500, "the app raised ValueError('no handler')")
    ]
    flex_channels.webhooks.assert_not_delivered("onChannelUpdated")
    with pytest.raises(AssertionError, match="expected no onMessageSent delivered"):
        flex_channels.webhooks.assert_not_delivered("onMessageSent")


def test_a_loopback_url_nothing_listens_on_is_undelivered(
    flex_channels: FlexChannelsMock, client: Client
) -> None:
    with socket.socket() as probe:  # a free port, closed again: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    channel = create(client, flex_channels, "jon")
    _hook(client, flex_channels, channel.sid, url=f"http://localhost:{port}/agent")
    flex_channels.agent_reply(channel.sid, "Anyone?")
    (attempt,) = flex_channels.webhooks
    assert (attempt.status, attempt.delivered) == (None, False)
    assert attempt.error is not None and attempt.error.startswith("no answer: ")
