"""Flex Interactions (``/v1/Interactions``): create, fetch, update; an interaction's channels
(list, fetch, update to ``closed`` or ``inactive``), in one world with Conversations.

An interaction is created asynchronously, as Twilio documents it: the answer (200) names its
channel, which answers ``setup`` to its first reads (``interaction_setup_fetches``, and until
``interaction_setup_seconds`` passed on the fake's clock) before it is ``active``, or ``failed``
with an error (``fc.fail_interaction_setup``, or a conversation that does not exist). A
customer-initiated interaction routes an existing conversation (``Channel.properties.
media_channel_sid``); an agent- or API-initiated one opens a new conversation with its
``participants``. A ``Routing`` makes a TaskRouter task (shown in the answer's ``routing``, with
the attributes Flex adds). Closing the channel closes its conversation (the agents leave it).
"""

from __future__ import annotations

import json
from collections import deque
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from ..conversations import state as conversations
from ..core import errors, sids
from ..core.clock import later
from ..core.paging import PageSpec
from ..core.registry import Operation, Rule, described, text
from ..flex.models import FLEX

if TYPE_CHECKING:
    from ..core.context import Answer, Context
    from ..core.paging import View
    from ..core.world import Store

PATH = "/v1/Interactions"
CHANNEL_TYPES = ("voice", "sms", "email", "web", "whatsapp", "chat", "messenger", "gbm")
INITIATORS = ("customer", "agent", "api")
OPEN = ("setup", "active", "pause", "transfer")  # a channel's statuses that hold it open
DEFAULT_FAILURE = (19025, "Channel validation error")  # the failure Twilio's examples show


class Task(NamedTuple):
    """The TaskRouter task a routing made, as the interaction's answer shows it."""

    sid: str
    account_sid: str
    workspace_sid: str
    workflow_sid: str | None
    queue_sid: str | None
    worker_sid: str | None
    channel_name: str
    attributes: str
    assignment_status: str
    priority: int
    timeout: int
    date_created: int  # seconds since the epoch, as TaskRouter's own dates
    date_updated: int


class Interaction(NamedTuple):
    sid: str
    account_sid: str
    channel_type: str
    channel_sid: str
    task: Task | None
    interaction_context_sid: str | None
    webhook_ttid: str | None
    seq: int


class InteractionChannel(NamedTuple):
    sid: str
    account_sid: str
    interaction_sid: str
    type: str
    status: str
    error_code: int | None
    error_message: str | None
    conversation_sid: str | None
    reads_left: int  # reads it still answers ``setup`` to
    ready_at: datetime | None  # and not before this time
    failure: tuple[int, str] | None  # what it settles as, when it fails
    seq: int


class InteractionParticipant(NamedTuple):
    sid: str
    account_sid: str
    interaction_sid: str
    channel_sid: str
    type: str
    routing_properties: dict[str, Any] | None
    member_sid: str | None  # the conversation participant it is, if any
    status: str | None
    seq: int


class Invite(NamedTuple):
    sid: str
    account_sid: str
    interaction_sid: str
    channel_sid: str
    task: Task
    seq: int


class Transfer(NamedTuple):
    sid: str
    account_sid: str
    interaction_sid: str
    channel_sid: str
    type: str
    status: str
    source: str | None  # the API's ``from``
    target: str | None  # the API's ``to``
    date_created: datetime
    date_updated: datetime
    seq: int


class InteractionsState:
    """One account's interactions, their channels and what hangs off each channel."""

    def __init__(self) -> None:
        self.interactions: dict[str, Interaction] = {}
        self.channels: dict[str, InteractionChannel] = {}
        self.participants: dict[str, dict[str, InteractionParticipant]] = {}  # by channel SID
        self.invites: dict[str, dict[str, Invite]] = {}
        self.transfers: dict[str, dict[str, Transfer]] = {}


class _Failure:
    """A failure the test asked for, and how many more channels settle as it."""

    __slots__ = ("error", "left")

    def __init__(self, error: tuple[int, str], left: int) -> None:
        self.error, self.left = error, left


class Lifecycle:
    """How new interaction channels settle (the fake's options, then the test's word): the
    reads they answer ``setup`` to, the seconds before they may be ``active``, and the
    failures the next ones settle as, in order, each with a count (never one entry a
    channel: ``times`` may be large)."""

    def __init__(self) -> None:
        self.fetches = 1
        self.seconds: float | None = None
        self.failures: deque[_Failure] = deque()

    def fail(self, code: int, message: str, times: int) -> None:
        self.failures.append(_Failure((code, message), times))

    def next_failure(self) -> tuple[int, str] | None:
        """The failure the next channel settles as (counted as used), or None."""
        if not self.failures:
            return None
        first = self.failures[0]
        first.left -= 1
        if first.left <= 0:
            self.failures.popleft()
        return first.error


def configure(store: Store, options: Any) -> None:
    """A fresh store's interaction channels settle as the fake's options say."""
    lifecycle = store.shared(Lifecycle)
    lifecycle.fetches = options.interaction_setup_fetches
    lifecycle.seconds = options.interaction_setup_seconds


def orphans(store: Store) -> list[tuple[int, str]]:
    """Every interaction channel still open, of every account (``check_orphans``)."""
    return [
        (
            channel.seq,
            f"interaction channel {channel.sid} ({channel.status}) of interaction "
            f"{channel.interaction_sid}, account {account}",
        )
        for account, kept in store.states(InteractionsState)
        for channel in kept.channels.values()
        if channel.status in OPEN
    ]


def of(context: Any) -> InteractionsState:
    found: InteractionsState = context.store.state(context.account_sid, InteractionsState)
    return found


# --- parameters ----------------------------------------------------------------------------------


def routing_of(wire: str, routing: dict[str, Any], outbound: bool = False) -> dict[str, Any]:
    """A routing's ``properties``: a workspace SID always; a queue and a worker for an
    agent-initiated (outbound) contact."""
    properties = routing.get("properties")
    if not isinstance(properties, dict):
        raise errors.invalid_parameter(wire, errors.EXPECTED_ROUTING)
    needed = [("workspace_sid", sids.WORKSPACE)]
    if outbound:
        needed += [("queue_sid", "WQ"), ("worker_sid", "WK")]
    for name, prefix in needed:
        value = properties.get(name)
        if not isinstance(value, str) or not sids.is_sid(value, prefix):
            raise errors.invalid_parameter(wire, errors.EXPECTED_ROUTING)
    for name, (low, high) in TASK_BOUNDS.items():
        value = properties.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and not low <= value <= high:
            raise errors.invalid_parameter(wire, f"{name} must be {low:,} to {high:,}")
    return properties


# The ranges TaskRouter's description gives a task's priority and timeout (seconds: two weeks).
TASK_BOUNDS = {"priority": (0, 2**31 - 1), "timeout": (1, 1_209_600)}


def new_task(context: Any, properties: dict[str, Any], flex: dict[str, str], kind: str) -> Task:
    """The task a routing makes: its attributes are the routing's, with what Flex adds."""
    store = context.store
    given = properties.get("attributes")
    attributes = dict(given) if isinstance(given, dict) else {}
    attributes.update(flex)
    attributes.setdefault("channelType", kind)
    now = int(store.clock.now().timestamp())
    priority, timeout = properties.get("priority"), properties.get("timeout")
    return Task(
        store.sids.new(sids.TASK),
        context.account_sid,
        properties["workspace_sid"],
        _text(properties.get("workflow_sid")),
        _text(properties.get("queue_sid")),
        _text(properties.get("worker_sid")),
        _text(properties.get("task_channel_unique_name")) or "default",
        json.dumps(attributes, separators=(",", ":")),
        "pending",
        priority if isinstance(priority, int) and not isinstance(priority, bool) else 0,
        timeout if isinstance(timeout, int) and not isinstance(timeout, bool) else 86400,
        now,
        now,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def task_json(task: Task) -> dict[str, Any]:
    return {
        "account_sid": task.account_sid,
        "workspace_sid": task.workspace_sid,
        "sid": task.sid,
        "workflow_sid": task.workflow_sid,
        "queue_sid": task.queue_sid,
        "routing_target": task.worker_sid,
        "task_channel_unique_name": task.channel_name,
        "attributes": task.attributes,
        "assignment_status": task.assignment_status,
        "priority": task.priority,
        "timeout": task.timeout,
        "age": 0,
        "reason": "",
        "addons": "{}",
        "date_created": task.date_created,
        "date_updated": task.date_updated,
    }


def _json(view: View, interaction: Interaction) -> str:
    root = view.root
    at = f"{root}/Interactions/{interaction.sid}"
    task = interaction.task
    return conversations.dump(
        {
            "sid": interaction.sid,
            "channel": {"type": interaction.channel_type, "sid": interaction.channel_sid},
            "routing": None
            if task is None
            else {"reservation": None, "properties": task_json(task)},
            "url": at,
            "links": {"channels": f"{at}/Channels"},
            "interaction_context_sid": interaction.interaction_context_sid,
            "webhook_ttid": interaction.webhook_ttid,
        }
    )


def channel_url(root: str, channel: InteractionChannel) -> str:
    return f"{root}/Interactions/{channel.interaction_sid}/Channels/{channel.sid}"


def _channel_json(view: View, channel: InteractionChannel) -> str:
    root = view.root
    at = channel_url(root, channel)
    return conversations.dump(
        {
            "sid": channel.sid,
            "interaction_sid": channel.interaction_sid,
            "type": channel.type,
            "status": channel.status,
            "error_code": channel.error_code,
            "error_message": channel.error_message,
            "url": at,
            "links": {
                "participants": f"{at}/Participants",
                "invites": f"{at}/Invites",
                "transfers": f"{at}/Transfers",
            },
        }
    )


# --- create -------------------------------------------------------------------------------------


def _invalid_channel() -> errors.FlexApiError:
    return errors.channel_request_invalid()


def _members(channel: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The ``participants`` of an agent- or API-initiated channel, each checked as the
    conversation would check it (an identity, or an address with another proxy address), so
    that the conversation is made whole or not at all."""
    members = channel.get("participants")
    if not isinstance(members, list) or not members:
        raise _invalid_channel()
    checked = []
    for member in members:
        if not isinstance(member, dict):
            raise _invalid_channel()
        identity, address = member.get("identity"), member.get("address")
        proxy = member.get("proxy_address")
        if isinstance(identity, str) and identity:
            checked.append({"identity": identity})
        elif isinstance(address, str) and isinstance(proxy, str) and "" != address != proxy != "":
            checked.append({"address": address, "proxy_address": proxy})
        else:
            raise _invalid_channel()
    keys = [tuple(sorted(m.items())) for m in checked]
    if len(set(keys)) != len(keys):
        raise _invalid_channel()
    return checked


def _create(context: Context) -> Answer:
    store, args = context.store, context.args
    channel = args["channel"]
    kind = channel.get("type")
    initiated = channel.get("initiated_by")
    initiated = initiated.lower() if isinstance(initiated, str) else None
    if kind not in CHANNEL_TYPES or initiated not in INITIATORS:
        raise _invalid_channel()
    routing = args.get("routing")
    if routing is None:
        raise errors.missing_parameter("Routing")
    properties = routing_of("Routing", routing, outbound=initiated == "agent")
    given = channel.get("properties")
    media = given.get("media_channel_sid") if isinstance(given, dict) else None
    if media is not None and (not isinstance(media, str) or not sids.is_sid(media, "CH")):
        raise _invalid_channel()
    if initiated == "customer" and media is None:
        raise _invalid_channel()
    members = _members(channel, kind) if media is None else []
    state = of(context)
    chat = conversations.of(context)
    lifecycle = store.shared(Lifecycle)
    failure: tuple[int, str] | None = None
    conversation_sid = media
    if media is not None:
        found = chat.conversations.get(media)
        if found is None:
            failure = errors.CHANNEL_DOWNSTREAM
        elif found.state == "closed":
            raise errors.channel_for_closed_conversation()
    else:
        service = conversations.default_service(store, context.account_sid)
        made = conversations.create_conversation(context, chat, service, {})
        for member in members:
            conversations.add_participant(context, chat, made, member)
        conversation_sid = made.sid
    if failure is None:
        failure = lifecycle.next_failure()
    interaction_sid = store.sids.new(sids.INTERACTION)
    channel_sid = store.sids.new(sids.INTERACTION_CHANNEL)
    invite_sid = store.sids.new(sids.INTERACTION_INVITE)
    flex = {
        "flexInteractionSid": interaction_sid,
        "flexInteractionChannelSid": channel_sid,
        "flexChannelInviteSid": invite_sid,
        "conversationSid": conversation_sid or "",
        "initiatedBy": initiated,
        "direction": "outbound" if initiated == "agent" else "inbound",
    }
    task = new_task(context, properties, flex, kind)
    now = store.clock.now()
    seconds = lifecycle.seconds
    record = InteractionChannel(
        channel_sid,
        context.account_sid,
        interaction_sid,
        kind,
        "setup",
        None,
        None,
        conversation_sid,
        lifecycle.fetches,
        None if seconds is None else later(now, timedelta(seconds=seconds)),
        failure,
        store.next_seq(),
    )
    interaction = Interaction(
        interaction_sid,
        context.account_sid,
        kind,
        channel_sid,
        task,
        args.get("interaction_context_sid"),
        args.get("webhook_ttid"),
        store.next_seq(),
    )
    state.interactions[interaction.sid] = interaction
    state.channels[channel_sid] = record
    state.invites[channel_sid] = {
        invite_sid: Invite(
            invite_sid, context.account_sid, interaction_sid, channel_sid, task, record.seq
        )
    }
    members_of = state.participants[channel_sid] = {}
    if failure is None and conversation_sid is not None:
        for joined_member in chat.participants.get(conversation_sid, {}).values():
            if joined_member.attributes == conversations.AGENT_ATTRIBUTES:
                continue
            joined = InteractionParticipant(
                store.sids.new(sids.INTERACTION_PARTICIPANT),
                context.account_sid,
                interaction_sid,
                channel_sid,
                "customer",
                None,
                joined_member.sid,
                None,
                store.next_seq(),
            )
            members_of[joined.sid] = joined
    return (_json, interaction)


def interaction(context: Any, state: InteractionsState, sid: str) -> Interaction:
    found = state.interactions.get(sid)
    if found is None:
        raise errors.missing(context.resource)
    return found


def _fetch(context: Context) -> Answer:
    return (_json, interaction(context, of(context), context.sid))


def _update(context: Context) -> Answer:
    state = of(context)
    found = interaction(context, state, context.sid)
    if "webhook_ttid" in context.args:
        found = found._replace(webhook_ttid=context.args["webhook_ttid"])
        state.interactions[found.sid] = found
    return (_json, found)


# --- channels -----------------------------------------------------------------------------------


def settle(
    store: Store, state: InteractionsState, channel: InteractionChannel
) -> InteractionChannel:
    """A channel as a read finds it: one read fewer to answer ``setup`` to, or settled
    (``active``, or ``failed`` with its error) once its reads and its time are done."""
    if channel.status != "setup":
        return channel
    waiting = channel.ready_at is not None and store.clock.now() < channel.ready_at
    if channel.reads_left > 0 or waiting:
        channel = channel._replace(reads_left=max(0, channel.reads_left - 1))
    elif channel.failure is not None:
        code, message = channel.failure
        channel = channel._replace(status="failed", error_code=code, error_message=message)
    else:
        channel = channel._replace(status="active")
    state.channels[channel.sid] = channel
    return channel


def channel_of(
    context: Any, state: InteractionsState, interaction_sid: str, sid: str
) -> InteractionChannel:
    """An interaction's channel (unsettled), or the 404 of the request's path."""
    found = state.channels.get(sid)
    if found is None or found.interaction_sid != interaction_sid:
        raise errors.missing(context.resource)
    return found


def _fetch_channel(context: Context) -> Answer:
    store = context.store
    state = of(context)
    interaction(context, state, context.path[0])
    found = channel_of(context, state, context.path[0], context.sid)
    return (_channel_json, settle(store, state, found))


def _seq(channel: InteractionChannel) -> int:
    return channel.seq


_PAGES = PageSpec(None, "channels", _channel_json, _seq)


def _list_channels(context: Context) -> Answer:
    store = context.store

    state = of(context)
    found = interaction(context, state, context.path[0])
    every = [settle(store, state, state.channels[found.channel_sid])]
    return context.page(_PAGES, every)


def close(
    context: Any,
    state: InteractionsState,
    channel: InteractionChannel,
    status: str,
    routing_status: str | None,
) -> InteractionChannel:
    """``channel`` closed (its conversation closes, its agents leave it) or made inactive (the
    agent leaves; the conversation stays); its tasks wrap up, or complete when the routing's
    status says ``closed`` (always for ``inactive``)."""
    store = context.store
    interaction_record = state.interactions[channel.interaction_sid]
    task = interaction_record.task
    if task is not None:
        done = "completed" if routing_status == "closed" or status == "inactive" else "wrapping"
        task = task._replace(
            assignment_status=done, date_updated=int(store.clock.now().timestamp())
        )
        state.interactions[interaction_record.sid] = interaction_record._replace(task=task)
    channel = channel._replace(status=status)
    state.channels[channel.sid] = channel
    chat = conversations.of(context)
    conversation = chat.conversations.get(channel.conversation_sid or "")
    if conversation is not None and status == "closed":
        acting = conversations.Acting(store, context.account_sid, conversation.sid)
        conversations.end_chat(acting, chat, conversation)
        context.send(acting.sent)
    return channel


def end_chat(context: Any, conversation_sid: str) -> bool:
    """The agent ends the chat of a conversation: each open interaction channel that holds it
    closes (its tasks wrap up, the conversation closes). False when no open one holds it."""
    state = of(context)
    held = [
        c
        for c in state.channels.values()
        if c.conversation_sid == conversation_sid and c.status in OPEN
    ]
    for channel in held:
        close(context, state, channel, "closed", None)
    return bool(held)


def _update_channel(context: Context) -> Answer:
    store, args = context.store, context.args
    state = of(context)
    interaction(context, state, context.path[0])
    found = settle(store, state, channel_of(context, state, context.path[0], context.sid))
    status = args.get("status")
    if status is None:
        raise errors.channel_status_missing(found.sid)
    if status not in ("closed", "inactive") or (found.status == "closed" and status != "closed"):
        raise errors.channel_status_invalid(found.sid)
    routing = args.get("routing") or {}
    routing_status = routing.get("status")
    if routing_status not in (None, "closed") or (
        status == "inactive" and routing_status != "closed"
    ):
        raise errors.invalid_parameter("Routing", errors.EXPECTED_ROUTING_STATUS)
    if found.status != "closed":
        found = close(context, state, found, status, routing_status)
    return (_channel_json, found)


OPERATIONS = (
    Operation(
        "create_interaction",
        "POST",
        PATH,
        _create,
        described(FLEX.host, "POST", PATH),
        body="form",
        summary="route a contact to Flex: its channel (a conversation) and its task; settles "
        "asynchronously",
    ),
    Operation("fetch_interaction", "GET", f"{PATH}/{{Sid}}", _fetch, summary="one interaction"),
    Operation(
        "update_interaction",
        "POST",
        f"{PATH}/{{Sid}}",
        _update,
        described(FLEX.host, "POST", f"{PATH}/{{Sid}}"),
        body="form",
        summary="change an interaction's webhook",
    ),
    Operation(
        "list_interaction_channels",
        "GET",
        f"{PATH}/{{InteractionSid}}/Channels",
        _list_channels,
        list_key="channels",
        summary="a page of an interaction's channels (one): `setup` until it settles",
    ),
    Operation(
        "fetch_interaction_channel",
        "GET",
        f"{PATH}/{{InteractionSid}}/Channels/{{Sid}}",
        _fetch_channel,
        summary="one interaction channel: `setup` until it settles, then `active` or `failed`",
    ),
    Operation(
        "update_interaction_channel",
        "POST",
        f"{PATH}/{{InteractionSid}}/Channels/{{Sid}}",
        _update_channel,
        described(
            FLEX.host,
            "POST",
            f"{PATH}/{{InteractionSid}}/Channels/{{Sid}}",
            Rule(
                "Status",
                "the handler answers a missing or bad one with Flex's errors naming the channel",
                check=text,
                required=False,
            ),
        ),
        body="form",
        summary="close a channel (its conversation closes) or make it inactive; its tasks wrap "
        "up or complete",
    ),
)
