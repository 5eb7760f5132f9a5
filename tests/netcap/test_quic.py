"""QUIC Initial decryption against the RFC 9001 and RFC 9369 Appendix A test vectors."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.netcap import quic_vectors as rfc
from tests.netcap.gen.app_payloads import PING, client_hello, crypto_frame, quic_initial
from unstalk.netcap.parsers import quic, tls


def test_initial_keys_match_rfc9001_a1() -> None:
    assert quic.initial_keys(quic.QUIC_V1, rfc.DCID) == rfc.V1_CLIENT_KEYS
    assert quic.initial_keys(quic.QUIC_V1, rfc.DCID, server=True) == rfc.V1_SERVER_KEYS


def test_initial_keys_match_rfc9369_a1() -> None:
    assert quic.initial_keys(quic.QUIC_V2, rfc.DCID) == rfc.V2_CLIENT_KEYS


@pytest.mark.parametrize(
    ("packet", "version"),
    [(rfc.V1_CLIENT_INITIAL, quic.QUIC_V1), (rfc.V2_CLIENT_INITIAL, quic.QUIC_V2)],
    ids=["rfc9001", "rfc9369"],
)
def test_rfc_client_initial_decrypts_to_the_published_crypto_frame(
    packet: bytes, version: int
) -> None:
    (initial,) = quic.read_initials(packet)
    assert initial.version == version
    assert initial.dcid == rfc.DCID
    assert initial.packet_number == 2
    assert len(initial.payload) == 1162
    assert initial.payload.startswith(rfc.CLIENT_CRYPTO_FRAME)
    assert initial.payload[len(rfc.CLIENT_CRYPTO_FRAME) :] == bytes(1162 - 245)
    ((offset, data),) = quic.crypto_frames(initial.payload)
    assert offset == 0
    assert data == rfc.CLIENT_CRYPTO_FRAME[4:]
    hello = tls.parse_handshake(data)
    assert hello is not None
    assert hello.sni == "example.com"
    assert hello.alpn == ("alpn",)


def test_tampered_initial_fails_authentication() -> None:
    packet = bytearray(rfc.V1_CLIENT_INITIAL)
    packet[500] ^= 0x01
    with pytest.raises(quic.QuicFormatError) as caught:
        list(quic.read_initials(bytes(packet)))
    assert caught.value.reason == "decryption-failed"


def test_server_initial_does_not_decrypt_with_client_keys() -> None:
    with pytest.raises(quic.QuicFormatError):
        list(quic.read_initials(rfc.V1_SERVER_INITIAL, rfc.DCID))


@pytest.mark.parametrize("cut", [7, 15, 21, 40, 1199])
def test_truncated_initial_is_reported(cut: int) -> None:
    with pytest.raises(quic.QuicFormatError) as caught:
        list(quic.read_initials(rfc.V1_CLIENT_INITIAL[:cut]))
    assert caught.value.reason == "truncated"


def test_other_versions_and_short_headers_are_not_quic_initials() -> None:
    draft29 = b"\xc0\xff\x00\x00\x1d" + rfc.V1_CLIENT_INITIAL[5:]
    assert not quic.is_long_header(draft29)
    assert list(quic.read_initials(draft29)) == []
    assert not quic.is_long_header(b"\x40" + bytes(40))
    handshake = bytes((rfc.V1_CLIENT_INITIAL[0] | 0x20,)) + rfc.V1_CLIENT_INITIAL[1:]
    assert list(quic.read_initials(handshake)) == []


def test_later_initials_use_the_first_connection_ids_keys() -> None:
    hello = client_hello("later.example.com", quic=True)
    original = bytes.fromhex("0102030405060708")
    packet = quic_initial(crypto_frame(0, hello), dcid=original)
    # Re-label the DCID as a server-chosen one: keys must still come from the first DCID.
    relabelled = packet[:6] + b"\x99" * 8 + packet[14:]
    with pytest.raises(quic.QuicFormatError):
        list(quic.read_initials(relabelled))
    with pytest.raises(quic.QuicFormatError):  # the header is authenticated too
        list(quic.read_initials(relabelled, original))
    (initial,) = quic.read_initials(packet, original)
    assert tls.parse_handshake(quic.crypto_frames(initial.payload)[0][1]) is not None


def test_coalesced_initials_in_one_datagram() -> None:
    hello = client_hello("two.example.com", quic=True)
    dcid = b"\x07" * 8
    first = quic_initial(crypto_frame(0, hello[:300]), dcid=dcid, size=400)
    second = quic_initial(crypto_frame(300, hello[300:]), dcid=dcid, packet_number=1, size=600)
    packets = list(quic.read_initials(first + second + b"\x40" + bytes(30)))
    assert [p.packet_number for p in packets] == [0, 1]
    stream = quic.CryptoStream()
    for packet in packets:
        for offset, data in quic.crypto_frames(packet.payload):
            stream.add(offset, data)
    assert stream.data == hello


def test_frames_between_crypto_frames_are_skipped() -> None:
    ack = b"\x02" + bytes((5, 0, 1, 0, 1, 1))  # largest 5, delay 0, one extra range
    ack_ecn = b"\x03\x01\x00\x00\x00\x01\x02\x03"
    close = b"\x1c\x0a\x00\x03bye"
    payload = crypto_frame(10, b"later") + PING + ack + ack_ecn + b"\0\0\0" + close
    payload += crypto_frame(0, b"0123456789")
    assert quic.crypto_frames(payload) == [(10, b"later"), (0, b"0123456789")]


def test_frames_not_allowed_in_initial_packets_are_rejected() -> None:
    with pytest.raises(quic.QuicFormatError) as caught:
        quic.crypto_frames(b"\x08\x00\x03abc")  # STREAM
    assert caught.value.reason == "bad-frame"


def test_crypto_stream_reassembles_out_of_order_overlapping_fragments() -> None:
    stream = quic.CryptoStream()
    assert not stream.add(6, b"world")
    assert stream.data == b""
    assert stream.add(0, b"hello ")
    assert stream.data == b"hello world"
    assert not stream.add(3, b"lo wo")  # repeated bytes add nothing
    assert stream.add(8, b"rld!!")
    assert stream.data == b"hello world!!"


def test_crypto_stream_is_bounded() -> None:
    stream = quic.CryptoStream()
    with pytest.raises(quic.QuicFormatError):
        stream.add(1 << 20, b"x")
    with pytest.raises(quic.QuicFormatError):
        for offset in range(10, 10_000, 10):
            stream.add(offset, b"y")


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 1199), st.integers(1, 255))
def test_damaged_initials_raise_only_format_errors(position: int, flip: int) -> None:
    packet = bytearray(rfc.V1_CLIENT_INITIAL)
    packet[position] ^= flip
    try:
        for initial in quic.read_initials(bytes(packet)):
            quic.crypto_frames(initial.payload)
    except quic.QuicFormatError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_random_frames_raise_only_format_errors(payload: bytes) -> None:
    with contextlib.suppress(quic.QuicFormatError):
        quic.crypto_frames(payload)
