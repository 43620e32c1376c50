"""The Twilio error catalogue: every status, code and message the fake answers with, once."""

from __future__ import annotations

from http.client import responses as _reasons
from typing import Any

from .sids import pattern

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"


class FlexApiError(Exception):
    """A Twilio error answer as data: the HTTP layer renders it, seeding helpers raise it."""

    __slots__ = ("code", "message", "status")

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(f"HTTP {status} error {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    @property
    def more_info(self) -> str:
        return MORE_INFO.format(code=self.code)

    def body(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": self.more_info,
            "status": self.status,
        }


class TwilioHostNotFakedError(Exception):
    """Base of the errors a request to a Twilio host the fake does not model is refused with, in
    each client library's terms (a ``requests.ConnectionError``, an
    ``aiohttp.ClientConnectionError``)."""


class UnknownSidError(KeyError):
    """An inspection helper was given a SID the account does not hold."""

    def __init__(self, sid: str, account_sid: str) -> None:
        super().__init__(sid)
        self.sid = sid
        self.account_sid = account_sid

    def __str__(self) -> str:
        return f"no channel {self.sid!r} in account {self.account_sid}"


def refused(method: str, url: str, host: str, served: str) -> str:
    """Why a request to a Twilio host the fake does not model never left the process
    (``served``: the hosts it answers, ``flex-api.twilio.com, chat.twilio.com``)."""
    return (
        f"pytest-flexchannels refused {method.upper()} {url}: while the Flex fake runs no request "
        f"to a Twilio host leaves this machine, and the fake answers only the hosts of the APIs "
        f"it models ({served}), not {host}. Mock {host} yourself (responses.add(...) or a "
        f"responses.RequestsMock for requests; aioresponses for aiohttp), or inject a client "
        f"that answers it."
    )


def authenticate() -> FlexApiError:
    return FlexApiError(401, 20003, "Authenticate")


def missing_parameter(name: str) -> FlexApiError:
    return FlexApiError(400, 20001, f"Missing required parameter {name} in the post body")


def invalid_parameter(name: str, expected: str) -> FlexApiError:
    return FlexApiError(400, 20001, f"Invalid parameter {name}: {expected}")


def not_found(resource: str) -> FlexApiError:
    """``resource`` is the path without the ``/v1`` version prefix, as Twilio words it."""
    return FlexApiError(404, 20404, f"The requested resource {resource} was not found")


def missing(path: str) -> FlexApiError:
    """The 404 of a request's own path (``/v2/Services/IS1``, versioned, as every served path
    is), named as Twilio names it: without the version."""
    return not_found(path[path.find("/", 1) :])


def method_not_allowed() -> FlexApiError:
    return FlexApiError(405, 20004, "Method not allowed")


def invalid_page_token() -> FlexApiError:
    return FlexApiError(400, 21481, "Invalid PageToken")


def http_error(status: int, message: str) -> FlexApiError:
    """An error in Twilio's generic form for its HTTP status: code 20000 + the status (20403,
    20415, ...), as the control API and the served fake's own refusals answer."""
    return FlexApiError(status, 20000 + status, message)


def foreign_origin(origin: str) -> FlexApiError:
    """A browser request from a page the served fake does not answer (``cors_origins``)."""
    return http_error(
        403,
        f"Origin {origin!r} may not call this fake: it answers pages on loopback origins "
        f"(localhost, 127.0.0.1, [::1]); serve it with cors_origins to allow others",
    )


def injected(status: int, code: int | None = None, message: str | None = None) -> FlexApiError:
    """An injected failure: Twilio's code is 20000 + the status and its message the status's
    reason (429 -> 20429 "Too Many Requests", 500 -> 20500, 503 -> 20503, ...)."""
    if not isinstance(status, int) or not 400 <= status <= 599:
        raise ValueError(
            f"an injected failure needs an HTTP error status (400-599), got {status!r}"
        )
    default = _reasons.get(status) or "Error"
    return FlexApiError(status, 20000 + status if code is None else code, message or default)


# What a parameter must look like, for invalid_parameter(): every message lives in this module.
EXPECTED_SID = "must match {pattern}"


def invalid_sid(name: str, prefix: str) -> FlexApiError:
    """A parameter that is not a SID with ``prefix`` (``FO``, ``WT``, ...)."""
    return invalid_parameter(name, EXPECTED_SID.format(pattern=pattern(prefix)))


EXPECTED_BOOLEAN = "must be true or false"
EXPECTED_JSON = "must be a JSON string"
EXPECTED_PAGE_SIZE = "must be an integer of at least 1"
EXPECTED_PAGE = "must be an integer of at least 0"
EXPECTED_INTEGER = "must be an integer"
EXPECTED_RETRY_COUNT = "must be an integer from 0 to 3"
EXPECTED_URL = "must be an absolute http(s) URL"
EXPECTED_DATE = "must be an ISO 8601 date and time with a time zone"
EXPECTED_ONE_OF = "must be one of {values}"
# A lone UTF-16 surrogate in a JSON body (Twilio documents nothing: modelled).
EXPECTED_TEXT = "must be Unicode text without lone UTF-16 surrogates"


# --- Programmable Chat -------------------------------------------------------------------------


def attributes_not_json() -> FlexApiError:
    return FlexApiError(400, 50304, "Attributes not valid JSON")


def unique_name_taken() -> FlexApiError:
    return FlexApiError(409, 50307, "Channel with provided unique name already exists")


def member_exists() -> FlexApiError:
    return FlexApiError(409, 50404, "Member already exists")


def user_exists() -> FlexApiError:
    return FlexApiError(409, 50201, "User already exists")


def webhook_type_missing() -> FlexApiError:
    return FlexApiError(400, 50328, "Channel webhook type not provided")


def webhook_url_missing() -> FlexApiError:
    return FlexApiError(400, 50329, "Channel webhook url not provided")


def webhook_retry_count() -> FlexApiError:
    return FlexApiError(400, 50065, "Invalid webhook retry count")


def webhook_filter() -> FlexApiError:
    return FlexApiError(400, 50325, "Invalid channel webhook filter")


def too_many_webhooks() -> FlexApiError:
    return FlexApiError(403, 50321, "Too many channel webhooks")


# --- Conversations (HTTP statuses of the 50xxx errors follow Chat's: modelled) -----------------


def conversation_unique_name_taken() -> FlexApiError:
    return FlexApiError(409, 50353, "Conversation with provided unique name already exists")


def conversation_closed() -> FlexApiError:
    return FlexApiError(400, 50377, "Can't update conversation as it's in final closed state")


def conversation_state_invalid() -> FlexApiError:
    return FlexApiError(400, 50378, "'State' parameter value is invalid")


def conversation_created_closed() -> FlexApiError:
    return FlexApiError(400, 50384, "Initial state can't be 'closed'")


# By timer (``Inactive``, ``Closed``): too short, and not ISO 8601.
_TIMERS = {
    "Inactive": ("TimeToInactive", 50375, "1 minute", 50379),
    "Closed": ("TimeToClosed", 50376, "10 minutes", 50380),
}


def timer_too_short(timer: str) -> FlexApiError:
    name, code, least, _ = _TIMERS[timer]
    return FlexApiError(400, code, f"{name} should be greater or equal to {least}")


def timer_format(timer: str) -> FlexApiError:
    name, _, _, code = _TIMERS[timer]
    return FlexApiError(400, code, f"{name} format is invalid")


def participant_exists(identity: str) -> FlexApiError:
    return FlexApiError(409, 50433, "Participant already exists")


def participant_binding_exists(conversation_sid: str) -> FlexApiError:
    return FlexApiError(
        409,
        50416,
        "A binding for this participant and proxy address already exists in Conversation "
        f"{conversation_sid}",
    )


def participant_identity_missing() -> FlexApiError:
    return FlexApiError(400, 50204, "Identity not provided")


def participant_identity_with_binding() -> FlexApiError:
    return FlexApiError(400, 50211, "Identity parameter not acceptable for this Participant")


def participant_address_missing() -> FlexApiError:
    return FlexApiError(400, 50411, "Participant address is empty")


def participant_proxy_missing() -> FlexApiError:
    return FlexApiError(400, 50412, "Participant proxy address is empty")


def participant_address_is_proxy() -> FlexApiError:
    return FlexApiError(400, 50409, "Participant address equals proxy address")


def message_body_missing() -> FlexApiError:
    return FlexApiError(400, 50503, "Message body not provided")


def conversation_webhook_target_missing() -> FlexApiError:
    return FlexApiError(400, 50368, "Conversation webhook type not provided")


def conversation_webhook_target() -> FlexApiError:
    return FlexApiError(400, 50364, "Invalid conversation webhook type")


def conversation_webhook_filter() -> FlexApiError:
    return FlexApiError(400, 50365, "Invalid conversation webhook filter")


def conversation_webhook_url_missing() -> FlexApiError:
    return FlexApiError(400, 50369, "Conversation webhook URL not provided")


def conversation_webhook_trigger_missing() -> FlexApiError:
    return FlexApiError(400, 50371, "Conversation webhook trigger not provided")


def conversation_webhook_flow() -> FlexApiError:
    return FlexApiError(400, 50367, "Invalid conversation webhook flow SID")


def too_many_conversation_webhooks() -> FlexApiError:
    return FlexApiError(400, 50361, "Too many conversation webhooks")


def too_many_conversation_webhook_triggers() -> FlexApiError:
    return FlexApiError(400, 50362, "Too many conversation webhook triggers")


def address_configuration_exists(address: str) -> FlexApiError:
    # Twilio's code for this is not documented: the fake's 20000 + status, as for faults.
    return FlexApiError(409, 20409, f"Address configuration for {address} already exists")


# --- Flex Interactions and WebChats (the HTTP status of Flex's 45xxx errors is modelled) ------

EXPECTED_JSON_OBJECT = "must be a JSON object"
EXPECTED_ROUTING = (
    "must be a JSON object whose properties name a workspace_sid (and, for an agent-initiated "
    "contact, a queue_sid and a worker_sid)"
)
EXPECTED_CHANNEL_PARTICIPANT = "must be the SID of a participant of this channel"
EXPECTED_ROUTING_STATUS = 'must be {"status": "closed"} (required when Status is inactive)'
# What an interaction channel that cannot reach its conversation settles as.
CHANNEL_DOWNSTREAM = (45356, "Failed to create a channel. Downstream error.")


def channel_request_invalid() -> FlexApiError:
    return FlexApiError(400, 45366, "Failed to create Channel. Invalid request parameters.")


def channel_for_closed_conversation() -> FlexApiError:
    return FlexApiError(400, 45354, "Cannot create a Channel for a closed Conversation.")


def channel_status_missing(sid: str) -> FlexApiError:
    return FlexApiError(
        400, 45358, f"Failed to close Channel {sid}. No Channel status parameter was provided."
    )


def channel_status_invalid(sid: str) -> FlexApiError:
    return FlexApiError(
        400, 45359, f"Failed to close Channel {sid}. The channel status provided was invalid."
    )


def participant_request_invalid() -> FlexApiError:
    return FlexApiError(400, 45367, "Failed to add Participant. Invalid request parameters.")


def address_configuration_missing() -> FlexApiError:
    return FlexApiError(400, 45765, "Address configuration data not found")


def address_auto_creation_disabled() -> FlexApiError:
    return FlexApiError(
        400, 45761, "Failed to validate address configuration. Auto create not enabled."
    )


def address_studio_flow_missing() -> FlexApiError:
    return FlexApiError(
        400, 45763, "Unable to validate address configuration. Auto create studio flow SID missing."
    )
