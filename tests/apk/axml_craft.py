"""Byte-level writers of binary XML and resource tables, for crafting hostile test input.

Deliberately independent of ``unstalk.apk.parsers`` (ids and layouts written out
here from the AOSP ResourceTypes.h structures) so a parser bug cannot hide
behind the same bug in the writer. ``tests/apk/builder`` writes well-formed
APKs; these helpers give the byte-level control the damage tests need.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

ANDROID_NS = "http://schemas.android.com/apk/res/android"
NO_INDEX = 0xFFFFFFFF

TYPE_REFERENCE = 0x01
TYPE_STRING = 0x03
TYPE_INT_DEC = 0x10
TYPE_INT_HEX = 0x11
TYPE_INT_BOOLEAN = 0x12

IDS = {
    "label": 0x01010001,
    "name": 0x01010003,
    "permission": 0x01010006,
    "sharedUserId": 0x0101000B,
    "enabled": 0x0101000E,
    "debuggable": 0x0101000F,
    "exported": 0x01010010,
    "priority": 0x0101001C,
    "value": 0x01010024,
    "resource": 0x01010025,
    "scheme": 0x01010027,
    "host": 0x01010028,
    "targetActivity": 0x01010202,
    "minSdkVersion": 0x0101020C,
    "versionCode": 0x0101021B,
    "versionName": 0x0101021C,
    "targetSdkVersion": 0x01010270,
    "maxSdkVersion": 0x01010271,
    "allowBackup": 0x01010280,
    "accessibilityEventTypes": 0x01010380,
    "accessibilityFlags": 0x01010384,
    "canRetrieveWindowContent": 0x01010385,
    "usesCleartextTraffic": 0x010104EC,
    "foregroundServiceType": 0x01010599,
}


@dataclass(frozen=True)
class Ref:
    """An ``@0x7f...`` reference value."""

    res_id: int


@dataclass(frozen=True)
class Hex:
    value: int


Value = str | bool | int | Ref | Hex


@dataclass
class El:
    """An element; attribute keys are ``android:name`` or a plain ``name``."""

    tag: str
    attrs: dict[str, Value] = field(default_factory=dict)
    children: list[El] = field(default_factory=list)


def chunk(ctype: int, header: bytes, body: bytes) -> bytes:
    return struct.pack("<HHI", ctype, 8 + len(header), 8 + len(header) + len(body)) + header + body


def _len8(n: int) -> bytes:
    return bytes([n]) if n < 0x80 else bytes([0x80 | (n >> 8), n & 0xFF])


def string_pool(strings: Sequence[str], *, utf8: bool = True) -> bytes:
    data = bytearray()
    offsets = []
    for s in strings:
        offsets.append(len(data))
        if utf8:
            raw = s.encode("utf-8")
            data += _len8(len(s)) + _len8(len(raw)) + raw + b"\0"
        else:
            raw = s.encode("utf-16-le")
            data += struct.pack("<H", len(raw) // 2) + raw + b"\0\0"
    while len(data) % 4:
        data += b"\0"
    strings_start = 28 + 4 * len(strings)
    header = struct.pack(
        "<IIIII", len(strings), 0, 0x100 if utf8 else 0, strings_start if strings else 0, 0
    )
    return chunk(0x0001, header, struct.pack(f"<{len(offsets)}I", *offsets) + bytes(data))


class _Strings:
    """A pool being built; attribute names own their slots, so blanking them hits nothing else."""

    def __init__(self, attr_names: list[str]) -> None:
        self.items = list(attr_names)
        self.reserved = len(attr_names)

    def attr(self, name: str) -> int:
        if name in self.items[: self.reserved]:
            return self.items.index(name)
        return self.idx(name)

    def idx(self, s: str) -> int:
        if s not in self.items[self.reserved :]:
            self.items.append(s)
        return self.items.index(s, self.reserved)


def _typed(value: Value, strings: _Strings) -> tuple[int, int, int]:
    """(raw string index, type, data) of a value."""
    if isinstance(value, bool):
        return NO_INDEX, TYPE_INT_BOOLEAN, 0xFFFFFFFF if value else 0
    if isinstance(value, int):
        return NO_INDEX, TYPE_INT_DEC, value & 0xFFFFFFFF
    if isinstance(value, Hex):
        return NO_INDEX, TYPE_INT_HEX, value.value
    if isinstance(value, Ref):
        return NO_INDEX, TYPE_REFERENCE, value.res_id
    i = strings.idx(value)
    return i, TYPE_STRING, i


def _walk(root: El) -> list[El]:
    out = [root]
    for c in root.children:
        out += _walk(c)
    return out


def axml(
    root: El,
    *,
    utf8: bool = True,
    blank_names: bool = False,
    resource_map: bool = True,
    decoy_names: dict[str, str] | None = None,
) -> bytes:
    """Compile ``root`` as aapt does: android attribute names first, mapped to their ids.

    ``blank_names`` empties those names in the pool; ``decoy_names`` renames
    them (``{"exported": "enabled"}``), both malware tricks Android ignores.
    """
    android = sorted(
        {k.split(":", 1)[1] for e in _walk(root) for k in e.attrs if k.startswith("android:")}
    )
    strings = _Strings(android)
    strings.idx(ANDROID_NS)
    strings.idx("android")
    nodes = bytearray()
    nodes += _node(0x0100, struct.pack("<II", strings.idx("android"), strings.idx(ANDROID_NS)))
    nodes += _element(root, strings)
    nodes += _node(0x0101, struct.pack("<II", strings.idx("android"), strings.idx(ANDROID_NS)))
    pool = list(strings.items)
    for i, name in enumerate(android):
        pool[i] = "" if blank_names else (decoy_names or {}).get(name, name)
    body = string_pool(pool, utf8=utf8)
    if resource_map:
        ids = [IDS[n] for n in android]
        body += chunk(0x0180, b"", struct.pack(f"<{len(ids)}I", *ids))
    return chunk(0x0003, b"", body + bytes(nodes))


def _node(ctype: int, ext: bytes) -> bytes:
    return chunk(ctype, struct.pack("<II", 1, NO_INDEX), ext)


def _element(el: El, strings: _Strings) -> bytes:
    attrs = bytearray()
    for key, value in el.attrs.items():
        ns, name = (ANDROID_NS, key[8:]) if key.startswith("android:") else (None, key)
        ns_idx = strings.idx(ns) if ns else NO_INDEX
        raw, vtype, data = _typed(value, strings)
        name_idx = strings.attr(name) if ns else strings.idx(name)
        attrs += struct.pack("<IIIHBBI", ns_idx, name_idx, raw, 8, 0, vtype, data)
    count = len(el.attrs)
    ext = struct.pack("<IIHHHHHH", NO_INDEX, strings.idx(el.tag), 20, 20, count, 0, 0, 0)
    out = _node(0x0102, ext + bytes(attrs))
    for child in el.children:
        out += _element(child, strings)
    return out + _node(0x0103, struct.pack("<II", NO_INDEX, strings.idx(el.tag)))


def arsc(
    strings: Sequence[str],
    types: dict[int, list[tuple[bytes, dict[int, tuple[int, int]]]]],
    *,
    package_id: int = 0x7F,
    layout: str = "dense",
    compact: bool = False,
) -> bytes:
    """A resource table: ``types[type_id] = [(config bytes, {entry: (type, data)})]``.

    Config bytes follow the 4-byte size field (all zero: the default
    configuration). ``layout`` is ``dense``, ``offset16`` or ``sparse`` (the
    entry index forms of ResTable_type); ``compact`` writes Android 14 entries.
    """
    chunks = bytearray()
    for type_id, configs in types.items():
        for config, entries in configs:
            chunks += _type_chunk(type_id, config, entries, layout, compact)
    name = "app".encode("utf-16-le").ljust(256, b"\0")
    header = struct.pack("<I", package_id) + name + struct.pack("<IIIII", 0, 0, 0, 0, 0)
    package = chunk(0x0200, header, bytes(chunks))
    return chunk(0x0002, struct.pack("<I", 1), string_pool(strings) + package)


def _entry(key: int, vtype: int, value: int, compact: bool) -> bytes:
    if compact:
        return struct.pack("<HHI", key, (vtype << 8) | 0x0008, value)
    return struct.pack("<HHI", 8, 0, key) + struct.pack("<HBBI", 8, 0, vtype, value)


def _type_chunk(
    type_id: int, config: bytes, entries: dict[int, tuple[int, int]], layout: str, compact: bool
) -> bytes:
    count = max(entries) + 1 if entries else 0
    where: dict[int, int] = {}
    data = bytearray()
    for i in sorted(entries):
        where[i] = len(data)
        data += _entry(i, *entries[i], compact)
    if layout == "sparse":
        index = b"".join(struct.pack("<HH", i, where[i] // 4) for i in sorted(where))
        count, flags = len(where), 0x01
    elif layout == "offset16":
        index = b"".join(
            struct.pack("<H", where[i] // 4 if i in where else 0xFFFF) for i in range(count)
        )
        index += b"\0\0" * (count % 2)
        flags = 0x02
    else:
        index = b"".join(struct.pack("<I", where.get(i, NO_INDEX)) for i in range(count))
        flags = 0
    cfg = struct.pack("<I", 4 + len(config)) + config
    entries_start = 8 + 12 + len(cfg) + len(index)
    header = struct.pack("<BBHII", type_id, flags, 0, count, entries_start) + cfg
    return chunk(0x0201, header, index + bytes(data))
