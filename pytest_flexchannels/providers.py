"""``FlexChannelsProvider``: a Faker provider of realistic Flex Channels data.

Every value is drawn from the Faker generator's own random source, so ``Faker.seed_instance``
reproduces it. The values come from ``pytest_flexchannels.values``, the same word lists the
fixture's seeding defaults use.
"""

from __future__ import annotations

import json

from faker.providers import BaseProvider

from . import values
from .core import sids
from .flex.models import CHANNEL_TYPES


class FlexChannelsProvider(BaseProvider):
    """``fake.add_provider(FlexChannelsProvider)``, then ``fake.flex_channel_sid()`` and friends."""

    def _sid(self, prefix: str) -> str:
        return f"{prefix}{self.generator.random.getrandbits(128):032x}"

    def flex_channel_sid(self) -> str:
        return self._sid(sids.CHANNEL)

    def flex_flow_sid(self) -> str:
        return self._sid(sids.FLEX_FLOW)

    def twilio_account_sid(self) -> str:
        return self._sid(sids.ACCOUNT)

    def chat_user_sid(self) -> str:
        return self._sid(sids.USER)

    def taskrouter_task_sid(self) -> str:
        return self._sid(sids.TASK)

    def flex_identity(self, channel_type: str | None = None) -> str:
        """A chat identity shaped for ``channel_type`` (any Flex channel type when None)."""
        rng = self.generator.random
        return values.identity(rng, channel_type or rng.choice(CHANNEL_TYPES))

    def flex_chat_user_friendly_name(self) -> str:
        return values.person_name(self.generator.random)

    def flex_chat_friendly_name(self) -> str:
        return values.chat_friendly_name(values.person_name(self.generator.random))

    def flex_target(self) -> str:
        """An E.164 number or a ``whatsapp:`` address."""
        return values.target(self.generator.random)

    def flex_pre_engagement_data(self) -> str:
        """JSON text with ``friendly_name``, ``email`` and ``question``."""
        return values.pre_engagement_data(self.generator.random)

    def flex_task_attributes(self) -> str:
        """TaskRouter task attributes as JSON text."""
        return values.task_attributes(self.generator.random)

    def flex_chat_message_body(self) -> str:
        """A chat message as a customer or an agent writes it."""
        return values.message_body(self.generator.random)

    def flex_agent_reply(self) -> str:
        """What an agent answers."""
        return str(self.generator.random.choice(values.REPLIES))

    def chat_message_sid(self) -> str:
        return self._sid(sids.MESSAGE)

    # --- Flex Conversations --------------------------------------------------------------------

    def conversation_sid(self) -> str:
        return self._sid(sids.CHANNEL)

    def conversation_participant_sid(self) -> str:
        return self._sid(sids.MEMBER)

    def conversation_address_configuration_sid(self) -> str:
        return self._sid(sids.ADDRESS_CONFIGURATION)

    def flex_interaction_sid(self) -> str:
        return self._sid(sids.INTERACTION)

    def flex_interaction_channel_sid(self) -> str:
        return self._sid(sids.INTERACTION_CHANNEL)

    def flex_interaction_channel(self, media_channel_sid: str | None = None) -> str:
        """An interaction's ``Channel`` (JSON text): a customer-initiated SMS, WhatsApp or web
        chat routing the conversation ``media_channel_sid`` (a new SID when not given)."""
        kind = self.generator.random.choice(("sms", "whatsapp", "web", "chat"))
        conversation = media_channel_sid or self.conversation_sid()
        return json.dumps(
            {
                "type": kind,
                "initiated_by": "customer",
                "properties": {"media_channel_sid": conversation},
            }
        )

    def flex_interaction_routing(self, workspace_sid: str | None = None) -> str:
        """An interaction's ``Routing`` (JSON text): a workspace, a workflow and the customer's
        name and number as task attributes."""
        name = values.person_name(self.generator.random)
        return json.dumps(
            {
                "properties": {
                    "workspace_sid": workspace_sid or self._sid(sids.WORKSPACE),
                    "workflow_sid": self._sid(sids.WORKFLOW),
                    "task_channel_unique_name": "chat",
                    "attributes": {
                        "customerName": name,
                        "customerAddress": values.phone_number(self.generator.random),
                    },
                }
            }
        )
