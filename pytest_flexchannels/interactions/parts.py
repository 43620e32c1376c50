"""What hangs off an interaction channel: its participants (create, list, update to ``closed``
or ``wrapup``), invites (create, list: each routes a new task to the channel) and transfers
(create, fetch, update; their body is JSON, as the helper library sends it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..chat.state import derived_sid
from ..conversations import state as conversations
from ..core import errors, sids
from ..core.paging import PageSpec
from ..core.registry import Operation, Rule, described, one_of
from ..flex.models import FLEX
from .interactions import (
    PATH,
    InteractionChannel,
    InteractionParticipant,
    InteractionsState,
    Invite,
    Transfer,
    channel_of,
    channel_url,
    interaction,
    new_task,
    of,
    routing_of,
    task_json,
)

if TYPE_CHECKING:
    from ..core.context import Answer, Context
    from ..core.paging import View

CHANNEL = f"{PATH}/{{InteractionSid}}/Channels/{{ChannelSid}}"


def _channel(context: Context) -> tuple[InteractionsState, InteractionChannel]:
    state = of(context)
    interaction(context, state, context.path[0])
    return state, channel_of(context, state, context.path[0], context.path[1])


# --- participants -------------------------------------------------------------------------------


def _participant_json(view: View, participant: InteractionParticipant) -> str:
    root = view.root
    return conversations.dump(
        {
            "sid": participant.sid,
            "type": participant.type,
            "interaction_sid": participant.interaction_sid,
            "channel_sid": participant.channel_sid,
            "url": f"{root}/Interactions/{participant.interaction_sid}/Channels/"
            f"{participant.channel_sid}/Participants/{participant.sid}",
            "routing_properties": participant.routing_properties,
        }
    )


def _media(media: dict[str, Any]) -> dict[str, Any] | None:
    """The conversation participant ``MediaProperties`` name: an identity, or an address with
    its proxy address (None: one not in the conversation, an email's)."""
    identity, address = media.get("identity"), media.get("address")
    proxy = media.get("proxy_address")
    if isinstance(identity, str) and identity:
        return {"identity": identity}
    if isinstance(address, str) and isinstance(proxy, str) and address and proxy:
        return {"address": address, "proxy_address": proxy}
    return None


def _create_participant(context: Context) -> Answer:
    store, args = context.store, context.args
    kind = args["type"]
    state, channel = _channel(context)
    if channel.status not in ("setup", "active", "pause", "transfer"):
        raise errors.participant_request_invalid()
    joining = _media(args["media_properties"])
    member_sid = None
    chat = conversations.of(context)
    conversation = chat.conversations.get(channel.conversation_sid or "")
    if joining is not None and conversation is not None:
        if kind in ("agent", "supervisor"):
            joining["attributes"] = conversations.AGENT_ATTRIBUTES
        try:
            member_sid = conversations.add_participant(context, chat, conversation, joining).sid
        except errors.FlexApiError:
            raise errors.participant_request_invalid() from None
    routing = args.get("routing_properties")
    participant = InteractionParticipant(
        store.sids.new(sids.INTERACTION_PARTICIPANT),
        context.account_sid,
        channel.interaction_sid,
        channel.sid,
        kind,
        routing,
        member_sid,
        None,
        store.next_seq(),
    )
    state.participants.setdefault(channel.sid, {})[participant.sid] = participant
    return (_participant_json, participant)


def _participant_seq(participant: InteractionParticipant) -> int:
    return participant.seq


_PARTICIPANTS = PageSpec(None, "participants", _participant_json, _participant_seq)


def _list_participants(context: Context) -> Answer:
    state, channel = _channel(context)
    every = list(state.participants.get(channel.sid, {}).values())
    return context.page(_PARTICIPANTS, every)


def _update_participant(context: Context) -> Answer:
    state, channel = _channel(context)
    participants = state.participants.get(channel.sid, {})
    found = participants.get(context.sid)
    if found is None:
        raise errors.missing(context.resource)
    status = context.args["status"]
    if status == "closed" and found.member_sid is not None:
        # The agent's task completes: Flex takes the agent out of the conversation.
        chat = conversations.of(context)
        member = chat.participants.get(channel.conversation_sid or "", {}).get(found.member_sid)
        if member is not None:
            conversations.remove_participant(context, chat, member)
    found = participants[found.sid] = found._replace(status=status)
    return (_participant_json, found)


# --- invites ------------------------------------------------------------------------------------


def _invite_json(view: View, invite: Invite) -> str:
    root = view.root
    return conversations.dump(
        {
            "sid": invite.sid,
            "interaction_sid": invite.interaction_sid,
            "channel_sid": invite.channel_sid,
            "routing": {"reservation": None, "properties": task_json(invite.task)},
            "url": f"{root}/Interactions/{invite.interaction_sid}/Channels/{invite.channel_sid}"
            f"/Invites/{invite.sid}",
        }
    )


def _create_invite(context: Context) -> Answer:
    store = context.store
    properties = routing_of("Routing", context.args["routing"])
    state, channel = _channel(context)
    sid = store.sids.new(sids.INTERACTION_INVITE)
    flex = {
        "flexInteractionSid": channel.interaction_sid,
        "flexInteractionChannelSid": channel.sid,
        "flexChannelInviteSid": sid,
        "conversationSid": channel.conversation_sid or "",
    }
    task = new_task(context, properties, flex, channel.type)
    invite = Invite(
        sid, context.account_sid, channel.interaction_sid, channel.sid, task, store.next_seq()
    )
    state.invites.setdefault(channel.sid, {})[invite.sid] = invite
    return (_invite_json, invite)


def _invite_seq(invite: Invite) -> int:
    return invite.seq


_INVITES = PageSpec(None, "invites", _invite_json, _invite_seq)


def _list_invites(context: Context) -> Answer:
    state, channel = _channel(context)
    every = list(state.invites.get(channel.sid, {}).values())
    return context.page(_INVITES, every)


# --- transfers ----------------------------------------------------------------------------------


def _transfer_json(transfer: Transfer, root: str, channel: InteractionChannel) -> str:
    return conversations.dump(
        {
            "sid": transfer.sid,
            "instance_sid": _instance(transfer.account_sid),
            "account_sid": transfer.account_sid,
            "interaction_sid": transfer.interaction_sid,
            "channel_sid": transfer.channel_sid,
            "execution_sid": None,
            "type": transfer.type,
            "status": transfer.status,
            "from": transfer.source,
            "to": transfer.target,
            "note_sid": None,
            "summary_sid": None,
            "date_created": conversations.DATE(transfer.date_created),
            "date_updated": conversations.DATE(transfer.date_updated),
            "url": f"{channel_url(root, channel)}/Transfers/{transfer.sid}",
        }
    )


def _one_transfer(view: View, transfer: Transfer, channel: InteractionChannel) -> str:
    return _transfer_json(transfer, view.root, channel)


def _instance(account_sid: str) -> str:
    """The account's Flex instance (modelled: one an account)."""
    return derived_sid(sids.FLEX_INSTANCE, account_sid, "flex instance")


def _create_transfer(context: Context) -> Answer:
    store, args = context.store, context.args
    state, channel = _channel(context)
    source = args.get("source")
    if source is not None and source not in state.participants.get(channel.sid, {}):
        raise errors.invalid_parameter("from", errors.EXPECTED_CHANNEL_PARTICIPANT)
    now = store.clock.now()
    transfer = Transfer(
        store.sids.new(sids.INTERACTION_TRANSFER),
        context.account_sid,
        channel.interaction_sid,
        channel.sid,
        args.get("type", "warm"),
        "active",
        source,
        args.get("target"),
        now,
        now,
        store.next_seq(),
    )
    state.transfers.setdefault(channel.sid, {})[transfer.sid] = transfer
    return (_one_transfer, transfer, channel)


def _transfer(context: Context) -> tuple[InteractionsState, InteractionChannel, Transfer]:
    state, channel = _channel(context)
    found = state.transfers.get(channel.sid, {}).get(context.sid)
    if found is None:
        raise errors.missing(context.resource)
    return state, channel, found


def _fetch_transfer(context: Context) -> Answer:
    _, channel, transfer = _transfer(context)
    return (_one_transfer, transfer, channel)


def _update_transfer(context: Context) -> Answer:
    store = context.store
    state, channel, transfer = _transfer(context)
    status = context.args.get("status")
    if status is not None and status != transfer.status:
        transfer = transfer._replace(status=status, date_updated=store.clock.now())
        state.transfers[channel.sid][transfer.sid] = transfer
    return (_one_transfer, transfer, channel)


_MODELLED = "the description gives the JSON body no members: the fake models them"
OPERATIONS = (
    Operation(
        "create_interaction_participant",
        "POST",
        f"{CHANNEL}/Participants",
        _create_participant,
        described(FLEX.host, "POST", f"{CHANNEL}/Participants"),
        body="form",
        summary="add a participant to an interaction channel (and to its conversation)",
    ),
    Operation(
        "list_interaction_participants",
        "GET",
        f"{CHANNEL}/Participants",
        _list_participants,
        list_key="participants",
        summary="a page of an interaction channel's participants",
    ),
    Operation(
        "update_interaction_participant",
        "POST",
        f"{CHANNEL}/Participants/{{Sid}}",
        _update_participant,
        described(FLEX.host, "POST", f"{CHANNEL}/Participants/{{Sid}}"),
        body="form",
        summary="wrap up or complete a participant's task (`closed`: the agent leaves the "
        "conversation)",
    ),
    Operation(
        "create_interaction_invite",
        "POST",
        f"{CHANNEL}/Invites",
        _create_invite,
        described(FLEX.host, "POST", f"{CHANNEL}/Invites"),
        body="form",
        summary="route a new task to an interaction channel",
    ),
    Operation(
        "list_interaction_invites",
        "GET",
        f"{CHANNEL}/Invites",
        _list_invites,
        list_key="invites",
        summary="a page of an interaction channel's invites",
    ),
    Operation(
        "create_interaction_transfer",
        "POST",
        f"{CHANNEL}/Transfers",
        _create_transfer,
        described(
            FLEX.host,
            "POST",
            f"{CHANNEL}/Transfers",
            Rule("type", _MODELLED, check=one_of(("warm", "cold", "external")), added=True),
            Rule("from", _MODELLED, added=True, python="source"),
            Rule("to", _MODELLED, added=True, python="target"),
        ),
        body="json",
        status=201,
        summary="transfer an interaction channel (JSON body: `type`, `from`, `to`; modelled)",
    ),
    Operation(
        "fetch_interaction_transfer",
        "GET",
        f"{CHANNEL}/Transfers/{{Sid}}",
        _fetch_transfer,
        summary="one transfer",
    ),
    Operation(
        "update_interaction_transfer",
        "POST",
        f"{CHANNEL}/Transfers/{{Sid}}",
        _update_transfer,
        described(
            FLEX.host,
            "POST",
            f"{CHANNEL}/Transfers/{{Sid}}",
            Rule("status", _MODELLED, check=one_of(("active", "failed", "completed")), added=True),
        ),
        body="json",
        summary="change a transfer's status (JSON body: `status`; modelled)",
    ),
)
