"""Conversations' records: immutable ones for what the API shows, and one account's state that
holds them. The bottom of the family: its webhook events and its rules (``state``) read them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple


class Conversation(NamedTuple):
    sid: str
    account_sid: str
    chat_service_sid: str
    messaging_service_sid: str
    friendly_name: str | None
    unique_name: str | None
    attributes: str
    state: str
    date_created: datetime
    date_updated: datetime
    seq: int
    # The timers as set (durations), and when they fire (None: not set, or fired).
    timer_inactive: timedelta | None = None
    timer_closed: timedelta | None = None
    date_inactive: datetime | None = None
    date_closed: datetime | None = None
    email: tuple[str, str | None] | None = None  # Bindings.Email: address, name


class Binding(NamedTuple):
    """A participant's messaging binding: an SMS or WhatsApp number (``address``) reached from
    the ``proxy_address``; or, for a chat participant of a group, the ``projected_address``."""

    type: str
    address: str | None
    proxy_address: str | None
    projected_address: str | None


class Participant(NamedTuple):
    sid: str
    account_sid: str
    chat_service_sid: str
    conversation_sid: str
    identity: str | None
    attributes: str
    binding: Binding | None
    role_sid: str
    date_created: datetime
    date_updated: datetime
    last_read_message_index: int | None
    last_read_timestamp: str | None
    seq: int


class ConversationMessage(NamedTuple):
    """A message of a conversation, an immutable record (what ``fc.agent_reply`` gives for a
    conversation)."""

    sid: str
    account_sid: str
    chat_service_sid: str
    conversation_sid: str
    position: int  # the API's ``index``: 0, 1, ... in the conversation
    author: str
    body: str | None
    attributes: str
    participant_sid: str | None
    date_created: datetime
    date_updated: datetime
    media_sid: str | None = None
    content_sid: str | None = None


class ConversationWebhook(NamedTuple):
    sid: str
    account_sid: str
    chat_service_sid: str
    conversation_sid: str
    target: str
    url: str | None
    method: str | None
    filters: tuple[str, ...]
    triggers: tuple[str, ...]
    flow_sid: str | None
    replay_after: int | None
    date_created: datetime
    date_updated: datetime
    seq: int


class AddressConfiguration(NamedTuple):
    sid: str
    account_sid: str
    type: str
    address: str
    friendly_name: str | None
    auto_creation: dict[str, Any]  # as rendered; replaced, never changed in place
    address_country: str | None
    date_created: datetime
    date_updated: datetime
    seq: int


class ConversationsState:
    """One account's conversations, in every service (each record names its own)."""

    def __init__(self) -> None:
        self.conversations: dict[str, Conversation] = {}  # by SID, in creation order
        self.participants: dict[str, dict[str, Participant]] = {}  # by conversation SID
        self.messages: dict[str, dict[str, ConversationMessage]] = {}  # by conversation, index
        self.next_index: dict[str, int] = {}
        self.webhooks: dict[str, dict[str, ConversationWebhook]] = {}
        self.addresses: dict[str, AddressConfiguration] = {}
        self.timed: set[str] = set()  # conversations with a timer yet to fire

    def forget(self, conversation_sid: str) -> None:
        """Drop a deleted conversation and everything under it."""
        del self.conversations[conversation_sid]
        for kept in (self.participants, self.messages, self.next_index, self.webhooks):
            kept.pop(conversation_sid, None)
        self.timed.discard(conversation_sid)
