"""Capture containers: classic pcap and pcapng, plain or gzip-compressed, read as a stream.

The readers yield raw records ``(link_type, timestamp, orig_len, frame)`` where
``frame`` is a memoryview into the current read buffer. The buffer is replaced
(never resized or overwritten) when it runs dry, so a view stays valid for as
long as someone holds it, and memory use depends on the largest record, not on
the file size.

Damage is reported, not raised, once reading has started: the reader stops,
sets :attr:`RecordReader.truncated` and explains why in
:attr:`RecordReader.truncated_reason`. Only a file that is not a capture at all
raises :class:`~unstalk.errors.CaptureError`.
"""

from __future__ import annotations

import gzip
import struct
from collections.abc import Callable, Iterator
from typing import BinaryIO

from unstalk.errors import CaptureError
from unstalk.netcap.parsers.readbuffer import Chunk, ReadBuffer, Replay

MAX_FRAME = 262_144
"""Largest frame accepted (Wireshark's limit for ordinary link types)."""
MAX_BLOCK = 16 << 20
"""Largest pcapng block accepted; a longer length field means the file is damaged."""

Record = tuple[int, float, int, memoryview]
"""``(link_type, timestamp, orig_len, frame)`` as stored in the capture."""
PcapLayout = tuple[struct.Struct, int, int, float]
"""A classic pcap file's record header, its size, the link type and the timestamp divisor."""
LINK_UNDECLARED = -1
"""Pseudo link type of a pcapng packet naming an interface the file never declared."""
LINK_DAMAGED = -2
"""Pseudo link type of a pcapng packet block whose lengths do not add up."""
LINK_CUSTOM = -3
"""Pseudo link type of a pcapng custom block (Wireshark numbers it as a frame)."""
LINK_JOURNAL = -4
"""Pseudo link type of a pcapng systemd journal block (Wireshark numbers it as a frame)."""
_NOT_PACKETS = {0x00000BAD: LINK_CUSTOM, 0x40000BAD: LINK_CUSTOM, 0x00000009: LINK_JOURNAL}
"""Blocks that Wireshark shows as frames though they hold no packet: counting them
keeps every frame number equal to Wireshark's."""

_PCAP_MAGIC = {
    b"\xd4\xc3\xb2\xa1": ("<", "pcap", 1e6, 16),
    b"\xa1\xb2\xc3\xd4": (">", "pcap", 1e6, 16),
    b"\x4d\x3c\xb2\xa1": ("<", "pcap-ns", 1e9, 16),
    b"\xa1\xb2\x3c\x4d": (">", "pcap-ns", 1e9, 16),
    # Alexey Kuznetzov's patched libpcap: 8 more bytes in every record header.
    b"\x34\xcd\xb2\xa1": ("<", "pcap", 1e6, 24),
    b"\xa1\xb2\xcd\x34": (">", "pcap", 1e6, 24),
}
_PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
_BOM_LE = b"\x4d\x3c\x2b\x1a"
_SHB = 0x0A0D0D0A
_GZIP_MAGIC = b"\x1f\x8b"
_OTHER_COMPRESSION = {
    b"\x28\xb5\x2f\xfd": "zstd",
    b"\xfd\x37\x7a\x58": "xz",
    b"\x42\x5a\x68": "bzip2",
    b"\x04\x22\x4d\x18": "lz4",
    b"\x50\x4b\x03\x04": "zip",
}
BlockHop = Callable[
    [Chunk, int, int, bool, list[tuple[int, int, int]], int, float], tuple[int, int, float]
]
"""``hop(data, pos, end, big_endian, clocks, frames, last_timestamp)``: a caller taking
whole pcapng blocks itself from ``data[pos:end]`` (``clocks``: the section's interfaces'
``(link_type, divisor, offset)``); returns where it stopped, the frame count and the last
frame's time. It must stop at the first block it does not take, leaving it untouched."""
_NOT_A_CAPTURE = "This file is not a packet capture (pcap or pcapng)"
_SAVE_AS = "Save the capture from Wireshark or tcpdump as pcap or pcapng and try again."


class RecordReader:
    """Records of one capture stream; the attributes describe what was read so far."""

    def __init__(self, stream: BinaryIO, *, path: str) -> None:
        self.path = path
        head = stream.read(8)
        if head.startswith(_GZIP_MAGIC):
            # read1 hands over each decompressed piece at once, so a damaged
            # stream loses nothing that came before the damage.
            gzipped = gzip.GzipFile(fileobj=Replay(head, stream), mode="rb")
            self._buffer = ReadBuffer(gzipped.readinto1)
            self.compressed = True
        else:
            self._buffer = ReadBuffer(Replay(head, stream).readinto)
            self.compressed = False
        self.format = ""
        self.link_types: list[int] = []
        self.truncated = False
        self.truncated_reason = ""
        self.frames = 0
        self.pcap_layout: PcapLayout | None = None
        """Set for classic pcap, so a caller can walk its records in place (see ``buffer``)."""
        self.hop: BlockHop = _no_hop
        """Set before iterating a pcapng file to take the blocks a caller can take faster."""
        self._records = self._open()

    def __iter__(self) -> Iterator[Record]:
        return self._records

    @property
    def buffer(self) -> ReadBuffer:
        """The read buffer; ``data[pos:]`` is what the record iterator has not consumed."""
        return self._buffer

    def _fail(self, message: str, advice: str = _SAVE_AS) -> CaptureError:
        return CaptureError(f"{self.path}: {message}" if self.path else message, advice=advice)

    def _open(self) -> Iterator[Record]:
        buf = self._buffer
        buf.fill(4)
        magic = bytes(buf.data[:4])
        if buf.error and len(magic) < 4:
            raise self._fail(f"{_NOT_A_CAPTURE}: {buf.error}")
        if not magic:
            raise self._fail("This file is empty: it holds no packets.")
        if magic in _PCAP_MAGIC:
            return self._pcap(*_PCAP_MAGIC[magic])
        if magic == _PCAPNG_MAGIC:
            self.format = "pcapng"
            self._check_pcapng_start()
            return self._pcapng()
        for prefix, name in _OTHER_COMPRESSION.items():
            if magic.startswith(prefix):
                raise self._fail(
                    f"This file is compressed with {name}, which is not supported.",
                    advice="Decompress it first (or compress it with gzip) and try again.",
                )
        raise self._fail(_NOT_A_CAPTURE)

    def stop(self, reason: str) -> None:
        """Record that reading ended early, and why (a damaged stream's own error wins)."""
        self.truncated = True
        self.truncated_reason = self._buffer.error or reason

    # -- classic pcap -------------------------------------------------------------

    def _pcap(self, order: str, fmt: str, scale: float, rec_size: int) -> Iterator[Record]:
        buf = self._buffer
        if not buf.fill(24):
            raise self._fail("The capture file is cut short inside its header.")
        major, _minor, _zone, _sigfigs, _snaplen, network = struct.unpack_from(
            order + "HHiIII", buf.data, 4
        )
        if major != 2:
            raise self._fail(f"Unsupported pcap version {major}.")
        self.format = fmt
        link_type = network & 0xFFFF
        self.link_types = [link_type]
        buf.pos = 24
        self.pcap_layout = (struct.Struct(order + "IIII"), rec_size, link_type, scale)
        return self._pcap_records(*self.pcap_layout)

    def _pcap_records(
        self, header: struct.Struct, rec_size: int, link_type: int, scale: float
    ) -> Iterator[Record]:
        buf = self._buffer
        unpack = header.unpack_from
        data, pos = buf.data, buf.pos
        view, end = memoryview(data), len(data)
        while True:
            if pos + rec_size > end:
                buf.pos = pos
                if not buf.fill(rec_size):
                    if len(buf.data) - buf.pos or buf.error:
                        self.stop(f"the file ends inside the header of frame {self.frames + 1}")
                    return
                data, pos = buf.data, buf.pos
                view, end = memoryview(data), len(data)
            sec, frac, caplen, orig = unpack(data, pos)
            if caplen > MAX_FRAME:
                self.stop(
                    f"frame {self.frames + 1} claims {caplen} bytes, more than any real frame: "
                    "the file is damaged from there on and the rest was not read"
                )
                return
            start = pos + rec_size
            pos = start + caplen
            if pos > end:
                buf.pos = start - rec_size
                if not buf.fill(rec_size + caplen):
                    self.stop(f"the file ends inside frame {self.frames + 1}")
                    return
                data, start = buf.data, buf.pos + rec_size
                view, end = memoryview(data), len(data)
                pos = start + caplen
            self.frames += 1
            yield link_type, sec + frac / scale, orig, view[start:pos]

    # -- pcapng ---------------------------------------------------------------------

    def _check_pcapng_start(self) -> None:
        buf = self._buffer
        if not buf.fill(12):
            raise self._fail("The capture file is cut short inside its header.")
        if buf.data[8:12] not in (b"\x1a\x2b\x3c\x4d", _BOM_LE):
            raise self._fail(f"{_NOT_A_CAPTURE}: its pcapng header is damaged.")

    def _refill(self, pos: int, need: int, problem: str) -> bool:
        """Refill the buffer from ``pos``; on a short read, record ``problem`` and say False."""
        buf = self._buffer
        buf.pos = pos
        if buf.fill(need):
            return True
        if len(buf.data) - buf.pos or buf.error:
            self.stop(f"{problem} at byte {buf.offset}")
        return False

    def _pcapng(self) -> Iterator[Record]:
        buf = self._buffer
        section = _Section(self, "<")
        data, pos, end, view = buf.data, buf.pos, len(buf.data), memoryview(buf.data)
        need = 12
        hop = self.hop
        while True:
            # Only whole blocks are taken, so this is safe while one is being read in.
            pos, self.frames, section.last_timestamp = hop(
                data, pos, end, section.big, section.clocks, self.frames, section.last_timestamp
            )
            if pos + need > end:
                if not self._refill(pos, need, "the file ends inside a block"):
                    return
                data, pos, end, view = buf.data, buf.pos, len(buf.data), memoryview(buf.data)
            block_type, length = section.header.unpack_from(data, pos)
            if block_type == _SHB:
                # A new section may switch byte order; its interfaces start afresh.
                section = _Section.starting_at(self, data, pos, section.last_timestamp)
                length = section.u32.unpack_from(data, pos + 4)[0]
            if pos + length > end and 12 <= length <= MAX_BLOCK:
                need = length
                continue
            need = 12
            if (
                length < 12
                or length % 4
                or length > MAX_BLOCK
                or (section.u32.unpack_from(data, pos + length - 4)[0] != length)
            ):
                buf.pos = pos
                self.stop(
                    f"damaged block (length {length}) at byte {buf.offset}; "
                    "the rest of the file was not read"
                )
                return
            start, pos = pos, pos + length
            if block_type == 6 and length >= 32:
                # Enhanced packet blocks, nearly every block of a capture, are read inline.
                if_id, high, low, caplen, orig = section.epb.unpack_from(data, start + 8)
                if if_id < len(section.clocks) and caplen <= length - 32 and caplen <= MAX_FRAME:
                    link_type, divisor, offset = section.clocks[if_id]
                    timestamp = ((high << 32) | low) / divisor + offset
                    section.last_timestamp = timestamp
                    self.frames += 1
                    yield link_type, timestamp, orig, view[start + 28 : start + 28 + caplen]
                    continue
            record = section.block(block_type, data, start, length)
            if record is not None:
                self.frames += 1
                yield record


def _no_hop(
    data: Chunk,
    pos: int,
    end: int,
    big_endian: bool,
    clocks: list[tuple[int, int, int]],
    frames: int,
    last_timestamp: float,
) -> tuple[int, int, float]:
    """The default :data:`BlockHop`: takes no block."""
    return pos, frames, last_timestamp


class _Section:
    """One pcapng section: its byte order and its interfaces."""

    def __init__(self, reader: RecordReader, order: str) -> None:
        self.reader = reader
        self.big = order == ">"
        self.header = struct.Struct(order + "II")
        self.u32 = struct.Struct(order + "I")
        self.epb = struct.Struct(order + "IIIII")
        self.pb = struct.Struct(order + "HHIIII")
        self.idb = struct.Struct(order + "HHI")
        self.option = struct.Struct(order + "HH")
        self.i64 = struct.Struct(order + "q")
        self.clocks: list[tuple[int, int, int]] = []
        """``(link_type, divisor, offset)`` of each interface, by interface id."""
        self.snaplens: list[int] = []
        self.last_timestamp = 0.0

    @classmethod
    def starting_at(
        cls, reader: RecordReader, data: Chunk, pos: int, last_timestamp: float
    ) -> _Section:
        """The section whose header block starts at ``pos`` (its byte-order magic decides)."""
        section = cls(reader, "<" if data[pos + 8 : pos + 12] == _BOM_LE else ">")
        section.last_timestamp = last_timestamp
        return section

    def block(self, block_type: int, data: Chunk, pos: int, length: int) -> Record | None:
        if block_type == 6:
            return self._enhanced(data, pos, length)
        if block_type == 3:
            return self._simple(data, pos, length)
        if block_type == 1:
            self._interface(data, pos, length)
        elif block_type == 2:
            return self._obsolete(data, pos, length)
        elif block_type in _NOT_PACKETS:
            return _NOT_PACKETS[block_type], self.last_timestamp, 0, memoryview(b"")
        return None

    def _interface(self, data: Chunk, pos: int, length: int) -> None:
        if length < 20:
            # Keep the interface numbering; its packets count as damaged.
            self.clocks.append((LINK_DAMAGED, 1, 0))
            self.snaplens.append(0)
            return
        link_type, _reserved, snaplen = self.idb.unpack_from(data, pos + 8)
        divisor, offset = 1_000_000, 0
        for code, value in self._options(data, pos + 16, pos + length - 4):
            if code == 9 and value:
                exponent = value[0] & 0x7F
                divisor = (2 if value[0] & 0x80 else 10) ** min(exponent, 63)
            elif code == 14 and len(value) == 8:
                offset = self.i64.unpack_from(value)[0]
        self.clocks.append((link_type, divisor, offset))
        self.snaplens.append(snaplen)
        if link_type not in self.reader.link_types:
            self.reader.link_types.append(link_type)

    def _options(self, data: Chunk, pos: int, end: int) -> Iterator[tuple[int, bytes]]:
        while pos + 4 <= end:
            code, size = self.option.unpack_from(data, pos)
            if code == 0 or pos + 4 + size > end:
                return
            yield code, bytes(data[pos + 4 : pos + 4 + size])
            pos += 4 + (size + 3) // 4 * 4

    def _record(
        self, if_id: int, high: int, low: int, orig: int, data: Chunk, start: int, stop: int
    ) -> Record:
        if if_id >= len(self.clocks):
            return LINK_UNDECLARED, self.last_timestamp, orig, memoryview(data)[start:stop]
        link_type, divisor, offset = self.clocks[if_id]
        ts = ((high << 32) | low) / divisor + offset
        self.last_timestamp = ts
        return link_type, ts, orig, memoryview(data)[start:stop]

    def _enhanced(self, data: Chunk, pos: int, length: int) -> Record | None:
        if length < 32:
            return self._damaged()
        if_id, high, low, caplen, orig = self.epb.unpack_from(data, pos + 8)
        if caplen > min(length - 32, MAX_FRAME):
            return self._damaged()
        return self._record(if_id, high, low, orig, data, pos + 28, pos + 28 + caplen)

    def _obsolete(self, data: Chunk, pos: int, length: int) -> Record | None:
        if length < 32:
            return self._damaged()
        if_id, _drops, high, low, caplen, orig = self.pb.unpack_from(data, pos + 8)
        if caplen > min(length - 32, MAX_FRAME):
            return self._damaged()
        return self._record(if_id, high, low, orig, data, pos + 28, pos + 28 + caplen)

    def _simple(self, data: Chunk, pos: int, length: int) -> Record | None:
        if length < 16:
            return self._damaged()
        orig = self.u32.unpack_from(data, pos + 8)[0]
        caplen = min(orig, length - 16, MAX_FRAME)
        link_type = self.clocks[0][0] if self.clocks else LINK_UNDECLARED
        if self.snaplens and self.snaplens[0]:
            caplen = min(caplen, self.snaplens[0])
        # A simple packet block has no timestamp: reuse the previous packet's.
        view = memoryview(data)[pos + 12 : pos + 12 + caplen]
        return link_type, self.last_timestamp, orig, view

    def _damaged(self) -> Record:
        return LINK_DAMAGED, self.last_timestamp, 0, memoryview(b"")
