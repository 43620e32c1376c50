"""An example consumer app: bridge inbound SMS into Flex chat channels.

A customer's first text opens a Flex chat channel for their number; follow-up texts reuse it;
an agent closing the conversation deletes it. The app talks to Flex only through the official
``twilio`` client, so its tests (``test_sms_bridge.py``) run unchanged against the fake.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from twilio.base.exceptions import TwilioException, TwilioRestException
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


class SmsBridge:
    def __init__(self, client: Client, flex_flow_sid: str) -> None:
        self._client = client
        self._flow = flex_flow_sid
        self._open: dict[str, Conversation] = {}

    def on_inbound_sms(
        self, from_number: str, body: str, profile_name: str | None = None
    ) -> Conversation:
        """Route one inbound text to its customer's channel.

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
        except TwilioRestException as error:
            message = f"could not open a Flex channel for {from_number}: {error.msg}"
            raise BridgeError(message, error.code) from error
        conversation = Conversation(from_number, channel.sid, channel.task_sid)
        self._open[from_number] = conversation
        return conversation

    def conversation_for(self, from_number: str) -> Conversation | None:
        """The customer's latest conversation, if the bridge opened one and has not closed it."""
        return self._open.get(from_number)

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
