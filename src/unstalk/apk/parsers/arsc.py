"""resources.arsc: just enough to resolve ``@0x7f...`` references to text.

The manifest names its label ``@string/app_name`` and its accessibility or
device-admin configuration ``@xml/...``; both are entries of the resource
table whose values are strings (the label, or the path ``res/xml/x.xml``).
Indexing reads chunk headers only; an entry is decoded when asked for.
The string pool reader (:class:`StringPool`) is shared with the binary XML
parser: both formats use libandroidfw's ResStringPool.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import NamedTuple

from unstalk.errors import ApkError, ApkLimitError

NO_INDEX = 0xFFFFFFFF
MAX_REFERENCE_HOPS = 8
MAX_PACKAGES = 256
MAX_TYPE_CHUNKS = 200_000

RES_STRING_POOL_TYPE = 0x0001
RES_TABLE_TYPE = 0x0002
RES_TABLE_PACKAGE_TYPE = 0x0200
RES_TABLE_TYPE_TYPE = 0x0201

_UTF8_FLAG = 0x100
_CHUNK = struct.Struct("<HHI")
_U32 = struct.Struct("<I")
_POOL_HEADER = struct.Struct("<IIIII")
_TYPE_HEADER = struct.Struct("<BBHII")
_ENTRY = struct.Struct("<HHI")
_VALUE = struct.Struct("<HBBI")
_FLAG_SPARSE = 0x01
_FLAG_OFFSET16 = 0x02
_ENTRY_COMPLEX = 0x0001
_ENTRY_COMPACT = 0x0008
_LOW_BIT = bytes(b & 1 for b in range(256))


# Res_value types, shared by resource tables and binary XML attributes.
TYPE_NULL = 0x00
TYPE_REFERENCE = 0x01
TYPE_ATTRIBUTE = 0x02
TYPE_STRING = 0x03
TYPE_FLOAT = 0x04
TYPE_DIMENSION = 0x05
TYPE_FRACTION = 0x06
TYPE_INT_DEC = 0x10
TYPE_INT_HEX = 0x11
TYPE_INT_BOOLEAN = 0x12
TYPE_FIRST_COLOR = 0x1C
TYPE_LAST_INT = 0x1F

_DIMENSION_UNITS = ("px", "dp", "sp", "pt", "in", "mm")
_FRACTION_UNITS = ("%", "%p")
_RADIX_SCALE = (1.0, 1.0 / (1 << 7), 1.0 / (1 << 15), 1.0 / (1 << 23))


def signed32(value: int) -> int:
    return value - (1 << 32) if value & 0x80000000 else value


def _complex(data: int, units: tuple[str, ...]) -> str:
    number = signed32(data & 0xFFFFFF00) / 256 * _RADIX_SCALE[(data >> 4) & 3]
    unit = units[data & 0xF] if (data & 0xF) < len(units) else "?"
    if units is _FRACTION_UNITS:
        number *= 100
    return f"{number:g}{unit}"


def format_value(vtype: int, data: int, string: str | None) -> str:
    """Render a typed value as text the way aapt's xmltree dump reads it."""
    if vtype == TYPE_STRING or (vtype == TYPE_NULL and string is not None):
        return string or ""
    if vtype in (TYPE_REFERENCE, TYPE_ATTRIBUTE):
        sigil = "@" if vtype == TYPE_REFERENCE else "?"
        return f"{sigil}0x{data:08x}" if data else "@null"
    if vtype == TYPE_INT_DEC:
        return str(signed32(data))
    if vtype == TYPE_INT_BOOLEAN:
        return "true" if data else "false"
    if TYPE_FIRST_COLOR <= vtype <= TYPE_LAST_INT:
        return f"#{data:08x}"
    if vtype == TYPE_FLOAT:
        return f"{struct.unpack('<f', struct.pack('<I', data))[0]:g}"
    if vtype == TYPE_DIMENSION:
        return _complex(data, _DIMENSION_UNITS)
    if vtype == TYPE_FRACTION:
        return _complex(data, _FRACTION_UNITS)
    return f"0x{data:x}"


@dataclass(slots=True)
class StringPool:
    """A ResStringPool chunk; strings are decoded on first use and cached."""

    data: bytes
    offsets_at: int
    count: int
    strings_at: int
    strings_end: int
    utf8: bool
    problems: tuple[str, ...] = ()
    _cache: dict[int, str] = field(default_factory=dict)

    @staticmethod
    def empty() -> StringPool:
        """A pool of no strings, shared: nothing is ever stored in one (see :meth:`get`)."""
        return _EMPTY_POOL

    @classmethod
    def parse(cls, data: bytes, pos: int, size: int, *, name: str, path: str) -> StringPool:
        """Read the pool chunk at ``pos``; counts beyond the chunk are cut to what it holds."""
        hsize = _CHUNK.unpack_from(data, pos)[1]
        if hsize < _CHUNK.size + _POOL_HEADER.size or pos + size > len(data):
            raise ApkError(f"{name} has a damaged string pool", path=path)
        count, styles, flags, strings_start, styles_start = _POOL_HEADER.unpack_from(data, pos + 8)
        end = pos + size
        problems: tuple[str, ...] = ()
        room = (end - pos - hsize) // 4
        if count > room:
            problems = (f"{name}: the string pool claims more strings than it holds",)
            count = room
        strings_end = pos + styles_start if styles and strings_start < styles_start else end
        return cls(
            data,
            pos + hsize,
            count,
            pos + strings_start,
            strings_end if strings_end < end else end,
            utf8=bool(flags & _UTF8_FLAG),
            problems=problems,
        )

    def get(self, index: int) -> str:
        """String ``index``; empty for a missing index or one outside the pool, as Android."""
        cached = self._cache.get(index)
        if cached is not None:
            return cached
        if index >= self.count:
            return ""
        at = self.strings_at + _U32.unpack_from(self.data, self.offsets_at + 4 * index)[0]
        cached = self._decode(at) if at < self.strings_end else ""
        self._cache[index] = cached
        return cached

    def preload(self) -> None:
        """Decode every string now, in a few C calls when the pool is ASCII (most are).

        For small pools whose strings are nearly all used (binary XML); the result is
        what :meth:`get` gives string by string.
        """
        region = self.data[self.strings_at : self.strings_end]
        if not self.count or not region.isascii():
            return
        offsets = struct.unpack_from(f"<{self.count}I", self.data, self.offsets_at)
        text = region.decode("ascii")
        if self.utf8:
            # A length byte below 0x80 is the whole length: ASCII bytes all are.
            strings = [
                text[o + 2 : o + 2 + ord(text[o + 1])] if o + 1 < len(text) else "" for o in offsets
            ]
        elif len(region) % 2 or region[1::2].strip(b"\0") or self._odd_offset():
            return
        else:
            # Every UTF-16 unit below 0x80: the low bytes alone are the text.
            text, size = text[::2], len(region)
            strings = [
                text[(h := o >> 1) + 1 : h + 1 + ord(text[h])] if o + 2 <= size else ""
                for o in offsets
            ]
        self._cache = dict(enumerate(strings))

    def _odd_offset(self) -> bool:
        """Whether a string starts at an odd offset, from the offsets' low bytes in one pass."""
        low = self.data[self.offsets_at : self.offsets_at + 4 * self.count : 4]
        return b"\1" in low.translate(_LOW_BIT)

    def drop_cache(self) -> None:
        self._cache.clear()

    def _decode(self, at: int) -> str:
        data = self.data
        if self.utf8:
            at += 2 if data[at] & 0x80 else 1
            if at >= self.strings_end:
                return ""
            length = data[at]
            if length & 0x80:
                length = ((length & 0x7F) << 8) | data[at + 1]
                at += 1
            at += 1
            return data[at : min(at + length, self.strings_end)].decode("utf-8", "replace")
        if at + 2 > self.strings_end:
            return ""
        length = data[at] | data[at + 1] << 8
        at += 2
        if length & 0x8000 and at + 2 <= self.strings_end:
            length = ((length & 0x7FFF) << 16) | data[at] | data[at + 1] << 8
            at += 2
        raw = data[at : min(at + 2 * length, self.strings_end)]
        # Nearly every string is ASCII: every other byte zero, read in one C call.
        if not raw[1::2].strip(b"\0") and len(raw) % 2 == 0:
            return raw[::2].decode("latin-1")
        return _utf16(raw)


_EMPTY_POOL = StringPool(b"", 0, 0, 0, 0, utf8=True)


def _utf16(raw: bytes) -> str:
    return raw.decode("utf-16-le", "replace")


class _TypeChunk(NamedTuple):
    """A named tuple, like ZipEntry: a table has many, built faster than dataclasses."""

    pos: int
    header_size: int
    size: int
    default_config: bool


_new = tuple.__new__
"""Builds a named tuple from a tuple of its fields in one C call (the class call runs a
Python ``__new__``)."""


@dataclass(slots=True)
class _Package:
    types: dict[int, list[_TypeChunk]] = field(default_factory=dict)


class ResourceTable:
    """Index of a resources.arsc; :meth:`resolve` decodes one entry on demand."""

    def __init__(self, data: bytes, *, path: str = "") -> None:
        self.data = data
        self.path = path
        self.strings = StringPool.empty()
        self.packages: dict[int, _Package] = {}
        self._problems: list[str] = []
        self._index()

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(self._problems) + self.strings.problems

    def _index(self) -> None:
        data = self.data
        if len(data) < 12 or _CHUNK.unpack_from(data, 0)[0] != RES_TABLE_TYPE:
            raise ApkError("resources.arsc is not a resource table", path=self.path)
        hsize, size = _CHUNK.unpack_from(data, 0)[1:]
        end = min(size, len(data)) if size >= 12 else len(data)
        for ctype, pos, chsize, csize in self._chunks(max(hsize, 12), end):
            if ctype == RES_STRING_POOL_TYPE and not self.strings.count:
                self.strings = StringPool.parse(
                    data, pos, csize, name="resources.arsc", path=self.path
                )
            elif ctype == RES_TABLE_PACKAGE_TYPE:
                if len(self.packages) >= MAX_PACKAGES:
                    raise ApkLimitError("resources.arsc has too many packages", path=self.path)
                self._index_package(pos, chsize, csize)

    def _chunks(self, pos: int, end: int) -> list[tuple[int, int, int, int]]:
        found: list[tuple[int, int, int, int]] = []
        while pos + 8 <= end:
            ctype, chsize, csize = _CHUNK.unpack_from(self.data, pos)
            if csize < 8 or chsize < 8 or chsize > csize or pos + csize > end:
                self._problems.append(f"resources.arsc: damaged chunk at offset {pos}")
                break
            if len(found) >= MAX_TYPE_CHUNKS:
                raise ApkLimitError("resources.arsc has too many chunks", path=self.path)
            found.append((ctype, pos, chsize, csize))
            pos += csize
        return found

    def _index_package(self, pos: int, hsize: int, size: int) -> None:
        if hsize < 12:
            return
        package_id = _U32.unpack_from(self.data, pos + 8)[0] & 0xFF
        package = self.packages.setdefault(package_id, _Package())
        for ctype, cpos, chsize, csize in self._chunks(pos + hsize, pos + size):
            if ctype != RES_TABLE_TYPE_TYPE or chsize < 8 + _TYPE_HEADER.size + 4:
                continue
            type_id = self.data[cpos + 8]
            config_at = cpos + 8 + _TYPE_HEADER.size
            config_size = _U32.unpack_from(self.data, config_at)[0]
            config_end, chunk_end = config_at + config_size, cpos + chsize
            config = self.data[config_at + 4 : config_end if config_end < chunk_end else chunk_end]
            chunk = _new(_TypeChunk, (cpos, chsize, csize, not config.strip(b"\0")))
            package.types.setdefault(type_id, []).append(chunk)

    def resolve(self, res_id: int) -> str | None:
        """Text of a resource (default configuration first), following references.

        Returns ``None`` when the id is unknown or its value is not a string
        (a string resource gives its text, an xml/raw file its path in the APK).
        """
        for _ in range(MAX_REFERENCE_HOPS):
            value = self._value(res_id)
            if value is None:
                return None
            vtype, data = value
            if vtype == TYPE_STRING:
                return self.strings.get(data)
            if vtype != TYPE_REFERENCE or not data:
                return None
            res_id = data
        return None

    def _value(self, res_id: int) -> tuple[int, int] | None:
        package = self.packages.get(res_id >> 24)
        chunks = package.types.get((res_id >> 16) & 0xFF, []) if package else []
        entry = res_id & 0xFFFF
        # Default configuration first, otherwise in file order.
        ordered = [c for c in chunks if c.default_config] + [
            c for c in chunks if not c.default_config
        ]
        for chunk in ordered:
            try:
                found = self._entry_value(chunk, entry)
            except (struct.error, IndexError):
                found = None
            if found is not None:
                return found
        return None

    def _entry_value(self, chunk: _TypeChunk, entry: int) -> tuple[int, int] | None:
        data = self.data
        flags, _, count, entries_start = _TYPE_HEADER.unpack_from(data, chunk.pos + 8)[1:]
        table = chunk.pos + chunk.header_size
        width = 2 if flags & _FLAG_OFFSET16 and not flags & _FLAG_SPARSE else 4
        if table + width * count > chunk.pos + chunk.size:
            return None
        offset = _entry_offset(data, table, flags, count, entry)
        if offset is None:
            return None
        at = chunk.pos + entries_start + offset
        if at + _ENTRY.size > chunk.pos + chunk.size:
            return None
        esize, eflags, word = _ENTRY.unpack_from(data, at)
        if eflags & _ENTRY_COMPACT:
            return eflags >> 8, word
        if eflags & _ENTRY_COMPLEX or at + esize + _VALUE.size > chunk.pos + chunk.size:
            return None
        _, _, vtype, vdata = _VALUE.unpack_from(data, at + esize)
        return vtype, vdata


def _entry_offset(data: bytes, table: int, flags: int, count: int, entry: int) -> int | None:
    """Where ``entry`` starts relative to the entries, from the dense, 16-bit or sparse index."""
    if flags & _FLAG_SPARSE:
        # Sparse tables list (entry index, offset / 4) pairs sorted by index.
        lo, hi = 0, count
        while lo < hi:
            mid = (lo + hi) // 2
            idx, off = struct.unpack_from("<HH", data, table + 4 * mid)
            if idx == entry:
                return int(off) * 4
            lo, hi = (mid + 1, hi) if idx < entry else (lo, mid)
        return None
    if entry >= count:
        return None
    if flags & _FLAG_OFFSET16:
        off16 = struct.unpack_from("<H", data, table + 2 * entry)[0]
        return None if off16 == 0xFFFF else off16 * 4
    off32: int = _U32.unpack_from(data, table + 4 * entry)[0]
    return None if off32 == NO_INDEX else off32
