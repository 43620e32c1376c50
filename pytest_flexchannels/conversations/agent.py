"""The simulated agent in a conversation: what a Flex agent does there, as the fake's control
methods (``fc.agent_reply``, ``fc.end_chat``) do it, with the webhooks it fires (``Source=SDK``,
the agent's ``ClientIdentity``)."""

from __future__ import annotations

from typing import Any

from ..core.webhooks import Webhook
from ..core.world import Store
from . import events, state
from .messages import post
from .participants import add, remove
from .state import Conversation, ConversationMessage, ConversationsState

AGENT_ATTRIBUTES = '{"member_type": "agent"}'


class Acting:
    """The scope the agent acts in: the account, the conversation's path (what an error
    names), and the webhooks its actions fire, kept until they are sent."""

    webhooks_enabled = True

    def __init__(self, store: Store, account_sid: str, conversation_sid: str) -> None:
        self.store = store
        self.account_sid = account_sid
        self.resource = f"{state.ROOT}/{conversation_sid}"
        self.path = (conversation_sid,)
        self.sent: list[Webhook] = []

    def send(self, webhooks: list[Webhook]) -> None:
        self.sent += webhooks


def find(
    store: Store, account_sid: str, sid: str
) -> tuple[Acting, ConversationsState, Conversation] | None:
    """The conversation of ``sid`` in the account, in any of its services (None: none)."""
    acting = Acting(store, account_sid, sid)
    chat = state.of(acting)
    found = chat.conversations.get(sid)
    if found is None:
        return None
    return acting, chat, found


def reply(
    acting: Acting,
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
        joined = add(
            acting, chat, conversation, {"identity": author, "attributes": AGENT_ATTRIBUTES}
        )
        params = events.participant(joined)
        acting.send(
            events.fire(chat, conversation.sid, "onParticipantAdded", params, "SDK", author)
        )
    args: dict[str, Any] = {"author": author, "body": body, "attributes": attributes or "{}"}
    message, sent = post(acting, chat, chat.conversations[conversation.sid], args, "SDK", author)
    acting.send(sent)
    return message


def end(acting: Acting, chat: ConversationsState, conversation: Conversation) -> Conversation:
    """The agent ends the chat: each agent leaves (``onParticipantRemoved``) and the
    conversation closes (``onConversationStateUpdated``), as Flex wraps an interaction up."""
    for member in list(chat.participants.get(conversation.sid, {}).values()):
        if member.attributes == AGENT_ATTRIBUTES:
            params = remove(acting, chat, member)
            identity = member.identity
            acting.send(
                events.fire(chat, conversation.sid, "onParticipantRemoved", params, "SDK", identity)
            )
    if conversation.state == "closed":
        return conversation
    closed = state.set_state(chat, conversation, "closed", acting.store.clock.now())
    acting.send(events.state_updated(chat, conversation, closed, "API"))
    return closed
