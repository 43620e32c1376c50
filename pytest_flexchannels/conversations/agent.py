"""The simulated agent in a conversation: what a Flex agent does there, as the fake's control
methods (``fc.agent_reply``, ``fc.end_chat``) do it, with the webhooks it fires (``Source=SDK``,
the agent's ``ClientIdentity``)."""

from __future__ import annotations

from typing import Any

from ..core.world import Store
from . import events, state
from .records import Conversation, ConversationMessage, ConversationsState


def find(
    store: Store, account_sid: str, sid: str
) -> tuple[state.Acting, ConversationsState, Conversation] | None:
    """The conversation of ``sid`` in the account, in any of its services (None: none)."""
    acting = state.Acting(store, account_sid, sid)
    chat = state.of(acting)
    found = chat.conversations.get(sid)
    if found is None:
        return None
    return acting, chat, found


def reply(
    acting: state.Acting,
    chat: ConversationsState,
    conversation: Conversation,
    body: str,
    author: str,
    attributes: str | None,
) -> ConversationMessage:
    """The agent posts ``body`` (joining the conversation first, as an agent accepting the
    task does); what it fires is kept in ``acting.sent``."""
    members = chat.participants.get(conversation.sid, {})
    if not any(member.identity == author for member in members.values()):
        joined = state.add_participant(
            acting, chat, conversation, {"identity": author, "attributes": state.AGENT_ATTRIBUTES}
        )
        params = events.participant(joined)
        acting.send(
            events.fire(chat, conversation.sid, "onParticipantAdded", params, "SDK", author)
        )
    args: dict[str, Any] = {"author": author, "body": body, "attributes": attributes or "{}"}
    message, sent = state.post_message(
        acting, chat, chat.conversations[conversation.sid], args, "SDK", author
    )
    acting.send(sent)
    return message
