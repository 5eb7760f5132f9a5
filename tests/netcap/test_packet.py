"""Frames decoded down to TCP/UDP: every link type, VLANs, IPv4 options and fragments,
IPv6 extension headers, and the reasons given for frames that cannot be decoded."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.netcap.gen import frames as F
from unstalk.netcap.model import Packet, Transport
from unstalk.netcap.parsers.packet import (
    DECODERS,
    MAX_IPV6_EXTENSIONS,
    SKIP_FRAGMENT,
    SKIP_IPV4,
    SKIP_IPV4_SHORT,
    SKIP_IPV6_CHAIN,
    SKIP_IPV6_SHORT,
    SKIP_SHORT_FRAME,
    SKIP_TCP,
    SKIP_TCP_SHORT,
    SKIP_UDP,
    decode_frame,
)

V4_CLIENT, V4_SERVER = "192.168.43.17", "93.184.216.34"
V6_CLIENT, V6_SERVER = "2001:db8:1::17", "2001:db8:2::443"


def decode(link_type: int, frame: bytes) -> Packet | str:
    return decode_frame(link_type, memoryview(frame), 7, 1.5)


def packet(link_type: int, frame: bytes) -> Packet:
    result = decode(link_type, frame)
    assert isinstance(result, Packet), result
    return result


TCP_V4 = F.tcp_packet(V4_CLIENT, V4_SERVER, 40001, 443, b"hello", seq=77, flags=F.PSH | F.ACK)
UDP_V6 = F.udp_packet(V6_CLIENT, V6_SERVER, 5353, 53, b"query")

LINK_CASES = [
    ("ethernet", F.LINKTYPE_ETHERNET, F.ethernet(TCP_V4), TCP_V4),
    ("ethernet-v6", F.LINKTYPE_ETHERNET, F.ethernet(UDP_V6), UDP_V6),
    ("vlan", F.LINKTYPE_ETHERNET, F.ethernet(TCP_V4, vlans=[42]), TCP_V4),
    ("qinq", F.LINKTYPE_ETHERNET, F.ethernet(UDP_V6, vlans=[100, 42], outer_tpid=0x88A8), UDP_V6),
    ("sll", F.LINKTYPE_LINUX_SLL, F.linux_sll(TCP_V4), TCP_V4),
    ("sll-v6", F.LINKTYPE_LINUX_SLL, F.linux_sll(UDP_V6), UDP_V6),
    ("sll2", F.LINKTYPE_LINUX_SLL2, F.linux_sll2(TCP_V4), TCP_V4),
    ("sll2-v6", F.LINKTYPE_LINUX_SLL2, F.linux_sll2(UDP_V6), UDP_V6),
    ("raw", F.LINKTYPE_RAW, TCP_V4, TCP_V4),
    ("raw-v6", F.LINKTYPE_RAW, UDP_V6, UDP_V6),
    ("raw-bsd", F.LINKTYPE_RAW_BSD, TCP_V4, TCP_V4),
    ("raw-openbsd", F.LINKTYPE_RAW_OPENBSD, UDP_V6, UDP_V6),
    ("ipv4", F.LINKTYPE_IPV4, TCP_V4, TCP_V4),
    ("ipv6", F.LINKTYPE_IPV6, UDP_V6, UDP_V6),
    ("null-le", F.LINKTYPE_NULL, F.null_loopback(TCP_V4), TCP_V4),
    ("null-be", F.LINKTYPE_NULL, F.null_loopback(UDP_V6, big_endian=True), UDP_V6),
    ("null-linux-v6", F.LINKTYPE_NULL, F.null_loopback(UDP_V6, family=10), UDP_V6),
    ("loop", F.LINKTYPE_LOOP, F.null_loopback(TCP_V4, big_endian=True), TCP_V4),
]


@pytest.mark.parametrize(
    ("link_type", "frame", "ip_packet"),
    [case[1:] for case in LINK_CASES],
    ids=[case[0] for case in LINK_CASES],
)
def test_every_link_type_reaches_the_transport_payload(
    link_type: int, frame: bytes, ip_packet: bytes
) -> None:
    got = packet(link_type, frame)
    if ip_packet is TCP_V4:
        assert (got.src, got.dst, got.src_port, got.dst_port) == (V4_CLIENT, V4_SERVER, 40001, 443)
        assert (got.transport, got.tcp_seq, got.tcp_flags) == (Transport.TCP, 77, 0x18)
        assert bytes(got.payload) == b"hello"
        assert got.ip_version == 4
    else:
        assert (got.src, got.dst, got.src_port, got.dst_port) == (V6_CLIENT, V6_SERVER, 5353, 53)
        assert (got.transport, bytes(got.payload), got.ip_version) == (Transport.UDP, b"query", 6)
    assert got.length == len(ip_packet)
    assert (got.number, got.timestamp) == (7, 1.5)


def test_ethernet_padding_never_reaches_the_payload() -> None:
    frame = F.ethernet(F.udp_packet(V4_CLIENT, V4_SERVER, 1, 2, b"x"))
    assert len(frame) == 60
    assert bytes(packet(F.LINKTYPE_ETHERNET, frame).payload) == b"x"


def test_ipv4_options_and_tcp_options_are_stepped_over() -> None:
    segment = F.tcp_segment(
        V4_CLIENT,
        V4_SERVER,
        1,
        2,
        b"data",
        flags=F.SYN,
        options=F.mss_option() + F.timestamp_option(5),
    )
    router_alert = b"\x94\x04\x00\x00"
    ip = F.ipv4(V4_CLIENT, V4_SERVER, F.PROTO_TCP, segment, options=router_alert)
    got = packet(F.LINKTYPE_RAW, ip)
    assert (bytes(got.payload), got.tcp_flags) == (b"data", F.SYN)


def test_first_fragment_is_decoded_and_later_fragments_are_skipped() -> None:
    segment = F.udp_datagram(V4_CLIENT, V4_SERVER, 1000, 53, b"a" * 100)
    first, *rest = F.ipv4_fragments(V4_CLIENT, V4_SERVER, F.PROTO_UDP, segment, 48)
    got = packet(F.LINKTYPE_RAW, first)
    assert (got.src_port, got.dst_port, bytes(got.payload)) == (1000, 53, b"a" * 40)
    assert [decode(F.LINKTYPE_RAW, fragment) for fragment in rest] == [SKIP_FRAGMENT] * 2


def test_ipv6_extension_headers_are_walked() -> None:
    segment = F.tcp_segment(V6_CLIENT, V6_SERVER, 1, 443, b"hi")
    extensions = [
        F.options_header(F.HOP_BY_HOP, 16),
        F.routing_header("2001:db8::9"),
        F.fragment_header(0),
        F.options_header(F.DESTINATION),
    ]
    ip = F.ipv6(V6_CLIENT, V6_SERVER, F.PROTO_TCP, segment, extensions=extensions)
    got = packet(F.LINKTYPE_RAW, ip)
    assert (got.src_port, got.dst_port, bytes(got.payload)) == (1, 443, b"hi")


def test_ipv6_later_fragment_and_endless_chain_are_skipped() -> None:
    later = F.ipv6(V6_CLIENT, V6_SERVER, F.PROTO_UDP, b"z" * 16, extensions=[F.fragment_header(8)])
    assert decode(F.LINKTYPE_RAW, later) == SKIP_FRAGMENT
    chain = [F.options_header(F.DESTINATION)] * (MAX_IPV6_EXTENSIONS + 1)
    endless = F.ipv6(V6_CLIENT, V6_SERVER, F.PROTO_UDP, b"", extensions=chain)
    assert decode(F.LINKTYPE_RAW, endless) == SKIP_IPV6_CHAIN


def test_other_protocols_become_packets_without_ports() -> None:
    got = packet(F.LINKTYPE_ETHERNET, F.ethernet(F.icmp_echo(V4_CLIENT, V4_SERVER)))
    assert (got.transport, got.src_port, got.dst_port) == (Transport.OTHER, 0, 0)
    assert bytes(got.payload)[:1] == b"\x08"


def test_segmentation_offload_total_length_zero_uses_the_captured_bytes() -> None:
    segment = F.tcp_segment(V4_CLIENT, V4_SERVER, 1, 2, b"big")
    ip = F.ipv4(V4_CLIENT, V4_SERVER, F.PROTO_TCP, segment, total_length=0)
    got = packet(F.LINKTYPE_RAW, ip)
    assert (bytes(got.payload), got.length) == (b"big", len(ip))


def test_snapped_packet_keeps_the_wire_length_and_the_captured_payload() -> None:
    ip = F.tcp_packet(V4_CLIENT, V4_SERVER, 1, 2, b"0123456789")
    got = packet(F.LINKTYPE_RAW, ip[:-4])
    assert (bytes(got.payload), got.length) == (b"012345", len(ip))


def _with_byte(data: bytes, index: int, value: int) -> bytes:
    return data[:index] + bytes([value]) + data[index + 1 :]


MALFORMED = [
    ("ipv4-header-length-below-20", _with_byte(TCP_V4, 0, 0x44), SKIP_IPV4),
    ("ipv4-total-below-header", TCP_V4[:2] + b"\x00\x10" + TCP_V4[4:], SKIP_IPV4),
    ("ipv4-header-past-the-end", _with_byte(TCP_V4, 0, 0x46)[:22], SKIP_IPV4_SHORT),
    ("ipv4-short", TCP_V4[:19], SKIP_IPV4_SHORT),
    ("tcp-offset-below-5", _with_byte(TCP_V4, 32, 0x40), SKIP_TCP),
    ("tcp-short", TCP_V4[:30], SKIP_TCP_SHORT),
    ("tcp-options-past-the-end", _with_byte(TCP_V4, 32, 0xF0)[:50], SKIP_TCP_SHORT),
    ("udp-length-below-8", UDP_V6[:44] + b"\x00\x04" + UDP_V6[46:], SKIP_UDP),
    ("ipv6-short", UDP_V6[:39], SKIP_IPV6_SHORT),
    ("empty", b"", SKIP_SHORT_FRAME),
    ("not-ip", b"\x20" * 30, "not an IP packet"),
]


@pytest.mark.parametrize(
    ("frame", "reason"), [case[1:] for case in MALFORMED], ids=[case[0] for case in MALFORMED]
)
def test_malformed_ip_headers_are_skipped_with_a_reason(frame: bytes, reason: str) -> None:
    assert decode(F.LINKTYPE_RAW, frame) == reason


@pytest.mark.parametrize(
    ("link_type", "frame", "reason"),
    [
        (F.LINKTYPE_ETHERNET, F.ethernet(b"\0" * 28, ethertype=0x0806), "not an IP packet (ARP)"),
        (F.LINKTYPE_ETHERNET, F.ethernet(b"\0" * 46, ethertype=0x88B5), "ethertype 0x88b5"),
        (F.LINKTYPE_ETHERNET, F.ethernet(b"\xaa" * 46, ethertype=46), "(802.3 LLC)"),
        (F.LINKTYPE_ETHERNET, F.ethernet(TCP_V4, vlans=[1] * 5), "more than 4 VLAN tags"),
        (F.LINKTYPE_ETHERNET, F.ethernet(b"", pad=False)[:13], SKIP_SHORT_FRAME),
        (F.LINKTYPE_LINUX_SLL, F.linux_sll(b"\0" * 20, protocol=0x0806), "(ARP)"),
        (F.LINKTYPE_NULL, F.null_loopback(TCP_V4, family=7), "(address family 7)"),
        (F.LINKTYPE_USB_LINUX, b"\0" * 64, "unsupported link type 189"),
    ],
    ids=["arp", "unknown-ethertype", "llc", "vlan-bomb", "short", "sll-arp", "af", "usb"],
)
def test_frames_without_ip_are_skipped_with_a_reason(
    link_type: int, frame: bytes, reason: str
) -> None:
    result = decode(link_type, frame)
    assert isinstance(result, str)
    assert reason in result


def test_sll_netlink_frames_are_not_taken_for_ethertypes() -> None:
    frame = struct.pack("!HHH8sH", 4, 824, 0, b"", 0x0800) + TCP_V4
    assert decode(F.LINKTYPE_LINUX_SLL, frame) == "not an IP packet (netlink)"


@settings(max_examples=300, deadline=None)
@given(
    link_type=st.sampled_from(sorted(DECODERS)),
    data=st.binary(max_size=120),
    mutate=st.lists(st.tuples(st.integers(0, 119), st.integers(0, 255)), max_size=6),
)
def test_no_frame_makes_the_decoder_raise(
    link_type: int, data: bytes, mutate: list[tuple[int, int]]
) -> None:
    frame = bytearray(F.link(link_type, TCP_V4 if link_type != F.LINKTYPE_IPV6 else UDP_V6))
    frame[: len(data)] = data[: len(frame)]
    for index, value in mutate:
        if index < len(frame):
            frame[index] = value
    result = decode(link_type, bytes(frame))
    if isinstance(result, Packet):
        assert len(result.payload) <= len(frame)
