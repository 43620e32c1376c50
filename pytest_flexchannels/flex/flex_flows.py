"""Flex Flows (``/v1/FlexFlows``): create, fetch, list (by ``FriendlyName``), update, delete."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..core import errors
from ..core.paging import PageSpec
from ..core.registry import Operation, Rule, described, integer_in
from . import models
from .models import (
    FLEX,
    FLEX_FLOWS_KEY,
    FLEX_FLOWS_PATH,
    RETRY_COUNTS,
    FlexFlow,
    flex_flow_resource,
    missing_integration,
)

if TYPE_CHECKING:
    from ..core.context import Answer, Context
    from ..core.paging import View

_INTEGRATION = "Integration."
# A flow's fields as the descriptions give them (required ones only on create), in the official
# order; its Integration.* ones are kept in ``integration``.
_RETRY_COUNT = Rule(
    "Integration.RetryCount",
    "0 to 3 with Flex's own message: the description says so in words only",
    check=integer_in(RETRY_COUNTS, errors.EXPECTED_RETRY_COUNT),
)
_CREATE_PARAMS = described(FLEX.host, "POST", FLEX_FLOWS_PATH, _RETRY_COUNT)
_FIELDS = described(FLEX.host, "POST", f"{FLEX_FLOWS_PATH}/{{Sid}}", _RETRY_COUNT)
_INTEGRATION_NAMES = frozenset(p.python for p in _FIELDS if p.wire.startswith(_INTEGRATION))


def _split(args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A flow's own fields and its ``Integration.*`` ones."""
    fields = {k: v for k, v in args.items() if k not in _INTEGRATION_NAMES}
    integration = {k: v for k, v in args.items() if k in _INTEGRATION_NAMES}
    return fields, integration


def _required_integration(args: dict[str, Any]) -> None:
    """A new flow needs the ``Integration.*`` fields its type requires (an update is checked
    against the flow it makes, in the store)."""
    _, integration = _split(args)
    missing = missing_integration(args.get("integration_type", "studio"), integration)
    if missing is not None:
        raise errors.missing_parameter(missing)


def _json(view: View, flow: FlexFlow) -> str:
    root = view.root
    return json.dumps(flex_flow_resource(flow, root))


def _create(context: Context) -> Answer:
    fields, integration = _split(context.args)
    flow = models.add_flex_flow(
        context.store,
        context.account_sid,
        friendly_name=fields["friendly_name"],
        chat_service_sid=fields["chat_service_sid"],
        channel_type=fields["channel_type"],
        integration_type=fields.get("integration_type", "studio"),
        long_lived=fields.get("long_lived", False),
        janitor_enabled=fields.get("janitor_enabled", False),
        enabled=fields.get("enabled", True),
        contact_identity=fields.get("contact_identity"),
        integration=integration,
    )
    return (_json, flow)


def _fetch(context: Context) -> Answer:
    return (_json, models.fetch_flex_flow(context.store, context.account_sid, context.sid))


def _seq(flow: FlexFlow) -> int:
    return flow.seq


_PAGES = PageSpec(FLEX_FLOWS_PATH, FLEX_FLOWS_KEY, _json, _seq, ("FriendlyName",))


def _list(context: Context) -> Answer:
    store, account_sid = context.store, context.account_sid
    name = context.args.get("friendly_name")

    def fetch(
        size: int, offset: int, after: int | None, before: int | None
    ) -> tuple[list[FlexFlow], bool]:
        return models.list_flex_flows(
            store, account_sid, size, offset=offset, after=after, before=before, friendly_name=name
        )

    return context.page(_PAGES, fetch)


def _update(context: Context) -> Answer:
    fields, integration = _split(context.args)
    return (
        _json,
        models.update_flex_flow(
            context.store, context.account_sid, context.sid, fields, integration
        ),
    )


def _delete(context: Context) -> None:
    models.delete_flex_flow(context.store, context.account_sid, context.sid)


_INSTANCE = f"{FLEX_FLOWS_PATH}/{{Sid}}"
OPERATIONS = (
    Operation(
        "create_flex_flow",
        "POST",
        FLEX_FLOWS_PATH,
        _create,
        _CREATE_PARAMS,
        body="form",
        status=201,
        summary="create a Flex Flow",
        rules=_required_integration,
    ),
    Operation(
        "list_flex_flows",
        "GET",
        FLEX_FLOWS_PATH,
        _list,
        described(FLEX.host, "GET", FLEX_FLOWS_PATH),
        list_key=FLEX_FLOWS_KEY,
        summary="a page of Flex Flows, oldest first",
    ),
    Operation("fetch_flex_flow", "GET", _INSTANCE, _fetch, summary="one Flex Flow"),
    Operation(
        "update_flex_flow",
        "POST",
        _INSTANCE,
        _update,
        _FIELDS,
        body="form",
        summary="change a Flex Flow",
    ),
    Operation(
        "delete_flex_flow",
        "DELETE",
        _INSTANCE,
        _delete,
        status=204,
        summary="remove a Flex Flow",
    ),
)
