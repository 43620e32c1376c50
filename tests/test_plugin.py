"""The pytest plugin as users run it: through pytester, and a light entry point."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import INNER_INI

USES_FIXTURE = """
import requests
from twilio.rest import Client

URL = "https://flex-api.twilio.com/v1/Channels"

def open_channel(fc, identity):
    client = Client(fc.account_sid, fc.auth_token)
    return client.flex_api.v1.channel.create(
        flex_flow_sid=fc.flex_flow_sid, identity=identity,
        chat_user_friendly_name="Ada", chat_friendly_name="Chat")

def test_first(flex_channels):
    open_channel(flex_channels, "alice")
    assert len(flex_channels.channels) == 1
    flex_channels.calls.assert_called_once_with("create_channel", Identity="alice")

def test_second_starts_fresh(flex_channels):
    assert flex_channels.channels == []
    assert len(flex_channels.calls) == 0
    open_channel(flex_channels, "alice")
    assert len(flex_channels.channels) == 1
"""


def test_fixture_gives_fresh_state_every_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(USES_FIXTURE)
    result = pytester.runpytest("--strict-markers")
    result.assert_outcomes(passed=2)


def test_fake_stops_after_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import requests, responses
        from requests.adapters import HTTPAdapter

        ORIGINAL = HTTPAdapter.get_connection_with_tls_context
        URL = "https://flex-api.twilio.com/v1/Channels"

        def test_uses_the_fake(flex_channels):
            assert HTTPAdapter.get_connection_with_tls_context is not ORIGINAL
            assert requests.get(URL, auth=("AC" + "0" * 32, "x")).status_code == 401

        def test_after_it(flex_channels=None):
            assert HTTPAdapter.get_connection_with_tls_context is ORIGINAL
            with responses.RequestsMock() as mock:
                mock.add(responses.GET, URL, json={"stub": True})
                assert requests.get(URL).json() == {"stub": True}
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_marker_options_and_closest_marker_wins(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.flex_channels(seed=5, integration_type="studio", channel_type="sms")
        class TestFlows:
            def test_class_marker(self, flex_channels):
                assert flex_channels.seed == 5
                assert flex_channels.flex_flow.integration_type == "studio"

            @pytest.mark.flex_channels(integration_type="external", now="2026-01-02T03:04:05Z")
            def test_closest_wins(self, flex_channels):
                flow = flex_channels.flex_flow
                assert flow.integration_type == "external"
                assert flow.channel_type == "web"  # the class marker is not merged in
                assert flex_channels.clock.now().isoformat() == "2026-01-02T03:04:05+00:00"

        @pytest.mark.flex_channels(account_sid="AC" + "a" * 32, auth_token="tok", long_lived=True)
        def test_credentials(flex_channels):
            assert (flex_channels.account_sid, flex_channels.auth_token) == ("AC" + "a" * 32, "tok")
            assert flex_channels.flex_flow.long_lived is True
        """
    )
    pytester.runpytest("--strict-markers").assert_outcomes(passed=3)


def test_ini_defaults_and_marker_overrides(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        INNER_INI
        + "flex_channels_seed = 1234\n"
        + "flex_channels_integration_type = external\n"
        + "flex_channels_channel_type = whatsapp\n"
        + "flex_channels_long_lived = true\n"
    )
    pytester.makepyfile(
        """
        import pytest

        def test_from_ini(flex_channels):
            flow = flex_channels.flex_flow
            assert (flow.integration_type, flow.channel_type, flow.long_lived) == (
                "external", "whatsapp", True)

        @pytest.mark.flex_channels(integration_type="task")
        def test_marker_over_ini(flex_channels):
            flow = flex_channels.flex_flow
            assert (flow.integration_type, flow.channel_type) == ("task", "whatsapp")
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["flex-channels: seed 1234 (reproduce with -o flex_channels_seed=1234)"]
    )


SEEDS = """
import pytest

def test_one(flex_channels, flex_channels_seed):
    assert flex_channels.seed == flex_channels_seed
    channel = flex_channels.create_channel()
    print("SEED one", flex_channels.seed, flex_channels.account_sid, channel.sid)

def test_two(flex_channels):
    print("SEED two", flex_channels.seed, flex_channels.account_sid)

@pytest.mark.flex_channels(seed=99)
def test_marker(flex_channels):
    print("SEED marker", flex_channels.seed)
"""


def _seeds(result: pytest.RunResult) -> dict[str, str]:
    found = {}
    for line in result.stdout.lines:
        if "SEED " in line:
            _, name, rest = line[line.index("SEED ") :].split(" ", 2)
            found[name] = rest
    return found


def test_each_test_is_seeded_from_the_run_seed_and_its_id(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SEEDS)
    first = _seeds(pytester.runpytest("-s", "-o", "flex_channels_seed=7"))
    again = _seeds(pytester.runpytest("-s", "-o", "flex_channels_seed=7", "-p", "no:cacheprovider"))
    other = _seeds(pytester.runpytest("-s", "-o", "flex_channels_seed=8"))
    assert first == again and len(first) == 3
    assert first["one"].split()[0] != first["two"].split()[0]  # per test, not one for all
    assert other["one"] != first["one"]
    assert first["marker"] == other["marker"] == "99"  # the marker's seed wins


def test_random_run_seed_is_shown_and_reproduces(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SEEDS)
    result = pytester.runpytest("-s")
    header = next(line for line in result.stdout.lines if line.startswith("flex-channels: seed"))
    seed = header.split()[2]
    assert header == f"flex-channels: seed {seed} (reproduce with -o flex_channels_seed={seed})"
    assert _seeds(pytester.runpytest("-s", "-o", f"flex_channels_seed={seed}")) == _seeds(result)


def test_seed_fixture_can_be_overridden(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def flex_channels_seed():
            return 5
        """
    )
    pytester.makepyfile(
        """
        from pytest_flexchannels import FlexChannelsMock

        def test_pinned(flex_channels):
            assert flex_channels.seed == 5
            assert flex_channels.account_sid == FlexChannelsMock(seed=5).account_sid
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_xdist_workers_use_the_run_seed(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(SEEDS)
    alone = _seeds(pytester.runpytest_subprocess("-s", "-o", "flex_channels_seed=11"))
    parallel = pytester.runpytest_subprocess("-n", "2", "-rP", "-o", "flex_channels_seed=11")
    parallel.assert_outcomes(passed=3)
    assert _seeds(parallel) == alone


def test_bad_marker_use_fails_the_test_with_a_message(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.flex_channels(colour="blue")
        def test_unknown_option(flex_channels):
            pass

        @pytest.mark.flex_channels("task")
        def test_positional(flex_channels):
            pass

        @pytest.mark.flex_channels(integration_type="queue")
        def test_bad_value(flex_channels):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=3)
    for line in (  # in any order: the tests may run shuffled
        "*flex_channels options: *unexpected keyword argument 'colour'",
        "*@pytest.mark.flex_channels takes keyword arguments only",
        "*flex_channels options: integration_type must be one of *, got 'queue'",
    ):
        result.stdout.fnmatch_lines([line])


def test_bad_ini_value_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini(f"{INNER_INI}flex_channels_seed = lots\n")
    pytester.makepyfile("def test_it(flex_channels):\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ini option flex_channels_seed: invalid literal for int()*"])


def test_marker_and_ini_options_are_documented(pytester: pytest.Pytester) -> None:
    markers = pytester.runpytest("--markers")
    markers.stdout.fnmatch_lines(
        ["@pytest.mark.flex_channels(*, seed=None, account_sid=None, auth_token=None, *"]
    )
    help_text = pytester.runpytest("--help")
    help_text.stdout.fnmatch_lines(
        [
            "*flex_channels_seed*",
            "*flex_channels_integration_type*",
            "*flex_channels_channel_type*",
            "*flex_channels_long_lived*",
        ]
    )


def test_entry_point_is_registered(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_plugin(pytestconfig):
            assert pytestconfig.pluginmanager.has_plugin("flex_channels")
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_importing_the_entry_point_stays_light() -> None:
    code = (
        "import sys, json, pytest_flexchannels.plugin;"
        "heavy = ['responses', 'requests', 'hypothesis', 'faker', 'twilio', 'urllib3'];"
        "own = sorted(m for m in sys.modules if m.startswith('pytest_flexchannels'));"
        "print(json.dumps([[m for m in heavy if m in sys.modules], own]))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    heavy, own = json.loads(output)
    assert heavy == []
    assert own == ["pytest_flexchannels", "pytest_flexchannels.plugin"]


def test_public_names_match_all() -> None:
    import pytest_flexchannels

    exported = {name for name in dir(pytest_flexchannels) if not name.startswith("_")}
    assert exported == set(pytest_flexchannels.__all__)
    for name in pytest_flexchannels.__all__:
        assert getattr(pytest_flexchannels, name).__name__ == name
    with pytest.raises(AttributeError):
        pytest_flexchannels.Nothing  # noqa: B018


def test_the_aiohttp_marker_and_ini_options_are_deprecated_no_ops(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(INNER_INI + "flex_channels_aiohttp = true\n")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.flex_channels(aiohttp=True)
        def test_marked(flex_channels):
            pass
        """
    )
    result = pytester.runpytest("-W", "default::DeprecationWarning")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*DeprecationWarning: the aiohttp option of pytest-flexchannels is deprecated and "
            "does nothing: the async client is always answered",
        ]
    )
    assert result.stdout.str().count("the aiohttp option of pytest-flexchannels") == 2
