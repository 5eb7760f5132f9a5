"""Link layers, IPv4/IPv6 and TCP/UDP headers decoded into :class:`~unstalk.netcap.model.Packet`.

A decoder takes one captured frame and returns either a ``Packet`` or, when the
frame cannot be decoded down to IP, a short reason (a ``str``) that the reader
counts. Reasons are fixed phrases so that counts group well.

Decisions worth knowing:

- Payloads end where the IP header says the packet ends, so Ethernet padding
  and trailers never leak into TCP or UDP data; when the capture holds less than
  that (snap length), the payload is what was captured.
- Non-first IP fragments carry no transport header and are skipped as
  ``"ip fragment"``; first fragments are decoded (their payload is partial).
  Fragments are not reassembled.
- Protocols other than TCP and UDP (ICMP, ESP, GRE ...) become packets with
  ``Transport.OTHER``, ports 0 and the IP payload, so the flow table counts them.
- Addresses are the text forms of :mod:`ipaddress` (``2001:db8::1``).
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from collections.abc import Callable

from unstalk.netcap.model import Packet, Transport

Decoder = Callable[[memoryview, int, float], "Packet | str"]
"""``decoder(frame, number, timestamp)`` returns the packet or the reason it was skipped."""

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

MAX_VLAN_TAGS = 4
MAX_IPV6_EXTENSIONS = 8
"""Longest IPv6 extension header chain followed; real traffic uses one or two."""

SKIP_FRAGMENT = "ip fragment"
SKIP_SHORT_FRAME = "frame too short for its link layer"
SKIP_IPV4 = "malformed IPv4 header"
SKIP_IPV4_SHORT = "truncated IPv4 header"
SKIP_IPV6 = "malformed IPv6 header"
SKIP_IPV6_SHORT = "truncated IPv6 header"
SKIP_IPV6_CHAIN = "IPv6 extension header chain too long"
SKIP_TCP = "malformed TCP header"
SKIP_TCP_SHORT = "truncated TCP header"
SKIP_UDP = "malformed UDP header"
SKIP_UDP_SHORT = "truncated UDP header"
SKIP_NOT_IP = "not an IP packet"

_TCP = Transport.TCP
_UDP = Transport.UDP
_OTHER = Transport.OTHER
_ETHERTYPE = struct.Struct("!H")
_IPV4 = struct.Struct("!BxHxxHxB2x4s4s")
_IPV6 = struct.Struct("!4xHB1x16s16s")
_TCP_HEADER = struct.Struct("!HHI4xBB")
_UDP_HEADER = struct.Struct("!HHH")
_FRAGMENT = struct.Struct("!2xH")
_NULL_LE = struct.Struct("<I")
_LOOP = struct.Struct("!I")
_ARPHRD_NETLINK = 824
_VLAN_TYPES = frozenset((0x8100, 0x88A8, 0x9100))
_IPV6_EXTENSIONS = frozenset((0, 43, 44, 51, 60, 135, 139, 140))
_AF_INET6 = frozenset((10, 23, 24, 28, 30))
"""AF_INET6 on Linux, Windows, NetBSD/OpenBSD, FreeBSD and macOS (loopback captures)."""
_NON_IP_NAMES = {
    0x0806: "ARP",
    0x8035: "RARP",
    0x888E: "EAPOL",
    0x88CC: "LLDP",
    0x8863: "PPPoE discovery",
    0x8864: "PPPoE session",
    0x8847: "MPLS",
    0x88E5: "MACsec",
}
_CACHE_LIMIT = 1 << 16
_names4: dict[bytes, str] = {}
_names6: dict[bytes, str] = {}


def address_name(raw: bytes) -> str:
    """An IPv4 (4 bytes) or IPv6 (16 bytes) address as sent, written as the decoder writes it."""
    if len(raw) == 4:
        return _names4.get(raw) or _name4(raw)
    return _names6.get(raw) or _name6(raw)


def _name4(raw: bytes) -> str:
    if len(_names4) >= _CACHE_LIMIT:
        _names4.clear()
    name = _names4[raw] = socket.inet_ntoa(raw)
    return name


def _name6(raw: bytes) -> str:
    if len(_names6) >= _CACHE_LIMIT:
        _names6.clear()
    name = _names6[raw] = str(ipaddress.IPv6Address(raw))
    return name


def non_ip_reason(ethertype: int) -> str:
    """The skip reason for a frame whose link layer carries something other than IP."""
    if ethertype <= 1500:
        return f"{SKIP_NOT_IP} (802.3 LLC)"
    name = _NON_IP_NAMES.get(ethertype)
    return f"{SKIP_NOT_IP} ({name or f'ethertype 0x{ethertype:04x}'})"


def _transport(
    frame: memoryview,
    start: int,
    end: int,
    proto: int,
    header: tuple[str, str, int, int],
    number: int,
    timestamp: float,
) -> Packet | str:
    src, dst, length, version = header
    if proto == 6:
        if start + 20 > end:
            return SKIP_TCP_SHORT
        sport, dport, seq, offset, flags = _TCP_HEADER.unpack_from(frame, start)
        size = (offset >> 4) * 4
        if size < 20:
            return SKIP_TCP
        if start + size > end:
            return SKIP_TCP_SHORT
        flags |= (offset & 0x0F) << 8
        payload = frame[start + size : end]
        return Packet(
            number, timestamp, src, dst, _TCP, sport, dport, payload, length, seq, flags, version
        )
    if proto == 17:
        if start + 8 > end:
            return SKIP_UDP_SHORT
        sport, dport, ulen = _UDP_HEADER.unpack_from(frame, start)
        if ulen:
            if ulen < 8:
                return SKIP_UDP
            end = min(end, start + ulen)
        payload = frame[start + 8 : end]
        return Packet(
            number, timestamp, src, dst, _UDP, sport, dport, payload, length, 0, 0, version
        )
    return Packet(
        number, timestamp, src, dst, _OTHER, 0, 0, frame[start:end], length, 0, 0, version
    )


def decode_ipv4(frame: memoryview, off: int, number: int, timestamp: float) -> Packet | str:
    """Decode the IPv4 packet starting at ``off`` in ``frame``."""
    size = len(frame)
    if off + 20 > size:
        return SKIP_IPV4_SHORT
    vihl, total, fragment, proto, raw_src, raw_dst = _IPV4.unpack_from(frame, off)
    header = (vihl & 0x0F) * 4
    if vihl >> 4 != 4 or header < 20 or (total and total < header):
        return SKIP_IPV4
    if off + header > size:
        return SKIP_IPV4_SHORT
    if fragment & 0x1FFF:
        return SKIP_FRAGMENT
    # A total length of 0 comes from TCP segmentation offload: use what was captured.
    end = min(off + total, size) if total else size
    src = _names4.get(raw_src) or _name4(raw_src)
    dst = _names4.get(raw_dst) or _name4(raw_dst)
    length = total or size - off
    start = off + header
    return _tcp_or_udp(frame, start, end, proto, src, dst, length, 4, number, timestamp)


def _tcp_or_udp(
    frame: memoryview,
    start: int,
    end: int,
    proto: int,
    src: str,
    dst: str,
    length: int,
    version: int,
    number: int,
    timestamp: float,
) -> Packet | str:
    """Decode well-formed TCP and UDP directly, for speed; :func:`_transport` does the rest."""
    if proto == 6 and start + 20 <= end:
        sport, dport, seq, offset, flags = _TCP_HEADER.unpack_from(frame, start)
        payload_start = start + (offset >> 4) * 4
        if offset >= 0x50 and payload_start <= end:
            flags |= (offset & 0x0F) << 8
            payload = frame[payload_start:end]
            return Packet(
                number,
                timestamp,
                src,
                dst,
                _TCP,
                sport,
                dport,
                payload,
                length,
                seq,
                flags,
                version,
            )
    if proto == 17 and start + 8 <= end:
        sport, dport, udp_length = _UDP_HEADER.unpack_from(frame, start)
        if udp_length >= 8:
            payload = frame[start + 8 : min(end, start + udp_length)]
            return Packet(
                number, timestamp, src, dst, _UDP, sport, dport, payload, length, 0, 0, version
            )
    return _transport(frame, start, end, proto, (src, dst, length, version), number, timestamp)


def _skip_extensions(frame: memoryview, start: int, end: int, proto: int) -> tuple[int, int] | str:
    """Walk the IPv6 extension headers at ``start``: where the transport starts, and its
    protocol, or why the packet is skipped."""
    hops = 0
    while proto in _IPV6_EXTENSIONS:
        hops += 1
        if hops > MAX_IPV6_EXTENSIONS:
            return SKIP_IPV6_CHAIN
        if start + 8 > end:
            return SKIP_IPV6_SHORT
        if proto == 44:
            if _FRAGMENT.unpack_from(frame, start)[0] & 0xFFF8:
                return SKIP_FRAGMENT
            step = 8
        elif proto == 51:
            step = (frame[start + 1] + 2) * 4
        else:
            step = (frame[start + 1] + 1) * 8
        proto = frame[start]
        start += step
    if start > end:
        return SKIP_IPV6_SHORT
    return start, proto


def decode_ipv6(frame: memoryview, off: int, number: int, timestamp: float) -> Packet | str:
    """Decode the IPv6 packet starting at ``off``, walking its extension headers."""
    size = len(frame)
    if off + 40 > size:
        return SKIP_IPV6_SHORT
    if frame[off] >> 4 != 6:
        return SKIP_IPV6
    plen, proto, raw_src, raw_dst = _IPV6.unpack_from(frame, off)
    # Payload length 0 means a jumbogram or segmentation offload: use what was captured.
    end = min(off + 40 + plen, size) if plen else size
    start = off + 40
    if proto in _IPV6_EXTENSIONS:
        after = _skip_extensions(frame, start, end, proto)
        if isinstance(after, str):
            return after
        start, proto = after
    src = _names6.get(raw_src) or _name6(raw_src)
    dst = _names6.get(raw_dst) or _name6(raw_dst)
    length = 40 + plen if plen else size - off
    return _tcp_or_udp(frame, start, end, proto, src, dst, length, 6, number, timestamp)


def decode_ethertype(
    frame: memoryview, off: int, ethertype: int, number: int, timestamp: float
) -> Packet | str:
    """Decode what follows an ethertype at ``off``, peeling 802.1Q / 802.1ad VLAN tags."""
    tags = 0
    while ethertype in _VLAN_TYPES:
        tags += 1
        if tags > MAX_VLAN_TAGS:
            return f"{SKIP_NOT_IP} (more than {MAX_VLAN_TAGS} VLAN tags)"
        if off + 4 > len(frame):
            return SKIP_SHORT_FRAME
        ethertype = _ETHERTYPE.unpack_from(frame, off + 2)[0]
        off += 4
    if ethertype == 0x0800:
        return decode_ipv4(frame, off, number, timestamp)
    if ethertype == 0x86DD:
        return decode_ipv6(frame, off, number, timestamp)
    return non_ip_reason(ethertype)


def decode_raw_ip(frame: memoryview, number: int, timestamp: float) -> Packet | str:
    """Raw IP (no link header): the version nibble tells IPv4 from IPv6."""
    if not len(frame):
        return SKIP_SHORT_FRAME
    version = frame[0] >> 4
    if version == 4:
        return decode_ipv4(frame, 0, number, timestamp)
    if version == 6:
        return decode_ipv6(frame, 0, number, timestamp)
    return SKIP_NOT_IP


def _ethernet(frame: memoryview, number: int, timestamp: float) -> Packet | str:
    if len(frame) < 14:
        return SKIP_SHORT_FRAME
    ethertype = _ETHERTYPE.unpack_from(frame, 12)[0]
    if ethertype == 0x0800:
        return decode_ipv4(frame, 14, number, timestamp)
    if ethertype == 0x86DD:
        return decode_ipv6(frame, 14, number, timestamp)
    return decode_ethertype(frame, 14, ethertype, number, timestamp)


def _linux_sll(frame: memoryview, number: int, timestamp: float) -> Packet | str:
    if len(frame) < 16:
        return SKIP_SHORT_FRAME
    if _ETHERTYPE.unpack_from(frame, 2)[0] == _ARPHRD_NETLINK:
        # ARPHRD_NETLINK: the protocol field is a netlink family, not an ethertype.
        return f"{SKIP_NOT_IP} (netlink)"
    return decode_ethertype(frame, 16, _ETHERTYPE.unpack_from(frame, 14)[0], number, timestamp)


def _linux_sll2(frame: memoryview, number: int, timestamp: float) -> Packet | str:
    if len(frame) < 20:
        return SKIP_SHORT_FRAME
    if _ETHERTYPE.unpack_from(frame, 8)[0] == _ARPHRD_NETLINK:
        return f"{SKIP_NOT_IP} (netlink)"
    return decode_ethertype(frame, 20, _ETHERTYPE.unpack_from(frame, 0)[0], number, timestamp)


def _null(frame: memoryview, number: int, timestamp: float) -> Packet | str:
    if len(frame) < 4:
        return SKIP_SHORT_FRAME
    family = _NULL_LE.unpack_from(frame, 0)[0]
    if family > 0xFFFF:
        # Written by a big-endian machine: the family is in the last byte.
        family = frame[3]
    return _by_family(frame, family, number, timestamp)


def _loop(frame: memoryview, number: int, timestamp: float) -> Packet | str:
    if len(frame) < 4:
        return SKIP_SHORT_FRAME
    # OpenBSD's loopback header holds the address family in network byte order.
    return _by_family(frame, _LOOP.unpack_from(frame, 0)[0], number, timestamp)


def _by_family(frame: memoryview, family: int, number: int, timestamp: float) -> Packet | str:
    if family == 2:
        return decode_ipv4(frame, 4, number, timestamp)
    if family in _AF_INET6:
        return decode_ipv6(frame, 4, number, timestamp)
    return f"{SKIP_NOT_IP} (address family {family})"


def _ipv4_only(frame: memoryview, number: int, timestamp: float) -> Packet | str:
    return decode_ipv4(frame, 0, number, timestamp)


def _ipv6_only(frame: memoryview, number: int, timestamp: float) -> Packet | str:
    return decode_ipv6(frame, 0, number, timestamp)


DECODERS: dict[int, Decoder] = {
    LINKTYPE_NULL: _null,
    LINKTYPE_ETHERNET: _ethernet,
    LINKTYPE_RAW_BSD: decode_raw_ip,
    LINKTYPE_RAW_OPENBSD: decode_raw_ip,
    LINKTYPE_RAW: decode_raw_ip,
    LINKTYPE_LOOP: _loop,
    LINKTYPE_LINUX_SLL: _linux_sll,
    LINKTYPE_IPV4: _ipv4_only,
    LINKTYPE_IPV6: _ipv6_only,
    LINKTYPE_LINUX_SLL2: _linux_sll2,
}
"""Decoder for each supported link type (pcap ``LINKTYPE_*`` numbers)."""


def unsupported_link_reason(link_type: int) -> str:
    return f"unsupported link type {link_type}"


def decode_frame(link_type: int, frame: memoryview, number: int, timestamp: float) -> Packet | str:
    """Decode one frame of the given link type: the packet, or why it was skipped."""
    decoder = DECODERS.get(link_type)
    if decoder is None:
        return unsupported_link_reason(link_type)
    return decoder(frame, number, timestamp)
