"""The table of control verbs (``pytest_flexchannels.control``): each verb's route calls what the
fake has, and ``RemoteFake``'s methods, built from it, are the ones users know."""

from __future__ import annotations

import inspect
import subprocess
import sys
from operator import attrgetter

from pytest_flexchannels import FlexChannelsMock, RemoteFake
from pytest_flexchannels.control import ROUTES, VERBS, Calls


def test_every_route_calls_a_member_of_the_fake_taking_its_fields() -> None:
    fake = FlexChannelsMock()
    named = [route for route in ROUTES if isinstance(route.run, Calls)]
    assert len(named) >= 15
    for route in named:
        assert isinstance(route.run, Calls)
        member = attrgetter(route.run.name)(fake)
        if route.run.read:
            assert not callable(member), route
            continue
        fields = dict.fromkeys(route.fields, "x")
        if "{sid}" in route.path:
            fields["sid"] = "x"
        inspect.signature(member).bind(**fields)  # a TypeError names what it does not take


def test_remote_fake_has_a_method_for_each_verb_with_the_signature_users_know() -> None:
    public = {name for name in dir(RemoteFake) if not name.startswith("_")}
    assert public == {verb.name for verb in VERBS}
    assert len(VERBS) == 23
    shown = {name: str(inspect.signature(getattr(RemoteFake, name))) for name in public}
    assert shown["deactivate"] == "(self, sid: 'str', account_sid: 'str | None' = None)" + (
        " -> 'dict[str, Any]'"
    )
    assert shown["calls"] == (
        "(self, operation: 'str | None' = None, /, **params: 'str') -> 'list[dict[str, Any]]'"
    )
    assert shown["delay_next"] == (
        "(self, operation: 'str | None' = None, *, seconds: 'float', times: 'int | None' = 1)"
        " -> 'dict[str, Any]'"
    )
    assert shown["reset"] == "(self) -> 'None'"
    assert RemoteFake.advance.__doc__ == (
        "Move the fake's clock forward and fire what falls due (``FlexChannelsMock.advance``)."
    )
    remote = RemoteFake("http://127.0.0.1:1")
    assert str(inspect.signature(remote.agent_reply)) == (
        "(sid: 'str', body: 'str', **fields: 'Any') -> 'dict[str, Any]'"
    )


def test_remote_fake_imports_no_family_and_no_dependency() -> None:
    # In a fresh interpreter: what RemoteFake's module loads, the table of verbs included.
    code = "import sys, pytest_flexchannels.remote; print(*sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(run.stdout.split())
    assert "pytest_flexchannels.control" in loaded
    heavy = {
        "requests",
        "urllib3",
        "responses",
        "twilio",
        "hypothesis",
        "faker",
        "sortedcontainers",
    }
    assert {name.partition(".")[0] for name in loaded} & heavy == set()
    above = ("flex", "chat", "conversations", "interactions", "families", "mock")
    assert loaded & {f"pytest_flexchannels.{name}" for name in above} == set()
