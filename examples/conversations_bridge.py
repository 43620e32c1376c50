"""The SMS bridge of ``sms_bridge.py``, moved to Flex Conversations (Programmable Chat for Flex
reached its end of life on June 1, 2026).

A customer's first text opens a conversation with the customer in it, a conversation-scoped
webhook to the bridge's endpoint, and an interaction that routes it to an agent. Creating an
interaction is asynchronous: its channel answers ``setup`` until Flex has set it up, so the
bridge polls it and reports a channel that ``failed``. Follow-up texts go into the same
conversation. The agent's replies reach the endpoint (``create_app``) as ``onMessageAdded``,
which relays them by SMS; when the agent ends the chat the conversation closes
(``onConversationStateUpdated``), the bridge forgets it, and the next text opens a new one. It
talks to Twilio only through the official ``twilio`` client.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import requests
from flask import Flask, request
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

CLOSED = 50377  # the conversation is closed: open a new one


class BridgeError(Exception):
    """Twilio refused the request, or never answered it: the caller should alert or retry."""

    def __init__(self, message: str, code: int | None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Conversation:
    phone_number: str
    conversation_sid: str
    interaction_sid: str | None = None
    channel_sid: str | None = None
    task_sid: str | None = None

    @property
    def chat_sid(self) -> str:
        """Where the agent talks to the customer (what the scenario suite replies in)."""
        return self.conversation_sid


class ConversationsBridge:
    def __init__(
        self,
        client: Client,
        workspace_sid: str,
        workflow_sid: str,
        webhook_url: str | None = None,
        *,
        poll_interval: float = 0.5,
        polls: int = 20,
    ) -> None:
        self._client = client
        self._routing = {"workspace_sid": workspace_sid, "workflow_sid": workflow_sid}
        self._webhook_url = webhook_url
        self._poll_interval = poll_interval
        self._polls = polls
        self._open: dict[str, Conversation] = {}

    def on_inbound_sms(
        self, from_number: str, body: str, profile_name: str | None = None
    ) -> Conversation:
        """Post one inbound text in its customer's conversation (opened on the first text, and
        again once the agent closed the last), routed to Flex by an interaction."""
        try:
            try:
                conversation = self._post(from_number, body, profile_name)
            except TwilioRestException as error:
                if error.code != CLOSED:
                    raise
                self._open.pop(from_number, None)  # closed behind the bridge's back
                conversation = self._post(from_number, body, profile_name)
            if conversation.interaction_sid is None:
                conversation = self._route(conversation, profile_name or from_number, body)
        except TwilioRestException as error:
            message = f"could not reach Flex for {from_number}: {error.msg}"
            raise BridgeError(message, error.code) from error
        except requests.RequestException as error:
            raise BridgeError(f"no answer from Twilio for {from_number}: {error}", None) from error
        return conversation

    def _post(self, from_number: str, body: str, name: str | None) -> Conversation:
        conversation = self._open.get(from_number)
        if conversation is None:
            conversation = self._open_conversation(from_number, name or from_number)
        chat = self._client.conversations.v1.conversations(conversation.conversation_sid)
        # Webhooks enabled, so that the conversation's webhooks (and Flex) hear the text.
        chat.messages.create(author=from_number, body=body, x_twilio_webhook_enabled="true")
        return conversation

    def _open_conversation(self, from_number: str, name: str) -> Conversation:
        made = self._client.conversations.v1.conversations.create(friendly_name=f"SMS with {name}")
        chat = self._client.conversations.v1.conversations(made.sid)
        chat.participants.create(identity=from_number)
        if self._webhook_url is not None:
            chat.webhooks.create(
                target="webhook",
                configuration_url=self._webhook_url,
                configuration_method="POST",
                configuration_filters=["onMessageAdded", "onConversationStateUpdated"],
            )
        # Kept before the first message: a retried text lands in this conversation.
        conversation = self._open[from_number] = Conversation(from_number, made.sid)
        return conversation

    def _route(self, conversation: Conversation, name: str, body: str) -> Conversation:
        interaction = self._client.flex_api.v1.interaction.create(
            channel={
                "type": "sms",
                "initiated_by": "customer",
                "properties": {"media_channel_sid": conversation.conversation_sid},
            },
            routing={
                "properties": {
                    **self._routing,
                    "task_channel_unique_name": "sms",
                    "attributes": {
                        "from": conversation.phone_number,
                        "customerName": name,
                        "first_message": body,
                    },
                }
            },
        )
        routed = replace(
            conversation,
            interaction_sid=interaction.sid,
            channel_sid=interaction.channel["sid"],
            task_sid=interaction.routing["properties"]["sid"],
        )
        self._open[conversation.phone_number] = routed
        self._await_setup(routed)
        return routed

    def _await_setup(self, conversation: Conversation) -> None:
        """Poll the interaction's channel until Flex has set it up; a failed one is an error."""
        assert conversation.interaction_sid is not None and conversation.channel_sid is not None
        interaction = self._client.flex_api.v1.interaction(conversation.interaction_sid)
        channel = interaction.channels(conversation.channel_sid)
        for _ in range(self._polls):
            status = channel.fetch()
            if status.status == "failed":
                self._open.pop(conversation.phone_number, None)
                raise BridgeError(
                    f"Flex could not set up the chat of {conversation.phone_number}: "
                    f"{status.error_message}",
                    status.error_code,
                )
            if status.status != "setup":
                return
            time.sleep(self._poll_interval)
        raise BridgeError(f"Flex never set up the chat of {conversation.phone_number}", None)

    def conversation_for(self, from_number: str) -> Conversation | None:
        """The customer's open conversation, if the bridge opened one and it was not closed."""
        return self._open.get(from_number)

    def customer_of(self, conversation_sid: str) -> str | None:
        return next(
            (c.phone_number for c in self._open.values() if c.conversation_sid == conversation_sid),
            None,
        )

    def ended(self, conversation_sid: str) -> None:
        """The conversation closed: forget it (the next text opens a new one)."""
        for number, conversation in list(self._open.items()):
            if conversation.conversation_sid == conversation_sid:
                del self._open[number]


def create_app(
    bridge: ConversationsBridge, auth_token: str, send_sms: Callable[[str, str], None]
) -> Flask:
    """The bridge's endpoint for its conversation webhooks: agents' messages go out by SMS, a
    closed conversation is forgotten; a request without Twilio's valid signature is refused."""
    app = Flask(__name__)
    validator = RequestValidator(auth_token)

    @app.post("/agent")
    def agent() -> tuple[str, int]:
        form: Any = request.form
        if not validator.validate(request.url, form, request.headers.get("X-Twilio-Signature", "")):
            return "invalid signature", 403
        event, conversation_sid = form.get("EventType"), form.get("ConversationSid", "")
        if event == "onMessageAdded":
            customer = bridge.customer_of(conversation_sid)
            if customer is not None and form.get("Author") != customer:
                send_sms(customer, form.get("Body", ""))
        elif event == "onConversationStateUpdated" and form.get("StateTo") == "closed":
            bridge.ended(conversation_sid)
        return "", 204

    return app
