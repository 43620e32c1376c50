"""The fast JSON text renderers say exactly what the dict renderers say."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pytest_flexchannels import Channel
from pytest_flexchannels.flex.models import (
    channel_json,
    channel_page,
    channel_page_json,
    channel_resource,
)
from pytest_flexchannels.strategies import channels

tokens = st.none() | st.from_regex(r"P[AB][0-9a-f]{1,8}-[0-9a-f]{16}", fullmatch=True)


@given(channels())
def test_channel_json_is_the_resource(channel: Channel) -> None:
    assert json.loads(channel_json(channel)) == channel_resource(channel)


@given(
    st.lists(channels(), max_size=4),
    st.fixed_dictionaries(
        {
            "page": st.integers(0, 100),
            "page_size": st.integers(1, 1000),
            "token": tokens,
            "next_token": tokens,
            "previous_token": tokens,
        }
    ),
    st.sampled_from(["https://flex-api.twilio.com", "https://flex-api.dublin.ie1.twilio.com"]),
)
def test_page_json_is_the_page(items: list[Channel], meta: dict[str, Any], origin: str) -> None:
    text = channel_page_json(origin, [channel_json(c) for c in items], **meta)
    assert json.loads(text) == channel_page(origin, [channel_resource(c) for c in items], **meta)
