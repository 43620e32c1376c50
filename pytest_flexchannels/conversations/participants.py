"""Conversation participants (``.../Conversations/{ConversationSid}/Participants``): create with
an identity (a chat participant) or a messaging binding (an SMS or WhatsApp number reached from
a proxy number), fetch (by SID or identity), list, update, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core import errors
from ..core.paging import PageSpec
from ..core.registry import described
from . import events, state
from .records import Binding, Participant
from .state import ATTRIBUTES, DATE

if TYPE_CHECKING:
    from ..core.context import Answer, Context
    from ..core.paging import View

LIST_KEY = "participants"


def _binding_json(binding: Binding | None) -> dict[str, str] | None:
    if binding is None:
        return None
    shown = {"type": binding.type}
    for name in ("address", "proxy_address", "projected_address"):
        value = getattr(binding, name)
        if value is not None:
            shown[name] = value
    return shown


def _json(view: View, participant: Participant) -> str:
    root, resource = view.root, view.resource
    base = state.base(resource, participant.chat_service_sid)
    shown: dict[str, Any] = {
        "account_sid": participant.account_sid,
        "conversation_sid": participant.conversation_sid,
        "sid": participant.sid,
        "identity": participant.identity,
        "attributes": participant.attributes,
        "messaging_binding": _binding_json(participant.binding),
        "role_sid": participant.role_sid,
        "date_created": DATE(participant.date_created),
        "date_updated": DATE(participant.date_updated),
        "url": f"{root}{base}/Conversations/{participant.conversation_sid}"
        f"/Participants/{participant.sid}",
        "last_read_message_index": participant.last_read_message_index,
        "last_read_timestamp": participant.last_read_timestamp,
    }
    if base:
        shown = {"chat_service_sid": participant.chat_service_sid, **shown}
    return state.dump(shown)


def _create(context: Context) -> Answer:
    chat, conversation, _ = state.parent(context)
    participant = state.add_participant(context, chat, conversation, context.args)
    if context.webhooks_enabled:
        params = events.participant(participant)
        context.send(events.fire(chat, conversation.sid, "onParticipantAdded", params, "API"))
    return (_json, participant)


def _fetch(context: Context) -> Answer:
    chat, conversation, path = state.parent(context)
    return (_json, state.find_participant(context, chat, conversation.sid, path[1]))


def _seq(participant: Participant) -> int:
    return participant.seq


_PAGES = PageSpec(None, LIST_KEY, _json, _seq)


def _list(context: Context) -> Answer:
    chat, conversation, _ = state.parent(context)
    every = list(chat.participants.get(conversation.sid, {}).values())
    return context.page(_PAGES, every)


def _update(context: Context) -> Answer:
    store, args = context.store, context.args
    chat, conversation, path = state.parent(context)
    participant = state.find_participant(context, chat, conversation.sid, path[1])
    changes: dict[str, Any] = {
        name: args[name]
        for name in (
            "identity",
            "attributes",
            "role_sid",
            "last_read_message_index",
            "last_read_timestamp",
            "date_created",
        )
        if name in args
    }
    binding = participant.binding
    if binding is not None and ("proxy_address" in args or "projected_address" in args):
        changes["binding"] = binding._replace(
            proxy_address=args.get("proxy_address", binding.proxy_address),
            projected_address=args.get("projected_address", binding.projected_address),
        )
    if "identity" in changes and any(
        other.identity == changes["identity"] and other.sid != participant.sid
        for other in chat.participants[conversation.sid].values()
    ):
        raise errors.participant_exists(changes["identity"])
    participant = participant._replace(
        **changes, date_updated=args.get("date_updated", store.clock.now())
    )
    chat.participants[conversation.sid][participant.sid] = participant
    if context.webhooks_enabled:
        params = events.participant(participant)
        params["DateUpdated"] = DATE(participant.date_updated)
        if participant.last_read_message_index is not None:
            params["LastReadMessageIndex"] = str(participant.last_read_message_index)
        context.send(events.fire(chat, conversation.sid, "onParticipantUpdated", params, "API"))
    return (_json, participant)


def _delete(context: Context) -> None:
    chat, conversation, path = state.parent(context)
    params = state.remove_participant(
        context, chat, state.find_participant(context, chat, conversation.sid, path[1])
    )
    if context.webhooks_enabled:
        context.send(events.fire(chat, conversation.sid, "onParticipantRemoved", params, "API"))


_PATH = "/{ConversationSid}/Participants"
OPERATIONS = (
    *state.declare(
        "create_conversation_participant",
        "POST",
        _PATH,
        _create,
        described(state.DOMAIN.host, "POST", f"{state.ROOT}{_PATH}", ATTRIBUTES),
        body="form",
        status=201,
        summary="add a participant: an identity (chat) or a messaging binding (SMS, WhatsApp)",
    ),
    *state.declare(
        "list_conversation_participants",
        "GET",
        _PATH,
        _list,
        list_key=LIST_KEY,
        summary="a page of a conversation's participants, oldest first",
    ),
    *state.declare(
        "fetch_conversation_participant",
        "GET",
        f"{_PATH}/{{Sid}}",
        _fetch,
        summary="one participant, by SID or identity",
    ),
    *state.declare(
        "update_conversation_participant",
        "POST",
        f"{_PATH}/{{Sid}}",
        _update,
        described(state.DOMAIN.host, "POST", f"{state.ROOT}{_PATH}/{{Sid}}", ATTRIBUTES),
        body="form",
        summary="change a participant (attributes, role, identity, what it last read)",
    ),
    *state.declare(
        "delete_conversation_participant",
        "DELETE",
        f"{_PATH}/{{Sid}}",
        _delete,
        status=204,
        summary="remove a participant",
    ),
)
