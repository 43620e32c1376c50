"""Chat channel webhooks (``.../Channels/{ChannelSid}/Webhooks``): create, fetch, list, update,
delete; up to five a channel. ``webhook`` ones name a URL, a method, the events they hear
(``Configuration.Filters``) and how often a failed delivery is retried (0 to 3)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core import errors, sids
from ..core.paging import PageSpec
from ..core.registry import Operation, Rule, described, url
from ..core.webhooks import shown
from . import state
from .channels import PATH as CHANNELS
from .state import DATE, DOMAIN, ChatState, Webhook

if TYPE_CHECKING:
    from ..core.context import Answer, Context
    from ..core.paging import View

PATH = f"{CHANNELS}/{{ChannelSid}}/Webhooks"
LIST_KEY = "webhooks"
LIMIT = 5
# The post-event webhooks a channel webhook can hear (modelled on Chat's webhook events).
EVENTS = (
    "onMessageSent",
    "onMessageUpdated",
    "onMessageRemoved",
    "onMediaMessageSent",
    "onMemberAdded",
    "onMemberUpdated",
    "onMemberRemoved",
    "onChannelUpdated",
    "onChannelDestroyed",
)


_RETRY_COUNTS = ("0", "1", "2", "3")


def retry_count(wire: str, raw: Any) -> int:
    """0 to 3, leading zeros allowed; a number of any length is read only as far as it must be
    (past 4,300 digits ``int`` itself refuses one)."""
    digits = str(raw).lstrip("0") or "0"
    if digits not in _RETRY_COUNTS:
        raise errors.webhook_retry_count()
    return int(digits)


retry_count.__name__ = "integer 0 to 3"


def event(wire: str, raw: Any) -> str:
    if raw not in EVENTS:
        raise errors.webhook_filter()
    return str(raw)


event.__name__ = "events, repeated"


def _configuration(webhook: Webhook) -> dict[str, Any]:
    return shown(
        url=webhook.url,
        method=webhook.method,
        filters=webhook.filters,
        triggers=webhook.triggers,
        flow_sid=webhook.flow_sid,
        retry_count=webhook.retry_count or 0,
    )


def _json(view: View, webhook: Webhook) -> str:
    root = view.root
    return state.dump(
        {
            "sid": webhook.sid,
            "account_sid": webhook.account_sid,
            "service_sid": webhook.service_sid,
            "channel_sid": webhook.channel_sid,
            "type": webhook.type,
            "url": f"{root}/Services/{webhook.service_sid}/Channels/{webhook.channel_sid}"
            f"/Webhooks/{webhook.sid}",
            "configuration": _configuration(webhook),
            "date_created": DATE(webhook.date_created),
            "date_updated": DATE(webhook.date_updated),
        }
    )


def _webhooks(context: Context, chat: ChatState) -> tuple[str, str, dict[str, Webhook]]:
    service = state.service(context, chat, context.path[0])
    channel_sid = state.channel_sid(context, chat, service.sid, context.path[1])
    return service.sid, channel_sid, chat.webhooks.setdefault(channel_sid, {})


def _filters(context: Context) -> tuple[str, ...] | None:
    given = context.values("Configuration.Filters")
    if not given:
        return None
    if any(event not in EVENTS for event in given):
        raise errors.webhook_filter()
    return tuple(dict.fromkeys(given))


def _configured(context: Context, webhook: Webhook) -> Webhook:
    """``webhook`` with the configuration the request sets, checked as a whole."""
    args = context.args
    filters = _filters(context)
    triggers = tuple(context.values("Configuration.Triggers")) or None
    webhook = webhook._replace(
        url=args.get("url", webhook.url),
        method=args.get("method", webhook.method),
        filters=webhook.filters if filters is None else filters,
        triggers=webhook.triggers if triggers is None else triggers,
        flow_sid=args.get("flow_sid", webhook.flow_sid),
        retry_count=args.get("retry_count", webhook.retry_count),
    )
    if webhook.type in ("webhook", "trigger") and webhook.url is None:
        raise errors.webhook_url_missing()
    return webhook


def _create(context: Context) -> Answer:
    store, args = context.store, context.args
    kind = args.get("type")
    if kind is None:
        raise errors.webhook_type_missing()
    service_sid, channel_sid, webhooks = _webhooks(context, state.of(context))
    now = store.clock.now()
    webhook = Webhook(
        store.sids.new(sids.WEBHOOK),
        context.account_sid,
        service_sid,
        channel_sid,
        kind,
        None,
        "POST" if kind in ("webhook", "trigger") else None,
        (),
        (),
        None,
        None,
        now,
        now,
        store.next_seq(),
    )
    webhook = _configured(context, webhook)
    if len(webhooks) >= LIMIT:
        raise errors.too_many_webhooks()
    webhooks[webhook.sid] = webhook
    return (_json, webhook)


def _found(context: Context, webhooks: dict[str, Webhook]) -> Webhook:
    webhook = webhooks.get(context.sid)
    if webhook is None:
        raise errors.missing(context.resource)
    return webhook


def _fetch(context: Context) -> Answer:
    return (_json, _found(context, _webhooks(context, state.of(context))[2]))


def _seq(webhook: Webhook) -> int:
    return webhook.seq


_PAGES = PageSpec(None, LIST_KEY, _json, _seq)


def _list(context: Context) -> Answer:
    every = sorted(_webhooks(context, state.of(context))[2].values(), key=_seq)
    return context.page(_PAGES, every)


def _update(context: Context) -> Answer:
    store = context.store
    webhooks = _webhooks(context, state.of(context))[2]
    webhook = _configured(context, _found(context, webhooks))
    webhook = webhooks[webhook.sid] = webhook._replace(date_updated=store.clock.now())
    return (_json, webhook)


def _delete(context: Context) -> None:
    webhooks = _webhooks(context, state.of(context))[2]
    del webhooks[_found(context, webhooks).sid]


_CONFIGURATION = (
    Rule("Configuration.Url", "refused unless a URL delivery can call", check=url),
    Rule("Configuration.Filters", "Chat's events only, or Chat's own error", check=event),
    Rule("Configuration.RetryCount", "0 to 3, or Chat's own error", check=retry_count),
)
_INSTANCE = f"{PATH}/{{Sid}}"
OPERATIONS = (
    Operation(
        "create_chat_webhook",
        "POST",
        PATH,
        _create,
        described(
            DOMAIN.host,
            "POST",
            PATH,
            Rule("Type", "the handler answers a missing one with Chat's own error", required=False),
            *_CONFIGURATION,
        ),
        body="form",
        status=201,
        summary="add a webhook to a chat channel (five at most)",
        domain=DOMAIN.name,
    ),
    Operation(
        "list_chat_webhooks",
        "GET",
        PATH,
        _list,
        list_key=LIST_KEY,
        summary="a page of a chat channel's webhooks, oldest first",
        domain=DOMAIN.name,
    ),
    Operation(
        "fetch_chat_webhook", "GET", _INSTANCE, _fetch, summary="one webhook", domain=DOMAIN.name
    ),
    Operation(
        "update_chat_webhook",
        "POST",
        _INSTANCE,
        _update,
        described(DOMAIN.host, "POST", _INSTANCE, *_CONFIGURATION),
        body="form",
        summary="change a webhook's configuration",
        domain=DOMAIN.name,
    ),
    Operation(
        "delete_chat_webhook",
        "DELETE",
        _INSTANCE,
        _delete,
        status=204,
        summary="remove a webhook",
        domain=DOMAIN.name,
    ),
)
