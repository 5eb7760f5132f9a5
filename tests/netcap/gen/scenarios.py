"""Scenarios: a list of frames of one link type, written as pcap, pcapng or gzip.

>>> s = Scenario("dns", link_type=LINKTYPE_ETHERNET)
>>> s.udp("10.0.0.2", "9.9.9.9", 40000, 53, query_bytes)
>>> tls = s.tcp_session("10.0.0.2", 40001, "93.184.216.34", 443)
>>> tls.handshake()
>>> tls.client_send(hello_bytes, segment_size=300)
>>> path = s.write(tmp_path / "dns.pcap")

Frames get timestamps ``step_ns`` apart from ``start_ns`` unless given one.
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass, field
from pathlib import Path

from tests.netcap.gen import frames as F
from tests.netcap.gen.frames import (
    ACK,
    FIN,
    LINKTYPE_ETHERNET,
    PSH,
    SYN,
    link,
    tcp_packet,
    udp_packet,
)
from tests.netcap.gen.pcap_writer import Frame, Interface, PcapngWriter, write_pcap

CUSTOM_BLOCK = 0x40000BAD
START_NS = 1_700_000_000_000_000_000
"""2023-11-14T22:13:20Z, the default time of a scenario's first frame."""


@dataclass
class Scenario:
    name: str
    link_type: int = LINKTYPE_ETHERNET
    frames: list[Frame] = field(default_factory=list)
    start_ns: int = START_NS
    step_ns: int = 1_000_000

    def _next_ns(self) -> int:
        if not self.frames:
            return self.start_ns
        return self.frames[-1].ts_ns + self.step_ns

    def add(self, data: bytes, *, ts_ns: int | None = None, orig_len: int | None = None) -> Frame:
        """Append a frame already wrapped in this scenario's link layer."""
        frame = Frame(data, self._next_ns() if ts_ns is None else ts_ns, orig_len)
        self.frames.append(frame)
        return frame

    def ip(self, packet: bytes, *, ts_ns: int | None = None) -> Frame:
        """Append an IP packet, wrapped in this scenario's link layer."""
        return self.add(link(self.link_type, packet), ts_ns=ts_ns)

    def udp(
        self,
        src: str,
        dst: str,
        sport: int,
        dport: int,
        payload: bytes,
        *,
        ts_ns: int | None = None,
    ) -> Frame:
        return self.ip(udp_packet(src, dst, sport, dport, payload), ts_ns=ts_ns)

    def tcp(
        self,
        src: str,
        dst: str,
        sport: int,
        dport: int,
        payload: bytes = b"",
        *,
        seq: int = 0,
        ack: int = 0,
        flags: int = ACK | PSH,
        ts_ns: int | None = None,
    ) -> Frame:
        packet = tcp_packet(src, dst, sport, dport, payload, seq=seq, ack=ack, flags=flags)
        return self.ip(packet, ts_ns=ts_ns)

    def tcp_session(
        self, client: str, client_port: int, server: str, server_port: int
    ) -> TcpSession:
        return TcpSession(self, client, client_port, server, server_port)

    def pcap(self, *, nanosecond: bool = False, big_endian: bool = False) -> bytes:
        return write_pcap(self.frames, self.link_type, nanosecond=nanosecond, big_endian=big_endian)

    def pcapng(self, *, big_endian: bool = False, tsresol: int = 6) -> bytes:
        writer = PcapngWriter(big_endian=big_endian)
        writer.section()
        writer.interface(Interface(self.link_type, tsresol=tsresol))
        for frame in self.frames:
            writer.packet(frame)
        return writer.getvalue()

    def write(self, path: Path) -> Path:
        """Write by suffix: ``.pcap``, ``.pcapng``, optionally followed by ``.gz``."""
        suffixes = path.suffixes
        data = self.pcapng() if ".pcapng" in suffixes else self.pcap()
        if suffixes and suffixes[-1] == ".gz":
            data = gzip.compress(data, mtime=0)
        path.write_bytes(data)
        return path


@dataclass
class TcpSession:
    """One TCP connection in a scenario, keeping sequence numbers right in both directions."""

    scenario: Scenario
    client: str
    client_port: int
    server: str
    server_port: int
    client_seq: int = 1000
    server_seq: int = 5000

    def _send(self, from_client: bool, payload: bytes, flags: int) -> Frame:
        if from_client:
            src, sport, dst, dport = self.client, self.client_port, self.server, self.server_port
            seq, ack = self.client_seq, self.server_seq
        else:
            src, sport, dst, dport = self.server, self.server_port, self.client, self.client_port
            seq, ack = self.server_seq, self.client_seq
        frame = self.scenario.tcp(
            src, dst, sport, dport, payload, seq=seq, ack=ack if flags & ACK else 0, flags=flags
        )
        used = len(payload) + (1 if flags & (SYN | FIN) else 0)
        if from_client:
            self.client_seq = (self.client_seq + used) & 0xFFFFFFFF
        else:
            self.server_seq = (self.server_seq + used) & 0xFFFFFFFF
        return frame

    def handshake(self) -> None:
        self._send(True, b"", SYN)
        self._send(False, b"", SYN | ACK)
        self._send(True, b"", ACK)

    def client_send(self, data: bytes, *, segment_size: int = 1400) -> list[Frame]:
        """Send ``data`` from the client in segments of at most ``segment_size`` bytes."""
        return self._stream(True, data, segment_size)

    def server_send(self, data: bytes, *, segment_size: int = 1400) -> list[Frame]:
        return self._stream(False, data, segment_size)

    def _stream(self, from_client: bool, data: bytes, size: int) -> list[Frame]:
        return [
            self._send(from_client, data[i : i + size], ACK | PSH)
            for i in range(0, len(data), size)
        ]

    def close(self) -> None:
        self._send(True, b"", FIN | ACK)
        self._send(False, b"", FIN | ACK)
        self._send(True, b"", ACK)


PHONE_V4, PHONE_V6 = "192.168.43.17", "2001:db8:43::17"
"""The phone, behind a laptop hotspot."""
RESOLVER_V4, RESOLVER_V6 = "192.168.43.1", "2001:db8:43::1"
SERVER_V4, SERVER_V6 = "93.184.216.34", "2606:2800:220:1::248"


def mixed_traffic(link_type: int = LINKTYPE_ETHERNET) -> Scenario:
    """Every layer-3/4 shape the reader handles, in one capture of ``link_type``.

    Skipped by the reader: 3 later IP fragments (2 IPv4, 1 IPv6), plus 1 ARP
    frame when the link layer can carry ARP (Ethernet, Linux cooked).
    """
    s = Scenario(f"mixed-{link_type}", link_type=link_type)
    s.udp(PHONE_V4, RESOLVER_V4, 40000, 53, b"\x12\x34" + b"\0" * 10)
    web = s.tcp_session(PHONE_V4, 40001, SERVER_V4, 443)
    web.handshake()
    web.client_send(b"\x16\x03\x01" + b"c" * 700, segment_size=400)
    web.server_send(b"\x16\x03\x03" + b"s" * 2000)
    web.close()
    s.udp(PHONE_V6, RESOLVER_V6, 40002, 53, b"\x56\x78" + b"\0" * 10)
    extensions = [F.options_header(F.HOP_BY_HOP), F.routing_header(RESOLVER_V6)]
    segment = F.tcp_segment(PHONE_V6, SERVER_V6, 40003, 443, b"v6 data")
    s.ip(F.ipv6(PHONE_V6, SERVER_V6, F.PROTO_TCP, segment, extensions=extensions))
    s.ip(F.icmp_echo(PHONE_V4, SERVER_V4))
    option = b"\x94\x04\x00\x00"
    segment = F.tcp_segment(PHONE_V4, SERVER_V4, 40004, 8080, b"options")
    s.ip(F.ipv4(PHONE_V4, SERVER_V4, F.PROTO_TCP, segment, options=option))
    datagram = F.udp_datagram(PHONE_V4, SERVER_V4, 40005, 4500, b"f" * 100)
    for fragment in F.ipv4_fragments(PHONE_V4, SERVER_V4, F.PROTO_UDP, datagram, 48):
        s.ip(fragment)
    datagram = F.udp_datagram(PHONE_V6, SERVER_V6, 40006, 4500, b"g" * 100)
    first = F.fragment_header(0, more=True)
    s.ip(F.ipv6(PHONE_V6, SERVER_V6, F.PROTO_UDP, datagram[:56], extensions=[first]))
    later = F.fragment_header(56)
    s.ip(F.ipv6(PHONE_V6, SERVER_V6, F.PROTO_UDP, datagram[56:], extensions=[later]))
    _link_specific(s)
    return s


def _link_specific(s: Scenario) -> None:
    arp = b"\x00\x01\x08\x00\x06\x04\x00\x01" + b"\0" * 20
    if s.link_type == LINKTYPE_ETHERNET:
        s.add(F.ethernet(udp_packet(PHONE_V4, SERVER_V4, 40007, 443, b"vlan"), vlans=[43]))
        qinq = F.ethernet(
            tcp_packet(PHONE_V6, SERVER_V6, 40008, 443, b"qinq"), vlans=[7, 43], outer_tpid=0x88A8
        )
        s.add(qinq)
        s.add(F.ethernet(arp, ethertype=F.ETHERTYPE_ARP))
    elif s.link_type == F.LINKTYPE_LINUX_SLL:
        s.add(F.linux_sll(arp, protocol=F.ETHERTYPE_ARP))
    elif s.link_type == F.LINKTYPE_LINUX_SLL2:
        s.add(F.linux_sll2(arp, protocol=F.ETHERTYPE_ARP))


def single_family(link_type: int) -> Scenario:
    """A few packets for link types that carry only IPv4 (228) or only IPv6 (229)."""
    s = Scenario(f"family-{link_type}", link_type=link_type)
    if link_type == F.LINKTYPE_IPV4:
        s.udp(PHONE_V4, RESOLVER_V4, 40000, 53, b"v4 only")
        s.tcp(PHONE_V4, SERVER_V4, 40001, 443, b"v4 tcp")
    else:
        s.udp(PHONE_V6, RESOLVER_V6, 40000, 53, b"v6 only")
        s.tcp(PHONE_V6, SERVER_V6, 40001, 443, b"v6 tcp")
    return s


def several_interfaces(*, big_endian: bool = False) -> bytes:
    """A pcapng with Ethernet (µs), raw IP (ns) and Linux cooked v2 (2^-20 s) interfaces,
    and a custom block (frame 6 for Wireshark) among the packets."""
    layouts = [
        Interface(LINKTYPE_ETHERNET, name="wlan0", tsresol=6),
        Interface(F.LINKTYPE_RAW, name="tun0", tsresol=9),
        Interface(F.LINKTYPE_LINUX_SLL2, name="any", tsresol=0x80 | 20),
    ]
    writer = PcapngWriter(big_endian=big_endian)
    writer.section()
    for iface in layouts:
        writer.interface(iface)
    for index in range(9):
        iface = layouts[index % 3]
        ip = udp_packet(PHONE_V4, RESOLVER_V4, 41000 + index, 53, bytes([index]) * 12)
        ts_ns = START_NS + index * 1_234_567
        writer.packet(Frame(link(iface.link_type, ip), ts_ns, None, index % 3))
        if index == 4:
            # Wireshark numbers custom blocks as frames; readers must count them too.
            writer.block(CUSTOM_BLOCK, struct.pack(">I" if big_endian else "<I", 32473) + b"x")
    return writer.getvalue()


def combined_pcapng(
    scenarios: list[Scenario], *, big_endian: bool = False, tsresols: tuple[int, ...] = (6, 9)
) -> bytes:
    """One pcapng holding each scenario on its own interface (its own link type).

    Interfaces take their timestamp resolution from ``tsresols`` in turn;
    frames are written scenario after scenario, in each one's order.
    """
    writer = PcapngWriter(big_endian=big_endian)
    writer.section()
    for index, scenario in enumerate(scenarios):
        resolution = tsresols[index % len(tsresols)]
        writer.interface(Interface(scenario.link_type, name=scenario.name, tsresol=resolution))
    for index, scenario in enumerate(scenarios):
        for frame in scenario.frames:
            writer.packet(Frame(frame.data, frame.ts_ns, frame.orig_len, index))
    return writer.getvalue()
