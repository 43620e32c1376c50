"""Ready ``RuleBasedStateMachine``s, one a family: ``FlexChannelsStateMachine`` (Flex v1 Channels
and their chats) and ``FlexConversationsStateMachine`` (Conversations and Interactions), each
checking a fresh fake against a plain reference model. Subclass them to check your own code.

The rules talk to the fake through the real ``twilio`` client (installed with your project; not a
dependency of this package).
"""

from __future__ import annotations

# The machines' settings, importable here as they were before the split (a subclass may use them).
from .common import BODIES as BODIES
from .common import HOOKS as HOOKS
from .conversations import CLOSED_AFTER as CLOSED_AFTER
from .conversations import INACTIVE_AFTER as INACTIVE_AFTER
from .conversations import WORKSPACE as WORKSPACE
from .conversations import FlexConversationsStateMachine, ModelConversation, ModelInteraction
from .flex import ChannelModel, FlexChannelsStateMachine, ModelChannel

__all__ = [
    "ChannelModel",
    "FlexChannelsStateMachine",
    "FlexConversationsStateMachine",
    "ModelChannel",
    "ModelConversation",
    "ModelInteraction",
]
