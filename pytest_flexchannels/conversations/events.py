"""Conversations' post-event webhooks: which of a conversation's webhooks hear an event, and the
parameters Twilio sends for it (modelled on the documented Conversations webhook events). REST
actions fire them only when the request says ``X-Twilio-Webhook-Enabled: true``
(``Source=API``); what the simulated agent does fires them always (``Source=SDK``, with the
acting ``ClientIdentity``), and so do timers (``Reason=TIMER``)."""

from __future__ import annotations

import json

from ..core.render import format_date
from ..core.webhooks import Webhook
from .records import Conversation, ConversationMessage, ConversationsState, Participant

# The events a conversation-scoped webhook can hear (``Configuration.Filters``).
EVENTS = (
    "onMessageAdded",
    "onMessageUpdated",
    "onMessageRemoved",
    "onParticipantAdded",
    "onParticipantUpdated",
    "onParticipantRemoved",
    "onConversationUpdated",
    "onConversationRemoved",
    "onConversationStateUpdated",
    "onDeliveryUpdated",
)


def fire(
    state: ConversationsState,
    conversation_sid: str,
    event: str,
    params: dict[str, str],
    source: str,
    identity: str | None = None,
) -> list[Webhook]:
    """The conversation's webhooks that hear ``event``, each with its parameters: a
    ``webhook`` one whose filters name the event; a ``trigger`` one for a new message whose body
    starts with one of its keywords (case aside)."""
    common = {"EventType": event, "Source": source, **params}
    if identity is not None:
        common["ClientIdentity"] = identity
    sent = []
    for hook in state.webhooks.get(conversation_sid, {}).values():
        if hook.url is None:
            continue
        if hook.target == "webhook":
            hears = event in hook.filters
        elif hook.target == "trigger":
            words = params.get("Body", "").split(maxsplit=1)
            first = words[0].lower() if words else ""
            hears = event == "onMessageAdded" and first in {t.lower() for t in hook.triggers}
        else:
            hears = False
        if hears:
            sent.append(
                Webhook(
                    event,
                    hook.url,
                    (hook.method or "POST").upper(),
                    {**common, "WebhookSid": hook.sid},
                    0,
                )
            )
    return sent


def conversation(conversation: Conversation) -> dict[str, str]:
    params = {
        "AccountSid": conversation.account_sid,
        "ChatServiceSid": conversation.chat_service_sid,
        "ConversationSid": conversation.sid,
        "MessagingServiceSid": conversation.messaging_service_sid,
        "Attributes": conversation.attributes,
        "State": conversation.state,
        "DateCreated": format_date(conversation.date_created),
        "DateUpdated": format_date(conversation.date_updated),
    }
    if conversation.friendly_name is not None:
        params["FriendlyName"] = conversation.friendly_name
    if conversation.unique_name is not None:
        params["UniqueName"] = conversation.unique_name
    return params


def message(message: ConversationMessage, messaging_service_sid: str) -> dict[str, str]:
    params = {
        "AccountSid": message.account_sid,
        "ConversationSid": message.conversation_sid,
        "MessagingServiceSid": messaging_service_sid,
        "MessageSid": message.sid,
        "Index": str(message.position),
        "Author": message.author,
        "Attributes": message.attributes,
        "DateCreated": format_date(message.date_created),
    }
    if message.body is not None:
        params["Body"] = message.body
    if message.participant_sid is not None:
        params["ParticipantSid"] = message.participant_sid
    if message.media_sid is not None:
        params["Media"] = json.dumps([{"Sid": message.media_sid}])
    return params


def participant(participant: Participant) -> dict[str, str]:
    params = {
        "AccountSid": participant.account_sid,
        "ConversationSid": participant.conversation_sid,
        "ParticipantSid": participant.sid,
        "RoleSid": participant.role_sid,
        "Attributes": participant.attributes,
        "DateCreated": format_date(participant.date_created),
    }
    if participant.identity is not None:
        params["Identity"] = participant.identity
    binding = participant.binding
    params["MessagingBinding.Type"] = "CHAT" if binding is None else binding.type.upper()
    if binding is not None:
        for name, value in (
            ("Address", binding.address),
            ("ProxyAddress", binding.proxy_address),
            ("ProjectedAddress", binding.projected_address),
        ):
            if value is not None:
                params[f"MessagingBinding.{name}"] = value
    return params


def state(before: Conversation, after: Conversation, reason: str) -> dict[str, str]:
    """The parameters of ``onConversationStateUpdated`` (``reason``: ``API``, ``TIMER``, or
    ``EVENT`` for a message that brought the conversation back)."""
    return {
        "AccountSid": after.account_sid,
        "ChatServiceSid": after.chat_service_sid,
        "ConversationSid": after.sid,
        "MessagingServiceSid": after.messaging_service_sid,
        "StateFrom": before.state,
        "StateTo": after.state,
        "StateUpdated": format_date(after.date_updated),
        "Reason": reason,
    }


def state_updated(
    state_of: ConversationsState, before: Conversation, after: Conversation, reason: str
) -> list[Webhook]:
    """What hears a conversation moving from ``before.state`` to ``after.state``."""
    params = state(before, after, reason)
    return fire(state_of, after.sid, "onConversationStateUpdated", params, "API")
