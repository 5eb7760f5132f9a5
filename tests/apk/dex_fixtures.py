"""Dex files with a string table only, built byte by byte for the dex parser's tests.

Unlike the APK builder's writer this one also makes what Android would refuse: lone
surrogates, raw string bytes, any version, version-041 containers, and headers to patch.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Sequence

ENDIAN_CONSTANT = 0x12345678
_MAP_ITEM = struct.Struct("<HHII")


def uleb128(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def utf16_units(text: str) -> tuple[int, ...]:
    raw = text.encode("utf-16-le", "surrogatepass")
    return struct.unpack(f"<{len(raw) // 2}H", raw)


def mutf8(text: str) -> bytes:
    """Java's modified UTF-8: each UTF-16 unit on its own (so surrogates too), NUL as C0 80."""
    out = bytearray()
    for unit in utf16_units(text):
        if 0 < unit < 0x80:
            out.append(unit)
        elif unit < 0x800:
            out += bytes((0xC0 | unit >> 6, 0x80 | unit & 0x3F))
        else:
            out += bytes((0xE0 | unit >> 12, 0x80 | (unit >> 6) & 0x3F, 0x80 | unit & 0x3F))
    return bytes(out)


def string_item(text: str) -> bytes:
    """A string_data_item: UTF-16 length, MUTF-8 bytes, NUL."""
    return uleb128(len(utf16_units(text))) + mutf8(text) + b"\0"


def dex_order(strings: Sequence[str]) -> list[str]:
    """Deduplicated and sorted by UTF-16 code units, as a valid dex orders its strings."""
    return sorted(set(strings), key=utf16_units)


def build_dex(
    strings: Sequence[str] = (),
    *,
    items: Sequence[bytes] | None = None,
    version: str = "035",
    base: int = 0,
    container_size: int = 0,
) -> bytes:
    """One dex file whose string table holds ``strings`` (kept in the order given).

    ``items`` replaces the encoded strings by raw string_data_item bytes. ``base`` is where
    the file will sit inside a version-041 container: offsets count from the container start.
    """
    raw_items = list(items) if items is not None else [string_item(s) for s in strings]
    header_size = 0x78 if int(version) >= 41 else 0x70
    count = len(raw_items)
    ids_off = base + header_size
    data_off = ids_off + 4 * count
    offsets, data = [], bytearray()
    for item in raw_items:
        offsets.append(data_off + len(data))
        data += item
    data += b"\0" * (-len(data) % 4)
    map_off = data_off + len(data)
    sections = [(0x0000, 1, base), (0x0001, count, ids_off), (0x2002, count, data_off)]
    sections = [s for s in sections if s[1]] + [(0x1000, 1, map_off)]
    map_list = struct.pack("<I", len(sections)) + b"".join(
        _MAP_ITEM.pack(t, 0, n, o) for t, n, o in sections
    )
    body = struct.pack(f"<{count}I", *offsets) + bytes(data) + map_list
    file_size = header_size + len(body)
    ids = (count, ids_off if count else 0)
    fields = (file_size, header_size, ENDIAN_CONSTANT, 0, 0, map_off, *ids, *[0] * 10)
    fields += (len(data) + len(map_list), data_off)
    header = b"dex\n" + version.encode() + b"\0" + bytes(24) + struct.pack("<20I", *fields)
    if header_size == 0x78:
        header += struct.pack("<II", container_size or file_size, base)
    return seal(header + body)


def seal(dex: bytes) -> bytes:
    """Recompute the SHA-1 signature and the adler32 checksum, as a dex builder does."""
    out = bytearray(dex)
    out[12:32] = hashlib.sha1(out[32:]).digest()
    struct.pack_into("<I", out, 8, zlib.adler32(out[12:]))
    return bytes(out)


def patch_u32(dex: bytes, offset: int, value: int) -> bytes:
    out = bytearray(dex)
    struct.pack_into("<I", out, offset, value)
    return bytes(out)


def build_container(parts: Sequence[Sequence[str]]) -> bytes:
    """A version-041 container: one dex per entry of ``parts``, back to back."""
    sizes = [len(build_dex(p, version="041")) for p in parts]
    total = sum(sizes)
    out = b""
    for part in parts:
        out += build_dex(part, version="041", base=len(out), container_size=total)
    return out
