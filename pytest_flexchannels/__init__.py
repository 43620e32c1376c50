"""pytest-flexchannels: a faithful, stateful fake of Twilio's Flex messaging APIs (Flex v1
Channels, Flex Flows and WebChannels; Programmable Chat v2), with webhooks into the app.

Names load on first use, so that importing the pytest plugin (which imports this package) costs
next to nothing for suites that never use the fake.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .chat.state import ChatMessage
    from .core.calls import Call, CallLog
    from .core.clock import Clock
    from .core.errors import FlexApiError, TwilioHostNotFakedError, UnknownSidError
    from .core.faults import Fault
    from .core.webhooks import Delivery, WebhookLog, WebhookRequest
    from .core.world import Account, ApiKey
    from .flex.models import Channel, FlexFlow
    from .mock import FlexChannelsMock
    from .options import FlexChannelsOptions
    from .remote import RemoteFake, RemoteFakeError
    from .transports.server import FlexServer
    from .transports.wsgi import FlexWsgiApp

__all__ = [
    "Account",
    "ApiKey",
    "Call",
    "CallLog",
    "Channel",
    "ChatMessage",
    "Clock",
    "Delivery",
    "Fault",
    "FlexApiError",
    "FlexChannelsMock",
    "FlexChannelsOptions",
    "FlexFlow",
    "FlexServer",
    "FlexWsgiApp",
    "RemoteFake",
    "RemoteFakeError",
    "TwilioHostNotFakedError",
    "UnknownSidError",
    "WebhookLog",
    "WebhookRequest",
]

_HOMES = {
    "Account": "core.world",
    "ApiKey": "core.world",
    "Call": "core.calls",
    "CallLog": "core.calls",
    "Channel": "flex.models",
    "ChatMessage": "chat.state",
    "Clock": "core.clock",
    "Delivery": "core.webhooks",
    "Fault": "core.faults",
    "FlexApiError": "core.errors",
    "FlexChannelsMock": "mock",
    "FlexChannelsOptions": "options",
    "FlexFlow": "flex.models",
    "FlexServer": "transports.server",
    "FlexWsgiApp": "transports.wsgi",
    "RemoteFake": "remote",
    "RemoteFakeError": "remote",
    "TwilioHostNotFakedError": "core.errors",
    "UnknownSidError": "core.errors",
    "WebhookLog": "core.webhooks",
    "WebhookRequest": "core.webhooks",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
