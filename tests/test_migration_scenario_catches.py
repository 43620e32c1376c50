"""The one-scenario-both-stacks suite in ``examples/`` fails when either bridge is broken in a
way the scenario names: each case breaks one bridge (a copy of it) and runs the suite."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.helpers import INNER_INI

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SUITE = "test_migration_scenario.py"
CHAT, CONVERSATIONS = "sms_bridge.py", "conversations_bridge.py"
TALK = "test_the_customer_and_the_agent_talk_until_the_agent_ends_the_chat"
RETRY_429 = "test_a_429_on_the_way_is_reported_and_the_retry_lands_once"
DROPPED = "test_a_dropped_connection_on_the_way_is_reported_and_the_retry_lands_once"

_STORE = "            self._open[from_number] = conversation\n"
_COMMENT = (
    "            # Webhooks enabled, as Flex's guides ask, so that Flex's own flow hears the "
    "text.\n"
)
_POST_TEXT = (
    "            chat.messages.create(from_=from_number, body=body, "
    'x_twilio_webhook_enabled="true")\n'
)
# (the bridge broken, what is replaced, by what, the scenario that must fail on that stack)
BROKEN = {
    "chat: remembers the channel only after its text posted": (
        CHAT,
        _STORE + _COMMENT + _POST_TEXT,
        _COMMENT + _POST_TEXT + _STORE,
        RETRY_429,
    ),
    "chat: ignores the ended chat": (
        CHAT,
        'if status == "INACTIVE":',
        "if False:",
        TALK,
    ),
    "chat: lets a dropped connection escape": (
        CHAT,
        "except requests.RequestException as error:",
        "except KeyError as error:",
        DROPPED,
    ),
    "conversations: registers no conversation webhook": (
        CONVERSATIONS,
        "        if self._webhook_url is not None:\n            chat.webhooks.create(",
        "        if False:\n            chat.webhooks.create(",
        TALK,
    ),
    "conversations: echoes the customer's own texts": (
        CONVERSATIONS,
        'if customer is not None and form.get("Author") != customer:',
        "if customer is not None:",
        TALK,
    ),
    "conversations: ignores the closed conversation": (
        CONVERSATIONS,
        'elif event == "onConversationStateUpdated" and form.get("StateTo") == "closed":',
        "elif False:",
        TALK,
    ),
    "conversations: forgets a conversation whose first text failed": (
        CONVERSATIONS,
        "conversation = self._open[from_number] = Conversation(from_number, made.sid)",
        "conversation = Conversation(from_number, made.sid)",
        RETRY_429,
    ),
    "conversations: lets a dropped connection escape": (
        CONVERSATIONS,
        "except requests.RequestException as error:",
        "except KeyError as error:",
        DROPPED,
    ),
}


def _copy(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bridges and the suite in the test's own folder, imported from there (not the
    examples' modules a run of ``examples/`` in this process imported first)."""
    pytester.makeini(INNER_INI)
    for name in (CHAT, CONVERSATIONS, SUITE):
        (pytester.path / name).write_text((EXAMPLES / name).read_text())
        monkeypatch.delitem(sys.modules, name.removesuffix(".py"), raising=False)
    pytester.syspathinsert()


def test_the_scenario_passes_on_both_bridges_as_they_are(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _copy(pytester, monkeypatch)
    result = pytester.runpytest(SUITE, "-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=8)


@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_the_scenario_fails_on_a_broken_bridge(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    bridge, old, new, scenario = BROKEN[broken]
    _copy(pytester, monkeypatch)
    source = (pytester.path / bridge).read_text()
    assert source.count(old) == 1, "the example changed: update the case"
    (pytester.path / bridge).write_text(source.replace(old, new))
    recorded = pytester.inline_run(SUITE, "-p", "no:randomly", "-p", "no:cacheprovider")
    stack = "flex-chat" if bridge == CHAT else "flex-conversations"
    failed = {report.nodeid.partition("::")[2] for report in recorded.listoutcomes()[2]}
    assert f"{scenario}[{stack}]" in failed
    assert all(name.endswith(f"[{stack}]") for name in failed)  # the other stack stays green
