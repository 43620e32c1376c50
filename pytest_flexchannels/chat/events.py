"""Chat's post-event webhooks: which of a channel's webhooks hear an event, and the parameters
Twilio sends for it (modelled on Chat's documented webhook events). REST actions fire them only
when the request says ``X-Twilio-Webhook-Enabled: true`` (``Source=API``); what the simulated agent
and Flex do fires them always (``Source=SDK``, with the acting ``ClientIdentity``)."""

from __future__ import annotations

from ..core.render import format_date
from ..core.webhooks import Webhook
from .state import ChatChannel, ChatMessage, ChatState, Member


def fire(
    chat: ChatState,
    channel_sid: str,
    event: str,
    params: dict[str, str],
    source: str,
    identity: str | None = None,
) -> list[Webhook]:
    """The webhooks that hear ``event`` in ``channel_sid``, each with the event's parameters:
    the service's post-event webhook when its filters name the event, then the channel's."""
    common = {"EventType": event, "Source": source, **params}
    if identity is not None:
        common["ClientIdentity"] = identity
    sent = []
    service = chat.services.get(params.get("InstanceSid", ""))
    if service is not None and service.post_webhook_url and event in service.webhook_filters:
        sent.append(
            Webhook(
                event,
                service.post_webhook_url,
                service.webhook_method,
                dict(common),
                service.post_webhook_retry_count,
            )
        )
    sent += [
        Webhook(
            event,
            hook.url,
            hook.method or "POST",
            {**common, "WebhookType": "webhook", "WebhookSid": hook.sid},
            hook.retry_count or 0,
        )
        for hook in chat.webhooks.get(channel_sid, {}).values()
        if hook.type == "webhook" and hook.url is not None and event in hook.filters
    ]
    return sent


def message(message: ChatMessage) -> dict[str, str]:
    return {
        "AccountSid": message.account_sid,
        "InstanceSid": message.service_sid,
        "ChannelSid": message.channel_sid,
        "MessageSid": message.sid,
        "Index": str(message.position),
        "Body": message.body,
        "Attributes": message.attributes,
        "From": message.author,
        "DateCreated": format_date(message.date_created),
    }


def member(member: Member, reason: str) -> dict[str, str]:
    return {
        "AccountSid": member.account_sid,
        "InstanceSid": member.service_sid,
        "ChannelSid": member.channel_sid,
        "MemberSid": member.sid,
        "Identity": member.identity,
        "RoleSid": member.role_sid,
        "Reason": reason,
        "DateCreated": format_date(member.date_created),
    }


def channel(channel: ChatChannel) -> dict[str, str]:
    params = {
        "AccountSid": channel.account_sid,
        "InstanceSid": channel.service_sid,
        "ChannelSid": channel.sid,
        "Attributes": channel.attributes,
        "DateCreated": format_date(channel.date_created),
        "DateUpdated": format_date(channel.date_updated),
        "CreatedBy": channel.created_by,
        "ChannelType": channel.type,
    }
    if channel.friendly_name is not None:
        params["FriendlyName"] = channel.friendly_name
    if channel.unique_name is not None:
        params["UniqueName"] = channel.unique_name
    return params
