"""Flex WebChats (``POST /v2/WebChats``): a guest opens a web chat through an address
configuration. The fake opens a conversation in the configuration's conversation service (its
friendly name ``ChatFriendlyName``, its attributes the ``pre_engagement_data``), adds the guest
(``Identity``, or a new one), and gives the conversation the webhook or Studio flow the
configuration's auto-creation names, as Flex does (what goes into the attributes and the
participant's is modelled)."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from ..conversations import state as conversations
from ..core import errors, surrogates
from ..core.registry import Operation, described
from ..flex.models import FLEX

if TYPE_CHECKING:
    from ..core.context import Answer, Context
    from ..core.paging import View


def _json(view: View, conversation_sid: str, identity: str) -> str:
    return json.dumps({"conversation_sid": conversation_sid, "identity": identity})


def _create(context: Context) -> Answer:
    store, args = context.store, context.args
    chat = conversations.of(context)
    try:
        address = conversations.find_address(context, chat, args["address_sid"])
    except errors.FlexApiError:
        raise errors.address_configuration_missing() from None
    auto = address.auto_creation
    if not auto.get("enabled"):
        raise errors.address_auto_creation_disabled()
    if auto.get("type") == "studio" and not auto.get("studio_flow_sid"):
        raise errors.address_studio_flow_missing()
    text = args.get("pre_engagement_data")
    try:
        engagement = surrogates.loads(text) if text is not None else {}
    except (ValueError, RecursionError):
        engagement = text
    service = auto.get("conversation_service_sid") or conversations.default_service(
        store, context.account_sid
    )
    conversation = conversations.create_conversation(
        context,
        chat,
        service,
        {
            "friendly_name": args.get("chat_friendly_name"),
            "attributes": json.dumps({"pre_engagement_data": engagement}),
        },
    )
    identity = args.get("identity") or str(
        uuid.UUID(int=store.sids.values.getrandbits(128), version=4)
    )
    friendly = args.get("customer_friendly_name")
    attributes = json.dumps({} if friendly is None else {"friendly_name": friendly})
    conversations.add_participant(
        context, chat, conversation, {"identity": identity, "attributes": attributes}
    )
    kind = auto.get("type")
    hook: dict[str, Any] | None = None
    if kind == "webhook" and auto.get("webhook_url"):
        hook = {
            "url": auto["webhook_url"],
            "method": auto.get("webhook_method") or "POST",
            "filters": tuple(auto.get("webhook_filters") or ("onMessageAdded",)),
        }
    elif kind == "studio":
        hook = {"flow_sid": auto["studio_flow_sid"]}
    if hook is not None:
        target = "studio" if kind == "studio" else "webhook"
        draft = conversations.draft_webhook(context, conversation, target)
        conversations.add_webhook(context, chat, draft._replace(**hook))
    return (_json, conversation.sid, identity)


OPERATIONS = (
    Operation(
        "create_web_chat",
        "POST",
        "/v2/WebChats",
        _create,
        described(FLEX.host, "POST", "/v2/WebChats"),
        body="form",
        status=201,
        summary="a guest opens a web chat through an address configuration: a conversation "
        "with the guest in it",
    ),
)
