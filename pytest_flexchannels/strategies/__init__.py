"""Hypothesis strategies for the fake's families: SIDs, create forms (valid and invalid), records,
API bodies and webhooks, one module a family (``flex``, ``chat``, ``conversations``,
``interactions``) over ``common``; every public name is importable from here.

House style: plural names, keyword-only arguments whose defaults are the widest valid ones, a
strategy accepted wherever a value is, ``InvalidArgument`` for bad arguments. Each docstring says
what examples shrink towards.

To use them with the fake, start a fresh ``FlexChannelsMock`` per example inside the test body (a
function-scoped fixture is shared by every example of a ``@given`` test)::

    @given(params=create_channel_params())
    def test_create(params):
        with FlexChannelsMock(flex_flow_sid=params["FlexFlowSid"]) as fc:
            ...
"""

from __future__ import annotations

from .chat import (
    chat_message_params,
    chat_webhook_events,
    chat_webhook_params,
)
from .common import (
    InvalidRequest,
    account_sids,
    api_key_sids,
    channel_sids,
    flex_flow_sids,
    json_texts,
    sids,
    task_sids,
    user_sids,
)
from .conversations import (
    INVALID_CONVERSATION_RULES,
    conversation_params,
    conversation_webhook_events,
    invalid_conversation_params,
)
from .flex import (
    INVALID_CREATE_RULES,
    InvalidCreate,
    channel_pages,
    channel_resources,
    channels,
    create_channel_kwargs,
    create_channel_params,
    flex_flows,
    invalid_create_channel_params,
)
from .interactions import (
    INTERACTION_CHANNEL_TYPES,
    INVALID_INTERACTION_RULES,
    interaction_params,
    invalid_interaction_params,
)

__all__ = [
    "INTERACTION_CHANNEL_TYPES",
    "INVALID_CONVERSATION_RULES",
    "INVALID_CREATE_RULES",
    "INVALID_INTERACTION_RULES",
    "InvalidCreate",
    "InvalidRequest",
    "account_sids",
    "api_key_sids",
    "channel_pages",
    "channel_resources",
    "channel_sids",
    "channels",
    "chat_message_params",
    "chat_webhook_events",
    "chat_webhook_params",
    "conversation_params",
    "conversation_webhook_events",
    "create_channel_kwargs",
    "create_channel_params",
    "flex_flow_sids",
    "flex_flows",
    "interaction_params",
    "invalid_conversation_params",
    "invalid_create_channel_params",
    "invalid_interaction_params",
    "json_texts",
    "sids",
    "task_sids",
    "user_sids",
]
