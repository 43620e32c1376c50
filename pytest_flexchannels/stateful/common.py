"""What the state machines share: a fresh fake with two accounts, and the webhooks it sends to the
machine heard in process, each with its signature checked."""

from __future__ import annotations

from typing import Any, ClassVar

from hypothesis.stateful import RuleBasedStateMachine

from ..core.webhooks import WebhookRequest
from ..core.world import Account
from ..mock import FlexChannelsMock

HOOKS = "https://hooks.machine.example"  # where the machine's webhooks are routed, in process
BODIES = ("Hi", "Where is my order?", "Thanks!", "¿Hola?", "")


class _FakeMachine(RuleBasedStateMachine):
    """A fresh fake (``options`` are its own) with two accounts; ``heard`` records each webhook
    to ``HOOKS``: the SID it names (its ``_heard_by`` parameter), whether the signature is its
    account's (checked by twilio's own ``RequestValidator``), and its parameters."""

    seed = 0
    _heard_by: ClassVar[str]

    def __init__(self, **options: Any) -> None:
        super().__init__()
        self.fake = FlexChannelsMock(seed=self.seed, **options)
        self.fake.start()
        self.accounts: list[Account] = [self.fake.account, self.fake.add_account()]
        self.heard: list[tuple[str, bool, dict[str, str]]] = []
        self.fake.route_webhooks(HOOKS, self._hear)

    def _hear(self, hook: WebhookRequest) -> int:
        from twilio.request_validator import RequestValidator

        account = next(a for a in self.accounts if a.sid == hook.params.get("AccountSid"))
        signed = hook.headers.get("X-Twilio-Signature", "")
        valid = RequestValidator(account.auth_token).validate(hook.url, hook.params, signed)
        self.heard.append((hook.params.get(self._heard_by, ""), valid, hook.params))
        return 204

    def teardown(self) -> None:
        self.fake.stop()
