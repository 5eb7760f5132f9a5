"""Name every connection in a capture: flow table, DNS, TLS and QUIC SNI, HTTP Host.

:class:`Extractor` sees every packet once, in capture order. Packets of flows
that no longer need inspection cost one dictionary lookup and a few counter
updates; only the first packets of each flow are parsed, and the bytes kept
for them are bounded (per stream and in number of streams), so memory does not
grow with the size of the capture beyond the flow table and the observations.

A connection is named, in order of preference, by the SNI of its ClientHello
(TLS or QUIC), by the Host of its first HTTP request, or by the question of the
most recent DNS answer, seen before the connection started, that resolved to
its server address.
"""

from __future__ import annotations

import struct
from collections import Counter

from unstalk.netcap import flowstate as fs
from unstalk.netcap.dnsnames import DnsBook
from unstalk.netcap.flowstate import FlowState, Seen, StreamLimitError, TcpStream
from unstalk.netcap.model import (
    Flow,
    FlowKey,
    HttpRequest,
    NameSource,
    Packet,
    TlsHello,
    Transport,
)
from unstalk.netcap.parsers import http, quic, tls
from unstalk.netcap.parts import Extraction, ExtractionPart, join

__all__ = ["Extraction", "Extractor"]

BURST_GAP = 1.0
"""Seconds of silence after which a flow's next packet starts a new burst."""
MAX_BURSTS = 512
STREAM_LIMIT = 16 * 1024
"""Client bytes kept to find a ClientHello or HTTP request heads."""
DNS_STREAM_LIMIT = 2 + 65535 + 1500
"""One DNS message over TCP at most, plus a segment."""
DNS_STREAM_TOTAL = 1 << 20
MAX_OPEN_STREAMS = 4096
"""Flows holding buffered bytes at once; the oldest is dropped past this."""
MAX_HTTP_REQUESTS = 32
DNS_UDP_PORTS = frozenset({53, 5353, 5355})
DNS_TCP_PORT = 53

_SYN = 0x02
_ACK = 0x10
_U16 = struct.Struct("!H")
_UNREADABLE = (ValueError, IndexError, struct.error)
_QUIC_VERSIONS = {quic.QUIC_V1: 1, quic.QUIC_V2: 2}
# Enum members read through the class cost a lookup each time: these are read per packet.
_TCP, _UDP = Transport.TCP, Transport.UDP

_Entry = tuple[FlowState, bool]
_TableKey = tuple[str, int, str, int, Transport]


class Extractor:
    """Feed packets with :meth:`add`, in capture order; then call :meth:`finish` once."""

    def __init__(self) -> None:
        self._table: dict[_TableKey, _Entry] = {}
        self._flows: list[Flow] = []
        self._open: dict[FlowState, int] = {}
        """Flows holding bytes, oldest first, with the frame each started at."""
        self._peak_open = 0
        self._tls: list[TlsHello] = []
        self._http: list[HttpRequest] = []
        self._malformed: Counter[str] = Counter()
        self._dns = DnsBook(self._malformed)
        self.reopened = 0
        """Connections started anew on a known 5-tuple (port reuse) so far."""

    def add(self, packet: Packet) -> tuple[FlowState, bool]:
        """Account for one packet and inspect it if its flow still needs it.

        Returns the flow's state and whether the packet came from the flow's client,
        so that a caller can keep them for the flow's next packets (see :meth:`skim`).
        """
        key = (packet.src, packet.src_port, packet.dst, packet.dst_port, packet.transport)
        entry = self._table.get(key)
        if entry is None:
            entry = self._open_flow(key, packet)
        elif packet.tcp_flags & _SYN:
            entry = self._maybe_reopen(key, packet, entry)
        state, from_client = entry
        flow = state.flow
        timestamp = packet.timestamp
        if timestamp > flow.last_seen:
            if timestamp - flow.last_seen > BURST_GAP and len(flow.timestamps) < MAX_BURSTS:
                flow.timestamps.append(timestamp)
            flow.last_seen = timestamp
        flow.packets += 1
        flow.bytes += packet.length
        if state.inspect:
            try:
                self._inspect(state, from_client, packet)
            except _UNREADABLE:
                self._malformed[f"{packet.transport}.unreadable"] += 1
                self._stop(state)
        return entry

    def skim(self, state: FlowState, from_client: bool, *, udp: bool, empty: bool) -> bool:
        """Do what :meth:`add` would do, counters apart, for a packet with nothing to read.

        Returns False, having done nothing, when the packet must go to :meth:`add`.
        Packets with nothing to read: those of a flow no longer inspected; an HTTP
        server's, and the client's without payload (HTTP is read on the client's side
        only); and, using up a packet of the flow's inspection budget, other TCP
        packets without payload and a QUIC server's datagrams. ``empty``: a TCP packet
        without payload. A SYN goes to :meth:`syn` instead.
        """
        if not state.inspect:
            return True
        kind = state.kind
        if kind == fs.HTTP:
            return not from_client or empty
        if not (empty or (udp and kind != fs.DNS and not from_client)):
            return False
        state.budget -= 1
        if state.budget < 0:
            self._stop(state)
        return True

    def syn(self, state: FlowState, from_client: bool, seq: int, flags: int, empty: bool) -> bool:
        """Do what :meth:`add` would do, counters apart, for a SYN of a known flow.

        Returns False, having done nothing, when the SYN must go to :meth:`add`: it
        carries data, or it starts a new connection on a reused port. A server's
        SYN-ACK, the usual case, only records the server's initial sequence number.
        """
        if not empty or (from_client and not flags & _ACK and state.isn != seq):
            return False
        if not state.inspect or state.kind == fs.HTTP:
            return True
        state.budget -= 1
        if state.budget < 0:
            self._stop(state)
        elif from_client:
            state.isn = seq
        else:
            state.server_isn = seq
        return True

    def dns_datagram(self, state: FlowState, from_client: bool, data: bytes, seen: Seen) -> None:
        """Do what :meth:`add` would do, counters apart, for a DNS datagram of a known flow.

        ``data`` is the UDP payload, ``seen`` the frame's number and time. This spares
        the caller building a :class:`~unstalk.netcap.model.Packet` for every DNS answer.
        """
        state.budget -= 1
        if state.budget < 0:
            self._stop(state)
            return
        key = state.flow.key
        src, dst = (key.client, key.server) if from_client else (key.server, key.client)
        try:
            self._dns.message(data, seen, src, dst, _UDP)
        except _UNREADABLE:
            self._malformed[f"{_UDP}.unreadable"] += 1
            self._stop(state)

    def finish(self) -> Extraction:
        """Name the flows and return everything found."""
        return join([self.close()])

    def close(self) -> ExtractionPart:
        """End reading (requests cut short by the capture's end are read); flows not yet named.

        :func:`~unstalk.netcap.parts.join` names them and makes the extraction.
        """
        found = len(self._http)
        late: list[tuple[int, HttpRequest]] = []
        for state, opened in list(self._open.items()):
            if state.kind == fs.HTTP and state.client is not None and not state.http_count:
                self._http_head(state, state.client.buf, state.last_client, final=True)
                late.extend((opened, request) for request in self._http[found:])
                del self._http[found:]
            self._stop(state)
        return ExtractionPart(
            flows=self._flows,
            dns=self._dns.records,
            tls=self._tls,
            http=self._http,
            late_http=late,
            malformed=self._malformed,
            resolved=self._dns.resolved,
            peak_open=self._peak_open,
        )

    # -- flow table ----------------------------------------------------------------

    def _open_flow(self, key: _TableKey, packet: Packet) -> _Entry:
        src, sport, dst, dport, transport = key
        from_client = fs.client_is_src(packet)
        if from_client:
            flow_key = FlowKey(transport, src, sport, dst, dport)
        else:
            flow_key = FlowKey(transport, dst, dport, src, sport)
        timestamp = packet.timestamp
        flow = Flow(
            flow_key, timestamp, timestamp, timestamps=[timestamp], first_number=packet.number
        )
        kind, budget = fs.UNKNOWN, fs.BUDGET[fs.UNKNOWN]
        if transport is _UDP:
            kind = fs.DNS if sport in DNS_UDP_PORTS or dport in DNS_UDP_PORTS else fs.QUIC
            budget = fs.BUDGET[kind]
        elif transport is _TCP and DNS_TCP_PORT in (sport, dport):
            kind, budget = fs.DNS, fs.BUDGET_TCP_DNS
        state = FlowState(flow, kind, budget)
        self._flows.append(flow)
        self._table[key] = entry = (state, from_client)
        self._table[(dst, dport, src, sport, transport)] = (state, not from_client)
        return entry

    def _maybe_reopen(self, key: _TableKey, packet: Packet, entry: _Entry) -> _Entry:
        """A new SYN on a known 5-tuple (port reuse) starts a new connection."""
        state, from_client = entry
        if not from_client or packet.tcp_flags & _ACK or state.isn == packet.tcp_seq:
            return entry
        self._stop(state)
        self.reopened += 1
        return self._open_flow(key, packet)

    def _stop(self, state: FlowState) -> None:
        state.drop()
        self._open.pop(state, None)

    def _track(self, state: FlowState, number: int) -> None:
        opened = self._open
        opened.setdefault(state, number)
        if len(opened) > self._peak_open:
            self._peak_open = len(opened)
        if len(opened) > MAX_OPEN_STREAMS:
            self._malformed["streams.too-many-open"] += 1
            self._stop(next(iter(self._open)))

    # -- inspection ----------------------------------------------------------------

    def _inspect(self, state: FlowState, from_client: bool, packet: Packet) -> None:
        if state.kind == fs.HTTP and not (from_client and packet.payload):
            # HTTP is read on the client's side only: a long answer, and the client's ACKs
            # for it, must not use up the budget before the next keep-alive request
            # (skim does the same).
            return
        state.budget -= 1
        if state.budget < 0:
            self._stop(state)
        elif packet.transport is _TCP:
            self._inspect_tcp(state, from_client, packet)
        elif state.kind == fs.DNS:
            seen = (packet.number, packet.timestamp)
            self._dns.message(bytes(packet.payload), seen, packet.src, packet.dst, _UDP)
        elif from_client:
            self._inspect_quic(state, packet)

    def _inspect_tcp(self, state: FlowState, from_client: bool, packet: Packet) -> None:
        seq = packet.tcp_seq
        if packet.tcp_flags & _SYN:
            if from_client:
                state.isn = seq
            else:
                state.server_isn = seq
            seq = (seq + 1) & 0xFFFFFFFF
        if not packet.payload:
            return
        if from_client:
            state.last_client = (packet.number, packet.timestamp)
        stream = state.client if from_client else state.server
        if stream is None:
            if not from_client and state.kind != fs.DNS:
                return
            stream = state.new_stream(
                from_client, DNS_STREAM_LIMIT if state.kind == fs.DNS else STREAM_LIMIT
            )
            self._track(state, packet.number)
        try:
            grew = stream.add(seq, bytes(packet.payload))
        except StreamLimitError:
            self._malformed["tcp.reassembly-limit"] += 1
            self._stop(state)
            return
        if grew:
            self._consume(state, stream, packet)

    def _consume(self, state: FlowState, stream: TcpStream, packet: Packet) -> None:
        if state.kind == fs.UNKNOWN:
            state.kind = fs.classify(stream.buf)
        kind = state.kind
        if kind == fs.TLS:
            self._tls_stream(state, stream, packet)
        elif kind == fs.HTTP:
            self._http_stream(state, stream, (packet.number, packet.timestamp))
        elif kind == fs.DNS:
            self._dns_stream(state, stream, packet)
        elif kind == fs.DONE:
            self._stop(state)

    def _tls_stream(self, state: FlowState, stream: TcpStream, packet: Packet) -> None:
        try:
            hello = tls.client_hello_from_records(bytes(stream.buf))
        except tls.TlsFormatError as e:
            self._malformed[f"tls.{e.reason}"] += 1
            self._stop(state)
            return
        if hello is not None:
            self._record_hello(state, packet, hello, None)
            self._stop(state)
        elif len(stream.buf) >= STREAM_LIMIT:
            self._malformed["tls.hello-over-limit"] += 1
            self._stop(state)

    def _http_stream(self, state: FlowState, stream: TcpStream, seen: Seen) -> None:
        buf = stream.buf
        while state.inspect and state.http_pos < len(buf):
            if not self._http_head(state, buf, seen, final=False):
                break
        if state.inspect and max(len(buf), state.http_pos) >= STREAM_LIMIT:
            self._stop(state)

    def _http_head(self, state: FlowState, buf: bytearray, seen: Seen, *, final: bool) -> bool:
        """Parse the request head at ``state.http_pos``; return whether to look for another."""
        try:
            head = http.parse_request_head(bytes(buf[state.http_pos :]), final=final)
        except http.HttpFormatError as e:
            if not state.http_count:  # after a body of unknown form, no request is expected
                self._malformed[f"http.{e.reason}"] += 1
            self._stop(state)
            return False
        if head is None:
            return False
        self._record_request(state, seen, head)
        if head.body_length is None or state.http_count >= MAX_HTTP_REQUESTS:
            self._stop(state)
            return False
        state.http_pos += head.end + head.body_length
        return True

    def _dns_stream(self, state: FlowState, stream: TcpStream, packet: Packet) -> None:
        buf = stream.buf
        while len(buf) >= 2:
            size = _U16.unpack_from(buf)[0] + 2
            if len(buf) < size:
                break
            seen = (packet.number, packet.timestamp)
            self._dns.message(bytes(buf[2:size]), seen, packet.src, packet.dst, _TCP)
            stream.consumed(size)
            state.dns_total += size
        if state.dns_total > DNS_STREAM_TOTAL or len(buf) > stream.limit:
            self._stop(state)

    def _inspect_quic(self, state: FlowState, packet: Packet) -> None:
        data = bytes(packet.payload)
        if not quic.is_long_header(data):
            if state.crypto is None:
                self._stop(state)  # not QUIC, or a connection already under way
            return
        try:
            for initial in quic.read_initials(data, state.key_dcid):
                if state.key_dcid is None:
                    state.key_dcid = initial.dcid
                hello = self._crypto(state, initial, packet.number)
                if hello is not None:
                    self._record_hello(state, packet, hello, initial.version)
                    self._stop(state)
                    return
        except (quic.QuicFormatError, tls.TlsFormatError) as e:
            self._malformed[f"quic.{e.reason}"] += 1
            self._stop(state)

    def _crypto(
        self, state: FlowState, initial: quic.InitialPacket, number: int
    ) -> tls.ClientHello | None:
        crypto = state.crypto
        if crypto is None:
            crypto = state.crypto = quic.CryptoStream()
            self._track(state, number)
        grew = False
        for offset, fragment in quic.crypto_frames(initial.payload):
            grew = crypto.add(offset, fragment) or grew
        return tls.parse_handshake(crypto.data) if grew else None

    # -- observations --------------------------------------------------------------

    def _record_hello(
        self, state: FlowState, packet: Packet, hello: tls.ClientHello, version: int | None
    ) -> None:
        flow = state.flow
        quic_version = None if version is None else _QUIC_VERSIONS.get(version, version)
        self._tls.append(
            TlsHello(packet.number, packet.timestamp, flow.key, hello.sni, hello.alpn, quic_version)
        )
        if hello.sni and flow.name_source in (NameSource.NONE, NameSource.HTTP_HOST):
            flow.name = hello.sni
            flow.name_source = NameSource.SNI if version is None else NameSource.QUIC_SNI

    def _record_request(self, state: FlowState, seen: Seen, head: http.RequestHead) -> None:
        flow = state.flow
        number, timestamp = seen
        self._http.append(
            HttpRequest(
                number, timestamp, flow.key, head.method, head.host, head.path, head.user_agent
            )
        )
        state.http_count += 1
        if head.host and flow.name_source is NameSource.NONE:
            flow.name = head.host
            flow.name_source = NameSource.HTTP_HOST
