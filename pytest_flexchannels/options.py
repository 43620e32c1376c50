"""Typed options of a ``FlexChannelsMock``: marker keyword arguments and ini defaults land here."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import datetime

from .core.faults import shown
from .flex.models import ChannelType, IntegrationType, check_flow_types

# Bounds of the interaction lifecycle's options: as many reads as a fault's ``times`` (a count,
# never a list), and as long as the longest conversation timer.
MAX_SETUP_FETCHES = 1_000_000
MAX_SETUP_SECONDS = 36500 * 86400

AIOHTTP_DEPRECATED = (
    "the aiohttp option of pytest-flexchannels is deprecated and does nothing: the async client "
    "is always answered"
)


@dataclass(frozen=True, kw_only=True)
class FlexChannelsOptions:
    """How a fake starts.

    seed: makes every generated SID, token and default value reproducible (random when None).
    account_sid, auth_token: the default account's credentials (else ``TWILIO_ACCOUNT_SID`` and
        ``TWILIO_AUTH_TOKEN`` from the environment, else generated).
    flex_flow_sid: the default Flex Flow's SID (generated when None).
    integration_type, channel_type, long_lived: the default Flex Flow.
    now: freeze the clock at this instant (a datetime or ISO 8601 text) instead of real time.
    allow_unmatched: accept requests to Flex paths the fake does not know (still answered 404)
        instead of failing the test at teardown.
    max_calls: keep only the latest this many recorded calls (a long-running server); all when
        None.
    max_webhooks: keep only the latest this many webhook delivery attempts in ``fc.webhooks``;
        all when None.
    aiohttp: deprecated and ignored: aiohttp is always answered once it is imported.
    check_orphans: fail the test at teardown naming every conversation and interaction channel
        it left open (the leak Twilio warns about), as ``verify()`` does for refused requests.
    interaction_setup_fetches, interaction_setup_seconds: an interaction's channel answers
        ``setup`` to this many fetches (of it, or of its interaction's channels), and until this
        many seconds passed on the fake's clock (when set), before it is ``active``.
    """

    seed: int | None = None
    account_sid: str | None = None
    auth_token: str | None = None
    flex_flow_sid: str | None = None
    integration_type: IntegrationType = "task"
    channel_type: ChannelType = "web"
    long_lived: bool = False
    now: datetime | str | None = None
    allow_unmatched: bool = False
    max_calls: int | None = None
    max_webhooks: int | None = None
    aiohttp: bool | None = None
    check_orphans: bool = False
    interaction_setup_fetches: int = 1
    interaction_setup_seconds: float | None = None

    def __post_init__(self) -> None:
        if self.aiohttp is not None:
            warnings.warn(AIOHTTP_DEPRECATED, DeprecationWarning, stacklevel=3)
        check_flow_types(self.integration_type, self.channel_type)
        fetches = self.interaction_setup_fetches
        if (
            isinstance(fetches, bool)
            or not isinstance(fetches, int)
            or not 0 <= fetches <= MAX_SETUP_FETCHES
        ):
            raise ValueError(
                f"interaction_setup_fetches must be an integer from 0 to {MAX_SETUP_FETCHES:,}, "
                f"got {shown(fetches)}"
            )
        seconds = self.interaction_setup_seconds
        if seconds is not None and (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not 0 <= seconds <= MAX_SETUP_SECONDS  # NaN too: it compares False
        ):
            raise ValueError(
                f"interaction_setup_seconds must be a number of seconds from 0 to "
                f"{MAX_SETUP_SECONDS:,} (100 years), got {shown(seconds)}"
            )
        if self.seed is not None and (
            isinstance(self.seed, bool) or not isinstance(self.seed, int)
        ):
            raise ValueError(f"seed must be an integer, got {self.seed!r}")
