"""Conversations v1 (``conversations.twilio.com/v1``), what a Flex Conversations integration
touches: conversations (their state and timers), participants, messages, conversation-scoped
webhooks and address configurations; each under ``/v1/Conversations`` (the account's default
conversation service) and ``/v1/Services/{ChatServiceSid}/Conversations`` (any of its
services)."""

from __future__ import annotations

import importlib
import pkgutil

from ..registry import REGISTRY, Domain

DOMAIN = Domain("conversations", "conversations", "/conversations")
REGISTRY.add_domain(DOMAIN)


def load() -> None:
    """Import every module of the family: each registers its operations when imported."""
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        importlib.import_module(f"{__name__}.{module.name}")
