"""What a network capture tells: packets decoded far enough to name every connection.

The reader yields :class:`Packet` values (pure, from bytes); the extractors turn
them into observations (DNS, TLS/QUIC SNI, HTTP Host) and a flow table; the
detector matches those against the feed and runs heuristics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Transport(StrEnum):
    TCP = "tcp"
    UDP = "udp"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class FlowKey:
    """A connection's 5-tuple, oriented from the side that spoke first (the client)."""

    transport: Transport
    client: str
    client_port: int
    server: str
    server_port: int


@dataclass(slots=True)
class Packet:
    """One IP packet, decoded down to its transport payload.

    Not frozen: a frozen dataclass's ``__init__`` costs about 2 us more per
    packet, which doubles decoding time on a million-packet capture. Treat it
    as read-only all the same.

    ``payload`` is a view into the capture buffer: valid only while the packet is
    being handled; copy it (``bytes(payload)``) to keep it.
    """

    number: int
    """1-based frame number in the capture (as Wireshark counts)."""
    timestamp: float
    """Seconds since the epoch (UTC)."""
    src: str
    dst: str
    transport: Transport
    src_port: int
    dst_port: int
    payload: memoryview
    length: int
    """Bytes of the IP packet on the wire."""
    tcp_seq: int = 0
    tcp_flags: int = 0
    ip_version: int = 4


class NameSource(StrEnum):
    """How a connection got its name, most to least direct."""

    SNI = "tls-sni"
    QUIC_SNI = "quic-sni"
    HTTP_HOST = "http-host"
    DNS = "dns"
    NONE = "none"


@dataclass(slots=True)
class DnsRecord:
    """One DNS question with the answers seen for it.

    Not frozen, for the reason :class:`Packet` is not: a capture holds tens of
    thousands of them. Treat it as read-only all the same.
    """

    number: int
    timestamp: float
    client: str
    server: str
    name: str
    qtype: str
    """``A``, ``AAAA``, ``CNAME``, ``HTTPS`` ... or the number when unknown."""
    answers: tuple[str, ...] = ()
    """Addresses and names in the answer section (A, AAAA, CNAME targets)."""
    transport: Transport = Transport.UDP
    response: bool = False


@dataclass(frozen=True, slots=True)
class TlsHello:
    """A TLS ClientHello (over TCP, or inside a decrypted QUIC Initial)."""

    number: int
    timestamp: float
    flow: FlowKey
    sni: str | None
    alpn: tuple[str, ...] = ()
    quic_version: int | None = None
    """None for TLS over TCP; 1 or 2 (or the raw version number) for QUIC."""


@dataclass(frozen=True, slots=True)
class HttpRequest:
    number: int
    timestamp: float
    flow: FlowKey
    method: str
    host: str | None
    path: str
    user_agent: str | None = None


@dataclass(slots=True)
class Flow:
    """Traffic of one connection (mutable while the capture is read)."""

    key: FlowKey
    first_seen: float
    last_seen: float
    packets: int = 0
    bytes: int = 0
    name: str | None = None
    name_source: NameSource = NameSource.NONE
    timestamps: list[float] = field(default_factory=list)
    """Start times of the flow's bursts, for beaconing detection (bounded)."""
    first_number: int | None = None
    """Frame number of the flow's first packet, so evidence can point into the capture."""


@dataclass(frozen=True, slots=True)
class SkippedPackets:
    """Packets that could not be decoded, counted by reason (never silently dropped)."""

    counts: tuple[tuple[str, int], ...] = ()

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)


@dataclass(frozen=True, slots=True)
class CaptureSummary:
    path: str
    format: str
    """``pcap``, ``pcap-ns`` (nanosecond) or ``pcapng``."""
    link_types: tuple[int, ...]
    packets: int
    """Frames in the capture, decoded and skipped alike (Wireshark's frame count)."""
    first_timestamp: float | None
    last_timestamp: float | None
    skipped: SkippedPackets
    truncated: bool = False
    """Reading stopped early: the file is cut short or damaged (all before it was read)."""
    truncated_reason: str = ""
    """Why reading stopped early (file cut short, damaged length field); empty otherwise."""
    partial_packets: int = 0
    """Packets the capture tool cut short (snap length); decoded from the bytes kept."""
    compressed: bool = False
    """The capture was read through gzip."""
