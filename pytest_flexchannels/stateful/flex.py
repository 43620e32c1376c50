"""A ready ``RuleBasedStateMachine``: arbitrary create/fetch/list/delete/deactivate sequences on a
fresh fake, with chat messages from the app and the agent and the channel webhooks that hear
them, each answer and each delivery checked against a plain reference model.

Run it as it is (``TestChannels = FlexChannelsStateMachine.TestCase``), or subclass it to check
your own code: add rules that drive your code, then report what it did to Flex through the
``expect_*`` methods, which check the answers against the model and keep the model in step. The
invariant compares the fake's whole store with the model after every step.

The default rules talk to the fake through the real ``twilio`` client (installed with your
project; not a dependency of this package).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from ..core.webhooks import WebhookRequest
from ..core.world import Account
from ..flex import models as flex_models
from ..flex.models import INTEGRATION_TYPES
from ..mock import FlexChannelsMock
from ..strategies import task_sids

HOOKS = "https://hooks.machine.example"  # where the machine's webhooks are routed, in process
BODIES = ("Hi", "Where is my order?", "Thanks!", "¿Hola?", "")

if TYPE_CHECKING:
    from twilio.rest import Client

__all__ = [
    "ChannelModel",
    "FlexChannelsStateMachine",
    "FlexConversationsStateMachine",
    "ModelChannel",
    "ModelConversation",
    "ModelInteraction",
]


def _heard(
    accounts: list[Account], hook: WebhookRequest, key: str
) -> tuple[str, bool, dict[str, str]]:
    """A webhook a machine heard: the SID it names (``key``), whether the signature is its
    account's (checked by twilio's own ``RequestValidator``), and its parameters."""
    from twilio.request_validator import RequestValidator

    account = next(a for a in accounts if a.sid == hook.params.get("AccountSid"))
    signed = hook.headers.get("X-Twilio-Signature", "")
    valid = RequestValidator(account.auth_token).validate(hook.url, hook.params, signed)
    return hook.params.get(key, ""), valid, hook.params


@dataclass
class ModelChannel:
    sid: str
    account_sid: str
    flex_flow_sid: str
    identity: str
    user_sid: str
    task_sid: str | None
    position: int
    active: bool = True
    messages: list[tuple[str, str]] = field(default_factory=list)  # (from, body), in order
    webhooks: int = 0  # channel webhooks registered (each hears onMessageSent)
    delivered: int = 0  # onMessageSent deliveries its webhooks should have had


@dataclass
class ChannelModel:
    """What the Channels resource should hold, in the plainest terms: lists and dicts."""

    flows: dict[str, str] = field(default_factory=dict)  # flow SID -> integration type
    channels: dict[str, list[ModelChannel]] = field(default_factory=dict)  # by account
    users: dict[tuple[str, str], str] = field(default_factory=dict)  # (account, identity)
    seen: set[str] = field(default_factory=set)  # every channel SID ever created
    _positions: int = 0

    def of(self, account_sid: str) -> list[ModelChannel]:
        return self.channels.setdefault(account_sid, [])

    def find(self, account_sid: str, sid: str) -> ModelChannel | None:
        return next((c for c in self.of(account_sid) if c.sid == sid), None)

    def active(self, account_sid: str, flow_sid: str, identity: str) -> ModelChannel | None:
        return next(
            (
                c
                for c in self.of(account_sid)
                if c.active and c.flex_flow_sid == flow_sid and c.identity == identity
            ),
            None,
        )

    def add(self, channel: ModelChannel) -> None:
        self._positions += 1
        channel.position = self._positions
        self.of(channel.account_sid).append(channel)
        self.seen.add(channel.sid)
        self.users[(channel.account_sid, channel.identity)] = channel.user_sid

    def remove(self, account_sid: str, sid: str) -> None:
        self.channels[account_sid] = [c for c in self.of(account_sid) if c.sid != sid]

    def after(self, account_sid: str, position: int, count: int) -> list[ModelChannel]:
        return [c for c in self.of(account_sid) if c.position > position][:count]


class FlexChannelsStateMachine(RuleBasedStateMachine):
    """Two accounts with a flow of each integration type, identities that repeat, and rules for
    every operation, including paging with creates and deletes between pages."""

    seed = 0
    identities: tuple[str, ...] = ("alice", "bob", "+15005550100", "whatsapp:+15005550100")

    channels = Bundle("channels")

    def __init__(self) -> None:
        super().__init__()
        self.fake = FlexChannelsMock(seed=self.seed)
        self.fake.start()
        self.model = ChannelModel()
        self.accounts: list[Account] = [self.fake.account, self.fake.add_account()]
        # flows[account index][integration type] -> flow SID
        self.flows: list[dict[str, str]] = []
        for account in self.accounts:
            by_type: dict[str, str] = {}
            for integration_type in INTEGRATION_TYPES:
                flow = self.fake.add_flex_flow(integration_type, account_sid=account.sid)
                by_type[integration_type] = flow.sid
                self.model.flows[flow.sid] = integration_type
            self.flows.append(by_type)
        self._clients: dict[str, Client] = {}
        self.services = {
            flow.sid: flow.chat_service_sid
            for account in self.accounts
            for flow in flex_models.flex_flows(self.fake._store, account.sid)
        }
        # Webhooks go to a recorder in process: (channel SID, signature valid, parameters).
        self.heard: list[tuple[str, bool, dict[str, str]]] = []
        self.fake.route_webhooks(HOOKS, self._hear)

    def _hear(self, hook: WebhookRequest) -> int:
        self.heard.append(_heard(self.accounts, hook, "ChannelSid"))
        return 204

    def teardown(self) -> None:
        self.fake.stop()

    def client(self, account: Account) -> Client:
        """The real twilio client for ``account``, answered by this machine's fake."""
        if account.sid not in self._clients:
            from twilio.rest import Client

            self._clients[account.sid] = Client(account.sid, account.auth_token)
        return self._clients[account.sid]

    # --- checks that keep the model in step (call them from your own rules) -------------------

    def expect_create(
        self,
        account_sid: str,
        flow_sid: str,
        identity: str,
        channel: Mapping[str, Any],
        task_sid: str | None = None,
    ) -> None:
        """A create of (flow, identity) answered ``channel`` (at least its ``sid``; ``user_sid``
        and ``task_sid`` are checked when present). ``task_sid`` is the TaskSid sent, if any."""
        existing = self.model.active(account_sid, flow_sid, identity)
        if existing is not None:
            assert channel["sid"] == existing.sid, (
                f"get-or-create: expected the active channel {existing.sid} of "
                f"({flow_sid}, {identity!r}), got {channel['sid']}"
            )
            for key in ("user_sid", "task_sid"):
                if key in channel:
                    assert channel[key] == getattr(existing, key), key
            return
        assert channel["sid"] not in self.model.seen, (
            f"({flow_sid}, {identity!r}) has no active channel, so a create opens a new one; "
            f"got {channel['sid']}, which existed before"
        )
        user_sid = self.model.users.get((account_sid, identity), channel.get("user_sid"))
        if "user_sid" in channel:
            assert channel["user_sid"] == user_sid, "the same identity keeps its chat user"
        is_task = self.model.flows[flow_sid] == "task"
        if "task_sid" in channel:
            assert (channel["task_sid"] is not None) == is_task, "task_sid only on task flows"
            if is_task and task_sid is not None:
                assert channel["task_sid"] == task_sid, "the given TaskSid is used"
        stored = self.fake.get_channel(channel["sid"], account_sid)
        self.model.add(
            ModelChannel(
                sid=channel["sid"],
                account_sid=account_sid,
                flex_flow_sid=flow_sid,
                identity=identity,
                user_sid=user_sid or stored.user_sid,
                task_sid=channel.get("task_sid", stored.task_sid),
                position=0,
            )
        )

    def expect_delete(self, account_sid: str, sid: str, deleted: bool) -> None:
        """A delete of ``sid`` succeeded (``deleted``) or was refused as unknown."""
        exists = self.model.find(account_sid, sid) is not None
        assert deleted == exists, f"delete of {sid} {'succeeded' if deleted else 'failed'}"
        if exists:
            self.model.remove(account_sid, sid)

    def expect_deactivate(self, account_sid: str, sid: str) -> None:
        """The agent ended the chat of ``sid`` (the fake was told through ``deactivate``)."""
        channel = self.model.find(account_sid, sid)
        if channel is not None:
            channel.active = False

    def expect_message(
        self, account_sid: str, sid: str, author: str, body: str, *, webhooks: bool = False
    ) -> None:
        """The app posted ``body`` as ``author`` in the chat of channel ``sid`` (asking for
        webhooks with ``X-Twilio-Webhook-Enabled: true`` when ``webhooks``)."""
        channel = self.model.find(account_sid, sid)
        assert channel is not None, f"a message was posted in {sid}, which the model lacks"
        channel.messages.append((author, body))
        if webhooks:
            channel.delivered += channel.webhooks

    # --- rules ---------------------------------------------------------------------------------

    @rule(
        target=channels,
        account=st.integers(0, 1),
        integration_type=st.sampled_from(INTEGRATION_TYPES),
        identity=st.sampled_from(identities),
        task_sid=st.none() | task_sids(),
        long_lived=st.booleans(),
    )
    def create(
        self,
        account: int,
        integration_type: str,
        identity: str,
        task_sid: str | None,
        long_lived: bool,
    ) -> tuple[int, str]:
        flow_sid = self.flows[account][integration_type]
        extra: dict[str, Any] = {"task_sid": task_sid} if task_sid else {}
        created = self.client(self.accounts[account]).flex_api.v1.channel.create(
            flex_flow_sid=flow_sid,
            identity=identity,
            chat_user_friendly_name=f"{identity} (user)",
            chat_friendly_name=f"Chat with {identity}",
            long_lived=long_lived,
            **extra,
        )
        answer = {"sid": created.sid, "user_sid": created.user_sid, "task_sid": created.task_sid}
        assert created.account_sid == self.accounts[account].sid
        assert created.flex_flow_sid == flow_sid
        self.expect_create(self.accounts[account].sid, flow_sid, identity, answer, task_sid)
        return account, created.sid

    @rule(channel=channels)
    def fetch(self, channel: tuple[int, str]) -> None:
        from twilio.base.exceptions import TwilioRestException

        account, sid = channel
        expected = self.model.find(self.accounts[account].sid, sid)
        try:
            fetched = self.client(self.accounts[account]).flex_api.v1.channel(sid).fetch()
        except TwilioRestException as error:
            assert expected is None, f"fetch of an existing channel failed: {error}"
            assert (error.status, error.code) == (404, 20404)
            return
        assert expected is not None, "fetch of a deleted channel succeeded"
        assert (fetched.sid, fetched.user_sid, fetched.task_sid, fetched.flex_flow_sid) == (
            expected.sid,
            expected.user_sid,
            expected.task_sid,
            expected.flex_flow_sid,
        )

    @rule(channel=channels)
    def fetch_from_the_other_account(self, channel: tuple[int, str]) -> None:
        from twilio.base.exceptions import TwilioRestException

        account, sid = channel
        other = self.accounts[1 - account]
        try:
            self.client(other).flex_api.v1.channel(sid).fetch()
        except TwilioRestException as error:
            assert (error.status, error.code) == (404, 20404)
        else:
            raise AssertionError("an account fetched another account's channel")

    @rule(channel=channels)
    def delete(self, channel: tuple[int, str]) -> None:
        from twilio.base.exceptions import TwilioRestException

        account, sid = channel
        try:
            deleted = self.client(self.accounts[account]).flex_api.v1.channel(sid).delete()
        except TwilioRestException as error:
            assert (error.status, error.code) == (404, 20404)
            deleted = False
        self.expect_delete(self.accounts[account].sid, sid, deleted)

    def _any_stored(self, data: st.DataObject) -> ModelChannel | None:
        """Any channel the model holds, including those a subclass's own rules created."""
        every = [c for channels in self.model.channels.values() for c in channels]
        return data.draw(st.sampled_from(every), label="channel") if every else None

    @rule(data=st.data())
    def delete_any(self, data: st.DataObject) -> None:
        channel = self._any_stored(data)
        if channel is not None:
            account = next(i for i, a in enumerate(self.accounts) if a.sid == channel.account_sid)
            self.delete((account, channel.sid))

    @rule(data=st.data())
    def deactivate(self, data: st.DataObject) -> None:
        """The agent ended the chat (the fake's control API: Flex has no public call for it)."""
        channel = self._any_stored(data)
        if channel is not None:
            self.fake.deactivate(channel.sid, channel.account_sid)
            self.expect_deactivate(channel.account_sid, channel.sid)

    @rule(account=st.integers(0, 1), page_size=st.integers(1, 5))
    def list_all(self, account: int, page_size: int) -> None:
        expected = [c.sid for c in self.model.of(self.accounts[account].sid)]
        # One more than expected: a store that repeats a channel is caught, not followed forever.
        listed = self.client(self.accounts[account]).flex_api.v1.channel.list(
            limit=len(expected) + 1, page_size=page_size
        )
        assert [c.sid for c in listed] == expected

    @rule(account=st.integers(0, 1), page_size=st.integers(1, 3), data=st.data())
    def page_with_changes_between_pages(
        self, account: int, page_size: int, data: st.DataObject
    ) -> None:
        """Pages stay exact while channels are created and deleted between page requests."""
        account_sid = self.accounts[account].sid
        client = self.client(self.accounts[account])
        page = client.flex_api.v1.channel.page(page_size=page_size)
        position = 0
        while True:
            expected = self.model.after(account_sid, position, page_size)
            assert [c.sid for c in page] == [c.sid for c in expected]
            if expected:
                position = expected[-1].position
            has_more = bool(self.model.after(account_sid, position, 1))
            assert (page.next_page_url is not None) == has_more
            change = data.draw(st.sampled_from(["none", "create", "delete"]), label="change")
            if change == "create":
                self.create(
                    account, "studio", data.draw(st.sampled_from(self.identities)), None, False
                )
            elif change == "delete" and self.model.of(account_sid):
                victim = data.draw(st.sampled_from(self.model.of(account_sid)), label="delete")
                self.delete((account, victim.sid))
            if page.next_page_url is None:
                # Created after the last page was served: not reachable from it (as on Twilio).
                return
            page = page.next_page()

    def _chat(self, channel: ModelChannel) -> Any:
        account = next(a for a in self.accounts if a.sid == channel.account_sid)
        service = self.services[channel.flex_flow_sid]
        return self.client(account).chat.v2.services(service).channels(channel.sid)

    @rule(data=st.data(), body=st.sampled_from(BODIES))
    def customer_writes(self, data: st.DataObject, body: str) -> None:
        """The app posts the customer's text in the channel's chat (no webhooks asked for)."""
        channel = self._any_stored(data)
        if channel is not None:
            posted = self._chat(channel).messages.create(from_=channel.identity, body=body)
            assert posted.index == len(channel.messages), "indexes count the channel's messages"
            self.expect_message(channel.account_sid, channel.sid, channel.identity, body)

    @rule(data=st.data(), body=st.sampled_from(BODIES))
    def agent_replies(self, data: st.DataObject, body: str) -> None:
        """The agent answers: every webhook of the channel hears it, signed."""
        channel = self._any_stored(data)
        if channel is not None:
            message = self.fake.agent_reply(channel.sid, body, account_sid=channel.account_sid)
            assert (message.author, message.body) == ("agent", body)
            channel.messages.append(("agent", body))
            channel.delivered += channel.webhooks

    @rule(data=st.data())
    def register_webhook(self, data: st.DataObject) -> None:
        """The app asks for the channel's messages at its endpoint (five webhooks at most)."""
        from twilio.base.exceptions import TwilioRestException

        channel = self._any_stored(data)
        if channel is None:
            return
        try:
            self._chat(channel).webhooks.create(
                type="webhook",
                configuration_url=f"{HOOKS}/{channel.sid}",
                configuration_filters=["onMessageSent"],
            )
        except TwilioRestException as error:
            # Flex gave channels of studio and external flows a webhook of its own.
            own = int(self.model.flows[channel.flex_flow_sid] != "task")
            assert channel.webhooks + own == 5, f"a webhook was refused: {error}"
            assert (error.status, error.code) == (403, 50321)
            return
        channel.webhooks += 1

    @invariant()
    def chats_match_model(self) -> None:
        for channels in self.model.channels.values():
            for channel in channels:
                stored = self.fake.messages(channel.sid, channel.account_sid)
                assert [(m.author, m.body) for m in stored] == channel.messages
                heard = [h for h in self.heard if h[0] == channel.sid]
                assert len(heard) == channel.delivered, "each agent message, once per webhook"
        assert all(valid for _, valid, _ in self.heard), "every webhook signed"

    @invariant()
    def store_matches_model(self) -> None:
        stored = [(c.account_sid, c.sid, c.active) for c in self.fake.channels]
        modelled = sorted(
            (
                (c.account_sid, c.sid, c.active, c.position)
                for cs in self.model.channels.values()
                for c in cs
            ),
            key=lambda entry: entry[3],
        )
        assert stored == [entry[:3] for entry in modelled]


# --- Flex Conversations --------------------------------------------------------------------------

INACTIVE_AFTER, CLOSED_AFTER = 300, 1200  # the timers of the machine's timed conversations, s
WORKSPACE = "WS" + "0" * 31 + "1"


@dataclass
class ModelConversation:
    sid: str
    account_sid: str
    last_activity: float  # seconds on the fake's clock when its timers last started
    timed: bool
    closed: bool = False
    inactive: bool = False
    identities: list[str] = field(default_factory=list)
    messages: list[tuple[str, str]] = field(default_factory=list)  # (author, body), in order
    webhooks: int = 0  # scoped webhooks registered (each hears onMessageAdded)
    delivered: int = 0  # onMessageAdded deliveries they should have had
    interactions: list[ModelInteraction] = field(default_factory=list)

    def state(self, now: float) -> str:
        """What the conversation's state is at ``now`` (timers counted from the last
        activity: inactive after 5 minutes, closed after 20)."""
        if not self.closed and self.timed and now >= self.last_activity + CLOSED_AFTER:
            self.closed = True
        if not self.closed and self.timed and now >= self.last_activity + INACTIVE_AFTER:
            self.inactive = True
        return "closed" if self.closed else "inactive" if self.inactive else "active"


@dataclass
class ModelInteraction:
    sid: str
    channel_sid: str
    reads: int = 0  # the channel's reads so far (the first answers setup)
    closed: bool = False


class FlexConversationsStateMachine(RuleBasedStateMachine):
    """The successor stack, against a plain model: two accounts; conversations (some with
    timers), participants, customer messages with webhooks asked for, agent replies,
    conversation-scoped webhooks, interactions that settle on their second read and close their
    conversation, time passing on the fake's clock. Every answer, every conversation's messages
    and state, and every signed ``onMessageAdded`` delivery is checked against the model."""

    seed = 0
    identities: tuple[str, ...] = ("alice", "bob", "+15005550100")

    conversations = Bundle("conversations")

    def __init__(self) -> None:
        super().__init__()
        self.fake = FlexChannelsMock(seed=self.seed, now="2026-06-01T10:00:00Z")
        self.fake.start()
        self.accounts: list[Account] = [self.fake.account, self.fake.add_account()]
        self.model: dict[str, ModelConversation] = {}
        self.heard: list[tuple[str, bool, dict[str, str]]] = []
        self.fake.route_webhooks(HOOKS, self._hear)

    def _hear(self, hook: WebhookRequest) -> int:
        self.heard.append(_heard(self.accounts, hook, "ConversationSid"))
        return 204

    def teardown(self) -> None:
        self.fake.stop()

    def _now(self) -> float:
        return self.fake.clock.now().timestamp()

    def _client(self, account_sid: str) -> Client:
        return self.fake.client(account_sid)

    def _conversation(self, model: ModelConversation) -> Any:
        return self._client(model.account_sid).conversations.v1.conversations(model.sid)

    def _refused(self, call: Any, status: int, code: int) -> None:
        from twilio.base.exceptions import TwilioRestException

        try:
            call()
        except TwilioRestException as error:
            assert (error.status, error.code) == (status, code), error
        else:
            raise AssertionError(f"expected {status}/{code}")

    @rule(target=conversations, account=st.integers(0, 1), timed=st.booleans())
    def open_conversation(self, account: int, timed: bool) -> str:
        sid = self.accounts[account].sid
        timers = {"timers_inactive": "PT5M", "timers_closed": "PT20M"} if timed else {}
        made = self._client(sid).conversations.v1.conversations.create(**timers)
        assert made.state == "active" and made.sid not in self.model
        self.model[made.sid] = ModelConversation(made.sid, sid, self._now(), timed)
        conversation_sid: str = made.sid
        return conversation_sid

    @rule(sid=conversations, identity=st.sampled_from(identities))
    def add_participant(self, sid: str, identity: str) -> None:
        model = self.model[sid]
        participants = self._conversation(model).participants
        if model.state(self._now()) == "closed":
            self._refused(lambda: participants.create(identity=identity), 400, 50377)
        elif identity in model.identities:
            self._refused(lambda: participants.create(identity=identity), 409, 50433)
        else:
            assert participants.create(identity=identity).identity == identity
            model.identities.append(identity)

    @rule(sid=conversations, body=st.sampled_from(BODIES[:-1]), author=st.sampled_from(identities))
    def customer_writes(self, sid: str, body: str, author: str) -> None:
        """The app posts a text, asking for webhooks: the conversation's webhooks hear it."""
        model = self.model[sid]
        messages = self._conversation(model).messages

        def send() -> Any:
            return messages.create(author=author, body=body, x_twilio_webhook_enabled="true")

        if model.state(self._now()) == "closed":
            self._refused(send, 400, 50377)
            return
        posted = send()
        assert posted.index == len(model.messages), "indexes count the conversation's messages"
        model.messages.append((author, body))
        model.delivered += model.webhooks
        model.inactive, model.last_activity = False, self._now()

    @rule(sid=conversations, body=st.sampled_from(BODIES[:-1]))
    def agent_replies(self, sid: str, body: str) -> None:
        from ..core.errors import FlexApiError

        model = self.model[sid]
        if model.state(self._now()) == "closed":
            try:
                self.fake.agent_reply(sid, body, account_sid=model.account_sid)
            except FlexApiError as error:
                assert error.code == 50377
                return
            raise AssertionError("an agent replied in a closed conversation")
        message = self.fake.agent_reply(sid, body, account_sid=model.account_sid)
        assert (message.author, message.body) == ("agent", body)
        if "agent" not in model.identities:
            model.identities.append("agent")
        model.messages.append(("agent", body))
        model.delivered += model.webhooks
        model.inactive, model.last_activity = False, self._now()

    @rule(sid=conversations)
    def register_webhook(self, sid: str) -> None:
        model = self.model[sid]
        webhooks = self._conversation(model).webhooks

        def create() -> Any:
            return webhooks.create(
                target="webhook",
                configuration_url=f"{HOOKS}/{sid}",
                configuration_filters=["onMessageAdded"],
            )

        if model.webhooks == 5:
            self._refused(create, 400, 50361)
        else:
            create()
            model.webhooks += 1

    @rule(sid=conversations)
    def route_to_flex(self, sid: str) -> None:
        """An interaction routes the conversation to Flex (a closed one takes none)."""
        model = self.model[sid]
        interactions = self._client(model.account_sid).flex_api.v1.interaction

        def create() -> Any:
            return interactions.create(
                channel={
                    "type": "chat",
                    "initiated_by": "customer",
                    "properties": {"media_channel_sid": sid},
                },
                routing={"properties": {"workspace_sid": WORKSPACE}},
            )

        if model.state(self._now()) == "closed":
            self._refused(create, 400, 45354)
            return
        made = create()
        model.interactions.append(ModelInteraction(made.sid, made.channel["sid"]))

    @rule(sid=conversations, data=st.data())
    def poll_interaction(self, sid: str, data: st.DataObject) -> None:
        """A read of an interaction's channel: ``setup`` first, then ``active`` (or closed)."""
        model = self.model[sid]
        if not model.interactions:
            return
        interaction = data.draw(st.sampled_from(model.interactions))
        client = self._client(model.account_sid).flex_api.v1.interaction(interaction.sid)
        status = client.channels(interaction.channel_sid).fetch().status
        interaction.reads += 1
        expected = (
            "closed" if interaction.closed else "setup" if interaction.reads == 1 else "active"
        )
        assert status == expected, (status, expected)

    @rule(sid=conversations, data=st.data())
    def agent_closes_the_interaction(self, sid: str, data: st.DataObject) -> None:
        """Closing an interaction's channel closes its conversation."""
        model = self.model[sid]
        open_ones = [i for i in model.interactions if not i.closed]
        if not open_ones:
            return
        interaction = data.draw(st.sampled_from(open_ones))
        client = self._client(model.account_sid).flex_api.v1.interaction(interaction.sid)
        assert client.channels(interaction.channel_sid).update(status="closed").status == "closed"
        interaction.reads += 1
        interaction.closed = True
        model.state(self._now())
        model.closed = True
        if "agent" in model.identities:  # the agents leave the conversation
            model.identities.remove("agent")

    @rule(seconds=st.sampled_from([30, 299, 300, 900, 1200]))
    def time_passes(self, seconds: int) -> None:
        for model in self.model.values():
            model.state(self._now())  # what was due before, stays
        self.fake.advance(seconds)

    @invariant()
    def conversations_match_model(self) -> None:
        now = self._now()
        for model in self.model.values():
            fetched = self._conversation(model).fetch()
            assert fetched.state == model.state(now), (model.sid, fetched.state)
            stored = self.fake.messages(model.sid, model.account_sid)
            assert [(m.author, m.body) for m in stored] == model.messages
            members = self._conversation(model).participants.list()
            assert sorted(p.identity for p in members) == sorted(model.identities)
            heard = [
                h for h in self.heard if h[0] == model.sid and h[2]["EventType"] == "onMessageAdded"
            ]
            assert len(heard) == model.delivered, "each message, once per webhook"
        assert all(valid for _, valid, _ in self.heard), "every webhook signed"
