"""Conversation-scoped webhooks (``.../Conversations/{ConversationSid}/Webhooks``): create,
fetch, list, update, delete; up to five a conversation. A ``webhook`` one names a URL, a method
and the events it hears (``Configuration.Filters``); a ``trigger`` one a URL and the keywords
that start a message it hears (``Configuration.Triggers``); a ``studio`` one a Studio flow
(kept, not run)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core import errors, sids
from ..core.paging import PageSpec
from ..core.registry import Rule, described, url
from ..core.webhooks import shown
from . import state
from .events import EVENTS
from .records import Conversation, ConversationsState, ConversationWebhook
from .state import DATE

if TYPE_CHECKING:
    from ..core.context import Answer, Context
    from ..core.paging import View

LIST_KEY = "webhooks"
TRIGGERS = 5  # keywords a trigger webhook takes


def _configuration(webhook: ConversationWebhook) -> dict[str, Any]:
    return shown(
        url=webhook.url,
        method=webhook.method,
        filters=webhook.filters,
        triggers=webhook.triggers,
        flow_sid=webhook.flow_sid,
        replay_after=webhook.replay_after,
    )


def _json(view: View, webhook: ConversationWebhook) -> str:
    root, resource = view.root, view.resource
    base = state.base(resource, webhook.chat_service_sid)
    shown: dict[str, Any] = {
        "sid": webhook.sid,
        "account_sid": webhook.account_sid,
        "conversation_sid": webhook.conversation_sid,
        "target": webhook.target,
        "url": f"{root}{base}/Conversations/{webhook.conversation_sid}/Webhooks/{webhook.sid}",
        "configuration": _configuration(webhook),
        "date_created": DATE(webhook.date_created),
        "date_updated": DATE(webhook.date_updated),
    }
    if base:
        shown = {**shown, "chat_service_sid": webhook.chat_service_sid}
    return state.dump(shown)


def _webhooks(
    context: Context,
) -> tuple[ConversationsState, Conversation, dict[str, ConversationWebhook]]:
    chat, conversation, _ = state.parent(context)
    return chat, conversation, chat.webhooks.setdefault(conversation.sid, {})


def _configured(context: Context, webhook: ConversationWebhook) -> ConversationWebhook:
    """``webhook`` with the configuration the request sets, checked as a whole."""
    args = context.args
    filters = tuple(dict.fromkeys(context.values("Configuration.Filters")))
    if any(event not in EVENTS for event in filters):
        raise errors.conversation_webhook_filter()
    triggers = tuple(dict.fromkeys(context.values("Configuration.Triggers")))
    if len(triggers) > TRIGGERS:
        raise errors.too_many_conversation_webhook_triggers()
    webhook = webhook._replace(
        url=args.get("url", webhook.url),
        method=args.get("method", webhook.method),
        filters=filters or webhook.filters,
        triggers=triggers or webhook.triggers,
        flow_sid=args.get("flow_sid", webhook.flow_sid),
        replay_after=args.get("replay_after", webhook.replay_after),
    )
    if webhook.target in ("webhook", "trigger") and webhook.url is None:
        raise errors.conversation_webhook_url_missing()
    if webhook.target == "trigger" and not webhook.triggers:
        raise errors.conversation_webhook_trigger_missing()
    if webhook.target == "studio" and webhook.flow_sid is None:
        raise errors.conversation_webhook_flow()
    return webhook


def _create(context: Context) -> Answer:
    target = context.args.get("target")
    if target is None:
        raise errors.conversation_webhook_target_missing()
    chat, conversation, _ = _webhooks(context)
    webhook = _configured(context, state.draft_webhook(context, conversation, target))
    return (_json, state.add_webhook(context, chat, webhook))


def _found(
    context: Context,
) -> tuple[dict[str, ConversationWebhook], ConversationWebhook]:
    webhooks = _webhooks(context)[2]
    webhook = webhooks.get(context.sid)
    if webhook is None:
        raise errors.missing(context.resource)
    return webhooks, webhook


def _fetch(context: Context) -> Answer:
    return (_json, _found(context)[1])


def _seq(webhook: ConversationWebhook) -> int:
    return webhook.seq


_PAGES = PageSpec(None, LIST_KEY, _json, _seq)


def _list(context: Context) -> Answer:
    every = list(_webhooks(context)[2].values())
    return context.page(_PAGES, every)


def _update(context: Context) -> Answer:
    webhooks, webhook = _found(context)
    webhook = _configured(context, webhook)
    webhook = webhooks[webhook.sid] = webhook._replace(date_updated=context.store.clock.now())
    return (_json, webhook)


def _delete(context: Context) -> None:
    webhooks, webhook = _found(context)
    del webhooks[webhook.sid]


def _target(wire: str, raw: Any) -> str:
    if raw not in ("webhook", "trigger", "studio"):
        raise errors.conversation_webhook_target()
    return str(raw)


_target.__name__ = "one of webhook, trigger, studio"


def _flow(wire: str, raw: Any) -> str:
    if not sids.is_sid(raw, sids.STUDIO_FLOW):
        raise errors.conversation_webhook_flow()
    return str(raw)


_flow.__name__ = "`FW…` SID"


def _method(wire: str, raw: Any) -> str:
    if str(raw).lower() not in ("get", "post"):
        raise errors.invalid_parameter(wire, errors.EXPECTED_ONE_OF.format(values="get, post"))
    return str(raw).lower()


_method.__name__ = "get or post"


def _filters(wire: str, raw: Any) -> str:
    if raw not in EVENTS:
        raise errors.conversation_webhook_filter()
    return str(raw)


_filters.__name__ = "events, repeated"
_CONFIGURATION = (
    Rule("Configuration.Url", "refused unless a URL delivery can call", check=url),
    Rule("Configuration.Method", "either case, kept lower-case", check=_method),
    Rule("Configuration.Filters", "Conversations' events only, or its own error", check=_filters),
    Rule("Configuration.FlowSid", "Conversations' own error for a bad one", check=_flow),
)
_PATH = "/{ConversationSid}/Webhooks"
OPERATIONS = (
    *state.declare(
        "create_conversation_webhook",
        "POST",
        _PATH,
        _create,
        described(
            state.DOMAIN.host,
            "POST",
            f"{state.ROOT}{_PATH}",
            Rule(
                "Target",
                "a missing or bad one gets Conversations' own errors",
                check=_target,
                required=False,
            ),
            *_CONFIGURATION,
        ),
        body="form",
        status=201,
        summary="add a webhook to a conversation (five at most)",
    ),
    *state.declare(
        "list_conversation_webhooks",
        "GET",
        _PATH,
        _list,
        list_key=LIST_KEY,
        summary="a page of a conversation's webhooks, oldest first",
    ),
    *state.declare(
        "fetch_conversation_webhook", "GET", f"{_PATH}/{{Sid}}", _fetch, summary="one webhook"
    ),
    *state.declare(
        "update_conversation_webhook",
        "POST",
        f"{_PATH}/{{Sid}}",
        _update,
        described(state.DOMAIN.host, "POST", f"{state.ROOT}{_PATH}/{{Sid}}", *_CONFIGURATION),
        body="form",
        summary="change a webhook's configuration",
    ),
    *state.declare(
        "delete_conversation_webhook",
        "DELETE",
        f"{_PATH}/{{Sid}}",
        _delete,
        status=204,
        summary="remove a webhook",
    ),
)
