"""DNS message decoding: questions, answers that name addresses, hostile compression."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.netcap.gen.app_payloads import (
    TYPE_A,
    TYPE_AAAA,
    TYPE_CNAME,
    TYPE_HTTPS,
    Rr,
    dns_answer,
    dns_message,
    dns_query,
)
from unstalk.netcap.parsers import dns

HEADER_ONE_QUESTION = struct.pack("!HHHHHH", 1, 0x0100, 1, 0, 0, 0)


def test_query_gives_name_and_type() -> None:
    message = dns.parse_message(dns_query("Tracker.Example.COM", TYPE_AAAA, ident=99))
    assert message.id == 99
    assert not message.response
    assert message.questions == (("tracker.example.com", TYPE_AAAA),)
    assert message.answers == ()


def test_answer_behind_cname_chain_with_compressed_names() -> None:
    raw = dns_answer(
        "tracker.example.com",
        [
            Rr("tracker.example.com", TYPE_CNAME, "edge.cdn.example.net"),
            Rr("edge.cdn.example.net", TYPE_A, "203.0.113.10"),
            Rr("edge.cdn.example.net", TYPE_A, "203.0.113.11"),
        ],
    )
    assert raw.count(b"edge") == 1  # names were compressed, so pointers were followed
    message = dns.parse_message(raw)
    assert message.response
    cname, first, second = message.answers
    assert cname.names == ("edge.cdn.example.net",)
    assert (first.name, first.addresses) == ("edge.cdn.example.net", ("203.0.113.10",))
    assert second.addresses == ("203.0.113.11",)


def test_aaaa_is_written_as_ipaddress_writes_it() -> None:
    raw = dns_answer("v6.example.org", [Rr("v6.example.org", TYPE_AAAA, "2001:db8:0:0::66")])
    assert dns.parse_message(raw).answers[0].addresses == ("2001:db8::66",)


def test_https_record_gives_its_address_hints_and_target() -> None:
    raw = dns_answer(
        "svc.example.com",
        [
            Rr("svc.example.com", TYPE_HTTPS, ".", hints=("203.0.113.20", "2001:db8::20")),
            Rr("svc.example.com", TYPE_HTTPS, "alt.example.net"),
        ],
        TYPE_HTTPS,
    )
    same, alias = dns.parse_message(raw).answers
    assert same.names == ()
    assert same.addresses == ("203.0.113.20", "2001:db8::20")
    assert alias.names == ("alt.example.net",)


def test_type_names() -> None:
    assert [dns.qtype_name(t) for t in (1, 28, 5, 65, 64, 12)] == [
        "A",
        "AAAA",
        "CNAME",
        "HTTPS",
        "SVCB",
        "PTR",
    ]
    assert dns.qtype_name(4242) == "4242"


def test_root_name() -> None:
    message = dns.parse_message(HEADER_ONE_QUESTION + b"\0" + struct.pack("!HH", 2, 1))
    assert message.questions == ((".", 2),)


def _reason(raw: bytes) -> str:
    with pytest.raises(dns.DnsFormatError) as caught:
        dns.parse_message(raw)
    return caught.value.reason


def test_compression_loop_is_malformed_not_endless() -> None:
    assert _reason(HEADER_ONE_QUESTION + b"\xc0\x0c" + b"\0\x01\0\x01") == "compression-loop"
    two_step = HEADER_ONE_QUESTION + b"\x01a\xc0\x0e" + b"\0\x01\0\x01"
    assert _reason(two_step) == "compression-loop"


def test_name_longer_than_255_bytes_is_malformed() -> None:
    name = b"".join(b"\x3f" + b"a" * 63 for _ in range(5)) + b"\0"
    assert _reason(HEADER_ONE_QUESTION + name + b"\0\x01\0\x01") == "name-too-long"


def test_reserved_label_type_is_malformed() -> None:
    assert _reason(HEADER_ONE_QUESTION + b"\x41a\0\0\x01\0\x01") == "bad-label-type"


def test_non_dns_payload_on_port_53_is_malformed() -> None:
    assert _reason(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n") == "bad-opcode"
    assert _reason(b"\x00\x01") == "truncated"


def test_wrong_address_length_is_malformed() -> None:
    raw = bytearray(dns_answer("x.example", [Rr("x.example", TYPE_A, "192.0.2.1")]))
    raw[-6:-4] = b"\x00\x03"  # rdlength 3
    assert _reason(bytes(raw[:-1])) == "bad-rdata"


def test_every_truncation_of_a_response_is_reported() -> None:
    raw = dns_answer(
        "tracker.example.com",
        [Rr("tracker.example.com", TYPE_CNAME, "edge.example.net")]
        + [Rr("edge.example.net", TYPE_A, "192.0.2.1")],
    )
    for cut in range(len(raw)):
        assert _reason(raw[:cut]) in {"truncated", "bad-rdata"}


def test_several_questions() -> None:
    raw = dns_message([("a.example", TYPE_A), ("b.example", TYPE_AAAA)])
    assert [q[0] for q in dns.parse_message(raw).questions] == ["a.example", "b.example"]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_random_bytes_raise_only_format_errors(raw: bytes) -> None:
    with contextlib.suppress(dns.DnsFormatError):
        dns.parse_message(HEADER_ONE_QUESTION[:4] + raw)
