"""Ready ``RuleBasedStateMachine``s, one a family: ``FlexChannelsStateMachine`` (Flex v1 Channels
and their chats) and ``FlexConversationsStateMachine`` (Conversations and Interactions), each
checking a fresh fake against a plain reference model. Subclass them to check your own code.

The rules talk to the fake through the real ``twilio`` client (installed with your project; not a
dependency of this package).
"""

from __future__ import annotations

# The machines' settings, importable here as they were before the split (a subclass may use them).
from .flex import BODIES as BODIES
from .flex import CLOSED_AFTER as CLOSED_AFTER
from .flex import HOOKS as HOOKS
from .flex import INACTIVE_AFTER as INACTIVE_AFTER
from .flex import WORKSPACE as WORKSPACE
from .flex import (
    ChannelModel,
    FlexChannelsStateMachine,
    FlexConversationsStateMachine,
    ModelChannel,
    ModelConversation,
    ModelInteraction,
)

__all__ = [
    "ChannelModel",
    "FlexChannelsStateMachine",
    "FlexConversationsStateMachine",
    "ModelChannel",
    "ModelConversation",
    "ModelInteraction",
]
