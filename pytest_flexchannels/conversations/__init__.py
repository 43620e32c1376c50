"""Conversations v1 (``conversations.twilio.com/v1``), what a Flex Conversations integration
touches: conversations (their state and timers), participants, messages, conversation-scoped
webhooks and address configurations; each under ``/v1/Conversations`` (the account's default
conversation service) and ``/v1/Services/{ChatServiceSid}/Conversations`` (any of its
services)."""

from __future__ import annotations

from ..core.registry import Family, Hooks
from . import addresses, conversations, messages, participants, state, webhooks
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
    Hooks(due=state.due, orphans=state.orphans),
)
