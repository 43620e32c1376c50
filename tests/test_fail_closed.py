"""Fail closed on every client, through the seams the client libraries offer: their own retries,
timeouts, sessions and responses run around the fake, and no Twilio host is reached."""

from __future__ import annotations

import asyncio
import base64
import importlib.metadata
import io
import threading
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
import requests
import responses
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client
from urllib3.util import Retry

from pytest_flexchannels import FlexChannelsMock, TwilioHostNotFakedError
from tests.helpers import CHANNELS_URL, basic_auth, create

MESSAGES_URL = "https://api.twilio.com/2010-04-01/Accounts/AC{}/Messages.json".format("0" * 32)
REFUSED = (
    "pytest-flexchannels refused {method} {url}: while the Flex fake runs no request to a Twilio "
    "host leaves this machine, and the fake answers only the hosts of the APIs it models "
    "(flex-api.twilio.com, chat.twilio.com, conversations.twilio.com), not {host}. Mock {host} "
    "yourself (responses.add(...) or a responses.RequestsMock for requests; aioresponses for "
    "aiohttp), or inject a client that answers it."
)


@pytest.fixture
def retrying(flex_channels: FlexChannelsMock) -> Iterator[requests.Session]:
    """A session that retries 503s three times, as a user's resilient client would."""
    with requests.Session() as session:
        session.auth = (flex_channels.account_sid, flex_channels.auth_token)
        retry = Retry(total=3, status_forcelist=[503], backoff_factor=0)
        session.mount("https://", HTTPAdapter(max_retries=retry))
        yield session


def _auth(fake: FlexChannelsMock) -> dict[str, str]:
    return {"Authorization": basic_auth(fake)}


# --- requests: its adapter, urllib3's retries, hooks, streaming, timeouts ----------------------


def test_a_retry_session_turns_two_injected_503s_into_a_200(
    flex_channels: FlexChannelsMock, retrying: requests.Session
) -> None:
    flex_channels.create_channel()
    flex_channels.fail_next("list_channels", status=503, times=2)
    answer = retrying.get(CHANNELS_URL)
    assert answer.status_code == 200
    assert len(answer.json()["flex_chat_channels"]) == 1
    assert [(c.operation, c.status_code, c.error_code) for c in flex_channels.calls] == [
        ("list_channels", 503, 20503),
        ("list_channels", 503, 20503),
        ("list_channels", 200, None),
    ]


def test_retries_run_out_as_urllib3_decides(
    flex_channels: FlexChannelsMock, retrying: requests.Session
) -> None:
    flex_channels.fail_next("list_channels", status=503, times=None)
    with pytest.raises(requests.exceptions.RetryError, match="too many 503 error responses"):
        retrying.get(CHANNELS_URL)
    assert len(flex_channels.calls) == 4  # the first try and three retries


def test_retry_after_is_honoured_by_urllib3(
    flex_channels: FlexChannelsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    class Recording(Retry):
        def sleep_for_retry(self, response: Any) -> bool:
            waits.append(self.get_retry_after(response) or 0.0)
            return True  # slept, as far as urllib3 knows: the test does not wait

    flex_channels.fail_next("fetch_channel", status=429, times=2, retry_after=7)
    with requests.Session() as session:
        session.auth = (flex_channels.account_sid, flex_channels.auth_token)
        session.mount("https://", HTTPAdapter(max_retries=Recording(total=3, status=3)))
        answer = session.get(f"{CHANNELS_URL}/CH{'0' * 32}")
    assert answer.status_code == 404  # after two 429s, the real answer
    assert waits == [7.0, 7.0]
    assert [c.fault for c in flex_channels.calls[:2]] == [
        "answer 429 error 20429 with Retry-After 7 on fetch_channel"
    ] * 2


def test_hooks_and_streaming_run_as_with_a_server(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    flex_channels.create_channel()
    seen: list[int] = []
    http.hooks["response"].append(lambda response, **_: seen.append(response.status_code))
    with http.get(CHANNELS_URL, stream=True) as answer:
        assert answer.raw.closed is False  # not read yet: streamed from the connection
        chunks = list(answer.iter_content(chunk_size=64))
    assert len(chunks) > 1 and b"".join(chunks).startswith(b'{"meta": ')
    assert seen == [200]


def test_a_chunked_upload_is_read_whole(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    def form() -> Iterator[bytes]:
        yield f"FlexFlowSid={flex_channels.flex_flow_sid}&Identity=ada&".encode()
        yield b"ChatUserFriendlyName=Ada&ChatFriendlyName=Chat"

    answer = http.post(CHANNELS_URL, data=form())
    assert answer.status_code == 201
    assert flex_channels.calls[0].headers["Transfer-Encoding"] == "chunked"
    assert flex_channels.calls[0].params["Identity"] == "ada"


def test_a_file_upload_and_headers_left_to_http_client(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    """What http.client adds when the caller leaves it out reaches the fake as it would reach a
    server: ``Accept-Encoding: identity``, urllib3's ``User-Agent``, and the body of a file."""
    form = f"FlexFlowSid={flex_channels.flex_flow_sid}&Identity=file"
    form += "&ChatUserFriendlyName=Ada&ChatFriendlyName=Chat"
    answer = http.post(
        CHANNELS_URL,
        data=io.BytesIO(form.encode()),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept-Encoding": None,
            "User-Agent": None,
        },
    )
    assert answer.status_code == 201
    headers = flex_channels.calls[0].headers
    assert headers["Accept-Encoding"] == "identity"
    assert headers["User-Agent"] == f"python-urllib3/{importlib.metadata.version('urllib3')}"
    assert headers["Content-Length"] == str(len(form))
    assert flex_channels.calls[0].params["Identity"] == "file"


def test_a_file_body_is_sent_whole_again_on_a_retry(
    flex_channels: FlexChannelsMock, retrying: requests.Session
) -> None:
    """urllib3 rewinds a file body to where it started before a retry: the answer that asks for
    the retry was computed before urllib3's own path took over, which must not move that start."""
    form = f"FlexFlowSid={flex_channels.flex_flow_sid}&Identity=file"
    form += "&ChatUserFriendlyName=Ada&ChatFriendlyName=Chat"
    flex_channels.fail_next("create_channel", status=503)
    retry = Retry(total=2, status_forcelist=[503], allowed_methods=None, backoff_factor=0)
    retrying.mount("https://", HTTPAdapter(max_retries=retry))
    body = io.BytesIO(b"ignored&" + form.encode())
    body.read(len(b"ignored&"))  # a body handed over part-read: urllib3 rewinds to here
    answer = retrying.post(
        CHANNELS_URL,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 201
    assert [(c.status_code, c.params.get("Identity")) for c in flex_channels.calls] == [
        (503, "file"),
        (201, "file"),
    ]


def test_urllib3_logs_each_answer_as_it_does_against_a_server(
    flex_channels: FlexChannelsMock, retrying: requests.Session, caplog: pytest.LogCaptureFixture
) -> None:
    """urllib3's debug line for each answer, whichever of its paths the answer took: straight
    to the caller, or through a retry."""
    sid = flex_channels.create_channel().sid
    flex_channels.fail_next("fetch_channel", status=503)
    with caplog.at_level("DEBUG", logger="urllib3.connectionpool"):
        assert retrying.get(f"{CHANNELS_URL}/{sid}").status_code == 200
        assert retrying.get(f"{CHANNELS_URL}/{sid}").status_code == 200
    length = len(flex_channels.calls[-1].response_body)
    failed = len(flex_channels.calls[0].response_body)
    lines = [r.getMessage() for r in caplog.records if '"GET' in r.getMessage()]
    # The retried 503 went urllib3's own way: its line is the form the others must have (the
    # protocol reads "HTTP/11" before urllib3 2.3, "HTTP/1.1" since).
    protocol = lines[0].split('"')[1].rpartition(" ")[2]
    assert protocol in ("HTTP/1.1", "HTTP/11")
    line = 'https://flex-api.twilio.com:443 "GET /v1/Channels/{} {}" {} {}'
    assert lines == [
        line.format(sid, protocol, 503, failed),
        line.format(sid, protocol, 200, length),
        line.format(sid, protocol, 200, length),
    ]


def test_a_read_timeout_meets_a_slow_answer(
    flex_channels: FlexChannelsMock, http: requests.Session
) -> None:
    flex_channels.delay_next("list_channels", seconds=0.5)
    with pytest.raises(requests.ReadTimeout) as raised:
        http.get(CHANNELS_URL, timeout=0.05)
    assert str(raised.value) == (
        "HTTPSConnectionPool(host='flex-api.twilio.com', port=443): "
        "Read timed out. (read timeout=0.05)"
    )
    assert http.get(CHANNELS_URL, timeout=0.05).status_code == 200  # the delay was used up


def test_the_twilio_client_times_out_too(flex_channels: FlexChannelsMock) -> None:
    from twilio.http.http_client import TwilioHttpClient

    client = Client(http_client=TwilioHttpClient(timeout=0.05))
    flex_channels.delay_next("fetch_channel", seconds=0.5)
    with pytest.raises(requests.ReadTimeout):
        client.flex_api.v1.channel(f"CH{'0' * 32}").fetch()


def test_a_proxy_in_the_environment_changes_nothing(
    flex_channels: FlexChannelsMock, http: requests.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    assert http.get(CHANNELS_URL).status_code == 200


# --- the user's own responses mock -----------------------------------------------------------


def test_retries_work_under_the_users_responses_mock(
    flex_channels: FlexChannelsMock, retrying: requests.Session
) -> None:
    flex_channels.fail_next("list_channels", status=503, times=2)
    with responses.RequestsMock() as mock:
        assert retrying.get(CHANNELS_URL).status_code == 200
        # The mock shows the request it passed on, with the answer urllib3's retries ended on.
        assert [(c.request.url, c.response.status_code) for c in mock.calls] == [
            (CHANNELS_URL, 200)
        ]
    assert [c.status_code for c in flex_channels.calls] == [503, 503, 200]


def test_an_unmodelled_twilio_host_is_the_users_mock_to_answer(
    flex_channels: FlexChannelsMock,
) -> None:
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, MESSAGES_URL, json={"sid": "SM1"}, status=201)
        assert requests.post(MESSAGES_URL, data={"Body": "hi"}).json() == {"sid": "SM1"}
    assert flex_channels.blocked == []


# --- refused Twilio hosts ----------------------------------------------------------------------


def test_an_unmodelled_twilio_host_is_refused_with_a_clear_error() -> None:
    fake = FlexChannelsMock()
    fake.start()
    try:
        with pytest.raises(requests.ConnectionError) as raised:
            requests.post(MESSAGES_URL, data={"Body": "hi"})
    finally:
        fake.stop()
    assert isinstance(raised.value, TwilioHostNotFakedError)
    assert str(raised.value) == REFUSED.format(
        method="POST", url=MESSAGES_URL, host="api.twilio.com"
    )
    assert raised.value.request is not None
    with pytest.raises(AssertionError) as told:
        fake.verify()
    assert str(told.value).splitlines()[:3] == [
        "Requests to Twilio hosts the fake does not model were refused:",
        f"  - POST {MESSAGES_URL}",
        "  Mock those hosts yourself (responses, aioresponses) or inject a client.",
    ]
    assert fake.calls.describe() in str(told.value)


@pytest.mark.asyncio
async def test_aiohttp_refuses_an_unmodelled_twilio_host_too() -> None:
    fake = FlexChannelsMock()
    url = "https://verify.twilio.com/v2/Services"
    fake.start()
    try:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientConnectionError) as raised:
                await session.get(url)
    finally:
        fake.stop()
    assert isinstance(raised.value, TwilioHostNotFakedError)
    assert str(raised.value) == REFUSED.format(method="GET", url=url, host="verify.twilio.com")
    assert fake.blocked == [f"GET {url}"]


def test_the_fixture_fails_the_test_at_teardown_for_a_refused_host(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        f"""
        import requests

        def test_swallows_the_error(flex_channels):
            try:
                requests.get("{MESSAGES_URL}")
            except requests.ConnectionError:
                pass  # code under test that hides a failure
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_swallows_the_error*",
            "*Requests to Twilio hosts the fake does not model were refused:",
            f"*  - GET {MESSAGES_URL}",
            "*Recorded calls (0):",
        ]
    )


def test_unmatched_flex_requests_fail_at_teardown_unless_allowed(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest
        from twilio.rest import Client

        URL = "https://flex-api.twilio.com/v1/Configuration"

        def test_strict(flex_channels):
            assert Client().request("GET", URL).status_code == 404

        @pytest.mark.flex_channels(allow_unmatched=True)
        def test_relaxed(flex_channels):
            assert Client().request("GET", URL).status_code == 404
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_strict*",
            "*Flex requests matched no operation of the fake:",
            f"*  - <no operation>: GET {'https://flex-api.twilio.com/v1/Configuration'} -> 404 "
            "error 20404",
        ]
    )


# --- aiohttp: real responses, base_url, raise_for_status, timeouts ---------------------------


@pytest.mark.asyncio
async def test_a_base_url_session_with_raise_for_status(flex_channels: FlexChannelsMock) -> None:
    channel = flex_channels.create_channel()
    async with aiohttp.ClientSession(
        base_url="https://flex-api.twilio.com", headers=_auth(flex_channels), raise_for_status=True
    ) as session:
        async with session.get(f"/v1/Channels/{channel.sid}") as answer:
            assert isinstance(answer, aiohttp.ClientResponse)
            assert (await answer.json())["sid"] == channel.sid
            assert answer.get_encoding() == "utf-8"
            assert answer.cookies == {}
            assert answer.request_info.method == "GET"
        with pytest.raises(aiohttp.ClientResponseError) as raised:
            await session.get(f"/v1/Channels/CH{'0' * 32}")
    assert (raised.value.status, raised.value.message) == (404, "Not Found")
    assert [c.status_code for c in flex_channels.calls] == [200, 404]


@pytest.mark.asyncio
async def test_aiohttp_timeouts_meet_a_slow_answer(flex_channels: FlexChannelsMock) -> None:
    flex_channels.delay_next("list_channels", seconds=0.5, times=2)
    async with aiohttp.ClientSession(headers=_auth(flex_channels)) as session:
        with pytest.raises(asyncio.TimeoutError):
            await session.get(CHANNELS_URL, timeout=aiohttp.ClientTimeout(total=0.05))
        with pytest.raises(aiohttp.ServerTimeoutError):
            await session.get(CHANNELS_URL, timeout=aiohttp.ClientTimeout(sock_read=0.05))
        async with session.get(CHANNELS_URL) as answer:  # kept alive, answered again
            assert answer.status == 200
    assert len(flex_channels.calls) == 3


@pytest.mark.asyncio
async def test_an_injected_exception_reaches_the_aiohttp_caller_as_itself(
    flex_channels: FlexChannelsMock,
) -> None:
    class Flaky(aiohttp.ClientConnectionError):
        pass

    flex_channels.raise_next("list_channels", Flaky)
    async with aiohttp.ClientSession(headers=_auth(flex_channels)) as session:
        with pytest.raises(Flaky, match=f"^injected by the Flex fake: GET {CHANNELS_URL}$"):
            await session.get(CHANNELS_URL)
        async with session.get(CHANNELS_URL) as answer:  # a new connection, answered
            assert answer.status == 200
    assert [call.fault for call in flex_channels.calls] == ["raise Flaky on list_channels", None]


@pytest.mark.asyncio
async def test_a_kept_alive_connection_is_not_answered_after_the_fake_stops() -> None:
    fake = FlexChannelsMock(seed=12)
    fake.start()
    async with aiohttp.ClientSession(headers=_auth(fake)) as session:
        async with session.get(CHANNELS_URL) as answer:
            assert answer.status == 200
        fake.stop()  # the session's pooled connection outlives the fake
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(CHANNELS_URL)
    assert len(fake.calls) == 1


@pytest.mark.asyncio
async def test_keep_alive_reuses_one_in_memory_connection(flex_channels: FlexChannelsMock) -> None:
    async with aiohttp.ClientSession(headers=_auth(flex_channels)) as session:
        for _ in range(3):
            async with session.get(CHANNELS_URL) as answer:
                await answer.read()
        connector = session.connector
        assert connector is not None
        assert sum(len(c) for c in connector._conns.values()) == 1
    assert len(flex_channels.calls) == 3


# --- clients without interception, credentials, bad header bytes --------------------------


def test_direct_clients_answer_without_any_interception() -> None:
    fake = FlexChannelsMock()  # never started: nothing is patched
    client = fake.client()
    channel = create(client, fake, "ada")
    assert client.flex_api.v1.channel(channel.sid).fetch().sid == channel.sid
    other = fake.add_account()
    with pytest.raises(TwilioRestException) as raised:
        fake.client(other).flex_api.v1.channel(channel.sid).fetch()
    assert (raised.value.status, raised.value.code) == (404, 20404)
    assert fake.client(other.sid).flex_api.v1.channel.list() == []
    with pytest.raises(KeyError, match="no account 'AC"):
        fake.client("AC" + "9" * 32)
    fake.delay_next("list_channels", seconds=0.5)
    slow = Client(
        fake.account_sid,
        fake.auth_token,
        http_client=type(client.http_client)(fake.handle, timeout=0.05),
    )
    with pytest.raises(requests.ReadTimeout):
        slow.flex_api.v1.channel.list()
    assert [c.operation for c in fake.calls] == [
        "create_channel",
        "fetch_channel",
        "fetch_channel",
        "list_channels",
        "list_channels",
    ]


@pytest.mark.asyncio
async def test_the_direct_async_client() -> None:
    fake = FlexChannelsMock()
    client = fake.async_client()
    channel = await client.flex_api.v1.channel.create_async(
        flex_flow_sid=fake.flex_flow_sid,
        identity="ada",
        chat_user_friendly_name="Ada",
        chat_friendly_name="Chat",
    )
    assert [c.sid for c in await client.flex_api.v1.channel.list_async()] == [channel.sid]
    fake.raise_next("list_channels")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await client.flex_api.v1.channel.list_async()
    assert [c.fault for c in fake.calls] == [None, None, "drop the connection on list_channels"]


def test_client_without_arguments_works_with_or_without_env(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os
        from twilio.rest import Client

        def test_unset(flex_channels, monkeypatch):
            assert os.environ["TWILIO_ACCOUNT_SID"] == flex_channels.account_sid
            assert os.environ["TWILIO_AUTH_TOKEN"] == flex_channels.auth_token
            assert Client().flex_api.v1.channel.list() == []

        def test_restored():
            assert "TWILIO_ACCOUNT_SID" not in os.environ
            assert "TWILIO_AUTH_TOKEN" not in os.environ
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_client_without_arguments_uses_env_credentials_when_set(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "5" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "from-the-environment")
    pytester.makepyfile(
        """
        from twilio.rest import Client

        def test_set(flex_channels):
            assert flex_channels.account_sid == "AC" + "5" * 32
            assert flex_channels.auth_token == "from-the-environment"
            assert Client().flex_api.v1.channel.list() == []
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_non_ascii_authorization_is_a_401_and_recorded(flex_channels: FlexChannelsMock) -> None:
    # A Latin-1 character goes out as one raw byte; UTF-8 bytes go out as they are.
    for value in ("Basic é", b"Basic " + "ünïcødé".encode()):
        answer = requests.get(CHANNELS_URL, headers={"Authorization": value})  # type: ignore[dict-item]
        assert answer.status_code == 401
        assert answer.json()["code"] == 20003
    assert [(c.status_code, c.account_sid) for c in flex_channels.calls] == [(401, None)] * 2
    assert flex_channels.calls[0].headers["Authorization"] == "Basic é"


@pytest.mark.asyncio
async def test_non_ascii_authorization_through_aiohttp(flex_channels: FlexChannelsMock) -> None:
    token = base64.b64encode(b"x").decode()
    headers = {"Authorization": f"Bäsic {token}é"}
    async with aiohttp.ClientSession() as session, session.get(CHANNELS_URL, headers=headers) as r:
        assert r.status == 401
    assert flex_channels.calls[0].status_code == 401


# --- lifecycle --------------------------------------------------------------------------------


def test_every_start_after_a_stop_begins_fresh() -> None:
    fake = FlexChannelsMock(seed=5)
    fake.create_channel(identity="before-the-first-start")
    with fake:
        assert [c.identity for c in fake.channels] == ["before-the-first-start"]
        client = Client(fake.account_sid, fake.auth_token)
        create(client, fake, "during")
        fake.fail_next(times=None)
    with fake:
        assert (fake.channels, len(fake.calls), fake.faults) == ([], 0, [])
        assert create(client, fake, "again").sid  # the same credentials still work


def test_reset_while_another_thread_is_answered(flex_channels: FlexChannelsMock) -> None:
    client = Client(flex_channels.account_sid, flex_channels.auth_token)
    errors: list[BaseException] = []
    stop = threading.Event()

    def keep_creating() -> None:
        while not stop.is_set():
            try:
                create(client, flex_channels, "busy")
            except BaseException as error:  # reported below
                errors.append(error)

    worker = threading.Thread(target=keep_creating)
    worker.start()
    try:
        for _ in range(20):
            flex_channels.reset()
    finally:
        stop.set()
        worker.join()
    assert errors == []
    # Whatever the last reset left: every recorded create stored its channel, and get-or-create
    # kept one channel for the identity.
    assert len(flex_channels.channels) <= 1
    assert all(c.status_code == 201 for c in flex_channels.calls)
    if flex_channels.calls:
        assert len(flex_channels.channels) == 1


def test_aiohttp_imported_after_the_fake_started_is_answered_too(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import asyncio
        import sys

        def test_late_import(flex_channels):
            assert "aiohttp" not in sys.modules  # nothing imported it before the fake started
            import aiohttp

            async def fetch():
                async with aiohttp.ClientSession() as session:
                    async with session.get("https://flex-api.twilio.com/v1/Channels") as answer:
                        return answer.status

            assert asyncio.run(fetch()) == 401
            assert flex_channels.calls[0].status_code == 401

        def test_after_it():
            import aiohttp
            from aiohttp.connector import TCPConnector

            assert TCPConnector._create_connection.__module__ == "aiohttp.connector"
        """
    )
    pytester.runpytest_subprocess("-p", "no:randomly").assert_outcomes(passed=2)


@pytest.mark.parametrize(
    "url",
    [
        "https://user:secret@api.twilio.com/2010-04-01/Accounts.json",
        "https://API.TWILIO.COM./2010-04-01/Accounts.json",
        "http://video.twilio.com:8080/v1/Rooms",
        "https://twilio.com/",
    ],
)
def test_every_form_of_a_twilio_host_is_refused(url: str) -> None:
    with FlexChannelsMock() as fake:
        with pytest.raises(TwilioHostNotFakedError):
            requests.get(url)
        assert [b.lower() for b in fake.blocked] == [f"get {url}".lower()]  # requests lowers hosts
        fake.reset()  # refusals are what this test is about


def test_credentials_in_a_flex_url_still_reach_the_fake(flex_channels: FlexChannelsMock) -> None:
    answer = requests.get("https://someone:else@flex-api.twilio.com./v1/Channels")
    assert answer.status_code == 401  # the URL's credentials are not the fake's
    assert flex_channels.calls[0].status_code == 401


@pytest.mark.asyncio
@pytest.mark.parametrize("scheme", ["https", "http"])
async def test_an_aiohttp_proxy_from_the_environment_changes_nothing(
    flex_channels: FlexChannelsMock, monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    url = f"{scheme}://flex-api.twilio.com/v1/Channels"
    async with (
        aiohttp.ClientSession(trust_env=True, headers=_auth(flex_channels)) as session,
        session.get(url) as answer,
    ):
        assert answer.status == 200
    assert flex_channels.calls[0].url == url
