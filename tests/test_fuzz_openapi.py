"""Schemathesis drives the fake from the official OpenAPI description (Channels, Flex Flows and
WebChannels), positive and negative cases: no 5xx, every 2xx body as the description says,
every 4xx body Twilio's error shape."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from schemathesis import GenerationMode, openapi

from pytest_flexchannels import FlexChannelsMock
from pytest_flexchannels.core import sids
from tests.helpers import SPEC_PATH, check_answer, fuzz_params

if not SPEC_PATH.exists():
    pytest.skip(f"the official OpenAPI description is not at {SPEC_PATH}", allow_module_level=True)

SCHEMA = openapi.from_dict(json.loads(SPEC_PATH.read_text())).include(
    path_regex=r"^/v1/(Channels|FlexFlows|WebChannels)"
)
LABELS = [
    "POST /v1/Channels",
    "GET /v1/Channels",
    "GET /v1/Channels/{Sid}",
    "DELETE /v1/Channels/{Sid}",
    "POST /v1/FlexFlows",
    "GET /v1/FlexFlows",
    "GET /v1/FlexFlows/{Sid}",
    "POST /v1/FlexFlows/{Sid}",
    "DELETE /v1/FlexFlows/{Sid}",
    "POST /v1/WebChannels",
    "GET /v1/WebChannels",
    "GET /v1/WebChannels/{Sid}",
    "POST /v1/WebChannels/{Sid}",
    "DELETE /v1/WebChannels/{Sid}",
]
KIND = {
    "GET /v1/Channels": "list",
    "POST /v1/FlexFlows": "flex_flow",
    "GET /v1/FlexFlows": "flex_flow_list",
    "GET /v1/FlexFlows/{Sid}": "flex_flow",
    "POST /v1/FlexFlows/{Sid}": "flex_flow",
    "POST /v1/WebChannels": "web_channel",
    "GET /v1/WebChannels": "web_channel_list",
    "GET /v1/WebChannels/{Sid}": "web_channel",
    "POST /v1/WebChannels/{Sid}": "web_channel",
}


def _flow_of(case: Any) -> str | None:
    """The example's FlexFlowSid when well formed: the fake gets that flow, so creates succeed."""
    body = case.body if isinstance(case.body, dict) else {}
    flow = body.get("FlexFlowSid")
    return flow if isinstance(flow, str) and sids.is_sid(flow, sids.FLEX_FLOW) else None


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("label", fuzz_params(LABELS, "POST /v1/Channels", "POST /v1/FlexFlows"))
def test_every_operation_answers_as_described(label: str, mode: GenerationMode) -> None:
    operation = SCHEMA.find_operation_by_label(label)
    assert operation is not None
    statuses: Counter[int] = Counter()

    @settings(deadline=None)
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Any) -> None:
        # Odd paths are expected here: they get Twilio's 404 without failing the example.
        with FlexChannelsMock(seed=1, flex_flow_sid=_flow_of(case), allow_unmatched=True) as fake:
            fake.create_channel(identity="already-here")
            request = case.as_transport_kwargs(base_url="https://flex-api.twilio.com")
            request["auth"] = (fake.account_sid, fake.auth_token)
            response = requests.request(**request)
        statuses[response.status_code] += 1
        check_answer(response, KIND.get(label, "channel"))

    check()
    assert sum(statuses.values()) > 0
