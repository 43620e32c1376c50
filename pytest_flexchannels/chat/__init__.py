"""Programmable Chat v2 (``chat.twilio.com/v2``): services, channels, members, messages, channel
webhooks and users, in one world with Flex: a Flex channel is a chat channel of its flow's chat
service (the same record, seen through two APIs), with its user and its first member."""

from __future__ import annotations

import importlib
import pkgutil

from ..registry import REGISTRY, Domain

DOMAIN = Domain("chat", "chat", "/chat")
REGISTRY.add_domain(DOMAIN)


def load() -> None:
    """Import every module of the family: each registers its operations when imported."""
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        importlib.import_module(f"{__name__}.{module.name}")


# Every module registered as soon as the family is imported, whichever module is asked for first:
# the order of its operations does not depend on what another family imports.
load()
