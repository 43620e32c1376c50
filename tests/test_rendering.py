"""The fast JSON text renderers say exactly what the dict renderers say."""

from __future__ import annotations

import json

from hypothesis import given

from pytest_flexchannels import Channel
from pytest_flexchannels.flex.models import (
    channel_json,
    channel_resource,
)
from pytest_flexchannels.strategies import channels


@given(channels())
def test_channel_json_is_the_resource(channel: Channel) -> None:
    assert json.loads(channel_json(channel)) == channel_resource(channel)
