"""Property tests of the example app: Hypothesis strategies, a fresh fake per example, and the
ready state machine with the app's own rules mixed into arbitrary Flex activity."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import rule
from sms_bridge import SmsBridge
from twilio.rest import Client

from pytest_flexchannels import FlexChannelsMock
from pytest_flexchannels.stateful import FlexChannelsStateMachine
from pytest_flexchannels.strategies import flex_flow_sids

NUMBERS = st.sampled_from(["+15005550100", "+15005550101", "+447700900123"])
TEXTS = st.lists(st.tuples(NUMBERS, st.text(max_size=40)), max_size=12)


@given(texts=TEXTS, flow_sid=flex_flow_sids())
def test_each_customer_has_exactly_one_channel(texts: list[tuple[str, str]], flow_sid: str) -> None:
    # A fresh fake per example: a function-scoped fixture would be shared by every example.
    with FlexChannelsMock(flex_flow_sid=flow_sid) as fake:
        bridge = SmsBridge(Client(fake.account_sid, fake.auth_token), flow_sid)
        for number, body in texts:
            bridge.on_inbound_sms(number, body)

        customers = {number for number, _ in texts}
        assert sorted(c.identity for c in fake.channels) == sorted(customers)
        for number in customers:
            conversation = bridge.conversation_for(number)
            assert conversation is not None
            assert fake.get_channel(conversation.channel_sid).identity == number


class BridgeMachine(FlexChannelsStateMachine):
    """The bridge's rules interleaved with the machine's: agents ending chats, channels deleted
    behind the app's back, other identities and accounts at work."""

    def __init__(self) -> None:
        super().__init__()
        self.account = self.accounts[0]
        self.flow_sid = self.flows[0]["task"]
        self.bridge = SmsBridge(self.client(self.account), self.flow_sid)

    @rule(number=NUMBERS, body=st.text(max_size=40))
    def text_arrives(self, number: str, body: str) -> None:
        conversation = self.bridge.on_inbound_sms(number, body)
        answer = {"sid": conversation.channel_sid, "task_sid": conversation.task_sid}
        self.expect_create(self.account.sid, self.flow_sid, number, answer)
        # The bridge asks for webhooks when it posts (as Flex's guides say to).
        self.expect_message(self.account.sid, conversation.channel_sid, number, body, webhooks=True)

    @rule(number=NUMBERS)
    def agent_closes(self, number: str) -> None:
        known = self.bridge.conversation_for(number)
        closed = self.bridge.close(number)
        if known is None:
            assert closed is False
        else:
            self.expect_delete(self.account.sid, known.channel_sid, closed)


BridgeMachine.TestCase.settings = settings(deadline=None, stateful_step_count=30)
TestBridgeMachine = BridgeMachine.TestCase
