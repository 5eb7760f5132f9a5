"""HTTP/1 request heads: Host (or the URI's authority), method, path, User-Agent."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.netcap.gen.app_payloads import http_request
from unstalk.netcap.parsers import http


def _head(raw: bytes, *, final: bool = False) -> http.RequestHead:
    head = http.parse_request_head(raw, final=final)
    assert head is not None
    return head


def test_get_with_host_and_user_agent() -> None:
    raw = http_request("Api.Example.COM", "/v1/ping?x=1", user_agent="okhttp/4.12.0")
    head = _head(raw + b"GET /next")
    assert (head.method, head.host, head.path) == ("GET", "api.example.com", "/v1/ping?x=1")
    assert head.user_agent == "okhttp/4.12.0"
    assert head.end == len(raw)
    assert head.body_length == 0


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("example.com:8080", "example.com"),
        ("[2001:db8::1]:8080", "2001:db8::1"),
        ("192.0.2.7", "192.0.2.7"),
        ("example.com.", "example.com"),
        ("2001:db8::1", "2001:db8::1"),
    ],
)
def test_host_header_loses_port_and_case(host: str, expected: str) -> None:
    assert _head(f"GET / HTTP/1.1\r\nhost: {host}\r\n\r\n".encode()).host == expected


def test_absolute_form_names_the_host_of_the_uri() -> None:
    raw = b"GET http://User@Proxied.Example.com:81/a/b?c HTTP/1.1\r\nHost: other\r\n\r\n"
    head = _head(raw)
    assert (head.host, head.path) == ("proxied.example.com", "/a/b?c")
    assert _head(b"GET http://bare.example HTTP/1.0\r\n\r\n").path == "/"


def test_connect_names_the_tunnel_end() -> None:
    head = _head(b"CONNECT c2.example.net:443 HTTP/1.1\r\nHost: c2.example.net:443\r\n\r\n")
    assert head.host == "c2.example.net"


def test_request_without_host() -> None:
    assert _head(b"GET / HTTP/1.0\r\n\r\n").host is None


def test_body_length_for_keep_alive() -> None:
    head = _head(http_request("a.example", method="POST", body=b"lat=1"))
    assert head.body_length == 5
    chunked = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert _head(chunked).body_length is None


def test_head_not_yet_complete_waits_unless_final() -> None:
    raw = http_request("cut.example.com")
    assert http.parse_request_head(raw[:30]) is None
    cut = raw.index(b"User-Agent")
    assert _head(raw[:cut], final=True).host == "cut.example.com"


def test_overlong_head_is_parsed_from_what_fits() -> None:
    raw = b"GET / HTTP/1.1\r\nHost: big.example\r\nX-Pad: " + b"a" * http.MAX_HEAD
    assert _head(raw).host == "big.example"


def test_bare_newlines_are_accepted() -> None:
    assert _head(b"GET / HTTP/1.1\nHost: lf.example\n\n").host == "lf.example"


def test_detection_by_method() -> None:
    assert http.looks_like_http(b"POST /upload HTTP/1.1\r\n")
    assert http.looks_like_http(b"OPTIONS * HTTP/1.1\r\n")
    assert not http.looks_like_http(b"HTTP/1.1 200 OK\r\n")
    assert not http.looks_like_http(b"GETX / HTTP/1.1")
    assert not http.looks_like_http(b"\x16\x03\x01")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"GET /\r\n\r\n", "bad-request-line"),
        (b"GET / SPDY/3\r\n\r\n", "bad-request-line"),
        (b"BREW / HTTP/1.1\r\n\r\n", "unknown-method"),
    ],
)
def test_bad_request_lines(raw: bytes, reason: str) -> None:
    with pytest.raises(http.HttpFormatError) as caught:
        http.parse_request_head(raw)
    assert caught.value.reason == reason


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_heads_raise_only_format_errors(raw: bytes) -> None:
    with contextlib.suppress(http.HttpFormatError):
        http.parse_request_head(b"GET " + raw, final=True)
