"""Write classic pcap (micro- or nanosecond, either byte order) and pcapng files.

pcapng follows draft-ietf-opsawg-pcapng: Section Header, Interface Description
(with ``if_name``, ``if_tsresol``, ``if_tsoffset``), Enhanced, Simple and the
obsolete Packet blocks, options padded to 32 bits, and any other block raw.
Timestamps are integer nanoseconds so no resolution loses precision by accident.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D
BOM = 0x1A2B3C4D

SHB, IDB, PB, SPB, NRB, ISB, EPB, DSB = 0x0A0D0D0A, 1, 2, 3, 4, 5, 6, 0x0A
OPT_END, OPT_COMMENT = 0, 1
IF_NAME, IF_TSRESOL, IF_TSOFFSET = 2, 9, 14
SHB_USERAPPL = 4


@dataclass(frozen=True)
class Frame:
    """One captured frame: its bytes, when it was seen, and its length on the wire."""

    data: bytes
    ts_ns: int
    orig_len: int | None = None
    """Length on the wire; larger than ``len(data)`` for frames cut by the snap length."""
    interface: int = 0


def write_pcap(
    frames: Iterable[Frame],
    link_type: int,
    *,
    nanosecond: bool = False,
    big_endian: bool = False,
    snaplen: int = 262_144,
) -> bytes:
    order = ">" if big_endian else "<"
    magic = PCAP_MAGIC_NS if nanosecond else PCAP_MAGIC_US
    parts = [struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, snaplen, link_type)]
    for frame in frames:
        sec, rest = divmod(frame.ts_ns, 1_000_000_000)
        frac = rest if nanosecond else rest // 1000
        orig = frame.orig_len if frame.orig_len is not None else len(frame.data)
        parts.append(struct.pack(order + "IIII", sec, frac, len(frame.data), orig))
        parts.append(frame.data)
    return b"".join(parts)


def _pad(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


@dataclass(frozen=True)
class Interface:
    link_type: int
    name: str = "eth0"
    tsresol: int = 6
    """``if_tsresol`` byte: 6 = microseconds, 9 = nanoseconds, 0x80 | n = 2^-n seconds."""
    tsoffset: int = 0
    snaplen: int = 262_144


class PcapngWriter:
    """Build a pcapng file block by block; sections may switch byte order."""

    def __init__(self, *, big_endian: bool = False) -> None:
        self._parts: list[bytes] = []
        self._order = ">" if big_endian else "<"
        self._interfaces: list[Interface] = []

    def _options(self, options: Iterable[tuple[int, bytes]]) -> bytes:
        body = b"".join(
            struct.pack(self._order + "HH", code, len(value)) + _pad(value)
            for code, value in options
        )
        return body + struct.pack(self._order + "HH", OPT_END, 0) if body else b""

    def block(self, block_type: int, body: bytes) -> None:
        """Append a block with ``body`` (padded); used directly for unknown block types."""
        body = _pad(body)
        length = 12 + len(body)
        head = struct.pack(self._order + "II", block_type, length)
        self._parts.append(head + body + struct.pack(self._order + "I", length))

    def section(self, *, big_endian: bool | None = None, application: str = "unstalk") -> None:
        """Start a section (interfaces are per section); optionally switch byte order."""
        if big_endian is not None:
            self._order = ">" if big_endian else "<"
        self._interfaces = []
        options = self._options([(SHB_USERAPPL, application.encode())])
        self.block(SHB, struct.pack(self._order + "IHHq", BOM, 1, 0, -1) + options)

    def interface(self, iface: Interface) -> int:
        """Declare an interface; returns its id for :meth:`packet`."""
        options = [(IF_NAME, iface.name.encode()), (IF_TSRESOL, bytes([iface.tsresol]))]
        if iface.tsoffset:
            options.append((IF_TSOFFSET, struct.pack(self._order + "q", iface.tsoffset)))
        body = struct.pack(self._order + "HHI", iface.link_type, 0, iface.snaplen)
        self.block(IDB, body + self._options(options))
        self._interfaces.append(iface)
        return len(self._interfaces) - 1

    def _units(self, interface: int, ts_ns: int) -> int:
        iface = self._interfaces[interface] if interface < len(self._interfaces) else Interface(0)
        seconds_ns = ts_ns - iface.tsoffset * 1_000_000_000
        base = 2 if iface.tsresol & 0x80 else 10
        units_per_second: int = base ** (iface.tsresol & 0x7F)
        return seconds_ns * units_per_second // 1_000_000_000

    def packet(self, frame: Frame, *, comment: str = "") -> None:
        """An Enhanced Packet Block on ``frame.interface``."""
        units = self._units(frame.interface, frame.ts_ns)
        orig = frame.orig_len if frame.orig_len is not None else len(frame.data)
        head = struct.pack(
            self._order + "IIIII",
            frame.interface,
            units >> 32,
            units & 0xFFFFFFFF,
            len(frame.data),
            orig,
        )
        options = self._options([(OPT_COMMENT, comment.encode())] if comment else [])
        self.block(EPB, head + _pad(frame.data) + options)

    def simple_packet(self, data: bytes, *, orig_len: int | None = None) -> None:
        """A Simple Packet Block (interface 0, no timestamp)."""
        orig = orig_len if orig_len is not None else len(data)
        self.block(SPB, struct.pack(self._order + "I", orig) + data)

    def obsolete_packet(self, frame: Frame) -> None:
        """The obsolete Packet Block (type 2) that old Wireshark versions wrote."""
        units = self._units(frame.interface, frame.ts_ns)
        orig = frame.orig_len if frame.orig_len is not None else len(frame.data)
        head = struct.pack(
            self._order + "HHIIII",
            frame.interface,
            0,
            units >> 32,
            units & 0xFFFFFFFF,
            len(frame.data),
            orig,
        )
        self.block(PB, head + frame.data)

    def statistics(self, interface: int, ts_ns: int) -> None:
        """An Interface Statistics Block (not a frame; readers must skip it)."""
        units = self._units(interface, ts_ns)
        self.block(
            ISB, struct.pack(self._order + "III", interface, units >> 32, units & 0xFFFFFFFF)
        )

    def getvalue(self) -> bytes:
        return b"".join(self._parts)


def write_pcapng(
    frames: Iterable[Frame],
    interfaces: Iterable[Interface],
    *,
    big_endian: bool = False,
) -> bytes:
    """One section with ``interfaces`` and every frame as an Enhanced Packet Block."""
    writer = PcapngWriter(big_endian=big_endian)
    writer.section()
    for iface in interfaces:
        writer.interface(iface)
    for frame in frames:
        writer.packet(frame)
    return writer.getvalue()
