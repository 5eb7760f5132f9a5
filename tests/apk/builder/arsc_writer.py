"""A minimal resources.arsc: package 0x7f with ``string`` and ``xml`` entries, default config.

Enough for ``@string/app_name`` labels and ``@xml/...`` meta-data references to resolve in
aapt and in analysers; no styles, no alternative configurations, no attributes.
"""

from __future__ import annotations

import struct

from tests.apk.builder.axml_writer import TYPE_STRING, Ref, chunk, string_pool

RES_TABLE_TYPE = 0x0002
RES_TABLE_PACKAGE_TYPE = 0x0200
RES_TABLE_TYPE_TYPE = 0x0201
RES_TABLE_TYPE_SPEC_TYPE = 0x0202

PACKAGE_ID = 0x7F
CONFIG_SIZE = 64
# Type ids are fixed (1-based indexes into the type string pool), so a reference does not
# depend on which other resources an app happens to have.
TYPE_NAMES = ("string", "xml")


class ResourceTable:
    """Collects string and xml resources, then encodes them as resources.arsc."""

    def __init__(self, package: str) -> None:
        self.package = package
        self._entries: dict[str, list[tuple[str, str]]] = {name: [] for name in TYPE_NAMES}

    def _add(self, type_name: str, key: str, value: str) -> Ref:
        entries = self._entries[type_name]
        if any(existing == key for existing, _ in entries):
            raise ValueError(f"resource {type_name}/{key} is defined twice")
        entries.append((key, value))
        type_id = TYPE_NAMES.index(type_name) + 1
        return Ref((PACKAGE_ID << 24) | (type_id << 16) | (len(entries) - 1))

    def add_string(self, key: str, value: str) -> Ref:
        """Add ``@string/key`` and return the reference to put in the manifest."""
        return self._add("string", key, value)

    def add_xml(self, key: str, path: str) -> Ref:
        """Add ``@xml/key`` pointing at the compiled XML file ``path`` inside the APK."""
        return self._add("xml", key, path)

    def encode(self) -> bytes:
        values = [value for name in TYPE_NAMES for _, value in self._entries[name]]
        keys = [key for name in TYPE_NAMES for key, _ in self._entries[name]]
        package = self._package_chunk(values, keys)
        return chunk(RES_TABLE_TYPE, struct.pack("<I", 1), string_pool(values) + package)

    def _package_chunk(self, values: list[str], keys: list[str]) -> bytes:
        type_pool = string_pool(TYPE_NAMES)
        key_pool = string_pool(keys)
        types = b""
        for type_id, name in enumerate(TYPE_NAMES, start=1):
            entries = self._entries[name]
            if entries:
                indexes = [(keys.index(key), values.index(value)) for key, value in entries]
                types += _type_spec(type_id, len(entries)) + _type(type_id, indexes)
        package_name = self.package.encode("utf-16-le")[:254].ljust(256, b"\x00")
        header_size = 288
        header = (
            struct.pack("<I", PACKAGE_ID)
            + package_name
            + struct.pack(
                "<IIIII",
                header_size,
                len(TYPE_NAMES),
                header_size + len(type_pool),
                len(keys),
                0,
            )
        )
        return chunk(RES_TABLE_PACKAGE_TYPE, header, type_pool + key_pool + types)


def _type_spec(type_id: int, count: int) -> bytes:
    header = struct.pack("<BBHI", type_id, 0, 0, count)
    return chunk(RES_TABLE_TYPE_SPEC_TYPE, header, b"\x00" * 4 * count)


def _type(type_id: int, entries: list[tuple[int, int]]) -> bytes:
    """A type chunk for the default configuration; each entry is (key index, value index)."""
    config = struct.pack("<I", CONFIG_SIZE) + b"\x00" * (CONFIG_SIZE - 4)
    header_size = 8 + 12 + CONFIG_SIZE
    offsets = b"".join(struct.pack("<I", 16 * n) for n in range(len(entries)))
    data = b"".join(
        struct.pack("<HHIHBBI", 8, 0, key, 8, 0, TYPE_STRING, value) for key, value in entries
    )
    entries_start = header_size + len(offsets)
    header = struct.pack("<BBHII", type_id, 0, 0, len(entries), entries_start) + config
    return chunk(RES_TABLE_TYPE_TYPE, header, offsets + data)
