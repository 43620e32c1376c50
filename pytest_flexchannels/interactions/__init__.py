"""Flex Conversations: Interactions (with their channels, participants, invites and
transfers) and v2 WebChats, served on Flex's host and built over Conversations (and, to come,
TaskRouter): an interaction's channel is a conversation, its agent a participant."""

from __future__ import annotations

from ..core.registry import Family, Hooks
from ..flex.models import FLEX
from . import interactions, parts, web_chats

FAMILY = Family(
    "interactions",
    FLEX,
    (*interactions.OPERATIONS, *parts.OPERATIONS, *web_chats.OPERATIONS),
    Hooks(configure=interactions.configure, orphans=interactions.orphans),
)
