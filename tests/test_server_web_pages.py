"""What a web page can make its browser send to a served fake, and what comes of it.

A page on any site can send "simple" cross-origin requests to ``127.0.0.1`` (a ``text/plain`` or
form body, no preflight), and its browser adds an ``Origin`` to every cross-origin ``POST`` and
``DELETE``. The attack these pin: such a page adds an API key with a secret it chose, reads the
default account's conversations with it through the Flex API, adds sticky faults and resets the
fake. Each step is refused; loopback pages, non-browser clients and a widened ``cors_origins``
keep working; on a shared machine a control token keeps other users out.
"""

from __future__ import annotations

import http.server
import json
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from werkzeug.test import Client as WerkzeugClient

from pytest_flexchannels import FlexChannelsMock, FlexServer, RemoteFake, RemoteFakeError
from pytest_flexchannels.transports.wsgi import FlexWsgiApp
from tests.helpers import basic_auth, create_form, error_body, serve_process

KEY_SID = "SK" + "7" * 32
CHOSEN = {"sid": KEY_SID, "secret": "chosen-by-the-page"}
EVIL = "http://evil.example"
TOKEN = "s3cret-Token_for.the~machine"
LOOPBACK_PAGES = [
    "http://localhost:3000",
    "http://LOCALHOST:3000",
    "https://localhost",
    "http://127.0.0.1:8080",
    "http://127.6.7.8",
    "http://[::1]:5173",
]
FOREIGN_PAGES = [
    EVIL,
    "null",  # a sandboxed frame or a data: URL, on any site
    "",
    "http://localhost.evil.example",
    "http://127.0.0.1.evil.example",
    "http://evil.localhost",  # not "localhost": a resolver may be asked for it
    "http://[::2]",
    "http://10.0.0.1",
    "file://",
    "ftp://localhost",
    "http://localhost:3000/path",
    "http://localhost:3000, http://evil.example",  # two Origin headers, joined
]


def _refusal(status: int, message: str) -> dict[str, Any]:
    """A control refusal: Twilio's error body, the message also under ``error``."""
    return {**error_body(status, 20000 + status, message), "error": message}


def _origin_refused(origin: str) -> dict[str, Any]:
    return _refusal(403, f"control routes answer only loopback Origin headers, not {origin!r}")


def _key_works(server: FlexServer) -> int:
    """The status of a Flex API read with the page's key and chosen secret."""
    listed = requests.get(f"{server.url}/v1/Channels", auth=(KEY_SID, CHOSEN["secret"]))
    return listed.status_code


def _no_grant(headers: Any) -> bool:
    return not any(name.lower().startswith("access-control-allow-") for name in headers)


def test_the_attack_chain_fails_at_every_step(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer
) -> None:
    """What a page on any site tried: its browser sends simple requests (a text/plain body, no
    preflight) with ``Origin``, and reads nothing the server did not grant."""
    control, page = f"{flex_channels_server.url}/__flex", {"Origin": EVIL}
    text = {"Content-Type": "text/plain;charset=UTF-8", **page}
    seeded = flex_channels.create_channel(identity="a customer")
    # 1. A key with a secret the page chose.
    added = requests.post(f"{control}/api_keys", data=json.dumps(CHOSEN), headers=text)
    assert (added.status_code, added.json()) == (403, _origin_refused(EVIL))
    # 2. The default account's conversations, read with it or with the default credentials (a
    #    seeded fake's are reproducible).
    url = f"{flex_channels_server.url}/conversations/v1/Conversations"
    default = (flex_channels.account_sid, flex_channels.auth_token)
    for auth in ((KEY_SID, CHOSEN["secret"]), default):
        read = requests.get(url, auth=auth, headers=page)
        assert (read.status_code, read.json()) == (403, _api_refusal(EVIL))
        assert _no_grant(read.headers)
    # 3. Sticky faults.
    sticky = json.dumps({"kind": "fail", "status": 500, "sticky": True})
    assert requests.post(f"{control}/faults", data=sticky, headers=text).status_code == 403
    # 4. A reset.
    assert requests.post(f"{control}/reset", headers=page).status_code == 403
    assert list(flex_channels.calls) == []
    assert (flex_channels.faults, [c.sid for c in flex_channels.channels]) == ([], [seeded.sid])
    assert _key_works(flex_channels_server) == 401


# --- the control API refuses what a page can send ---------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        None,  # fetch() with a Blob of no type sends none
        "application/jsonp",
        "application/json-seq",
    ],
)
def test_a_body_not_declared_json_is_refused_415_and_adds_no_key(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    answer = requests.post(
        f"{flex_channels_server.url}/__flex/api_keys",
        data=json.dumps(CHOSEN).encode(),
        headers=headers,
    )
    refused = "a control route's body must be Content-Type: application/json"
    assert (answer.status_code, answer.json()) == (415, _refusal(415, refused))
    assert answer.headers["Content-Type"] == "application/json"
    assert _no_grant(answer.headers)
    assert _key_works(flex_channels_server) == 401


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"]
)
def test_a_body_declared_json_is_taken(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer, content_type: str
) -> None:
    answer = requests.post(
        f"{flex_channels_server.url}/__flex/api_keys",
        data=json.dumps(CHOSEN).encode(),
        headers={"Content-Type": content_type},
    )
    assert (answer.status_code, answer.json()["sid"]) == (201, KEY_SID)
    assert _key_works(flex_channels_server) == 200


def test_a_sticky_fault_in_a_form_body_is_refused(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer
) -> None:
    answer = requests.post(
        f"{flex_channels_server.url}/__flex/faults",
        data=json.dumps({"kind": "fail", "status": 500, "sticky": True}),
        headers={"Content-Type": "text/plain"},
    )
    assert answer.status_code == 415
    assert flex_channels.faults == []


@pytest.mark.parametrize("origin", FOREIGN_PAGES)
def test_a_request_from_a_page_elsewhere_is_refused_403_and_changes_nothing(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer, origin: str
) -> None:
    base = f"{flex_channels_server.url}/__flex"
    added = requests.post(f"{base}/api_keys", json=CHOSEN, headers={"Origin": origin})
    assert (added.status_code, added.json()) == (403, _origin_refused(origin))
    assert _no_grant(added.headers)
    assert _key_works(flex_channels_server) == 401


def test_a_bodyless_reset_from_a_page_elsewhere_keeps_the_state(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer
) -> None:
    """No body, so no content type to refuse: the ``Origin`` every cross-origin POST and
    DELETE carries is what stops it."""
    channel = flex_channels.create_channel(identity="kept")
    flex_channels.fail_next("list_channels", times=None)
    base = f"{flex_channels_server.url}/__flex"
    for method, route in (("POST", "reset"), ("DELETE", "faults"), ("DELETE", "calls")):
        answer = requests.request(method, f"{base}/{route}", headers={"Origin": EVIL})
        assert (answer.status_code, answer.json()) == (403, _origin_refused(EVIL))
    assert [c.sid for c in flex_channels.channels] == [channel.sid]
    assert len(flex_channels.faults) == 1


def test_a_control_preflight_is_granted_nothing(flex_channels_server: FlexServer) -> None:
    url = f"{flex_channels_server.url}/__flex/api_keys"
    asks = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    foreign = requests.options(url, headers={"Origin": EVIL, **asks})
    assert (foreign.status_code, foreign.json()) == (403, _origin_refused(EVIL))
    assert _no_grant(foreign.headers)
    local = requests.options(url, headers={"Origin": "http://localhost:3000", **asks})
    assert (local.status_code, local.content) == (204, b"")
    assert local.headers["Allow"] == "POST, OPTIONS"
    assert _no_grant(local.headers)


@pytest.mark.parametrize("origin", LOOPBACK_PAGES)
def test_a_loopback_page_or_tool_is_answered(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer, origin: str
) -> None:
    flex_channels.create_channel(identity="gone")
    base = f"{flex_channels_server.url}/__flex"
    state = requests.get(f"{base}/state", headers={"Origin": origin})
    assert (state.status_code, state.json()["channels"]) == (200, 1)
    assert _no_grant(state.headers)  # the control API grants no page a read
    assert requests.post(f"{base}/reset", headers={"Origin": origin}).status_code == 204
    assert flex_channels.channels == []
    added = requests.post(f"{base}/api_keys", json=CHOSEN, headers={"Origin": origin})
    assert added.status_code == 201


def test_every_control_refusal_is_a_twilio_error(flex_channels: FlexChannelsMock) -> None:
    client = WerkzeugClient(flex_channels.wsgi_app)
    missing = client.get("/__flex/nothing")
    assert missing.status_code == 404
    assert missing.get_json().keys() == {"code", "message", "more_info", "status", "error"}
    assert missing.get_json()["code"] == 20404
    unknown = client.post("/__flex/channels/CH1/end_chat")
    assert unknown.get_json() == _refusal(
        404, "no channel 'CH1' in account " + flex_channels.account_sid
    )


def test_remote_fake_reads_the_message_and_code(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer
) -> None:
    with pytest.raises(RemoteFakeError) as refused:
        RemoteFake(flex_channels_server.url).end_chat("CH1")
    assert (refused.value.status, refused.value.code) == (404, 20404)
    assert refused.value.message == f"no channel 'CH1' in account {flex_channels.account_sid}"


@pytest.mark.parametrize(
    ("answer", "message", "code"),
    [
        (b'{"code": 20409, "message": "now", "error": "then"}', "now", 20409),
        (b'{"error": "from an earlier release"}', "from an earlier release", None),
        (b"<html>a proxy's page</html>", "<html>a proxy's page</html>", None),
        (b'{"message": 7}', '{"message": 7}', None),
    ],
    ids=["twilio", "earlier", "text", "odd"],
)
def test_remote_fake_reads_any_refusal(answer: bytes, message: str, code: int | None) -> None:
    class Refuse(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(409)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuse) as stub:
        threading.Thread(target=stub.serve_forever, args=(0.01,), daemon=True).start()
        try:
            with pytest.raises(RemoteFakeError) as refused:
                RemoteFake(f"http://127.0.0.1:{stub.server_address[1]}").state()
        finally:
            stub.shutdown()
    assert (refused.value.status, refused.value.message, refused.value.code) == (409, message, code)


# --- the control token ----------------------------------------------------------------------


@pytest.fixture
def guarded(flex_channels: FlexChannelsMock) -> Iterator[FlexServer]:
    server = flex_channels.serve(control_token=TOKEN)
    yield server
    server.stop()


@pytest.mark.parametrize(
    ("authorization", "said"),
    [
        (None, "no control token"),
        (f"Bearer {TOKEN}x", "the control token is wrong"),
        (f"Bearer {TOKEN[:-1]}", "the control token is wrong"),
        ("Bearer ", "the control token is wrong"),
        (f"Basic {TOKEN}", "no control token"),
        (TOKEN, "no control token"),
        ("Bearer t\u00e9", "the control token is wrong"),  # Latin-1 text: no exception
    ],
    ids=["missing", "longer", "shorter", "empty", "basic", "no scheme", "latin-1"],
)
def test_without_the_token_the_control_api_is_401(
    flex_channels: FlexChannelsMock,
    guarded: FlexServer,
    authorization: str | None,
    said: str,
) -> None:
    channel = flex_channels.create_channel(identity="kept")
    headers = {} if authorization is None else {"Authorization": authorization.encode("latin-1")}
    base = f"{guarded.url}/__flex"
    message = f"{said}: this fake's control routes take Authorization: Bearer <token>"
    for method, route in (("GET", "state"), ("POST", "reset"), ("OPTIONS", "reset")):
        answer = requests.request(method, f"{base}/{route}", headers=headers)
        assert (answer.status_code, answer.json()) == (401, _refusal(401, message))
        assert answer.headers["WWW-Authenticate"] == (
            'Bearer realm="pytest-flexchannels control API"'
        )
    posted = requests.post(f"{base}/api_keys", json=CHOSEN, headers=headers)
    assert posted.status_code == 401
    assert [c.sid for c in flex_channels.channels] == [channel.sid]
    assert _key_works(guarded) == 401


def test_with_the_token_the_control_api_answers(
    flex_channels: FlexChannelsMock, guarded: FlexServer
) -> None:
    base = f"{guarded.url}/__flex"
    for scheme in ("Bearer", "bearer"):
        state = requests.get(f"{base}/state", headers={"Authorization": f"{scheme} {TOKEN}"})
        assert state.status_code == 200
        assert state.json()["control_token_required"] is True
    # The Flex API is the fake's, with Twilio's credentials: the token is not asked there.
    created = requests.post(
        f"{guarded.url}/v1/Channels",
        data=create_form(flex_channels),
        headers={"Authorization": basic_auth(flex_channels)},
    )
    assert created.status_code == 201
    # A page that somehow had the token is still refused: the Origin comes first.
    foreign = requests.post(
        f"{base}/reset", headers={"Authorization": f"Bearer {TOKEN}", "Origin": EVIL}
    )
    assert (foreign.status_code, foreign.json()) == (403, _origin_refused(EVIL))
    assert len(flex_channels.channels) == 1


def test_remote_fake_sends_the_token(flex_channels: FlexChannelsMock, guarded: FlexServer) -> None:
    remote = RemoteFake(guarded.url, control_token=TOKEN)
    assert remote.state()["control_token_required"] is True
    seeded = remote.create_channel(identity="+15005550100")
    assert remote.channels() == [seeded]
    remote.reset()
    assert flex_channels.channels == []
    with pytest.raises(RemoteFakeError) as refused:
        RemoteFake(guarded.url).reset()
    assert (refused.value.status, refused.value.code) == (401, 20401)
    assert refused.value.message == (
        "no control token: this fake's control routes take Authorization: Bearer <token>"
    )


def test_the_in_process_application_has_no_token(flex_channels: FlexChannelsMock) -> None:
    state = WerkzeugClient(flex_channels.wsgi_app).get("/__flex/state").get_json()
    assert state["control_token_required"] is False


@pytest.mark.parametrize("token", ["", "two words", "t\u00e9", "line\nbreak", 7])
def test_a_token_that_cannot_travel_in_a_header_is_refused(
    flex_channels: FlexChannelsMock, token: Any
) -> None:
    message = "control_token must be a non-empty string of visible ASCII characters"
    with pytest.raises(ValueError, match=f"^{message}$"):
        FlexServer(flex_channels, control_token=token)


@pytest.mark.parametrize(
    ("args", "environment", "required"),
    [(("--control-token", TOKEN), "", True), ((), TOKEN, True), ((), "", False)],
    ids=["option", "environment", "empty"],
)
def test_serve_takes_a_token_from_its_option_or_the_environment(
    monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], environment: str, required: bool
) -> None:
    """The variable keeps the token out of the process list; set empty, it is unset."""
    monkeypatch.setenv("PYTEST_FLEXCHANNELS_CONTROL_TOKEN", environment)
    process, state = serve_process("--port", "0", *args)
    try:
        assert state["control_token_required"] is required
        assert TOKEN not in json.dumps(state)  # the line need not show the secret
        assert requests.get(f"{state['url']}/__flex/state").status_code == (
            401 if required else 200
        )
        remote = RemoteFake(state["url"], control_token=TOKEN)
        assert remote.state()["account_sid"] == state["account_sid"]
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert process.returncode == 0


def test_serve_refuses_a_token_it_cannot_use() -> None:
    command = [sys.executable, "-m", "pytest_flexchannels", "serve", "--control-token", "a b"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.endswith(
        "error: control_token must be a non-empty string of visible ASCII characters\n"
    )


# --- CORS on the Flex API -------------------------------------------------------------------


def _create(server: FlexServer, fake: FlexChannelsMock, origin: str | None) -> requests.Response:
    headers = {"Authorization": basic_auth(fake)}
    if origin is not None:
        headers["Origin"] = origin
    return requests.post(f"{server.url}/v1/Channels", data=create_form(fake), headers=headers)


def _preflight(server: FlexServer, origin: str) -> requests.Response:
    return requests.options(
        f"{server.url}/v1/Channels",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )


def _api_refusal(origin: str) -> dict[str, Any]:
    return error_body(
        403,
        20403,
        f"Origin {origin!r} may not call this fake: it answers pages on loopback origins "
        "(localhost, 127.0.0.1, [::1]); serve it with cors_origins to allow others",
    )


@pytest.mark.parametrize("origin", LOOPBACK_PAGES)
def test_a_loopback_page_is_granted_its_own_origin(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer, origin: str
) -> None:
    preflight = _preflight(flex_channels_server, origin)
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == origin
    assert preflight.headers["Vary"] == "Origin"
    assert preflight.headers["Access-Control-Allow-Headers"] == "authorization"
    created = _create(flex_channels_server, flex_channels, origin)
    assert created.status_code == 201
    assert created.headers["Access-Control-Allow-Origin"] == origin
    assert created.headers["Access-Control-Expose-Headers"] == "Twilio-Request-Id, Retry-After"
    assert created.headers["Vary"] == "Origin"


@pytest.mark.parametrize("origin", FOREIGN_PAGES)
def test_a_page_elsewhere_is_refused_before_authentication(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer, origin: str
) -> None:
    preflight = _preflight(flex_channels_server, origin)
    assert (preflight.status_code, preflight.json()) == (403, _api_refusal(origin))
    assert _no_grant(preflight.headers)
    assert preflight.headers["Vary"] == "Origin"
    created = _create(flex_channels_server, flex_channels, origin)
    assert (created.status_code, created.json()) == (403, _api_refusal(origin))
    assert _no_grant(created.headers)
    # A form a page posts without credentials is refused alike, not answered 401.
    posted = requests.post(
        f"{flex_channels_server.url}/v1/Channels",
        data=create_form(flex_channels),
        headers={"Origin": origin},
    )
    assert (posted.status_code, posted.json()) == (403, _api_refusal(origin))
    head = requests.head(f"{flex_channels_server.url}/v1/Channels", headers={"Origin": origin})
    assert (head.status_code, head.content) == (403, b"")
    assert head.headers["Content-Length"] == posted.headers["Content-Length"]
    assert flex_channels.channels == [] and list(flex_channels.calls) == []


def test_a_client_that_is_no_browser_is_answered_as_before(
    flex_channels: FlexChannelsMock, flex_channels_server: FlexServer
) -> None:
    created = _create(flex_channels_server, flex_channels, None)
    assert created.status_code == 201
    assert "Access-Control-Allow-Origin" not in created.headers
    assert created.headers["Vary"] == "Origin"


def test_cors_origins_widens_the_pages_answered(flex_channels: FlexChannelsMock) -> None:
    server = flex_channels.serve(cors_origins=["https://app.test:8443", "HTTP://Web.Test:80/"])
    try:
        for origin in ("https://app.test:8443", "http://web.test", "http://localhost:3000"):
            created = _create(server, flex_channels, origin)
            assert created.status_code == 201
            assert created.headers["Access-Control-Allow-Origin"] == origin
            assert _preflight(server, origin).headers["Access-Control-Allow-Origin"] == origin
        for origin in (EVIL, "https://app.test", "http://app.test:8443", "null"):
            assert _create(server, flex_channels, origin).status_code == 403
        # The control API is not widened: it answers no page but a loopback one.
        reset = requests.post(f"{server.url}/__flex/reset", headers={"Origin": "http://web.test"})
        assert (reset.status_code, reset.json()) == (403, _origin_refused("http://web.test"))
        assert len(flex_channels.channels) == 1  # one identity, got or created: not reset
    finally:
        server.stop()


def test_cors_origins_star_answers_any_page(flex_channels: FlexChannelsMock) -> None:
    server = flex_channels.serve(cors_origins="*")
    try:
        for origin in (EVIL, "null", None):
            created = _create(server, flex_channels, origin)
            assert created.status_code == 201
            assert created.headers["Access-Control-Allow-Origin"] == "*"
            assert "Vary" not in created.headers
        assert _preflight(server, EVIL).headers["Access-Control-Allow-Origin"] == "*"
        assert (
            requests.post(f"{server.url}/__flex/reset", headers={"Origin": EVIL}).status_code == 403
        )
    finally:
        server.stop()


def test_null_is_answered_only_when_listed(flex_channels: FlexChannelsMock) -> None:
    app = FlexWsgiApp(flex_channels, cors_origins=["null"])
    answer = WerkzeugClient(app).get(
        "/v1/Channels", headers={"Origin": "null", "Authorization": basic_auth(flex_channels)}
    )
    assert (answer.status_code, answer.headers["Access-Control-Allow-Origin"]) == (200, "null")


@pytest.mark.parametrize("origins", ["app.test", ["http://app.test/path"], ["http://"], [7]])
def test_cors_origins_takes_origins(flex_channels: FlexChannelsMock, origins: Any) -> None:
    with pytest.raises(ValueError, match=r"^cors_origins takes origins such as"):
        FlexServer(flex_channels, cors_origins=origins)


def test_serve_takes_cors_origins() -> None:
    process, state = serve_process(
        "--port", "0", "--cors-origin", "http://app.test", "--cors-origin", "http://web.test:81"
    )
    try:
        assert state["control_token_required"] is False
        for origin, status in (("http://app.test", 401), ("http://web.test:81", 401), (EVIL, 403)):
            answer = requests.get(f"{state['url']}/v1/Channels", headers={"Origin": origin})
            assert answer.status_code == status
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert process.returncode == 0
