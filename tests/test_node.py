"""twilio-node, the official Node.js helper library, against server mode (skipped where Node.js
or the library is absent; CI installs twilio@5 into .ci/node)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_flexchannels import FlexChannelsMock, FlexServer

ROOT = Path(__file__).parent.parent
NODE_PATH = os.environ.get("FLEXCHANNELS_NODE_PATH", str(ROOT / ".ci/node/node_modules"))
NODE = shutil.which("node")


def _twilio_node() -> bool:
    if NODE is None:
        return False
    found = subprocess.run(
        [NODE, "-e", "require.resolve('twilio')"],
        env={**os.environ, "NODE_PATH": NODE_PATH},
        capture_output=True,
        check=False,
    )
    return found.returncode == 0


@pytest.mark.skipif(not _twilio_node(), reason=f"no node with twilio in {NODE_PATH}")
def test_twilio_node_through_the_server(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer
) -> None:
    assert NODE is not None
    fake, url = flex_channels, flex_channels_server.url
    script = str(ROOT / "tests/node/flex_channels.js")
    run = subprocess.run(
        [NODE, script, url, fake.account_sid, fake.auth_token, fake.flex_flow_sid],
        env={**os.environ, "NODE_PATH": NODE_PATH},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    made = seen["made"]
    assert made[1:] == [c.sid for c in fake.channels]  # the first was deleted
    assert len(set(made)) == 5 and seen["again"] == made[0]  # get-or-create
    stored = fake.get_channel(made[1])
    assert seen["fetched"] == {
        "sid": made[1],
        "userSid": stored.user_sid,
        "url": f"{url}/v1/Channels/{made[1]}",
    }
    assert seen["listed"] == made  # three pages of two, following next_page_url
    assert [c.params.get("PageSize") for c in fake.calls.filter("list_channels")][:3] == ["2"] * 3
    assert seen["deleted"] is True
    assert seen["notFound"] == {
        "status": 404,
        "code": 20404,
        "message": f"The requested resource /Channels/{made[0]} was not found",
    }
    assert seen["badRequest"] == {
        "status": 400,
        "code": 20001,
        "message": "Invalid parameter FlexFlowSid: must match ^FO[0-9a-fA-F]{32}$",
    }
    assert seen["unauthorized"] == {"status": 401, "code": 20003, "message": "Authenticate"}
    user_agents = {c.headers.get("User-Agent", "").split("/")[0] for c in fake.calls}
    assert user_agents == {"twilio-node"}
