"""The README's pytest examples run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_flexchannels.families import REGISTRY

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_test_examples_pass(pytester: pytest.Pytester) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)
    # Blocks that are whole tests: test functions, or a state machine's TestCase.
    tests = [block for block in blocks if "def test_" in block or " = FlexChannels" in block]
    assert len(tests) >= 5
    source = "import pytest\nfrom twilio.rest import Client\n\n" + "\n\n".join(tests)
    pytester.makepyfile(test_readme_examples=source)
    result = pytester.runpytest("--strict-markers")
    result.assert_outcomes(passed=source.count("def test_") + source.count(".TestCase\n"))


def test_readme_snippets_run() -> None:
    """The other blocks that stand alone (imports first) run as written, with the fake started."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)
    snippets = [
        block
        for block in blocks
        if block.startswith(("from ", "import "))
        and "def test_" not in block
        and "TestCase" not in block
    ]
    assert len(snippets) >= 2
    for snippet in snippets:
        exec(compile(snippet, str(README), "exec"), {})


def test_readme_lists_every_control_route() -> None:
    from pytest_flexchannels.control import CONTROL_PREFIX, ROUTES

    listed = re.findall(r"^\| `([A-Z]+ /__flex/[^`]*)` \|", README.read_text(), re.MULTILINE)
    assert listed == [f"{route.method} {CONTROL_PREFIX}{route.path}" for route in ROUTES]


def test_readme_lists_every_operation_as_the_command_prints_it() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "pytest_flexchannels", "operations"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    copy = re.search(
        r"<!-- operations -->\n(.*?)<!-- /operations -->", README.read_text(), re.DOTALL
    )
    assert copy is not None and copy.group(1) == printed
    assert printed.count("\n| `") == len(REGISTRY.names()) >= 9
