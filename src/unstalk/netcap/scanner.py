"""Frames in, extractor fed: the per-frame short cut of :mod:`unstalk.netcap.scan`.

:class:`Scanner` takes the frames of one capture, in order, for the flows of its
:class:`Share`. Ethernet frames carrying a well-formed IPv4 or IPv6 TCP/UDP header
are looked up by their raw address and port bytes; a frame of a flow that needs no
more inspection only changes the flow's counters, and DNS datagrams and SYNs of
known flows are handed to the extractor without a
:class:`~unstalk.netcap.model.Packet`. Every other frame takes the ordinary path:
decoded and handed to :meth:`~unstalk.netcap.extract.Extractor.add`. The compiled
walk of :mod:`unstalk.netcap._fastwalk`, when the package was built with it, takes
the counter-only frames of whole runs of records before they reach this code.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from unstalk.netcap.extract import BURST_GAP, MAX_BURSTS, Extractor
from unstalk.netcap.flowstate import DNS as _DNS
from unstalk.netcap.flowstate import HTTP as _HTTP
from unstalk.netcap.flowstate import FlowState
from unstalk.netcap.model import Packet
from unstalk.netcap.parsers.capture import MAX_BLOCK, MAX_FRAME, PcapLayout
from unstalk.netcap.parsers.fields import header_packet, udp_payload
from unstalk.netcap.parsers.packet import LINKTYPE_ETHERNET
from unstalk.netcap.reader import SKIP_MALFORMED, decoder_for

try:
    from unstalk.netcap import _fastwalk
except ImportError:  # built without a C compiler: every record is walked in Python
    _fastwalk = None  # type: ignore[assignment]

__all__ = ["ALONE", "Scanner", "Share", "share_of"]

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
    [
        _Bytes,
        int,
        int,
        int,
        bool,
        float,
        _Cache,
        _Cache,
        int,
        float,
        int,
        float,
        int,
        int,
        int,
        int,
    ],
    tuple[int, int, float, int],
]
"""The signature of :func:`unstalk.netcap._fastwalk.walk`."""
_FrameHandler = Callable[[_Bytes, int, int, float, int], None]
"""``handler(data, start, end, timestamp, number)`` for the frame ``data[start:end]``."""


@dataclass(frozen=True, slots=True)
class Share:
    """The flows one reader extracts from: those whose ports fall to ``index`` of ``count``.

    Every reader walks every record; a packet of another reader's flow costs only
    its header check. Packets that are not TCP or UDP, and skip counts, fall to 0.
    """

    index: int = 0
    count: int = 1


ALONE = Share()
"""One reader taking every flow."""


def share_of(src_port: int, dst_port: int, count: int) -> int:
    """The reader of a flow: the same in both directions (its low port bytes, XORed)."""
    return ((src_port ^ dst_port) & 0xFF) % count


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
    index: int,
    count: int,
) -> tuple[int, int, float, int]:
    """Stands in for the compiled walk when it was not built: leaves every record to Python."""
    return pos, number, timestamp, partial


class Scanner:
    """Frames in, extractor fed: the short cut for flows done with, the ordinary path else."""

    def __init__(self, share: Share) -> None:
        self.extractor = Extractor()
        self.skipped: dict[str, int] = {}
        self.partial = 0
        self.first: tuple[int, float] | None = None
        self.share = share
        self._walk_with = (BURST_GAP, MAX_BURSTS, _HTTP, share.index, share.count)
        self._pcapng_with = (BURST_GAP, MAX_BURSTS, _HTTP, MAX_BLOCK, share.index, share.count)
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
                data, pos, end, size, big, scale, tcp, udp, number, ts, partial, *self._walk_with
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
            data, pos, end, big, clocks, tcp, udp, number, ts, self.partial, *self._pcapng_with
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
        share = self.share
        if share.count > 1 and (key[-1] ^ key[-3]) % share.count != share.index:
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
        """The ordinary path: decode into a ``Packet`` and hand it to the extractor.

        Every reader decodes the frame (the short cut did not recognise it), only the
        flow's own reader takes it in, and skip counts go to reader 0.
        """
        if self.first is None and link_type >= 0:
            self.first = (n, ts)  # pseudo records (custom blocks ...) have no time of their own
        try:
            packet = decoder_for(link_type)(memoryview(data)[start:end], n, ts)
        except _UNDECODABLE:
            packet = SKIP_MALFORMED
        index, count = self.share.index, self.share.count
        if isinstance(packet, str):
            if not index:
                self.skipped[packet] = self.skipped.get(packet, 0) + 1
        elif count == 1 or share_of(packet.src_port, packet.dst_port, count) == index:
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
            self.first = (packet.number, packet.timestamp)
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
