"""The Flex API family: Channels, Flex Flows and WebChannels, each a module that declares its
operations, over the shared core (request path, auth, paging, errors, SIDs, clock, calls,
faults)."""

from __future__ import annotations

from ..core.registry import Family
from . import channels, flex_flows, web_channels
from .models import FLEX

FAMILY = Family(
    "flex",
    FLEX,
    (*channels.OPERATIONS, *flex_flows.OPERATIONS, *web_channels.OPERATIONS),
)
