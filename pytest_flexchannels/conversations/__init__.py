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


# The resources in reading order, so that the table of operations reads as the API does
# whichever module another family imports first.
READING_ORDER = ("conversations", "participants", "messages", "webhooks", "addresses")


def load() -> None:
    """Import every module of the family: each registers its operations when imported."""
    for name in READING_ORDER:
        importlib.import_module(f"{__name__}.{name}")
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        importlib.import_module(f"{__name__}.{module.name}")


# Every module registered as soon as the family is imported, whichever module is asked for first:
# the order of its operations does not depend on what another family imports.
load()
