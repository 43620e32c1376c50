"""Programmable Chat v2 (``chat.twilio.com/v2``): services, channels, members, messages, channel
webhooks and users, in one world with Flex: a Flex channel is a chat channel of its flow's chat
service (the same record, seen through two APIs), with its user and its first member."""

from __future__ import annotations

from ..core.registry import Family
from . import channels, members, messages, services, users, webhooks
from .state import DOMAIN

FAMILY = Family(
    "chat",
    DOMAIN,
    (
        *channels.OPERATIONS,
        *messages.OPERATIONS,
        *members.OPERATIONS,
        *webhooks.OPERATIONS,
        *services.OPERATIONS,
        *users.OPERATIONS,
    ),
)
