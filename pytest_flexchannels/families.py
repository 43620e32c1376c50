"""The one list of the families of APIs the fake serves, in the order the table of operations
reads them: the only module that names them all. Importing it fills the request path's
registry; adding a family is one line here."""

from __future__ import annotations

from . import chat, conversations, flex, interactions
from .core.registry import REGISTRY, Family

FAMILIES: tuple[Family, ...] = (
    flex.FAMILY,
    chat.FAMILY,
    conversations.FAMILY,
    interactions.FAMILY,
)

for _family in FAMILIES:
    REGISTRY.add_family(_family)

__all__ = ["FAMILIES", "REGISTRY"]
