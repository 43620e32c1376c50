"""Arbitrary input gets a Twilio answer, never an exception, and never corrupts stored state."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_flexchannels import FlexChannelsMock
from pytest_flexchannels.core.handle import _fields
from pytest_flexchannels.core.http import Request
from tests.helpers import basic_auth, examples, post_form


def _fresh() -> tuple[FlexChannelsMock, str]:
    """A fake holding one channel, and the Authorization header of its account."""
    fake = FlexChannelsMock(seed=3)
    fake.create_channel(identity="kept")
    return fake, basic_auth(fake)


# The same seed gives the same SIDs, so strategies can aim at the stored channel.
_SAMPLE, AUTH = _fresh()
KEPT_SID = _SAMPLE.channels[0].sid

methods = st.sampled_from(["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS", "TRACE"])
paths = st.one_of(
    st.just("/v1/Channels"),
    st.builds(lambda s: "/v1/Channels/" + quote(s, safe=""), st.text(min_size=1)),
    st.just(f"/v1/Channels/{KEPT_SID}"),
    st.builds(lambda s: "/" + quote(s, safe="/"), st.text()),
)
fields = st.sampled_from(
    [
        "FlexFlowSid",
        "Identity",
        "ChatUserFriendlyName",
        "ChatFriendlyName",
        "Target",
        "TaskSid",
        "TaskAttributes",
        "PreEngagementData",
        "LongLived",
        "PageSize",
        "Page",
        "PageToken",
    ]
)
pairs = st.lists(st.tuples(st.one_of(fields, st.text()), st.text()), max_size=8)
encoded = pairs.map(lambda kv: "&".join(f"{quote(k)}={quote(v)}" for k, v in kv))
bodies = st.one_of(encoded.map(str.encode), st.binary(max_size=200))
auths = st.one_of(st.just(AUTH), st.text(max_size=40), st.none())


@settings(max_examples=examples(400), deadline=None)
@given(methods, paths, encoded, bodies, auths)
def test_any_request_gets_a_twilio_answer(
    method: str, path: str, query: str, body: bytes, authorization: str | None
) -> None:
    fake, _ = _fresh()
    before = fake.channels
    headers = {"Authorization": authorization} if authorization is not None else {}
    url = f"https://flex-api.twilio.com{path}" + (f"?{query}" if query else "")
    response = fake.handle(Request(method, url, headers, body))
    assert response.headers["Twilio-Request-Id"].startswith("RQ")
    assert response.status in {200, 201, 204, 400, 401, 404, 405}
    after = fake.channels
    if response.status >= 400:
        if method != "HEAD":
            error = json.loads(response.body)
            assert set(error) == {"code", "message", "more_info", "status"}
            assert error["status"] == response.status
        assert after == before  # a refused request changes nothing
    elif response.status == 204:
        assert [c.sid for c in after] == []
    elif response.status == 201:
        assert after[: len(before)] == before and len(after) in (1, 2)
    else:
        assert after == before
    assert len(fake.calls) == 1


@settings(max_examples=examples(200), deadline=None)
@given(pairs)
def test_any_create_form_is_answered_and_only_201_stores(form: list[tuple[str, str]]) -> None:
    with FlexChannelsMock(seed=4) as fake:
        base = [("FlexFlowSid", fake.flex_flow_sid)]
        body = "&".join(f"{quote(k)}={quote(v)}" for k, v in base + form).encode()
        status, _ = post_form(fake, body)
        assert status in {201, 400}
        assert len(fake.channels) == (1 if status == 201 else 0)


def test_huge_fields_are_stored_whole() -> None:
    fake = FlexChannelsMock(seed=5)
    identity = "é" * 500_000  # a megabyte of UTF-8, percent-encoded to three times that
    form = {"FlexFlowSid": fake.flex_flow_sid, "Identity": identity}
    form |= {"ChatUserFriendlyName": "x", "ChatFriendlyName": "y"}
    status, body = post_form(fake, "&".join(f"{k}={quote(v)}" for k, v in form.items()).encode())
    assert status == 201
    assert fake.get_channel(str(body["sid"])).identity == identity


def test_thousands_of_repeated_keys_keep_the_first() -> None:
    fake = FlexChannelsMock(seed=6)
    repeated = "&".join(f"Identity=other-{i}" for i in range(20_000))
    body = f"FlexFlowSid={fake.flex_flow_sid}&Identity=first&{repeated}"
    status, answer = post_form(fake, f"{body}&ChatUserFriendlyName=a&ChatFriendlyName=b".encode())
    assert status == 201
    assert fake.get_channel(str(answer["sid"])).identity == "first"


@pytest.mark.parametrize(
    "identity",
    [b"%zz", b"%", b"%E2%82", b"\xff\xfe", b"a%00b", b"+%2B+", "中文".encode("gb2312")],
)
def test_odd_encodings_are_answered(identity: bytes) -> None:
    fake = FlexChannelsMock(seed=7)
    body = b"FlexFlowSid=" + fake.flex_flow_sid.encode() + b"&Identity=" + identity
    status, answer = post_form(fake, body + b"&ChatUserFriendlyName=a&ChatFriendlyName=b")
    assert status == 201
    assert fake.get_channel(str(answer["sid"])).identity


@settings(max_examples=examples(500), deadline=None)
@given(st.text(alphabet=st.sampled_from("ab=&%+;2F0é \x00"), max_size=40) | st.text(max_size=40))
def test_form_fields_read_as_parse_qsl_reads_them(text: str) -> None:
    expected: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True, errors="replace"):
        expected.setdefault(name, value)
    assert _fields(text) == expected
