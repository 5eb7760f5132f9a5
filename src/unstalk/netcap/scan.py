"""Read a capture and extract from it in one pass, fast: :func:`scan_capture`.

It gives exactly what :func:`~unstalk.netcap.reader.iter_packets` feeding
:class:`~unstalk.netcap.extract.Extractor` gives (the same summary, flows and
observations), in a fraction of the time. Most packets of a capture belong to
connections already named or given up on (the bulk of a video stream, a download,
a QUIC connection after its Initial), and for those only the flow's counters
change. So each Ethernet frame carrying a well-formed IPv4 or IPv6 TCP/UDP header
is first looked up by its raw address and port bytes; when its flow needs no more
inspection, the counters are updated in place and no
:class:`~unstalk.netcap.model.Packet` is built. DNS datagrams and SYNs of known
flows are handed to the extractor without one either. Every other frame (the first
packet of a flow, ClientHellos still being put together, anything unusual) takes
the ordinary path: made into a ``Packet`` and handed to the extractor, which tells
which flow it went to, so the next frames of that flow, in both directions, can
take the short cut.

Classic pcap records are walked in place in the read buffer; pcapng records come
from the ordinary record iterator. For classic pcap, the compiled walk of
:mod:`unstalk.netcap._fastwalk` (built with the package where a C compiler is at
hand) takes the packets that only add to a finished flow's counters, nine in ten
of a phone's capture, and leaves every other record to the code here.
"""

from __future__ import annotations

import gc
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from unstalk.netcap.extract import BURST_GAP, MAX_BURSTS, Extraction, Extractor
from unstalk.netcap.flowstate import DNS as _DNS
from unstalk.netcap.flowstate import HTTP as _HTTP
from unstalk.netcap.flowstate import FlowState
from unstalk.netcap.model import CaptureSummary, Packet
from unstalk.netcap.parsers.capture import MAX_BLOCK, MAX_FRAME, PcapLayout, RecordReader
from unstalk.netcap.parsers.fields import header_packet, udp_payload
from unstalk.netcap.parsers.packet import LINKTYPE_ETHERNET
from unstalk.netcap.reader import SKIP_MALFORMED, decoder_for, summarise

try:
    from unstalk.netcap import _fastwalk
except ImportError:  # built without a C compiler: every record is walked in Python
    _fastwalk = None  # type: ignore[assignment]

__all__ = ["Scan", "scan_capture"]

# From the ethertype on: IPv4 (no options) up to the TCP flags, IPv6 likewise. The
# addresses and ports are contiguous in both, so one field is the flow's raw key; the
# 32-bit word after the ports is the TCP sequence number (or the UDP length, then the
# UDP checksum: the UDP length is at least 8 when the word is at least 8 << 16).
_IPV4 = struct.Struct("!HBxH2xHxB2x12sI4xBB")
_IPV6 = struct.Struct("!HB3xHBx36sI4xBB")
_TCP, _UDP = 6, 17
_SYN = 0x02
_UDP_MIN = 8 << 16
_UNDECODABLE = (struct.error, IndexError, ValueError)
_Bytes = bytes | bytearray | memoryview
_Cache = dict[bytes, tuple[FlowState, bool]]
"""Raw key (addresses and ports as sent) to the extractor's ``(state, from_client)``."""
_FastWalk = Callable[
    [_Bytes, int, int, int, bool, float, _Cache, _Cache, int, float, int, float, int, int],
    tuple[int, int, float, int],
]
"""The signature of :func:`unstalk.netcap._fastwalk.walk`."""
_FrameHandler = Callable[[_Bytes, int, int, float, int], None]
"""``handler(data, start, end, timestamp, number)`` for the frame ``data[start:end]``."""


@dataclass(frozen=True, slots=True)
class Scan:
    """A capture's summary and everything extracted from it."""

    summary: CaptureSummary
    extraction: Extraction


def scan_capture(stream: BinaryIO, *, path: str) -> Scan:
    """Read the capture in ``stream`` (pcap or pcapng, gzip or not) and extract from it.

    ``path`` only labels messages and the summary. Raises
    :class:`~unstalk.errors.CaptureError` when the stream does not hold a capture;
    damage found later ends reading early and is told in the summary.
    """
    records = RecordReader(stream, path=path)
    scanner = _Scanner()
    collecting = gc.isenabled()
    gc.disable()
    try:
        if records.pcap_layout is not None:
            last = _walk_pcap(records, records.pcap_layout, scanner)
        else:
            last = _walk_records(records, scanner)
    finally:
        if collecting:
            _resume_collector()
    first = scanner.first
    span = (first, None if first is None else last)
    summary = summarise(records, scanner.skipped, span, scanner.partial)
    return Scan(summary, scanner.extractor.finish())


def _resume_collector() -> None:
    """Turn the cycle collector back on, past the objects the scan kept.

    A scan keeps hundreds of thousands of objects (flows, DNS records) without
    reference cycles. The collector, left on, walks them again and again as they
    pile up; turned back on after the scan, it walks all of them at once. Either
    way a few per cent of the time goes to finding nothing, so the collector is off
    during the scan and its objects then go straight to the oldest generation
    (freezing and unfreezing does that), unless something else froze objects.
    """
    if not gc.get_freeze_count():
        gc.freeze()
        gc.unfreeze()
    gc.enable()


def _walk_records(records: RecordReader, scanner: _Scanner) -> float:
    """Feed every pcapng record to the scanner; return the last record's timestamp.

    The compiled walk, when built, takes the blocks whose packets only add to
    counters before the record iterator sees them (``RecordReader.hop``).
    """
    timestamp, number = 0.0, 0
    ethernet, other = scanner.ethernet, scanner.other
    if scanner.fast_pcapng is not None:
        records.hop = scanner.pcapng_blocks
    for link_type, timestamp, orig_len, frame in records:
        number = records.frames
        if orig_len > len(frame):
            scanner.partial += 1
        if link_type == LINKTYPE_ETHERNET:
            ethernet(frame, 0, len(frame), timestamp, number)
        else:
            other(link_type, frame, timestamp, number)
    hopped, hopped_at = scanner.hopped
    return hopped_at if hopped > number else timestamp


def _walk_pcap(records: RecordReader, layout: PcapLayout, scanner: _Scanner) -> float:
    """Walk classic pcap records in the read buffer, as ``RecordReader`` would yield them."""
    header, size, link_type, scale = layout
    unpack = header.unpack_from
    buf = records.buffer
    data, pos, end = buf.data, buf.pos, len(buf.data)
    frame = scanner.ethernet if link_type == LINKTYPE_ETHERNET else scanner.linked(link_type)
    walk = scanner.ethernet_records if link_type == LINKTYPE_ETHERNET else None
    number, timestamp = 0, 0.0
    while True:
        if walk is not None:
            pos, number, timestamp = walk(data, pos, end, layout, (number, timestamp))
        if pos + size > end:
            buf.pos = pos
            if not _refill(records, size, number):
                break
            data, pos, end = buf.data, buf.pos, len(buf.data)
        sec, frac, caplen, orig = unpack(data, pos)
        start = pos + size
        pos = start + caplen
        if pos > end or caplen > MAX_FRAME:
            buf.pos = start - size
            if not _refill(records, size + caplen, number, caplen):
                break
            data, end = buf.data, len(buf.data)
            start = buf.pos + size
            pos = start + caplen
        number += 1
        timestamp = sec + frac / scale
        if orig > caplen:
            scanner.partial += 1
        frame(data, start, pos, timestamp, number)
    records.frames = number
    return timestamp


def _refill(records: RecordReader, need: int, number: int, caplen: int = 0) -> bool:
    """Make ``need`` bytes readable at the buffer position; on failure say why reading ends."""
    buf = records.buffer
    if caplen > MAX_FRAME:
        records.stop(
            f"frame {number + 1} claims {caplen} bytes, more than any real frame: "
            "the file is damaged from there on and the rest was not read"
        )
        return False
    if buf.fill(need):
        return True
    if caplen:
        records.stop(f"the file ends inside frame {number + 1}")
    elif len(buf.data) - buf.pos or buf.error:
        records.stop(f"the file ends inside the header of frame {number + 1}")
    return False


_WALK_CONSTANTS = (BURST_GAP, MAX_BURSTS, _HTTP)
_PCAPNG_CONSTANTS = (*_WALK_CONSTANTS, MAX_BLOCK)


def _no_fast_walk(
    data: _Bytes,
    pos: int,
    end: int,
    size: int,
    big_endian: bool,
    scale: float,
    tcp: _Cache,
    udp: _Cache,
    number: int,
    timestamp: float,
    partial: int,
    burst_gap: float,
    max_bursts: int,
    http: int,
) -> tuple[int, int, float, int]:
    """Stands in for the compiled walk when it was not built: leaves every record to Python."""
    return pos, number, timestamp, partial


class _Scanner:
    """Frames in, extractor fed: the short cut for flows done with, the ordinary path else."""

    def __init__(self) -> None:
        self.extractor = Extractor()
        self.skipped: dict[str, int] = {}
        self.partial = 0
        self.first: float | None = None
        self._caches: dict[int, _Cache] = {_TCP: {}, _UDP: {}}
        self._reopened = 0
        self._ipv4 = _IPV4.unpack_from
        self._ipv6 = _IPV6.unpack_from
        self.fast: _FastWalk = _no_fast_walk if _fastwalk is None else _fastwalk.walk
        """The compiled walk of :mod:`unstalk.netcap._fastwalk`, when it was built."""
        self.fast_pcapng = None if _fastwalk is None else _fastwalk.walk_pcapng
        self.hopped = (0, 0.0)
        """Number and time of the last frame :meth:`pcapng_blocks` took."""

    def ethernet_records(
        self, data: _Bytes, pos: int, end: int, layout: PcapLayout, last: tuple[int, float]
    ) -> tuple[int, int, float]:
        """Handle the classic pcap records of Ethernet frames that lie whole in ``data[pos:end]``.

        Returns where the first record not handled starts, the number of the last
        frame handled and its timestamp (``last`` gives those of the frame before).
        The compiled walk takes the packets that only add to a flow's counters (those
        of finished flows, and those an HTTP flow skips) and stops, untouched, at the
        first record that needs :meth:`ethernet`.
        """
        header, size, _, scale = layout
        unpack, frame = header.unpack_from, self.ethernet
        tcp, udp = self._caches[_TCP], self._caches[_UDP]
        fast, big = self.fast, header.format[0] == ">"
        number, ts = last
        partial = 0
        while True:
            pos, number, ts, partial = fast(
                data, pos, end, size, big, scale, tcp, udp, number, ts, partial, *_WALK_CONSTANTS
            )
            if pos + size > end:
                break
            sec, frac, caplen, orig = unpack(data, pos)
            start = pos + size
            if start + caplen > end or caplen > MAX_FRAME:
                break
            pos = start + caplen
            number += 1
            ts = sec + frac / scale
            partial += orig > caplen
            frame(data, start, pos, ts, number)
        self.partial += partial
        return pos, number, ts

    def pcapng_blocks(
        self,
        data: _Bytes,
        pos: int,
        end: int,
        big: bool,
        clocks: list[tuple[int, int, int]],
        number: int,
        ts: float,
    ) -> tuple[int, int, float]:
        """Take the enhanced packet blocks that only add to counters (``RecordReader.hop``)."""
        fast = self.fast_pcapng
        if fast is None:
            return pos, number, ts
        tcp, udp = self._caches[_TCP], self._caches[_UDP]
        before = number
        pos, number, ts, self.partial = fast(
            data, pos, end, big, clocks, tcp, udp, number, ts, self.partial, *_PCAPNG_CONSTANTS
        )
        if number > before:
            self.hopped = (number, ts)
        return pos, number, ts

    def ethernet(self, data: _Bytes, start: int, end: int, ts: float, n: int) -> None:
        """One Ethernet frame, ``data[start:end]``: the short cut, else the ordinary path."""
        base = start + 12
        base += 4 * (base + 40 <= end and data[base] == 0x81 and data[base + 1] == 0)
        if base + 36 <= end and data[base] == 0x08:
            et, vihl, length, frag, proto, key, word, off, flags = self._ipv4(data, base)
            ip_size = 20
            valid = et == 0x0800 and vihl == 0x45 and not frag & 0x1FFF
        elif base + 56 <= end and data[base] == 0x86:
            et, version, length, proto, key, word, off, flags = self._ipv6(data, base)
            ip_size = 40
            length += 40
            valid = et == 0x86DD and version >> 4 == 6
        else:
            valid = False
        head = valid and ip_size + (off >> 2 & 0x3C)  # IP and TCP headers
        tcp = valid and proto == _TCP and off >= 0x50 and head <= length and base + 2 + head <= end
        if not (tcp or valid and proto == _UDP and word >= _UDP_MIN and length >= ip_size + 8):
            self._decode(LINKTYPE_ETHERNET, data, start, end, ts, n)
            return
        cache = self._caches[proto]
        entry = cache.get(key)
        empty = tcp and (head == length or base + 2 + head == end)
        extractor = self.extractor
        if entry is None or (
            not extractor.syn(*entry, word, flags, empty)
            if tcp and flags & _SYN
            else entry[0].inspect and not extractor.skim(*entry, udp=not tcp, empty=empty)
        ):
            if entry is None or tcp or entry[0].kind != _DNS:
                fields = (proto, key, length, word, off, flags)
                self._add(header_packet(data, end, base + 2, fields, n, ts), cache, key)
                return
            self._dns(entry, data, base + 2, end, word >> 16, length, (n, ts))
        flow = entry[0].flow
        if ts > flow.last_seen:
            if ts - flow.last_seen > BURST_GAP and len(flow.timestamps) < MAX_BURSTS:
                flow.timestamps.append(ts)
            flow.last_seen = ts
        flow.packets += 1
        flow.bytes += length

    def linked(self, link_type: int) -> _FrameHandler:
        """A handler for frames of a link type without a short cut."""

        def frame(data: _Bytes, start: int, end: int, ts: float, n: int) -> None:
            self._decode(link_type, data, start, end, ts, n)

        return frame

    def other(self, link_type: int, frame: memoryview, ts: float, n: int) -> None:
        """A record of a link type without a short cut (pseudo records included)."""
        self._decode(link_type, frame, 0, len(frame), ts, n)

    def _decode(
        self, link_type: int, data: _Bytes, start: int, end: int, ts: float, n: int
    ) -> None:
        """The ordinary path: decode into a ``Packet`` and hand it to the extractor."""
        if self.first is None and link_type >= 0:
            self.first = ts  # pseudo records (custom blocks ...) have no time of their own
        try:
            packet = decoder_for(link_type)(memoryview(data)[start:end], n, ts)
        except _UNDECODABLE:
            packet = SKIP_MALFORMED
        if isinstance(packet, str):
            self.skipped[packet] = self.skipped.get(packet, 0) + 1
        else:
            self.extractor.add(packet)

    def _dns(
        self,
        entry: tuple[FlowState, bool],
        data: _Bytes,
        ip: int,
        end: int,
        udp_length: int,
        length: int,
        seen: tuple[int, float],
    ) -> None:
        """A DNS datagram of a known flow, its IP header at ``ip``: read without a ``Packet``."""
        payload = udp_payload(data, ip, end, udp_length, length)
        self.extractor.dns_datagram(*entry, payload, seen)

    def _add(self, packet: Packet | str, cache: _Cache, key: bytes) -> None:
        """Hand a packet whose raw key is known to the extractor; remember where it went."""
        if isinstance(packet, str):  # not expected: the headers were checked
            self.skipped[packet] = self.skipped.get(packet, 0) + 1
            return
        if self.first is None:
            self.first = packet.timestamp
        extractor = self.extractor
        entry = extractor.add(packet)
        if extractor.reopened != self._reopened:
            # A reused port started a new connection: cached entries may name the old one.
            self._reopened = extractor.reopened
            for known in self._caches.values():
                known.clear()
        cache[key] = entry
        # The answer to this packet comes with the key reversed: the flow is known to the
        # extractor under both directions (the other side is not its client), so the
        # answer can take the short cut too.
        half = (len(key) - 4) >> 1
        state, from_client = entry
        cache[key[half : 2 * half] + key[:half] + key[-2:] + key[-4:-2]] = (state, not from_client)
