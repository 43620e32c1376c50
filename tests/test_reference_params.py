"""The parameter tables come from Twilio's official descriptions: the committed module is what
the generator writes from ``../shared/reference``, and ``described`` builds an operation's
parameters from it, changed only by rules that fit."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from pytest_flexchannels.core import params
from pytest_flexchannels.core.params import Rule, described, python_name
from pytest_flexchannels.core.reference_params import TABLE
from pytest_flexchannels.flex.models import CHANNEL_TYPES, INTEGRATION_TYPES

ROOT = Path(__file__).resolve().parents[1]
CHANNELS = ("flex-api", "POST", "/v1/Channels")


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "reference_params_script", ROOT / "scripts" / "reference_params.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_committed_table_is_what_the_descriptions_give() -> None:
    generator = _generator()
    if not generator.REFERENCE.is_dir():
        pytest.skip(f"the official OpenAPI descriptions are not at {generator.REFERENCE}")
    committed = generator.TARGET.read_text()
    assert generator.render(generator.REFERENCE) == committed, (
        "regenerate: python scripts/reference_params.py"
    )


@pytest.mark.parametrize(
    ("wire", "names", "python"),
    [
        ("FriendlyName", None, "friendly_name"),
        ("WebhookTtid", None, "webhook_ttid"),
        ("Integration.FlowSid", None, "flow_sid"),
        ("MessagingBinding.ProxyAddress", None, "proxy_address"),
        ("AutoCreation.StudioRetryCount", {"AutoCreation.": "auto_"}, "auto_studio_retry_count"),
        ("Bindings.Email.Name", {"Bindings.Email.": "email_"}, "email_name"),
        ("From", {"From": "author"}, "author"),
    ],
)
def test_a_python_name_is_the_snake_case_of_the_last_part_unless_named(
    wire: str, names: dict[str, str] | None, python: str
) -> None:
    assert python_name(wire, names) == python


def test_described_parameters_keep_the_descriptions_order_names_and_kinds() -> None:
    built = described(*CHANNELS)
    assert [(p.wire, p.python, p.kind, p.required) for p in built] == [
        ("FlexFlowSid", "flex_flow_sid", "`FO…` SID", True),
        ("Identity", "identity", "text", True),
        ("ChatUserFriendlyName", "chat_user_friendly_name", "text", True),
        ("ChatFriendlyName", "chat_friendly_name", "text", True),
        ("Target", "target", "text", False),
        ("ChatUniqueName", "chat_unique_name", "text", False),
        ("PreEngagementData", "pre_engagement_data", "text", False),
        ("TaskSid", "task_sid", "`WT…` SID", False),
        ("TaskAttributes", "task_attributes", "text", False),
        ("LongLived", "long_lived", "boolean", False),
    ]


def test_rules_change_skip_and_add_parameters_in_place() -> None:
    built = described(
        *CHANNELS,
        Rule("Identity", "optional here", required=False),
        Rule("TaskAttributes", "JSON", check=params.json_text),
        Rule("Target", "ignored", skip=True),
        Rule("to", "not described", added=True, python="destination"),
    )
    rows = [(p.wire, p.python, p.kind, p.required) for p in built]
    assert rows[1] == ("Identity", "identity", "text", False)
    assert ("TaskAttributes", "task_attributes", "JSON text", False) in rows
    assert "Target" not in [row[0] for row in rows]
    assert rows[-1] == ("to", "destination", "text", False)


def test_a_group_is_skipped_whole() -> None:
    built = described(
        "chat",
        "POST",
        "/v2/Services/{Sid}",
        Rule("Notifications.", "not modelled", skip=True),
    )
    wires = [p.wire for p in built]
    assert "FriendlyName" in wires
    assert not [wire for wire in wires if wire.startswith("Notifications.")]


@pytest.mark.parametrize(
    "rule",
    [
        Rule("Nothing", "a typo of a described name"),
        Rule("Identity", "described already", added=True),
        Rule("Identity", "renaming is the names map's", python="who"),
        Rule("Nothing.", "a group nothing is in", skip=True),
        Rule("Chat.", "a group is only ever skipped", check=params.json_text),
    ],
)
def test_a_rule_that_does_not_fit_the_description_is_refused(rule: Rule) -> None:
    with pytest.raises(ValueError, match="does not fit"):
        described(*CHANNELS, rule)


def test_a_name_for_nothing_described_and_an_operation_not_described_are_refused() -> None:
    with pytest.raises(ValueError, match="no parameter is named Nothing"):
        described(*CHANNELS, names={"Nothing": "nothing"})
    with pytest.raises(ValueError, match="two rules"):
        described(*CHANNELS, Rule("Target", "a"), Rule("Target", "b"))
    with pytest.raises(ValueError, match="not why"):
        described(*CHANNELS, Rule("Target", "", skip=True))
    with pytest.raises(LookupError, match="not in reference_params"):
        described("flex-api", "PUT", "/v1/Channels")


def test_the_values_strategies_draw_are_the_descriptions() -> None:
    """Flex Flow types are kept by hand for strategies and providers: they stay Twilio's."""
    flow = dict((row[0], row[3]) for row in TABLE[("flex-api", "POST", "/v1/FlexFlows")])
    assert (flow["ChannelType"], flow["IntegrationType"]) == (CHANNEL_TYPES, INTEGRATION_TYPES)


def test_a_bounded_integer_without_a_rule_is_refused() -> None:
    """Twilio's answer to a value out of bounds is not in the description: a Rule must say it."""
    with pytest.raises(ValueError, match=r"integer bounded \(1, 1000\)"):
        params._derived("integer", (1, 1000))
    assert params._derived("integer", None) is params.integer
