"""The model-based test: the fake, driven through HTTP by the real twilio client, against a plain
reference model. A modest example count by default; ``--hypothesis-profile=thorough`` (as CI
runs it) drives thousands of sequences."""

from __future__ import annotations

from hypothesis import settings

from pytest_flexchannels.stateful import FlexChannelsStateMachine, FlexConversationsStateMachine

# The deadline is per example, and an example is a whole sequence of HTTP round trips.
FlexChannelsStateMachine.TestCase.settings = settings(deadline=None, stateful_step_count=40)
TestFlexChannels = FlexChannelsStateMachine.TestCase


FlexConversationsStateMachine.TestCase.settings = settings(deadline=None, stateful_step_count=40)
TestFlexConversations = FlexConversationsStateMachine.TestCase
