"""Shared fixtures: the real twilio client, a raw requests session, and OpenAPI validation.

Every body the fake answers in any test that uses ``flex_channels`` is checked against the
official OpenAPI description in ``../shared/reference`` (skipped when that folder is absent).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from hypothesis import HealthCheck, settings
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock
from tests.helpers import INNER_INI, SPEC_PATH, VALIDATORS, Validate, validate_body

# The project's own runs default to `quick` (20 cases a property) to stay well under a minute and
# a half; CI runs everything again with `--hypothesis-profile=full` (Hypothesis' own 100) and the
# model-based test with `thorough` (thousands of sequences). Examples keep Hypothesis' default
# when they run alone, as users' suites would.
# No profile has Hypothesis' per-example deadline, nor its "too slow" health check: on a shared
# machine they fail a property for the machine's load, not the fake's behaviour (timings are the
# benchmarks' to judge, as ratios).
_PATIENT = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("quick", _PATIENT, max_examples=20)
settings.register_profile("full", _PATIENT, max_examples=100)
settings.register_profile("thorough", _PATIENT, max_examples=2500)


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile("quick")


@pytest.fixture
def pytester(pytester: pytest.Pytester) -> pytest.Pytester:
    """Inner runs get an ini like this project's own, so installed plugins start quietly."""
    pytester.makeini(INNER_INI)
    return pytester


@pytest.fixture(scope="session")
def openapi() -> Validate:
    """``validate_body``, for tests that are only about the official description."""
    if VALIDATORS is None:
        pytest.skip(f"the official OpenAPI description is not at {SPEC_PATH}")
    return validate_body


@pytest.fixture
def flex_channels(flex_channels: FlexChannelsMock) -> Iterator[FlexChannelsMock]:
    """The plugin's fixture, then every body it answered checked against the description."""
    yield flex_channels
    for call in flex_channels.calls:
        if call.status_code is None:  # an injected transport error: nothing was answered
            assert call.response_json is None and call.fault is not None
        elif call.status_code == 204:
            assert call.response_json is None
        elif call.error_code is not None:
            validate_body("error", call.response_json)
        else:
            assert call.operation is not None
            validate_body(call.operation, call.response_json)


@pytest.fixture
def client(flex_channels: FlexChannelsMock) -> Client:
    return Client(flex_channels.account_sid, flex_channels.auth_token)


@pytest.fixture
def http(flex_channels: FlexChannelsMock) -> Iterator[requests.Session]:
    """A plain requests session with the default account's credentials, for exact wire checks."""
    with requests.Session() as session:
        session.auth = (flex_channels.account_sid, flex_channels.auth_token)
        yield session
