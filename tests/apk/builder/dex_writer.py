"""A minimal valid dex file holding only a string table (no classes, no code).

Analysers that look for C2 URLs and API names read the string table, so this is all a
synthetic app needs: header (adler32 checksum, SHA-1 signature), string_ids sorted by UTF-16
code units, string_data in MUTF-8, and a map_list.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Iterable

DEX_MAGIC = b"dex\n035\x00"
HEADER_SIZE = 0x70
ENDIAN_CONSTANT = 0x12345678

TYPE_HEADER_ITEM = 0x0000
TYPE_STRING_ID_ITEM = 0x0001
TYPE_MAP_LIST = 0x1000
TYPE_STRING_DATA_ITEM = 0x2002


def uleb128(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def mutf8(text: str) -> bytes:
    """Modified UTF-8: UTF-16 code units encoded one by one, NUL as C0 80."""
    units = struct.unpack(f"<{len(text.encode('utf-16-le')) // 2}H", text.encode("utf-16-le"))
    out = bytearray()
    for unit in units:
        if 0 < unit < 0x80:
            out.append(unit)
        elif unit < 0x800:
            out += bytes([0xC0 | (unit >> 6), 0x80 | (unit & 0x3F)])
        else:
            out += bytes([0xE0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3F), 0x80 | (unit & 0x3F)])
    return bytes(out)


def _sort_key(text: str) -> bytes:
    # The dex format orders strings by UTF-16 code units; big-endian UTF-16 bytes compare
    # the same way, unlike Python's code-point order for characters above U+FFFF.
    return text.encode("utf-16-be")


def encode_dex(strings: Iterable[str]) -> bytes:
    """Encode a dex file whose string table holds ``strings`` (deduplicated and sorted)."""
    table = sorted(set(strings), key=_sort_key)
    count = len(table)
    ids_off = HEADER_SIZE
    data_off = ids_off + 4 * count
    string_data = bytearray()
    offsets: list[int] = []
    for text in table:
        offsets.append(data_off + len(string_data))
        string_data += uleb128(len(text.encode("utf-16-le")) // 2) + mutf8(text) + b"\x00"
    string_data += b"\x00" * (-len(string_data) % 4)
    map_off = data_off + len(string_data)
    sections = [(TYPE_HEADER_ITEM, 1, 0)]
    if count:
        sections += [
            (TYPE_STRING_ID_ITEM, count, ids_off),
            (TYPE_STRING_DATA_ITEM, count, data_off),
        ]
    sections.append((TYPE_MAP_LIST, 1, map_off))
    map_list = struct.pack("<I", len(sections)) + b"".join(
        struct.pack("<HHII", kind, 0, size, offset) for kind, size, offset in sections
    )
    file_size = map_off + len(map_list)
    header = struct.pack(
        "<8s4x20sIIIIIIIIIIIIIIIIIIII",
        DEX_MAGIC,
        b"",
        file_size,
        HEADER_SIZE,
        ENDIAN_CONSTANT,
        0,
        0,
        map_off,
        count,
        ids_off if count else 0,
        *(0,) * 10,
        file_size - data_off,
        data_off,
    )
    body = header + struct.pack(f"<{count}I", *offsets) + string_data + map_list
    signature = hashlib.sha1(body[32:]).digest()
    signed = body[:12] + signature + body[32:]
    return signed[:8] + struct.pack("<I", zlib.adler32(signed[12:])) + signed[12:]
