"""The Flex API family: Channels, Flex Flows and WebChannels, each a module that declares its
operations in the registry, over the shared core (request path, auth, paging, errors, SIDs,
clock, calls, faults)."""

from __future__ import annotations

import importlib

# The family's modules: each registers its operations when imported.
MODULES = ("channels", "flex_flows")


def load() -> None:
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}")
