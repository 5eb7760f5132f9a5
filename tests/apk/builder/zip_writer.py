"""A deterministic ZIP writer with zipalign-style alignment of stored entries.

Written by hand rather than with :mod:`zipfile` so every byte is under control: fixed
timestamps (so a rebuilt APK hashes the same), and the alignment extra field apksig uses
(id 0xd935) to put stored data on a 4-byte boundary, as ``zipalign 4`` would.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

LOCAL_HEADER = 0x04034B50
CENTRAL_HEADER = 0x02014B50
END_OF_CENTRAL_DIRECTORY = 0x06054B50
ALIGNMENT_EXTRA_ID = 0xD935
UTF8_NAME_FLAG = 0x0800
# 1981-01-01 00:00, the date AOSP build tools stamp on every entry.
DOS_DATE = (1 << 9) | (1 << 5) | 1
DOS_TIME = 0


@dataclass(frozen=True, slots=True)
class ZipEntry:
    name: str
    data: bytes
    compress: bool = True


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def _alignment_extra(data_start: int, alignment: int) -> bytes:
    """The smallest 0xd935 extra field that moves ``data_start`` to a multiple of alignment."""
    padding = -(data_start + 6) % alignment
    return struct.pack("<HHH", ALIGNMENT_EXTRA_ID, 2 + padding, alignment) + b"\x00" * padding


def write_zip(entries: Iterable[ZipEntry], *, alignment: int = 4) -> bytes:
    """Return the bytes of a ZIP archive holding ``entries`` in order."""
    out = bytearray()
    central = bytearray()
    count = 0
    for entry in entries:
        name = entry.name.encode("utf-8")
        flags = 0 if name.isascii() else UTF8_NAME_FLAG
        method = 8 if entry.compress else 0
        payload = _deflate(entry.data) if entry.compress else entry.data
        crc = zlib.crc32(entry.data)
        offset = len(out)
        extra = b"" if entry.compress else _alignment_extra(offset + 30 + len(name), alignment)
        version = 20 if entry.compress else 10
        common = struct.pack(
            "<HHHHHIII",
            version,
            flags,
            method,
            DOS_TIME,
            DOS_DATE,
            crc,
            len(payload),
            len(entry.data),
        )
        out += struct.pack("<I", LOCAL_HEADER) + common
        out += struct.pack("<HH", len(name), len(extra)) + name + extra + payload
        central += struct.pack("<IH", CENTRAL_HEADER, version) + common
        central += struct.pack("<HHHHHII", len(name), 0, 0, 0, 0, 0, offset) + name
        count += 1
    end = struct.pack(
        "<IHHHHIIH", END_OF_CENTRAL_DIRECTORY, 0, 0, count, count, len(central), len(out), 0
    )
    return bytes(out + central + end)
