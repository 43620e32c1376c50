"""Conversations v1 (``conversations.twilio.com/v1``), what a Flex Conversations integration
touches: conversations (their state and timers), participants, messages, conversation-scoped
webhooks and address configurations; each under ``/v1/Conversations`` (the account's default
conversation service) and ``/v1/Services/{ChatServiceSid}/Conversations`` (any of its
services)."""

from __future__ import annotations

from ..core.registry import Family
from . import addresses, conversations, messages, participants, webhooks
from .state import DOMAIN

FAMILY = Family(
    "conversations",
    DOMAIN,
    (
        *conversations.OPERATIONS,
        *participants.OPERATIONS,
        *messages.OPERATIONS,
        *webhooks.OPERATIONS,
        *addresses.OPERATIONS,
    ),
)
