"""The package stays ruff-clean, passes mypy strict and keeps the house's import contracts,
checked in every test run."""

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
        ["-m", "ruff", "check", "."],
        ["-m", "ruff", "format", "--check", "."],
        ["-m", "mypy"],
        # import-linter's contracts in pyproject.toml: the core knows no family, families are
        # layered and reach each other through their records and rules only.
        [
            "-c",
            "import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(no_cache=True, no_logo=True))",
        ],
    ],
    ids=["ruff-check", "ruff-format", "mypy-strict", "import-contracts"],
)
def test_tool_is_clean(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
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
