"""Chat services (``/v2/Services``): fetch, list, and update of the name and the service-level
webhooks (``PostWebhookUrl``, ``WebhookMethod``, ``WebhookFilters``, retry counts). Each Flex
Flow's chat service is one; its other settings are those of a new service (modelled)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core import errors
from ..core.paging import PageSpec
from ..core.registry import Operation, Rule, described
from . import state
from .state import DATE, DOMAIN, ROOT, Service
from .webhooks import EVENTS, event, retry_count

if TYPE_CHECKING:
    from ..core.context import Answer, Context
    from ..core.paging import View

LIST_KEY = "services"
_NOTIFICATION = {"enabled": False}


def _json(view: View, service: Service) -> str:
    root = view.root
    url = f"{root}/Services/{service.sid}"
    return state.dump(
        {
            "sid": service.sid,
            "account_sid": service.account_sid,
            "friendly_name": service.friendly_name,
            "date_created": DATE(service.date_created),
            "date_updated": DATE(service.date_updated),
            "default_service_role_sid": state.role(service.sid, "service user"),
            "default_channel_role_sid": state.role(service.sid, "channel user"),
            "default_channel_creator_role_sid": state.role(service.sid, "channel admin"),
            "read_status_enabled": True,
            "reachability_enabled": False,
            "typing_indicator_timeout": 5,
            "consumption_report_interval": 10,
            "limits": {"channel_members": 100, "user_channels": 250},
            "pre_webhook_url": service.pre_webhook_url,
            "post_webhook_url": service.post_webhook_url,
            "webhook_method": service.webhook_method,
            "webhook_filters": list(service.webhook_filters),
            "pre_webhook_retry_count": service.pre_webhook_retry_count,
            "post_webhook_retry_count": service.post_webhook_retry_count,
            "notifications": {
                "removed_from_channel": _NOTIFICATION,
                "log_enabled": False,
                "added_to_channel": _NOTIFICATION,
                "new_message": _NOTIFICATION,
                "invited_to_channel": _NOTIFICATION,
            },
            "media": {
                "size_limit_mb": 150,
                "compatibility_message": "Media messages are not supported by your client",
            },
            "url": url,
            "links": state.links(
                root, f"/Services/{service.sid}", ("Channels", "Users", "Roles", "Bindings")
            ),
        }
    )


def _fetch(context: Context) -> Answer:
    return (_json, state.service(context, state.of(context), context.sid))


def _seq(service: Service) -> int:
    return service.seq


_PAGES = PageSpec(ROOT, LIST_KEY, _json, _seq)


def _list(context: Context) -> Answer:
    every = sorted(state.of(context).services.values(), key=_seq)
    return context.page(_PAGES, every)


def _update(context: Context) -> Answer:
    store, args = context.store, dict(context.args)
    chat = state.of(context)
    service = state.service(context, chat, context.sid)
    filters = context.values("WebhookFilters")
    if any(event not in EVENTS for event in filters):
        raise errors.webhook_filter()
    if filters:
        args["webhook_filters"] = tuple(dict.fromkeys(filters))
    if args:
        service = service._replace(**args, date_updated=store.clock.now())
        chat.services[service.sid] = service
    return (_json, service)


_UNMODELLED = "not modelled: a service's other settings are a new service's (ignored)"
_UNMODELLED_SETTINGS = (
    "DefaultServiceRoleSid",
    "DefaultChannelRoleSid",
    "DefaultChannelCreatorRoleSid",
    "ReadStatusEnabled",
    "ReachabilityEnabled",
    "TypingIndicatorTimeout",
    "ConsumptionReportInterval",
    "Notifications.",
    "Limits.",
    "Media.",
)
OPERATIONS = (
    Operation(
        "fetch_chat_service",
        "GET",
        f"{ROOT}/{{Sid}}",
        _fetch,
        summary="one chat service",
        domain=DOMAIN.name,
    ),
    Operation(
        "list_chat_services",
        "GET",
        ROOT,
        _list,
        list_key=LIST_KEY,
        summary="a page of chat services (each Flex Flow's), oldest first",
        domain=DOMAIN.name,
    ),
    Operation(
        "update_chat_service",
        "POST",
        f"{ROOT}/{{Sid}}",
        _update,
        described(
            DOMAIN.host,
            "POST",
            f"{ROOT}/{{Sid}}",
            *(Rule(wire, _UNMODELLED, skip=True) for wire in _UNMODELLED_SETTINGS),
            Rule("WebhookFilters", "Chat's events only, or Chat's own error", check=event),
            Rule("PreWebhookRetryCount", "0 to 3, or Chat's own error", check=retry_count),
            Rule("PostWebhookRetryCount", "0 to 3, or Chat's own error", check=retry_count),
        ),
        body="form",
        summary="rename a chat service, or set its webhooks (`PostWebhookUrl`, `WebhookFilters`)",
        domain=DOMAIN.name,
    ),
)
