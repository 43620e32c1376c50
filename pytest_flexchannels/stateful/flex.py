"""The Channels machine, a ready ``RuleBasedStateMachine``: arbitrary create/fetch/list/delete/
deactivate sequences on a fresh fake, with chat messages from the app and the agent and the
channel webhooks that hear them, each answer and each delivery checked against a plain reference
model.

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
from hypothesis.stateful import Bundle, invariant, rule

from ..core.world import Account
from ..flex import models as flex_models
from ..flex.models import INTEGRATION_TYPES
from ..strategies.common import task_sids
from .common import BODIES, HOOKS, _FakeMachine

if TYPE_CHECKING:
    from twilio.rest import Client


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


class FlexChannelsStateMachine(_FakeMachine):
    """Two accounts with a flow of each integration type, identities that repeat, and rules for
    every operation, including paging with creates and deletes between pages."""

    _heard_by = "ChannelSid"
    identities: tuple[str, ...] = ("alice", "bob", "+15005550100", "whatsapp:+15005550100")

    channels = Bundle("channels")

    def __init__(self) -> None:
        super().__init__()
        self.model = ChannelModel()
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
