"""The README's pytest examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_test_examples_pass(pytester: pytest.Pytester) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)
    tests = [block for block in blocks if "def test_" in block]
    assert len(tests) >= 3
    source = "import pytest\nfrom twilio.rest import Client\n\n" + "\n\n".join(tests)
    pytester.makepyfile(test_readme_examples=source)
    result = pytester.runpytest("--strict-markers")
    result.assert_outcomes(passed=source.count("def test_"))
