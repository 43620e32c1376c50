"""The Conversations machine, a ready ``RuleBasedStateMachine`` for the successor stack:
conversations (some with timers), participants, messages and their webhooks, interactions routing
them to Flex, and time passing on the fake's clock, each answer checked against a plain model.

The rules talk to the fake through the real ``twilio`` client (installed with your project; not a
dependency of this package).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, invariant, rule

from .common import BODIES, HOOKS, _FakeMachine

if TYPE_CHECKING:
    from twilio.rest import Client

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


class FlexConversationsStateMachine(_FakeMachine):
    """The successor stack, against a plain model: two accounts; conversations (some with
    timers), participants, customer messages with webhooks asked for, agent replies,
    conversation-scoped webhooks, interactions that settle on their second read and close their
    conversation, time passing on the fake's clock. Every answer, every conversation's messages
    and state, and every signed ``onMessageAdded`` delivery is checked against the model."""

    _heard_by = "ConversationSid"
    identities: tuple[str, ...] = ("alice", "bob", "+15005550100")

    conversations = Bundle("conversations")

    def __init__(self) -> None:
        super().__init__(now="2026-06-01T10:00:00Z")
        self.model: dict[str, ModelConversation] = {}

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
