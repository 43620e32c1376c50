"""Webhooks as the README names them: ``signature`` (sign parameters as Twilio does, to test an
app's handler) and the records of deliveries. They live in ``core.webhooks``."""

from __future__ import annotations

from .core.webhooks import Delivery, WebhookLog, WebhookRequest, signature

__all__ = ["Delivery", "WebhookLog", "WebhookRequest", "signature"]
