"""Flex Chat Channels (``/v1/Channels``): create (get-or-create), fetch, list, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.order import Span
from ..core.paging import PageSpec
from ..core.registry import Operation, Rule, described, json_text
from . import models
from .models import CHANNELS_PATH, FLEX, LIST_KEY, SEQ, ChannelRow, NewChannel, channel_json

if TYPE_CHECKING:
    from ..core.context import Answer, Context
    from ..core.paging import View

# In the official order, in which Twilio checks the required ones for absence.
_JSON = "refused unless it is JSON text; the description says only string"
CREATE_PARAMS = described(
    FLEX.host,
    "POST",
    CHANNELS_PATH,
    Rule("PreEngagementData", _JSON, check=json_text),
    Rule("TaskAttributes", _JSON, check=json_text),
)


def _one(view: View, channel: ChannelRow) -> str:
    return channel_json(channel, view.root)


def _made(view: View, channel: ChannelRow) -> str:
    # Not through the cache: a channel just made is rarely asked for again at once.
    return channel_json.__wrapped__(channel, view.root)


def _create(context: Context) -> Answer:
    return (
        _made,
        models.create_row(context.store, context.account_sid, NewChannel(**context.args)),
    )


def _fetch(context: Context) -> Answer:
    return (_one, models.fetch_row(context.store, context.account_sid, context.sid))


def _seq(channel: ChannelRow) -> int:
    return channel[SEQ]


_PAGES = PageSpec(CHANNELS_PATH, LIST_KEY, _one, _seq)


def _list(context: Context) -> Answer:
    store, account_sid = context.store, context.account_sid

    def fetch(
        size: int, offset: int, after: int | None, before: int | None
    ) -> tuple[Span | list[ChannelRow], bool]:
        return models.list_rows(store, account_sid, size, offset=offset, after=after, before=before)

    return context.page(_PAGES, fetch)


def _delete(context: Context) -> None:
    models.delete_channel(context.store, context.account_sid, context.sid)


CREATE = Operation(
    "create_channel",
    "POST",
    CHANNELS_PATH,
    _create,
    CREATE_PARAMS,
    body="form",
    status=201,
    summary="create a channel, or get the active one of the flow and identity",
    legacy="create",
)
OPERATIONS = (
    CREATE,
    Operation(
        "list_channels",
        "GET",
        CHANNELS_PATH,
        _list,
        list_key=LIST_KEY,
        summary="a page of channels, oldest first",
        legacy="list",
    ),
    Operation(
        "fetch_channel",
        "GET",
        f"{CHANNELS_PATH}/{{Sid}}",
        _fetch,
        summary="one channel",
        legacy="fetch",
    ),
    Operation(
        "delete_channel",
        "DELETE",
        f"{CHANNELS_PATH}/{{Sid}}",
        _delete,
        status=204,
        summary="remove a channel",
        legacy="delete",
    ),
)

# Create parameters by Python name -> wire name (seeding takes the Python names).
CREATE_FIELDS = {param.python: param.wire for param in CREATE_PARAMS}
REQUIRED_CREATE_FIELDS = tuple(param.wire for param in CREATE_PARAMS if param.required)


def new_channel(fields: dict[str, Any]) -> NewChannel:
    """Checked create fields given by Python name: the error Twilio answers with, naming the
    wire parameter, for a bad one."""
    return NewChannel(**CREATE.parse(fields, by_wire=False))
