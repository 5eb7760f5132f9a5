"""TLS ClientHello: server name and ALPN, across records, with GREASE, and when damaged."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.netcap import quic_vectors as rfc
from tests.netcap.gen.app_payloads import client_hello, tls_records
from unstalk.netcap.parsers import tls


def test_sni_and_alpn_with_grease_extensions_around_them() -> None:
    message = client_hello("Push.Example.COM.", alpn=("h2", "http/1.1"))
    assert struct.unpack_from("!H", message, message.index(b"\x0a\x0a"))[0] == 0x0A0A
    hello = tls.parse_handshake(message)
    assert hello == tls.ClientHello("push.example.com", ("h2", "http/1.1"), 0x0303)


def test_hello_without_server_name() -> None:
    hello = tls.parse_handshake(client_hello(None, alpn=()))
    assert hello is not None
    assert hello.sni is None
    assert hello.alpn == ()


def test_hello_with_no_extensions_at_all() -> None:
    body = struct.pack("!H", 0x0301) + bytes(32) + b"\0" + b"\x00\x02\x00\x2f" + b"\x01\x00"
    message = b"\x01" + len(body).to_bytes(3, "big") + body
    assert tls.parse_handshake(message) == tls.ClientHello(None, (), 0x0301)


def test_quic_transport_hello_from_rfc9001() -> None:
    hello = tls.parse_handshake(rfc.CLIENT_CRYPTO_FRAME[4:])
    assert hello is not None
    assert hello.sni == "example.com"


def test_hello_spread_over_many_small_records() -> None:
    message = client_hello("records.example.com")
    stream = tls_records(message, record_size=50)
    assert stream.count(b"\x16\x03\x01") >= len(message) // 50
    hello = tls.client_hello_from_records(stream)
    assert hello is not None
    assert hello.sni == "records.example.com"


def test_every_prefix_of_the_stream_asks_for_more_bytes() -> None:
    stream = tls_records(client_hello("split.example.com", post_quantum=True), record_size=700)
    for cut in range(0, len(stream), 37):
        assert tls.client_hello_from_records(stream[:cut]) is None
    hello = tls.client_hello_from_records(stream + b"\x17\x03\x03\x00\x10")
    assert hello is not None
    assert hello.sni == "split.example.com"


def test_detection_by_record_header_on_any_port() -> None:
    stream = tls_records(client_hello("a.example"))
    assert tls.looks_like_tls(stream)
    assert not tls.looks_like_tls(stream[:5])
    assert not tls.looks_like_tls(b"GET / HTTP/1.1\r\n")
    assert not tls.looks_like_tls(b"\x16\x03\x01\x00\x00\x01")  # empty record
    assert not tls.looks_like_tls(b"\x17\x03\x03\x00\x20\x01")  # application data
    assert not tls.looks_like_tls(b"\x16\x03\x03\x00\x20\x02")  # ServerHello


def _reason(stream: bytes) -> str:
    with pytest.raises(tls.TlsFormatError) as caught:
        tls.client_hello_from_records(stream)
    return caught.value.reason


def test_damaged_streams_are_named_by_reason() -> None:
    message = client_hello("x.example")
    two = tls_records(message, record_size=100)
    assert _reason(two[:105] + b"\x17" + two[106:]) == "bad-record"
    assert _reason(b"\x16\x03\x01\x00\x00") == "bad-record-length"
    assert _reason(tls_records(b"\x02" + message[1:])) == "not-client-hello"
    assert _reason(tls_records(b"\x01\x01\x00\x00" + bytes(70000))) == "hello-too-long"


def test_inconsistent_lengths_inside_the_hello() -> None:
    message = bytearray(client_hello("x.example"))
    at = message.index(b"x.example") - 2
    message[at : at + 2] = b"\x01\x00"  # host name longer than its extension
    with pytest.raises(tls.TlsFormatError):
        tls.parse_handshake(bytes(message))
    with pytest.raises(tls.TlsFormatError) as caught:
        tls.parse_client_hello(b"\x03\x03" + bytes(10))
    assert caught.value.reason == "truncated"


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 400), st.integers(1, 255))
def test_damaged_hellos_raise_only_format_errors(position: int, flip: int) -> None:
    message = bytearray(client_hello("fuzz.example.com"))
    message[min(position, len(message) - 1)] ^= flip
    with contextlib.suppress(tls.TlsFormatError):
        tls.client_hello_from_records(tls_records(bytes(message), record_size=128))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bodies_raise_only_format_errors(body: bytes) -> None:
    with contextlib.suppress(tls.TlsFormatError):
        tls.parse_client_hello(body)
