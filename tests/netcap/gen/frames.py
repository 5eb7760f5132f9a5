"""Build packets byte by byte: link layers, IPv4/IPv6 (options, fragments, extension
headers), TCP and UDP, with correct lengths and checksums.

Every builder returns ``bytes``. IP builders take text addresses; the
``tcp_packet`` / ``udp_packet`` helpers pick IPv4 or IPv6 from the address.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Sequence
from dataclasses import dataclass

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW_BSD = 12
LINKTYPE_RAW_OPENBSD = 14
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276
LINKTYPE_USB_LINUX = 189
"""A link type the reader does not decode (for 'unsupported link type' tests)."""

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_IPV6 = 0x86DD
ETHERTYPE_ARP = 0x0806
ETHERTYPE_VLAN = 0x8100
ETHERTYPE_QINQ = 0x88A8

PROTO_ICMP = 1
PROTO_TCP = 6
PROTO_UDP = 17
PROTO_ICMPV6 = 58

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

CLIENT_MAC = bytes.fromhex("02005e100001")
ROUTER_MAC = bytes.fromhex("02005e100002")


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of ``data``."""
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _packed(address: str) -> bytes:
    return ipaddress.ip_address(address).packed


def _pseudo_header(src: str, dst: str, proto: int, length: int) -> bytes:
    s, d = _packed(src), _packed(dst)
    if len(s) == 4:
        return s + d + struct.pack("!BBH", 0, proto, length)
    return s + d + struct.pack("!IxxxB", length, proto)


# -- transport -----------------------------------------------------------------------


def tcp_segment(
    src: str,
    dst: str,
    sport: int,
    dport: int,
    payload: bytes = b"",
    *,
    seq: int = 0,
    ack: int = 0,
    flags: int = ACK | PSH,
    window: int = 65535,
    options: bytes = b"",
) -> bytes:
    """A TCP header (with options padded to 32 bits) and payload, checksum over ``src``/``dst``."""
    options += b"\x01" * (-len(options) % 4)
    offset = (20 + len(options)) // 4
    header = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, offset << 4, flags, window, 0, 0)
    segment = header + options + payload
    total = checksum(_pseudo_header(src, dst, PROTO_TCP, len(segment)) + segment)
    return segment[:16] + struct.pack("!H", total) + segment[18:]


def udp_datagram(src: str, dst: str, sport: int, dport: int, payload: bytes = b"") -> bytes:
    length = 8 + len(payload)
    datagram = struct.pack("!HHHH", sport, dport, length, 0) + payload
    total = checksum(_pseudo_header(src, dst, PROTO_UDP, length) + datagram) or 0xFFFF
    return datagram[:6] + struct.pack("!H", total) + datagram[8:]


def mss_option(mss: int = 1460) -> bytes:
    return struct.pack("!BBH", 2, 4, mss)


def timestamp_option(value: int, echo: int = 0) -> bytes:
    return b"\x01\x01" + struct.pack("!BBII", 8, 10, value, echo)


# -- IP ----------------------------------------------------------------------------


def ipv4(
    src: str,
    dst: str,
    proto: int,
    payload: bytes,
    *,
    ident: int = 1,
    ttl: int = 64,
    options: bytes = b"",
    dont_fragment: bool = True,
    more_fragments: bool = False,
    fragment_offset: int = 0,
    total_length: int | None = None,
) -> bytes:
    """An IPv4 packet; ``fragment_offset`` is in bytes (a multiple of 8)."""
    options += b"\0" * (-len(options) % 4)
    ihl = 5 + len(options) // 4
    flags = (0x4000 if dont_fragment else 0) | (0x2000 if more_fragments else 0)
    length = total_length if total_length is not None else ihl * 4 + len(payload)
    header = (
        struct.pack(
            "!BBHHHBBH4s4s",
            0x40 | ihl,
            0,
            length,
            ident,
            flags | fragment_offset // 8,
            ttl,
            proto,
            0,
            _packed(src),
            _packed(dst),
        )
        + options
    )
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def ipv4_fragments(
    src: str, dst: str, proto: int, payload: bytes, size: int, *, ident: int = 7
) -> list[bytes]:
    """``payload`` (a whole transport segment) split into IPv4 fragments of ``size`` bytes."""
    size -= size % 8
    parts = [payload[i : i + size] for i in range(0, len(payload), size)]
    return [
        ipv4(
            src,
            dst,
            proto,
            part,
            ident=ident,
            dont_fragment=False,
            more_fragments=index < len(parts) - 1,
            fragment_offset=index * size,
        )
        for index, part in enumerate(parts)
    ]


@dataclass(frozen=True)
class Extension:
    """An IPv6 extension header: its type and its body after the next-header byte."""

    kind: int
    body: bytes


HOP_BY_HOP = 0
ROUTING = 43
FRAGMENT = 44
DESTINATION = 60


def options_header(kind: int, size: int = 8) -> Extension:
    """A hop-by-hop or destination options header of ``size`` bytes, filled with PadN."""
    pad = size - 2
    body = bytes([(size - 8) // 8]) + bytes([1, pad - 2]) + b"\0" * (pad - 2)
    return Extension(kind, body)


def routing_header(*hops: str) -> Extension:
    """A type-0 routing header through ``hops`` (segments left 0, so nobody acts on it)."""
    addresses = b"".join(_packed(hop) for hop in hops)
    body = bytes([len(addresses) // 8, 0, 0]) + b"\0" * 4 + addresses
    return Extension(ROUTING, body)


def fragment_header(offset: int = 0, *, more: bool = False, ident: int = 9) -> Extension:
    return Extension(FRAGMENT, struct.pack("!xHI", offset | more, ident))


def ipv6(
    src: str,
    dst: str,
    next_header: int,
    payload: bytes,
    *,
    extensions: Sequence[Extension] = (),
    hop_limit: int = 64,
    payload_length: int | None = None,
) -> bytes:
    kinds = [ext.kind for ext in extensions] + [next_header]
    chain = b"".join(bytes([kinds[i + 1]]) + ext.body for i, ext in enumerate(extensions))
    body = chain + payload
    length = len(body) if payload_length is None else payload_length
    header = struct.pack(
        "!IHBB16s16s", 0x60000000, length, kinds[0], hop_limit, _packed(src), _packed(dst)
    )
    return header + body


def ip(src: str, dst: str, proto: int, payload: bytes) -> bytes:
    """An IPv4 or IPv6 packet, by the address family of ``src``."""
    if ipaddress.ip_address(src).version == 4:
        return ipv4(src, dst, proto, payload)
    return ipv6(src, dst, proto, payload)


def tcp_packet(
    src: str,
    dst: str,
    sport: int,
    dport: int,
    payload: bytes = b"",
    *,
    seq: int = 0,
    ack: int = 0,
    flags: int = ACK | PSH,
    options: bytes = b"",
) -> bytes:
    """A whole IP packet holding one TCP segment."""
    segment = tcp_segment(
        src, dst, sport, dport, payload, seq=seq, ack=ack, flags=flags, options=options
    )
    return ip(src, dst, PROTO_TCP, segment)


def udp_packet(src: str, dst: str, sport: int, dport: int, payload: bytes = b"") -> bytes:
    return ip(src, dst, PROTO_UDP, udp_datagram(src, dst, sport, dport, payload))


def icmp_echo(src: str, dst: str, ident: int = 1, seq: int = 1) -> bytes:
    message = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"ping"
    message = message[:2] + struct.pack("!H", checksum(message)) + message[4:]
    return ipv4(src, dst, PROTO_ICMP, message)


# -- link layers -------------------------------------------------------------------


def ethertype_of(packet: bytes) -> int:
    return ETHERTYPE_IPV6 if packet[:1] and packet[0] >> 4 == 6 else ETHERTYPE_IPV4


def ethernet(
    packet: bytes,
    *,
    vlans: Sequence[int] = (),
    outer_tpid: int = ETHERTYPE_VLAN,
    ethertype: int | None = None,
    src_mac: bytes = CLIENT_MAC,
    dst_mac: bytes = ROUTER_MAC,
    pad: bool = True,
) -> bytes:
    """An Ethernet II frame; ``vlans`` outermost first (in a stack, the outer tag's
    TPID is ``outer_tpid``: 0x88A8 for 802.1ad QinQ).

    Short frames are padded to the 60-byte minimum, as a NIC would.
    """
    tags = b""
    for index, vid in enumerate(vlans):
        tpid = outer_tpid if index == 0 and len(vlans) > 1 else ETHERTYPE_VLAN
        tags += struct.pack("!HH", tpid, vid & 0x0FFF)
    kind = ethertype if ethertype is not None else ethertype_of(packet)
    frame = dst_mac + src_mac + tags + struct.pack("!H", kind) + packet
    if pad and len(frame) < 60:
        frame += b"\0" * (60 - len(frame))
    return frame


def linux_sll(packet: bytes, *, protocol: int | None = None, packet_type: int = 4) -> bytes:
    """Linux cooked capture v1 header (``tcpdump -i any`` before libpcap 1.10)."""
    kind = protocol if protocol is not None else ethertype_of(packet)
    address = CLIENT_MAC + b"\0\0"
    return struct.pack("!HHH8sH", packet_type, 1, 6, address, kind) + packet


def linux_sll2(
    packet: bytes, *, protocol: int | None = None, ifindex: int = 2, packet_type: int = 4
) -> bytes:
    """Linux cooked capture v2 header (``tcpdump -i any`` with libpcap 1.10 and later)."""
    kind = protocol if protocol is not None else ethertype_of(packet)
    address = CLIENT_MAC + b"\0\0"
    return struct.pack("!HHIHBB8s", kind, 0, ifindex, 1, packet_type, 6, address) + packet


def null_loopback(packet: bytes, *, big_endian: bool = False, family: int | None = None) -> bytes:
    """BSD loopback header: the address family in the writer's byte order."""
    if family is None:
        family = 2 if ethertype_of(packet) == ETHERTYPE_IPV4 else 30
    return struct.pack(">I" if big_endian else "<I", family) + packet


def link(link_type: int, packet: bytes) -> bytes:
    """Wrap an IP packet in the link layer of ``link_type`` (defaults for every field)."""
    if link_type == LINKTYPE_ETHERNET:
        return ethernet(packet)
    if link_type == LINKTYPE_LINUX_SLL:
        return linux_sll(packet)
    if link_type == LINKTYPE_LINUX_SLL2:
        return linux_sll2(packet)
    if link_type == LINKTYPE_NULL:
        return null_loopback(packet)
    if link_type == LINKTYPE_LOOP:
        return null_loopback(packet, big_endian=True)
    if link_type in (
        LINKTYPE_RAW,
        LINKTYPE_RAW_BSD,
        LINKTYPE_RAW_OPENBSD,
        LINKTYPE_IPV4,
        LINKTYPE_IPV6,
    ):
        return packet
    raise ValueError(f"no link layer builder for link type {link_type}")
