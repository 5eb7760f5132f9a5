"""Packets made from the header fields a fast scan already read, without decoding again.

The scanner (:mod:`unstalk.netcap.scan`) reads an IPv4 or IPv6 header and the TCP
or UDP ports with one ``struct`` call and checks them as the decoder
(:mod:`unstalk.netcap.parsers.packet`) would: IPv4 without options, IPv6 without
extension headers, lengths that fit. What is here gives, from those checked fields,
exactly what the decoder gives.
"""

from __future__ import annotations

import struct

from unstalk.netcap.model import Packet, Transport
from unstalk.netcap.parsers.packet import address_name

__all__ = ["Buffer", "header_packet", "udp_payload"]

Buffer = bytes | bytearray | memoryview
_PORTS = struct.Struct("!HH")
_TCP = 6


def header_packet(
    data: Buffer,
    end: int,
    ip: int,
    fields: tuple[int, bytes, int, int, int, int],
    n: int,
    ts: float,
) -> Packet:
    """The ``Packet`` the decoder makes of a frame ending at ``end``, its IP header at ``ip``.

    ``fields`` are the header fields the scanner read and checked: the protocol
    number, the raw key (addresses and ports as sent), the IP packet's length, the
    32-bit word after the ports (TCP sequence number; UDP length and checksum), the
    TCP data offset byte and the TCP flags.
    """
    proto, key, length, word, off, flags = fields
    half = (len(key) - 4) >> 1
    src, dst = address_name(key[:half]), address_name(key[half : 2 * half])
    sport, dport = _PORTS.unpack_from(key, 2 * half)
    version = 4 if half == 4 else 6
    start = ip + (20 if half == 4 else 40)
    end = min(ip + length, end)
    if proto == _TCP:
        return Packet(
            n,
            ts,
            src,
            dst,
            Transport.TCP,
            sport,
            dport,
            memoryview(data)[start + (off >> 2 & 0x3C) : end],
            length,
            word,
            flags | (off & 0x0F) << 8,
            version,
        )
    payload = memoryview(data)[start + 8 : min(end, start + (word >> 16))]
    return Packet(n, ts, src, dst, Transport.UDP, sport, dport, payload, length, 0, 0, version)


def udp_payload(data: Buffer, ip: int, end: int, udp_length: int, length: int) -> bytes:
    """The payload of the UDP datagram whose IP header is at ``ip``, in a frame ending at ``end``.

    Cut as the decoder cuts it: within the IP packet's ``length``, the frame and the
    UDP length.
    """
    udp = ip + (20 if data[ip] == 0x45 else 40)
    return bytes(data[udp + 8 : min(ip + length, end, udp + udp_length)])
