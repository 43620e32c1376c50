"""Address configurations (``/v1/Configuration/Addresses``): create, fetch (by SID or address),
list (``Type``), update, delete. An address (an SMS or WhatsApp number, a web chat) says how a
conversation is made for a new contact: in which conversation service, and with which webhook
or Studio flow (``AutoCreation.*``). One configuration an address."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core import errors, sids
from ..core.paging import PageSpec
from ..core.registry import Operation, Rule, described, one_of, url
from . import state
from .events import EVENTS
from .records import AddressConfiguration
from .state import DATE, DOMAIN

if TYPE_CHECKING:
    from ..core.context import Answer, Context
    from ..core.paging import View

PATH = "/v1/Configuration/Addresses"
LIST_KEY = "address_configurations"
# AutoCreation.* by Python name, as the answer's ``auto_creation`` names them.
_AUTO = (
    "enabled",
    "type",
    "conversation_service_sid",
    "webhook_url",
    "webhook_method",
    "webhook_filters",
    "studio_flow_sid",
    "studio_retry_count",
)


def _json(view: View, address: AddressConfiguration) -> str:
    root = view.root
    return state.dump(
        {
            "sid": address.sid,
            "account_sid": address.account_sid,
            "type": address.type,
            "address": address.address,
            "friendly_name": address.friendly_name,
            "auto_creation": address.auto_creation,
            "date_created": DATE(address.date_created),
            "date_updated": DATE(address.date_updated),
            "url": f"{root}/Configuration/Addresses/{address.sid}",
            "address_country": address.address_country,
        }
    )


def _auto_creation(
    context: Context, kept: dict[str, Any], service_sids: list[str]
) -> dict[str, Any]:
    """``AutoCreation.*`` as the request sets them over ``kept``; a service must be the
    account's."""
    args = context.args
    auto = dict(kept)
    for name in _AUTO:
        if name == "webhook_filters":
            filters = context.values("AutoCreation.WebhookFilters")
            if filters:
                auto[name] = list(dict.fromkeys(filters))
        elif f"auto_{name}" in args:
            auto[name] = args[f"auto_{name}"]
    if auto.get("webhook_method") is not None:
        auto["webhook_method"] = str(auto["webhook_method"]).upper()
    service = auto.get("conversation_service_sid")
    if service is not None and service not in service_sids:
        raise errors.not_found(f"/Services/{service}")
    return auto


def _create(context: Context) -> Answer:
    store, args = context.store, context.args
    chat = state.of(context)
    kind, address = args["type"], args["address"]
    if any(a.address == address and a.type == kind for a in chat.addresses.values()):
        raise errors.address_configuration_exists(address)
    services = state.services(store, context.account_sid)
    auto = {"enabled": False, "type": "default", "conversation_service_sid": services[0]}
    now = store.clock.now()
    created = AddressConfiguration(
        store.sids.new(sids.ADDRESS_CONFIGURATION),
        context.account_sid,
        kind,
        address,
        args.get("friendly_name"),
        _auto_creation(context, auto, services),
        args.get("address_country"),
        now,
        now,
        store.next_seq(),
    )
    chat.addresses[created.sid] = created
    return (_json, created)


def _fetch(context: Context) -> Answer:
    return (_json, state.find_address(context, state.of(context), context.sid))


def _seq(address: AddressConfiguration) -> int:
    return address.seq


_PAGES = PageSpec(PATH, LIST_KEY, _json, _seq, ("Type",))


def _list(context: Context) -> Answer:
    wanted = context.args.get("type")

    every = [a for a in state.of(context).addresses.values() if wanted is None or a.type == wanted]
    return context.page(_PAGES, every)


def _update(context: Context) -> Answer:
    store, args = context.store, context.args
    chat = state.of(context)
    address = state.find_address(context, chat, context.sid)
    services = state.services(store, context.account_sid)
    address = address._replace(
        friendly_name=args.get("friendly_name", address.friendly_name),
        auto_creation=_auto_creation(context, address.auto_creation, services),
        date_updated=store.clock.now(),
    )
    chat.addresses[address.sid] = address
    return (_json, address)


def _delete(context: Context) -> None:
    chat = state.of(context)
    del chat.addresses[state.find_address(context, chat, context.sid).sid]


def _event(wire: str, raw: Any) -> str:
    if raw not in EVENTS:
        raise errors.conversation_webhook_filter()
    return str(raw)


_event.__name__ = "events, repeated"
_AUTO_RULES = (
    Rule("AutoCreation.WebhookUrl", "refused unless a URL delivery can call", check=url),
    Rule(
        "AutoCreation.WebhookMethod",
        "either case (the description lists lower case)",
        check=one_of(("get", "post", "GET", "POST")),
    ),
    Rule("AutoCreation.WebhookFilters", "Conversations' events only, or its error", check=_event),
)
_NAMES = {"AutoCreation.": "auto_"}  # AutoCreation.Type is auto_type, apart from Type
_INSTANCE = f"{PATH}/{{Sid}}"
OPERATIONS = (
    Operation(
        "create_address_configuration",
        "POST",
        PATH,
        _create,
        described(DOMAIN.host, "POST", PATH, *_AUTO_RULES, names=_NAMES),
        body="form",
        status=201,
        summary="configure an address: how a new contact's conversation is made",
        domain=DOMAIN.name,
    ),
    Operation(
        "list_address_configurations",
        "GET",
        PATH,
        _list,
        described(DOMAIN.host, "GET", PATH),
        list_key=LIST_KEY,
        summary="a page of the account's address configurations (`Type` filters)",
        domain=DOMAIN.name,
    ),
    Operation(
        "fetch_address_configuration",
        "GET",
        _INSTANCE,
        _fetch,
        summary="one address configuration, by SID or address",
        domain=DOMAIN.name,
    ),
    Operation(
        "update_address_configuration",
        "POST",
        _INSTANCE,
        _update,
        described(DOMAIN.host, "POST", _INSTANCE, *_AUTO_RULES, names=_NAMES),
        body="form",
        summary="change an address configuration's name or auto-creation",
        domain=DOMAIN.name,
    ),
    Operation(
        "delete_address_configuration",
        "DELETE",
        _INSTANCE,
        _delete,
        status=204,
        summary="remove an address configuration",
        domain=DOMAIN.name,
    ),
)
