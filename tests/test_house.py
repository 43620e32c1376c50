"""The house's promise: a new family is a package of its own and one entry in the one list of
families (``families.py``); no core module changes (DESIGN.md, "The house for many families")."""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "pytest_flexchannels"

ECHO = '''
"""A family for the test: one operation on its own host, ``echo.twilio.com``, and a hook: every
echo it heard is left open, as the fake's orphans say."""

from __future__ import annotations

import json

from ..core.context import Answer, Context
from ..core.registry import Domain, Family, Hooks, Operation, Param
from ..core.world import Store


class Echoes:
    def __init__(self) -> None:
        self.heard: list[str] = []


def _orphans(store: Store) -> list[tuple[int, str]]:
    return [(0, f"echo {sid}") for _, echoes in store.states(Echoes) for sid in echoes.heard]


def _render(view: object, sid: str, says: str, root: str) -> str:
    return json.dumps({"sid": sid, "says": says, "url": f"{root}/Echoes/{sid}"})


def _fetch(context: Context) -> Answer:
    context.store.state(context.account_sid, Echoes).heard.append(context.sid)
    return (_render, context.sid, context.args.get("says", ""), context.root)


FAMILY = Family(
    "echo",
    Domain("echo", "echo", "/echo"),
    (Operation("fetch_echo", "GET", "/v1/Echoes/{Sid}", _fetch, (Param("Says", "says"),)),),
    Hooks(orphans=_orphans),
)
'''

RUN = """
import requests
from pytest_flexchannels import FlexChannelsMock

with FlexChannelsMock() as fake:
    auth = (fake.account_sid, fake.auth_token)
    direct = requests.get("https://echo.twilio.com/v1/Echoes/EC1?Says=hi", auth=auth)
    with fake.serve() as server:
        served = requests.get(f"{server.url}/echo/v1/Echoes/EC2", auth=auth)
    print(json.dumps([direct.status_code, direct.json(), served.status_code, served.json()]))
    print(json.dumps(server.url))
    print(json.dumps([call.operation for call in fake.calls]))
    print(json.dumps(fake.orphans))
"""


def test_a_new_family_is_a_package_and_one_entry_in_the_list(tmp_path: Path) -> None:
    copy = tmp_path / "pytest_flexchannels"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "echo").mkdir()
    (copy / "echo" / "__init__.py").write_text(ECHO)
    families = copy / "families.py"
    text = families.read_text()
    entry = "    interactions.FAMILY,\n"
    assert entry in text
    families.write_text(
        text.replace("from . import chat,", "from . import echo\nfrom . import chat,").replace(
            entry, entry + "    echo.FAMILY,\n"
        )
    )
    changed = filecmp.dircmp(PACKAGE, copy, ignore=["__pycache__"])
    assert (changed.diff_files, changed.left_only, changed.right_only) == (
        ["families.py"],
        [],
        ["echo"],
    )
    for sub in ("core", "flex", "chat", "conversations", "interactions", "transports"):
        assert not filecmp.dircmp(PACKAGE / sub, copy / sub, ignore=["__pycache__"]).diff_files

    result = subprocess.run(
        [sys.executable, "-c", "import json\n" + textwrap.dedent(RUN)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={**_environment(), "PYTHONPATH": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    answers, url, operations, orphans = (json.loads(line) for line in result.stdout.splitlines())
    assert answers == [
        200,
        {"sid": "EC1", "says": "hi", "url": "https://echo.twilio.com/v1/Echoes/EC1"},
        200,
        {"sid": "EC2", "says": "", "url": f"{url}/echo/v1/Echoes/EC2"},
    ]
    assert operations == ["fetch_echo", "fetch_echo"]
    assert orphans == ["echo EC1", "echo EC2"]  # the family's hook, asked by the fake


def _environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
