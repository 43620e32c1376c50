"""pytest wiring: the ``flex_channels`` fixture, its marker and ini defaults.

Imports only pytest and the standard library; the fake loads when a test first uses the fixture.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .mock import FlexChannelsMock
    from .options import FlexChannelsOptions
    from .transports.server import FlexServer

MARKER = "flex_channels"
MARKER_SIGNATURE = (
    "flex_channels(*, seed=None, account_sid=None, auth_token=None, flex_flow_sid=None, "
    "integration_type='task', channel_type='web', long_lived=False, now=None, "
    "allow_unmatched=False, max_calls=None, max_webhooks=None, check_orphans=False, "
    "interaction_setup_fetches=1, interaction_setup_seconds=None): options of the flex_channels "
    "fixture for this test; the closest marker wins, and options it leaves out come from the "
    "flex_channels_* ini options."
)


def _flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"expected true or false, got {text!r}")
    return lowered in ("true", "1", "yes")


# ini option -> (FlexChannelsOptions field, help, conversion of the ini text)
_INI: dict[str, tuple[str, str, Callable[[str], Any]]] = {
    "flex_channels_seed": (
        "seed",
        "the run's seed: each test's fake is seeded from it and the test's id (random if unset)",
        int,
    ),
    "flex_channels_integration_type": (
        "integration_type",
        "integration type of the default Flex Flow: studio, external or task (default task)",
        str,
    ),
    "flex_channels_channel_type": (
        "channel_type",
        "channel type of the default Flex Flow: web, sms, whatsapp, ... (default web)",
        str,
    ),
    "flex_channels_long_lived": (
        "long_lived",
        "whether the default Flex Flow is long-lived (default false)",
        _flag,
    ),
    "flex_channels_allow_unmatched": (
        "allow_unmatched",
        "accept requests to Flex paths the fake does not know instead of failing the test",
        _flag,
    ),
    "flex_channels_check_orphans": (
        "check_orphans",
        "fail a test that leaves a conversation or an interaction channel open (default false)",
        _flag,
    ),
    "flex_channels_aiohttp": (
        "aiohttp",
        "deprecated, does nothing: the async client is always answered",
        _flag,
    ),
}
_ENV = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")


def pytest_addoption(parser: pytest.Parser) -> None:
    for name, (_, help_text, _convert) in _INI.items():
        parser.addini(name, help_text, type="string", default="")


_INI_VALUES = pytest.StashKey[dict[str, Any]]()
_RUN_SEED = pytest.StashKey[int]()
_WORKER_KEY = "flex_channels_seed"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_SIGNATURE)
    # Read the ini options once, so that a malformed one stops the run before any test.
    values: dict[str, Any] = {}
    for name, (field, _, convert) in _INI.items():
        text = config.getini(name)
        if text:
            try:
                values[field] = convert(text)
            except ValueError as error:
                raise pytest.UsageError(f"ini option {name}: {error}") from None
    if values.pop("aiohttp", None) is not None:
        from .options import AIOHTTP_DEPRECATED

        config.issue_config_time_warning(DeprecationWarning(AIOHTTP_DEPRECATED), stacklevel=2)
    run_seed = values.pop("seed", None)
    worker_input = getattr(config, "workerinput", None)
    if worker_input is not None and _WORKER_KEY in worker_input:
        run_seed = worker_input[_WORKER_KEY]  # an xdist worker uses the controller's seed
    if run_seed is None:
        run_seed = int.from_bytes(os.urandom(4), "big")
    config.stash[_RUN_SEED] = run_seed
    config.stash[_INI_VALUES] = values


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: hand the run's seed to each worker, so the header's seed reproduces."""
    node.workerinput[_WORKER_KEY] = node.config.stash[_RUN_SEED]


def pytest_report_header(config: pytest.Config) -> str:
    seed = config.stash[_RUN_SEED]
    return f"flex-channels: seed {seed} (reproduce with -o flex_channels_seed={seed})"


def _option_values(request: pytest.FixtureRequest) -> dict[str, Any]:
    from_ini: dict[str, Any] = request.config.stash[_INI_VALUES]
    values = dict(from_ini)
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        if marker.args:
            pytest.fail(f"@pytest.mark.{MARKER} takes keyword arguments only", pytrace=False)
        values.update(marker.kwargs)
    return values


@pytest.fixture
def flex_channels_seed(request: pytest.FixtureRequest) -> int:
    """This test's seed: from the run's seed and the test's id, so a test gets the same SIDs and
    values whatever runs before it. Override this fixture to pin a seed."""
    import hashlib  # here, not at import: loading OpenSSL would cost every pytest start ~3 ms

    key = f"{request.config.stash[_RUN_SEED]}:{request.node.nodeid}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big")


@contextmanager
def running(options: FlexChannelsOptions) -> Iterator[FlexChannelsMock]:
    """What the fixture does around a test: a started fake whose default account the
    ``TWILIO_*`` variables name (set only where unset, restored after), stopped at the end."""
    from .mock import FlexChannelsMock

    fake = FlexChannelsMock(options)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in zip(_ENV, (fake.account_sid, fake.auth_token), strict=True):
            if not os.environ.get(name):
                patch.setenv(name, value)
        fake.start()
        try:
            yield fake
        finally:
            fake.stop()


@pytest.fixture
def flex_channels(
    request: pytest.FixtureRequest, flex_channels_seed: int
) -> Iterator[FlexChannelsMock]:
    """A started fake of Flex API v1 Channels with fresh state, stopped after the test.

    While the test runs, ``TWILIO_ACCOUNT_SID`` and ``TWILIO_AUTH_TOKEN`` name the fake's default
    account (when they were set, the fake took its account from them), so ``Client()`` works.
    At teardown the test fails if a Twilio host was refused or a Flex request matched nothing.
    """
    from .options import FlexChannelsOptions

    try:
        options = FlexChannelsOptions(**{"seed": flex_channels_seed, **_option_values(request)})
    except (TypeError, ValueError) as error:
        pytest.fail(f"flex_channels options: {error}", pytrace=False)
    with running(options) as fake:
        yield fake
    problems = fake.problems()
    if problems is not None:
        pytest.fail(problems, pytrace=False)


@pytest.fixture
def flex_channels_server(flex_channels: FlexChannelsMock) -> Iterator[FlexServer]:
    """The ``flex_channels`` fake also served over HTTP on loopback: the same store, calls and
    faults, for subprocesses and clients in other languages. ``.url`` is its base URL."""
    from .transports.server import FlexServer

    with FlexServer(flex_channels) as server:
        yield server
