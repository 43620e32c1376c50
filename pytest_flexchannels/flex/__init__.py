"""The Flex API family: Channels, Flex Flows and WebChannels, each a module that declares its
operations in the registry, over the shared core (request path, auth, paging, errors, SIDs,
clock, calls, faults)."""

from __future__ import annotations

import importlib
import pkgutil


def load() -> None:
    """Import every module of the family: each registers its operations when imported, so a
    new resource is one new module."""
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        importlib.import_module(f"{__name__}.{module.name}")


# Every module registered as soon as the family is imported, whichever module is asked for first:
# the order of its operations does not depend on what another family imports.
load()
