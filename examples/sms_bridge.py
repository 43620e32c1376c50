"""An example consumer app: bridge SMS into Flex chat and agents' replies back out.

A customer's first text opens a Flex chat channel for their number; follow-up texts reuse it.
Each text is posted into the channel's Programmable Chat conversation, where the agent reads it.
The bridge registers a channel webhook so that the agent's replies reach its web endpoint
(``create_app``), which checks Twilio's signature and relays each reply to the customer by SMS.
When the agent ends the chat, Flex marks the channel INACTIVE: the bridge forgets it, and the
customer's next text opens a new one. The app talks to Twilio only through the official
``twilio`` client, so its tests (``test_sms_bridge.py``) run unchanged against the fake.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from flask import Flask, request
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

NOT_FOUND = 20404


class BridgeError(Exception):
    """Flex refused the request: the caller should alert, not retry."""

    def __init__(self, message: str, code: int | None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Conversation:
    phone_number: str
    channel_sid: str
    task_sid: str | None

    @property
    def chat_sid(self) -> str:
        """Where the agent talks to the customer (what the scenario suite replies in)."""
        return self.channel_sid


class SmsBridge:
    def __init__(self, client: Client, flex_flow_sid: str, webhook_url: str | None = None) -> None:
        self._client = client
        self._flow = flex_flow_sid
        self._webhook_url = webhook_url  # where agents' replies reach create_app's endpoint
        self._service_sid: str | None = None
        self._open: dict[str, Conversation] = {}

    def _chat(self, channel_sid: str) -> Any:
        if self._service_sid is None:
            flow = self._client.flex_api.v1.flex_flow(self._flow).fetch()
            self._service_sid = flow.chat_service_sid
        return self._client.chat.v2.services(self._service_sid).channels(channel_sid)

    def on_inbound_sms(
        self, from_number: str, body: str, profile_name: str | None = None
    ) -> Conversation:
        """Route one inbound text to its customer's channel, and post it in the chat.

        Always asks Flex: its create returns the customer's active channel if there is one (so
        follow-ups land in the same chat) and opens a new one once an agent has ended the last.
        A locally cached SID would keep routing to a chat the agent already closed.
        """
        name = profile_name or from_number
        try:
            channel = self._client.flex_api.v1.channel.create(
                flex_flow_sid=self._flow,
                identity=from_number,
                chat_user_friendly_name=name,
                chat_friendly_name=f"SMS with {name}",
                target=from_number,
                pre_engagement_data=json.dumps({"friendly_name": name}),
                task_attributes=json.dumps(
                    {"channel": "sms", "from": from_number, "first_message": body}
                ),
            )
            known = self._open.get(from_number)
            chat = self._chat(channel.sid)
            if self._webhook_url is not None and (
                known is None or known.channel_sid != channel.sid
            ):
                chat.webhooks.create(
                    type="webhook",
                    configuration_url=self._webhook_url,
                    configuration_filters=["onMessageSent", "onChannelUpdated"],
                    configuration_retry_count=1,
                )
            # Kept before the text is posted: a retried text finds its webhook registered.
            conversation = Conversation(from_number, channel.sid, channel.task_sid)
            self._open[from_number] = conversation
            # Webhooks enabled, as Flex's guides ask, so that Flex's own flow hears the text.
            chat.messages.create(from_=from_number, body=body, x_twilio_webhook_enabled="true")
        except TwilioRestException as error:
            message = f"could not open a Flex channel for {from_number}: {error.msg}"
            raise BridgeError(message, error.code) from error
        except requests.RequestException as error:
            raise BridgeError(f"no answer from Twilio for {from_number}: {error}", None) from error
        return conversation

    def conversation_for(self, from_number: str) -> Conversation | None:
        """The customer's latest conversation, if the bridge opened one and has not closed it."""
        return self._open.get(from_number)

    def customer_of(self, channel_sid: str) -> str | None:
        """The number whose open conversation is this channel."""
        return next(
            (c.phone_number for c in self._open.values() if c.channel_sid == channel_sid), None
        )

    def ended(self, channel_sid: str) -> None:
        """The agent ended the chat: forget it (the next text opens a new channel)."""
        for number, conversation in list(self._open.items()):
            if conversation.channel_sid == channel_sid:
                del self._open[number]

    def close(self, from_number: str) -> bool:
        """The agent ended the conversation. False if there was nothing left to close."""
        conversation = self._open.pop(from_number, None)
        if conversation is None:
            return False
        try:
            return self._client.flex_api.v1.channel(conversation.channel_sid).delete()
        except TwilioRestException as error:
            if error.code == NOT_FOUND:
                return False
            raise

    def open_channel_sids(self) -> list[str]:
        """Every channel Flex holds for this account, across all pages."""
        try:
            return [
                channel.sid for channel in self._client.flex_api.v1.channel.stream(page_size=50)
            ]
        except TwilioException as error:
            raise BridgeError(f"could not list Flex channels: {error}", None) from error


def create_app(bridge: SmsBridge, auth_token: str, send_sms: Callable[[str, str], None]) -> Flask:
    """The bridge's web endpoint for its channel webhooks: agents' replies go out by SMS
    (``send_sms(to, body)``), an ended chat is forgotten; a request without Twilio's valid
    signature is refused."""
    app = Flask(__name__)
    validator = RequestValidator(auth_token)

    @app.post("/agent")
    def agent() -> tuple[str, int]:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not validator.validate(request.url, request.form, signature):
            return "invalid signature", 403
        event, channel_sid = request.form.get("EventType"), request.form.get("ChannelSid", "")
        if event == "onMessageSent" and request.form.get("Source") == "SDK":
            customer = bridge.customer_of(channel_sid)
            if customer is not None and request.form.get("From") != customer:
                send_sms(customer, request.form.get("Body", ""))
        elif event == "onChannelUpdated":
            status = json.loads(request.form.get("Attributes") or "{}").get("status")
            if status == "INACTIVE":
                bridge.ended(channel_sid)
        return "", 204

    return app
