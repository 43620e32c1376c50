"""The simulated agent (``fc.agent_reply``, ``fc.end_chat``, ``fc.messages``, ``fc.deactivate``):
it acts in a Flex channel's chat or in a conversation (an interaction's, perhaps), by the
families' rules, never their handlers, and hands back the webhooks it fired for the fake to send.

A conversation's SID and a Flex channel's share a prefix (``CH``): a SID the Flex store holds is a
Flex channel's chat, any other a conversation if one has it, else a Flex channel's (which refuses
an unknown one).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .chat import agent as chat_agent
from .chat.state import ChatMessage, attributes_json
from .conversations import agent as conversation_agent
from .conversations import state as conversations
from .conversations.records import Conversation, ConversationMessage, ConversationsState
from .core import surrogates
from .core.errors import EXPECTED_TEXT, UnknownSidError, invalid_parameter
from .core.webhooks import Webhook
from .core.world import Store
from .flex import models as flex_models
from .flex.models import Channel
from .interactions import interactions


def reply(
    store: Store,
    account_sid: str,
    sid: str,
    body: str,
    author: str | None,
    attributes: Mapping[str, Any] | str | None,
) -> tuple[ChatMessage | ConversationMessage, list[Webhook]]:
    """The agent's message in the chat or conversation ``sid``, joining it first; checked as
    the API checks it (``attributes`` that are not JSON: Chat's 50304; ``body`` or ``author``
    holding a lone UTF-16 surrogate: 400/20001 naming ``Body`` or ``Author``)."""
    for wire, value in (("Body", body), ("Author", author)):
        if value is not None and not value.isascii() and not surrogates.whole(value):
            raise invalid_parameter(wire, EXPECTED_TEXT)
    text = attributes if attributes is None or isinstance(attributes, str) else None
    if text is None and attributes is not None:
        text = json.dumps(attributes)
    if text is not None:
        attributes_json("attributes", text)  # Chat's 50304 for text that is not JSON
    with store.lock:
        found = _conversation(store, account_sid, sid)
        if found is not None:
            acting, chat, conversation = found
            identity = author or chat_agent.AGENT
            said = conversation_agent.reply(acting, chat, conversation, body, identity, text)
            return said, acting.sent
    return chat_agent.reply(store, account_sid, sid, body, author, text)


def end(store: Store, account_sid: str, sid: str) -> list[Webhook] | None:
    """The agent ends the conversation ``sid``: it closes as each agent leaves, and the
    interaction channel that holds it closes too. None: ``sid`` is no conversation (a Flex
    channel, which the caller deactivates)."""
    with store.lock:
        found = _conversation(store, account_sid, sid)
        if found is None:
            return None
        acting, chat, conversation = found
        if not interactions.end_chat(acting, sid):
            conversations.end_chat(acting, chat, conversation)
        return acting.sent


def deactivate(store: Store, account_sid: str, sid: str) -> tuple[Channel, list[Webhook]]:
    """The agent ended a Flex channel's chat: the channel is inactive, and an active one's chat
    hears it (``onChannelUpdated``, then ``onMemberRemoved``)."""
    before = flex_models.get_channel(store, account_sid, sid)
    channel = flex_models.deactivate_channel(store, account_sid, sid)
    if channel is None:
        raise UnknownSidError(sid, account_sid)
    active = before is not None and before.active
    return channel, chat_agent.ended(store, account_sid, sid) if active else []


def messages(
    store: Store, account_sid: str, sid: str
) -> list[ChatMessage] | list[ConversationMessage]:
    """The messages of a Flex channel's chat or of a conversation, in index order."""
    with store.lock:
        found = _conversation(store, account_sid, sid)
        if found is not None:
            return list(found[1].messages.get(sid, {}).values())
    return chat_agent.messages(store, account_sid, sid)


def _conversation(
    store: Store, account_sid: str, sid: str
) -> tuple[conversations.Acting, ConversationsState, Conversation] | None:
    """The conversation ``sid`` names (None: a Flex channel's chat, or nothing), for the agent
    to act in; under the store's lock, which the caller holds."""
    if flex_models.get_row(store, account_sid, sid) is not None:
        return None
    return conversation_agent.find(store, account_sid, sid)
