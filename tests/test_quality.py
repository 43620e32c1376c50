"""The package stays ruff-clean and passes mypy strict, checked in every test run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_tool_is_clean(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_floors_ci_installs_are_the_declared_lower_bounds() -> None:
    declared = dict(re.findall(r'"([a-z0-9-]+)>=([0-9.]+)', (ROOT / "pyproject.toml").read_text()))
    pinned = dict(
        re.findall(r"^([a-z0-9-]+)==([0-9.]+)$", (ROOT / ".ci/floors.txt").read_text(), re.M)
    )
    runtime = {"pytest", "responses", "requests", "urllib3", "hypothesis", "faker", "aiohttp"}
    runtime |= {"waitress", "sortedcontainers"}
    assert runtime <= pinned.keys()
    # pip normalises "9.10.1" and "9.10.1.0" alike; the files spell them the same way.
    assert {name: declared.get(name) for name in pinned} == pinned
