"""Strategies for Flex Conversations' Interactions: interaction create forms, valid and invalid
by named rule."""

from __future__ import annotations

import json
from collections.abc import Collection
from functools import partial
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..core import errors
from ..core import sids as _sids
from .common import (
    InvalidRequest,
    _checked_choice,
    _checked_rules,
    _checked_sids,
    _not_json,
    _refused,
    _texts,
    channel_sids,
    sids,
)

INTERACTION_CHANNEL_TYPES = ("sms", "whatsapp", "web", "chat", "email", "messenger", "gbm")


def interaction_params(
    *,
    media_channel_sid: str | SearchStrategy[str] = channel_sids(),
    workspace_sid: str | SearchStrategy[str] = sids(_sids.WORKSPACE),
    channel_type: str | SearchStrategy[str] = st.sampled_from(INTERACTION_CHANNEL_TYPES),
) -> SearchStrategy[dict[str, str]]:
    """Valid interaction create forms by wire name (``client.flex_api.v1.interaction.create``
    takes them decoded): a customer-initiated ``Channel`` routing the conversation
    ``media_channel_sid`` and a ``Routing`` to ``workspace_sid``, with any of a workflow, a
    task channel and task attributes; JSON text, as the helper library sends them. Start the
    fake with that conversation (or expect the channel to settle as ``failed``). Shrinks
    towards an SMS channel and a routing with only its workspace."""
    channel = st.builds(
        lambda kind, sid: {
            "type": kind,
            "initiated_by": "customer",
            "properties": {"media_channel_sid": sid},
        },
        _checked_choice(channel_type, INTERACTION_CHANNEL_TYPES, "channel_type"),
        _checked_sids(media_channel_sid, _sids.CHANNEL, "media_channel_sid"),
    )
    optional: dict[str, SearchStrategy[Any]] = {
        "workflow_sid": sids(_sids.WORKFLOW),
        "task_channel_unique_name": st.sampled_from(["chat", "sms", "default"]),
        "attributes": st.dictionaries(_texts(12), _texts(20), max_size=3),
    }
    required: dict[str, SearchStrategy[Any]] = {
        "workspace_sid": _checked_sids(workspace_sid, _sids.WORKSPACE, "workspace_sid")
    }
    properties = st.fixed_dictionaries(required, optional=optional)
    return st.fixed_dictionaries(
        {
            "Channel": channel.map(json.dumps),
            "Routing": properties.map(lambda found: json.dumps({"properties": found})),
        }
    )


INVALID_INTERACTION_RULES = (
    "channel_missing",
    "channel_not_json_object",
    "channel_type_unknown",
    "customer_without_media_channel",
    "routing_missing",
    "routing_without_workspace",
)


def invalid_interaction_params(
    *,
    media_channel_sid: str | SearchStrategy[str] = channel_sids(),
    rules: Collection[str] = INVALID_INTERACTION_RULES,
) -> SearchStrategy[InvalidRequest]:
    """Interaction create forms that each break exactly one of ``rules``, with the answer the
    fake gives: ``Channel`` or ``Routing`` missing, a ``Channel`` that is not a JSON object, of
    no channel type, or customer-initiated without a conversation to route, a ``Routing``
    without a workspace. Shrinks towards the first rule given, on the smallest valid form."""
    chosen = _checked_rules(rules, INVALID_INTERACTION_RULES)
    valid = interaction_params(media_channel_sid=media_channel_sid)
    invalid_channel = errors.channel_request_invalid()

    def breaking(rule: str, params: dict[str, str]) -> SearchStrategy[InvalidRequest]:
        channel = json.loads(params["Channel"])
        if rule in ("channel_missing", "routing_missing"):
            name = "Channel" if rule == "channel_missing" else "Routing"
            error = errors.missing_parameter(name)
            kept = {k: v for k, v in params.items() if k != name}
            return st.just(_refused(kept, rule, name, error))
        if rule == "channel_not_json_object":
            error = errors.invalid_parameter("Channel", errors.EXPECTED_JSON_OBJECT)
            values = st.one_of(_texts(30).filter(_not_json), st.sampled_from(["[]", "1", '"sms"']))
            field, changed = "Channel", values
        elif rule == "channel_type_unknown":
            error, field = invalid_channel, "Channel"
            kinds = _texts(10).filter(
                lambda kind: kind not in (*INTERACTION_CHANNEL_TYPES, "voice")
            )
            changed = kinds.map(lambda kind: json.dumps({**channel, "type": kind}))
        elif rule == "customer_without_media_channel":
            error, field = invalid_channel, "Channel"
            changed = st.just(json.dumps({k: v for k, v in channel.items() if k != "properties"}))
        else:
            error = errors.invalid_parameter("Routing", errors.EXPECTED_ROUTING)
            field, changed = (
                "Routing",
                st.sampled_from(['{"properties": {}}', '{"type": "TaskRouter"}']),
            )
        return changed.map(lambda value: _refused({**params, field: value}, rule, field, error))

    return st.one_of([valid.flatmap(partial(breaking, rule)) for rule in chosen])
