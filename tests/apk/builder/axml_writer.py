"""Android binary XML (AXML), as aapt writes it for AndroidManifest.xml and res/xml files.

Layout: an XML tree chunk holding a string pool, a resource map (the android:* attribute
resource ids, one per leading string of the pool), then namespace and element chunks.
Android resolves android:* attributes by resource id, not by name, which is why malware can
blank the names in the pool; ``blank_attribute_names`` reproduces that trick.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

ANDROID_NS = "http://schemas.android.com/apk/res/android"

RES_STRING_POOL_TYPE = 0x0001
RES_XML_TYPE = 0x0003
RES_XML_START_NAMESPACE_TYPE = 0x0100
RES_XML_END_NAMESPACE_TYPE = 0x0101
RES_XML_START_ELEMENT_TYPE = 0x0102
RES_XML_END_ELEMENT_TYPE = 0x0103
RES_XML_RESOURCE_MAP_TYPE = 0x0180

UTF8_FLAG = 0x100
NO_INDEX = 0xFFFFFFFF

TYPE_REFERENCE = 0x01
TYPE_STRING = 0x03
TYPE_INT_DEC = 0x10
TYPE_INT_HEX = 0x11
TYPE_INT_BOOLEAN = 0x12

# Public resource ids from the platform's framework-res (stable since they were added);
# checked against /usr/share/android-framework-res/framework-res.apk in test_builder.
ANDROID_ATTRS: Mapping[str, int] = {
    "theme": 0x01010000,
    "label": 0x01010001,
    "icon": 0x01010002,
    "name": 0x01010003,
    "permission": 0x01010006,
    "protectionLevel": 0x01010009,
    "sharedUserId": 0x0101000B,
    "hasCode": 0x0101000C,
    "persistent": 0x0101000D,
    "enabled": 0x0101000E,
    "debuggable": 0x0101000F,
    "exported": 0x01010010,
    "process": 0x01010011,
    "priority": 0x0101001C,
    "description": 0x01010020,
    "value": 0x01010024,
    "resource": 0x01010025,
    "scheme": 0x01010027,
    "host": 0x01010028,
    "targetActivity": 0x01010202,
    "minSdkVersion": 0x0101020C,
    "versionCode": 0x0101021B,
    "versionName": 0x0101021C,
    "settingsActivity": 0x01010225,
    "targetSdkVersion": 0x01010270,
    "maxSdkVersion": 0x01010271,
    "allowBackup": 0x01010280,
    "required": 0x0101028E,
    "installLocation": 0x010102B7,
    "stopWithTask": 0x0101036A,
    "accessibilityEventTypes": 0x01010380,
    "packageNames": 0x01010381,
    "accessibilityFeedbackType": 0x01010382,
    "notificationTimeout": 0x01010383,
    "accessibilityFlags": 0x01010384,
    "canRetrieveWindowContent": 0x01010385,
    "canRequestFilterKeyEvents": 0x010103D9,
    "usesCleartextTraffic": 0x010104EC,
    "directBootAware": 0x01010505,
    "compileSdkVersion": 0x01010572,
    "compileSdkVersionCodename": 0x01010573,
    "foregroundServiceType": 0x01010599,
}


@dataclass(frozen=True, slots=True)
class Ref:
    """A resource reference such as ``@string/app_name`` (0x7f010000)."""

    res_id: int


@dataclass(frozen=True, slots=True)
class HexInt:
    """An integer written as TYPE_INT_HEX, as aapt does for flag attributes."""

    value: int


AttrValue = str | bool | int | HexInt | Ref


@dataclass(frozen=True, slots=True)
class Element:
    """One XML element; attribute names are ``android:xxx`` or plain (``package``)."""

    tag: str
    attrs: tuple[tuple[str, AttrValue], ...] = ()
    children: tuple[Element, ...] = ()


def el(tag: str, attrs: Mapping[str, AttrValue] | None = None, *children: Element) -> Element:
    """Build an :class:`Element` from a mapping of attributes and child elements."""
    return Element(tag, tuple((attrs or {}).items()), tuple(children))


def chunk(kind: int, header: bytes, body: bytes) -> bytes:
    """A ResChunk: type, header size, total size, then the rest of the header and the body."""
    header_size = 8 + len(header)
    return struct.pack("<HHI", kind, header_size, header_size + len(body)) + header + body


def _length_utf8(n: int) -> bytes:
    if n > 0x7FFF:
        raise ValueError(f"string of {n} units is too long for a UTF-8 pool")
    return bytes([n]) if n < 0x80 else bytes([(n >> 8) | 0x80, n & 0xFF])


def _encode_pool_string(text: str, utf8: bool) -> bytes:
    utf16 = text.encode("utf-16-le")
    units = len(utf16) // 2
    if utf8:
        raw = text.encode("utf-8", "surrogatepass")
        return _length_utf8(units) + _length_utf8(len(raw)) + raw + b"\x00"
    if units > 0x7FFF:
        prefix = struct.pack("<HH", (units >> 16) | 0x8000, units & 0xFFFF)
    else:
        prefix = struct.pack("<H", units)
    return prefix + utf16 + b"\x00\x00"


def string_pool(strings: Iterable[str], *, utf8: bool = False) -> bytes:
    """Encode a ResStringPool chunk (no styles), padded to a 4-byte boundary."""
    data = bytearray()
    offsets: list[int] = []
    for text in strings:
        offsets.append(len(data))
        data += _encode_pool_string(text, utf8)
    data += b"\x00" * (-len(data) % 4)
    count = len(offsets)
    header = struct.pack(
        "<IIIII", count, 0, UTF8_FLAG if utf8 else 0, 28 + 4 * count if count else 0, 0
    )
    return chunk(RES_STRING_POOL_TYPE, header, struct.pack(f"<{count}I", *offsets) + data)


def _split_name(name: str) -> tuple[str | None, str]:
    prefix, sep, local = name.partition(":")
    if not sep:
        return None, name
    if prefix != "android":
        raise ValueError(f"only the android: namespace is supported, not {name!r}")
    if local not in ANDROID_ATTRS:
        raise ValueError(f"unknown android attribute {name!r}: add its id to ANDROID_ATTRS")
    return ANDROID_NS, local


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in element.children:
        yield from _walk(child)


class _Pool:
    """Assigns string indexes: resource-id attribute names first, as the resource map needs."""

    def __init__(self, root: Element, blank_names: bool) -> None:
        ids = sorted(
            {
                ANDROID_ATTRS[_split_name(name)[1]]
                for e in _walk(root)
                for name, _ in e.attrs
                if _split_name(name)[0]
            }
        )
        by_id = {res_id: local for local, res_id in ANDROID_ATTRS.items()}
        self.resource_ids = ids
        self.strings: list[str] = ["" if blank_names else by_id[i] for i in ids]
        self._attr_index = {by_id[i]: n for n, i in enumerate(ids)}
        self._index: dict[str, int] = {}

    def attr_name(self, name: str) -> int:
        namespace, local = _split_name(name)
        return self._attr_index[local] if namespace else self.get(local)

    def get(self, text: str) -> int:
        if text not in self._index:
            self._index[text] = len(self.strings)
            self.strings.append(text)
        return self._index[text]


def _typed_value(pool: _Pool, value: AttrValue) -> tuple[int, int, int]:
    """(raw string index, Res_value data type, data) for one attribute value."""
    if isinstance(value, str):
        index = pool.get(value)
        return index, TYPE_STRING, index
    if isinstance(value, bool):
        return NO_INDEX, TYPE_INT_BOOLEAN, 0xFFFFFFFF if value else 0
    if isinstance(value, HexInt):
        return NO_INDEX, TYPE_INT_HEX, value.value & 0xFFFFFFFF
    if isinstance(value, Ref):
        return NO_INDEX, TYPE_REFERENCE, value.res_id
    return NO_INDEX, TYPE_INT_DEC, value & 0xFFFFFFFF


def _attr_sort_key(name: str) -> tuple[int, str]:
    # Android reads attributes assuming aapt's order: by resource id, unnamespaced last.
    namespace, local = _split_name(name)
    return (ANDROID_ATTRS[local], "") if namespace else (0x7FFFFFFF, local)


def _element_chunks(e: Element, pool: _Pool, ns_index: int, line: list[int]) -> Iterator[bytes]:
    line[0] += 1
    attrs = sorted(e.attrs, key=lambda item: _attr_sort_key(item[0]))
    body = bytearray(
        struct.pack("<IIHHHHHH", NO_INDEX, pool.get(e.tag), 20, 20, len(attrs), 0, 0, 0)
    )
    for name, value in attrs:
        raw, data_type, data = _typed_value(pool, value)
        ns = ns_index if _split_name(name)[0] else NO_INDEX
        body += struct.pack("<IIIHBBI", ns, pool.attr_name(name), raw, 8, 0, data_type, data)
    node = struct.pack("<II", line[0], NO_INDEX)
    yield chunk(RES_XML_START_ELEMENT_TYPE, node, bytes(body))
    for child in e.children:
        yield from _element_chunks(child, pool, ns_index, line)
    line[0] += 1
    end = struct.pack("<IIII", line[0], NO_INDEX, NO_INDEX, pool.get(e.tag))
    yield chunk(RES_XML_END_ELEMENT_TYPE, end[:8], end[8:])


def encode_xml(root: Element, *, utf8: bool = False, blank_attribute_names: bool = False) -> bytes:
    """Encode ``root`` (and its subtree) as Android binary XML.

    ``utf8`` writes a UTF-8 string pool (aapt2's default for res/xml) instead of UTF-16;
    ``blank_attribute_names`` stores every android:* attribute name as an empty string.
    """
    pool = _Pool(root, blank_attribute_names)
    prefix, uri = pool.get("android"), pool.get(ANDROID_NS)
    namespace = struct.pack("<IIII", 1, NO_INDEX, prefix, uri)
    elements = b"".join(_element_chunks(root, pool, uri, [0]))
    resource_map = chunk(
        RES_XML_RESOURCE_MAP_TYPE,
        b"",
        struct.pack(f"<{len(pool.resource_ids)}I", *pool.resource_ids),
    )
    body = (
        string_pool(pool.strings, utf8=utf8)
        + resource_map
        + chunk(RES_XML_START_NAMESPACE_TYPE, namespace[:8], namespace[8:])
        + elements
        + chunk(RES_XML_END_NAMESPACE_TYPE, namespace[:8], namespace[8:])
    )
    return chunk(RES_XML_TYPE, b"", body)
