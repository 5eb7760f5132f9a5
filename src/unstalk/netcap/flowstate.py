"""What the extractor keeps about a flow while it reads the flow's first bytes.

Only the start of a connection is ever needed (a ClientHello, HTTP request
heads, DNS messages, QUIC Initials), so a TCP stream keeps a bounded buffer and
a bounded number of segments that arrived early, and each flow has a budget of
packets after which inspection gives up. TCP sequence numbers wrap at 2**32.
"""

from __future__ import annotations

from unstalk.netcap.model import Flow, Packet, Transport
from unstalk.netcap.parsers import http, quic, tls

__all__ = [
    "BUDGET",
    "BUDGET_TCP_DNS",
    "DNS",
    "DONE",
    "HTTP",
    "QUIC",
    "TLS",
    "UNKNOWN",
    "FlowState",
    "Seen",
    "StreamLimitError",
    "TcpStream",
    "classify",
    "client_is_src",
]

# What a flow carries, as far as inspection goes.
UNKNOWN, TLS, HTTP, DNS, QUIC, DONE = range(6)

BUDGET = {UNKNOWN: 64, DNS: 1 << 62, QUIC: 16}
"""Packets of a flow looked at before giving up on it (DNS over UDP: all of them)."""
BUDGET_TCP_DNS = 4096

_OTHER = Transport.OTHER
_SYN = 0x02
_ACK = 0x10
_MOD = 1 << 32
_HALF = 1 << 31
_MAX_EARLY_SEGMENTS = 32
_FIRST_BYTES = frozenset(b"\x16CDGHOPT")
"""First bytes of a TLS record or an HTTP method: wait for more before deciding."""

Seen = tuple[int, float]
"""Number and time of the packet an observation is credited to."""


class StreamLimitError(ValueError):
    """Too many segments arrived ahead of a gap: the stream cannot be put back in order."""


def _distance(seq: int, expected: int) -> int:
    """Signed distance from ``expected`` to ``seq`` in sequence space."""
    diff = (seq - expected) % _MOD
    return diff - _MOD if diff >= _HALF else diff


class TcpStream:
    """In-order bytes of one direction, from its first byte (or the first one seen)."""

    __slots__ = ("_early", "_early_bytes", "buf", "limit", "next_seq")

    def __init__(self, first_seq: int | None, limit: int) -> None:
        self.buf = bytearray()
        self.next_seq = first_seq
        """Sequence number of the next in-order byte; None until the first segment."""
        self.limit = limit
        self._early: dict[int, bytes] = {}
        self._early_bytes = 0

    def add(self, seq: int, data: bytes) -> bool:
        """Add a segment; return whether in-order bytes were appended to :attr:`buf`.

        Retransmitted bytes are dropped (the first copy wins); segments past a
        gap wait until the gap is filled. Raises :class:`StreamLimitError` when
        the waiting segments exceed their bounds.
        """
        expected = seq if self.next_seq is None else self.next_seq
        offset = _distance(seq, expected)
        self.next_seq = expected
        if offset > 0:
            self._keep_early(seq, data)
            return False
        if -offset >= len(data):
            return False
        self.buf += data[-offset:]
        expected = (expected + len(data) + offset) % _MOD
        self.next_seq = self._drain(expected) if self._early else expected
        return True

    def consumed(self, count: int) -> None:
        """Forget the first ``count`` bytes of :attr:`buf` once they have been parsed."""
        del self.buf[:count]

    def _keep_early(self, seq: int, data: bytes) -> None:
        if len(self._early) >= _MAX_EARLY_SEGMENTS or self._early_bytes + len(data) > self.limit:
            raise StreamLimitError("too many segments after a gap")
        known = self._early.get(seq)
        if known is None or len(known) < len(data):
            self._early_bytes += len(data) - (len(known) if known else 0)
            self._early[seq] = data

    def _drain(self, expected: int) -> int:
        """Append the waiting segments the gap no longer separates; return the next seq."""
        progressed = True
        while progressed:
            progressed = False
            for seq in list(self._early):
                offset = _distance(seq, expected)
                if offset > 0:
                    continue
                data = self._early.pop(seq)
                self._early_bytes -= len(data)
                if -offset < len(data):
                    self.buf += data[-offset:]
                    expected = (expected + len(data) + offset) % _MOD
                    progressed = True
        return expected


class FlowState:
    """Inspection state of one flow; dropped (``inspect`` False) once it is named or hopeless."""

    __slots__ = (
        "budget",
        "client",
        "crypto",
        "dns_total",
        "flow",
        "http_count",
        "http_pos",
        "inspect",
        "isn",
        "key_dcid",
        "kind",
        "last_client",
        "server",
        "server_isn",
    )

    def __init__(self, flow: Flow, kind: int, budget: int) -> None:
        self.flow = flow
        self.kind = kind
        self.budget = budget
        self.inspect = flow.key.transport is not _OTHER
        self.isn: int | None = None
        """Sequence number of the client's SYN, to tell port reuse from retransmission."""
        self.server_isn: int | None = None
        self.client: TcpStream | None = None
        self.server: TcpStream | None = None
        self.crypto: quic.CryptoStream | None = None
        self.key_dcid: bytes | None = None
        """DCID of the client's first QUIC Initial: the Initial keys derive from it."""
        self.http_pos = 0
        self.http_count = 0
        self.dns_total = 0
        self.last_client: Seen = (0, flow.first_seen)
        """Latest client packet with data, to credit a request cut short by the capture's end."""

    def new_stream(self, from_client: bool, limit: int) -> TcpStream:
        isn = self.isn if from_client else self.server_isn
        stream = TcpStream(None if isn is None else (isn + 1) % _MOD, limit)
        if from_client:
            self.client = stream
        else:
            self.server = stream
        return stream

    def drop(self) -> None:
        """Stop inspecting and free the buffers."""
        self.inspect = False
        self.client = self.server = None
        self.crypto = None


def client_is_src(packet: Packet) -> bool:
    """Whether the packet that opens a flow comes from its client.

    A SYN says it outright; otherwise the first packet seen is taken as the
    client's, unless it goes from a service port to an ephemeral one (a capture
    that starts in the middle of a connection, or a DNS answer without query).
    """
    flags = packet.tcp_flags
    if flags & _SYN:
        return not flags & _ACK
    sport, dport = packet.src_port, packet.dst_port
    return not (sport < 1024 <= dport or sport < 32768 <= dport)


def classify(buf: bytearray) -> int:
    """What the first client bytes of a TCP stream are: TLS, HTTP, unknown yet, or neither."""
    if tls.looks_like_tls(bytes(buf[:6])):
        return TLS
    if http.looks_like_http(bytes(buf[:16])):
        return HTTP
    if len(buf) < 16 and buf[0] in _FIRST_BYTES:
        return UNKNOWN
    return DONE
