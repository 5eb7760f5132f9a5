"""Android binary XML (AXML): AndroidManifest.xml and compiled res/xml files.

The walk follows libandroidfw's ResXMLTree: chunks before the first XML node
may be string pools and resource maps (the last of each wins, as on Android),
unknown chunk types are skipped, the file header's type is not checked.
Attribute names are resolved by resource id when the resource map gives one,
because Android reads attributes by id only; malware blanks or renames the
names in the string pool to confuse tools that read names.

Android refuses some damage this parser tolerates (unaligned chunk sizes, a
header size larger than the file, attributes that overflow their element):
each is recorded in :attr:`XmlDocument.problems` and parsing goes on.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from unstalk.apk.fast_init import fast_init
from unstalk.apk.parsers.arsc import (
    NO_INDEX,
    TYPE_INT_DEC,
    TYPE_INT_HEX,
    TYPE_LAST_INT,
    TYPE_REFERENCE,
    TYPE_STRING,
    StringPool,
    format_value,
    signed32,
)
from unstalk.errors import ApkError, ApkLimitError

ANDROID_NS = "http://schemas.android.com/apk/res/android"

ANDROID_ATTRS: Mapping[str, int] = {
    # Ids from the framework's public.xml (checked against android-framework-res);
    # public attribute ids never change between releases.
    "theme": 0x01010000,
    "label": 0x01010001,
    "icon": 0x01010002,
    "name": 0x01010003,
    "permission": 0x01010006,
    "readPermission": 0x01010007,
    "writePermission": 0x01010008,
    "protectionLevel": 0x01010009,
    "sharedUserId": 0x0101000B,
    "hasCode": 0x0101000C,
    "persistent": 0x0101000D,
    "enabled": 0x0101000E,
    "debuggable": 0x0101000F,
    "exported": 0x01010010,
    "process": 0x01010011,
    "taskAffinity": 0x01010012,
    "excludeFromRecents": 0x01010017,
    "authorities": 0x01010018,
    "grantUriPermissions": 0x0101001B,
    "priority": 0x0101001C,
    "launchMode": 0x0101001D,
    "description": 0x01010020,
    "value": 0x01010024,
    "resource": 0x01010025,
    "mimeType": 0x01010026,
    "scheme": 0x01010027,
    "host": 0x01010028,
    "port": 0x01010029,
    "path": 0x0101002A,
    "pathPrefix": 0x0101002B,
    "pathPattern": 0x0101002C,
    "summary": 0x010101E9,
    "targetActivity": 0x01010202,
    "minSdkVersion": 0x0101020C,
    "versionCode": 0x0101021B,
    "versionName": 0x0101021C,
    "settingsActivity": 0x01010225,
    "sharedUserLabel": 0x01010261,
    "targetSdkVersion": 0x01010270,
    "maxSdkVersion": 0x01010271,
    "testOnly": 0x01010272,
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
    "isolatedProcess": 0x010103A9,
    "canRequestTouchExplorationMode": 0x010103D7,
    "canRequestEnhancedWebAccessibility": 0x010103D8,
    "canRequestFilterKeyEvents": 0x010103D9,
    "usesCleartextTraffic": 0x010104EC,
    "autoVerify": 0x010104EE,
    "directBootAware": 0x01010505,
    "canPerformGestures": 0x0101050D,
    "networkSecurityConfig": 0x01010527,
    "compileSdkVersion": 0x01010572,
    "foregroundServiceType": 0x01010599,
    "requestLegacyExternalStorage": 0x01010603,
    "canTakeScreenshot": 0x0101060F,
    "isAccessibilityTool": 0x01010641,
    "usesPermissionFlags": 0x01010644,
}
"""``android:`` attribute names to their framework resource ids."""
ANDROID_ATTRS_BY_ID: Mapping[int, str] = {v: k for k, v in ANDROID_ATTRS.items()}


MAX_DEPTH = 100
MAX_ELEMENTS = 200_000
MAX_ATTRIBUTES = 300_000

RES_STRING_POOL_TYPE = 0x0001
RES_XML_RESOURCE_MAP_TYPE = 0x0180
RES_XML_FIRST_CHUNK_TYPE = 0x0100
RES_XML_LAST_CHUNK_TYPE = 0x017F
RES_XML_START_NAMESPACE_TYPE = 0x0100
RES_XML_START_ELEMENT_TYPE = 0x0102
RES_XML_END_ELEMENT_TYPE = 0x0103

_CHUNK = struct.Struct("<HHI")
_ATTR_EXT = struct.Struct("<IIHHH")
_ATTR = struct.Struct("<IIIHBBI")
_NODE_HEADER = 16
_PRELOAD_MAX = 8192
"""String pools up to this size are decoded whole: a manifest uses nearly all its strings."""


# Attribute and Element are named tuples rather than frozen dataclasses: a frozen
# dataclass sets each field through object.__setattr__, which made building them over a
# quarter of the time spent reading a small manifest. They are as immutable either way.


class Attribute(NamedTuple):
    """One attribute with its typed value (``type``/``data`` as in Android's Res_value)."""

    namespace: str
    name: str
    """Framework name when the resource id is a known ``android:`` one, else the pool's."""
    resource_id: int | None
    type: int
    data: int
    raw: str | None
    """The raw string the compiler kept, when it kept one."""
    text: str
    """The value as text: strings as is, ``@0x7f0a0001`` references, ``true``/``false`` ..."""

    @property
    def reference(self) -> int | None:
        """The resource id this value points to (``@...``), else ``None``."""
        return self.data if self.type == TYPE_REFERENCE and self.data else None

    def as_int(self) -> int | None:
        """Integer value (decimal, hex or boolean; numeric strings too), else ``None``."""
        if self.type == TYPE_INT_DEC:
            return signed32(self.data)
        if TYPE_INT_HEX <= self.type <= TYPE_LAST_INT:
            return self.data
        if self.type == TYPE_STRING:
            try:
                return int(self.text.strip(), 0)
            except ValueError:
                return None
        return None

    def as_bool(self) -> bool | None:
        """Boolean value, also from integers and ``"true"``/``"false"`` strings."""
        if TYPE_INT_DEC <= self.type <= TYPE_LAST_INT:
            return self.data != 0
        if self.type == TYPE_STRING and self.text.lower() in ("true", "false"):
            return self.text.lower() == "true"
        return None


class Element(NamedTuple):
    """One XML element; attributes in file order, children in document order."""

    tag: str
    namespace: str
    attributes: tuple[Attribute, ...]
    children: tuple[Element, ...] = ()

    def attr(self, name: str, namespace: str = ANDROID_NS) -> Attribute | None:
        """Find an attribute as Android does: ``android:*`` ones by resource id.

        Names Android knows no id for (``package``, ``platformBuildVersionCode``)
        match on namespace and name; pass ``namespace=""`` for those without one.
        """
        rid = ANDROID_ATTRS.get(name) if namespace == ANDROID_NS else None
        if rid is not None:
            for a in self.attributes:
                if a.resource_id == rid:
                    return a
            return None
        for a in self.attributes:
            if a.name == name and a.namespace == namespace and a.resource_id is None:
                return a
        return None

    def get(self, name: str, namespace: str = ANDROID_NS) -> str | None:
        """The attribute's value as text (``None`` when absent)."""
        found = self.attr(name, namespace)
        return None if found is None else found.text

    def iter(self, *tags: str) -> Iterator[Element]:
        """Direct children, only those with one of ``tags`` when given."""
        # A list, not a generator: a manifest has few children per element, and resuming
        # a generator for each costs more than filtering them at once.
        return iter([c for c in self.children if c.tag in tags] if tags else self.children)


_new = tuple.__new__
"""Builds a named tuple from a tuple of its fields in one C call (the class call runs a
Python ``__new__``)."""


@fast_init
@dataclass(frozen=True, slots=True)
class XmlDocument:
    root: Element
    problems: tuple[str, ...] = ()


_Open = tuple[str, str, tuple[Attribute, ...], list[Element]]
"""An element being read: tag, namespace, attributes, the children closed so far."""


class _Parser:
    def __init__(self, data: bytes, name: str, path: str) -> None:
        self.data = data
        self.name = name
        self.path = path
        self.problems: list[str] = []
        self.pool = StringPool.empty()
        self.res_ids: tuple[int, ...] = ()
        self.stack: list[_Open] = []
        self.root: Element | None = None
        self.elements = 0
        self.attributes = 0
        self.after_root = False
        self.unmapped = False

    def note(self, text: str) -> None:
        self.problems.append(f"{self.name}: {text}")

    def error(self, text: str) -> ApkError:
        return ApkError(f"{self.name} {text}", path=self.path)

    def limit(self, text: str) -> ApkLimitError:
        return ApkLimitError(f"{self.name} {text}", path=self.path)

    def run(self) -> XmlDocument:
        end = self._document_end()
        header_size = _CHUNK.unpack_from(self.data, 0)[1]
        pos = header_size if 8 <= header_size <= end else 8
        in_nodes = False
        while pos + 8 <= end and not self.after_root:
            ctype, hsize, size = _CHUNK.unpack_from(self.data, pos)
            if size < 8 or hsize < 8 or hsize > size or pos + size > end:
                self.note(f"damaged chunk at offset {pos}; the rest of the file was ignored")
                break
            if RES_XML_FIRST_CHUNK_TYPE <= ctype <= RES_XML_LAST_CHUNK_TYPE:
                in_nodes = True
                self._node(ctype, pos, hsize, size)
            elif not in_nodes and ctype == RES_STRING_POOL_TYPE:
                self.pool = StringPool.parse(self.data, pos, size, name=self.name, path=self.path)
                if self.pool.count <= _PRELOAD_MAX:
                    self.pool.preload()
            elif not in_nodes and ctype == RES_XML_RESOURCE_MAP_TYPE:
                count = (size - hsize) // 4
                self.res_ids = struct.unpack_from(f"<{count}I", self.data, pos + hsize)
            pos += size
        return self._finish()

    def _document_end(self) -> int:
        if len(self.data) < 8:
            raise self.error("is too short to be binary XML")
        if self.data[:64].lstrip()[:1] == b"<":
            raise self.error("is plain-text XML, not the compiled binary XML Android reads")
        size: int = _CHUNK.unpack_from(self.data, 0)[2]
        if size > len(self.data) or size < 8:
            self.note("the file header gives a wrong total size (Android would refuse it)")
            return len(self.data)
        return size

    def _finish(self) -> XmlDocument:
        if self.stack:
            self.note("the file ends inside an element")
            while self.stack:
                self._end_element()
        if self.root is None:
            raise self.error("holds no XML element (damaged or not binary XML)")
        if self.unmapped:
            self.note("there is no resource map; android attributes were matched by name")
        self.pool.drop_cache()
        return XmlDocument(self.root, tuple(self.problems) + self.pool.problems)

    def _node(self, ctype: int, pos: int, hsize: int, size: int) -> None:
        if hsize < _NODE_HEADER:
            self.note(f"XML node at offset {pos} has a short header")
        if ctype == RES_XML_START_ELEMENT_TYPE:
            if size - hsize < _ATTR_EXT.size:
                self.note(f"element at offset {pos} is cut short and was skipped")
                return
            self._start_element(pos + hsize, pos + size)
        elif ctype == RES_XML_END_ELEMENT_TYPE and self.stack:
            self._end_element()

    def _start_element(self, ext: int, chunk_end: int) -> None:
        if self.root is not None:
            self.after_root = True
            self.note("content after the root element was ignored")
            return
        self.elements += 1
        if self.elements > MAX_ELEMENTS:
            raise self.limit(f"has more than {MAX_ELEMENTS:,} elements")
        if len(self.stack) >= MAX_DEPTH:
            raise self.limit(f"nests elements deeper than {MAX_DEPTH} levels")
        ns_idx, name_idx, attr_start, attr_size, attr_count = _ATTR_EXT.unpack_from(self.data, ext)
        attrs = self._attributes(ext + attr_start, attr_size, attr_count, chunk_end)
        get = self.pool.get
        self.stack.append((get(name_idx), get(ns_idx), attrs, []))

    def _end_element(self) -> None:
        tag, namespace, attributes, children = self.stack.pop()
        done = _new(Element, (tag, namespace, attributes, tuple(children)))
        if self.stack:
            self.stack[-1][3].append(done)
        else:
            self.root = done

    def _attributes(
        self, first: int, stride: int, count: int, chunk_end: int
    ) -> tuple[Attribute, ...]:
        if count and first + stride * (count - 1) + _ATTR.size > chunk_end:
            self.note("an element's attributes overflow it (Android would refuse the file)")
        self.attributes += count
        if self.attributes > MAX_ATTRIBUTES:
            raise self.limit(f"has more than {MAX_ATTRIBUTES:,} attributes")
        stop = len(self.data) - _ATTR.size + 1
        if first >= stop:
            return ()
        if not stride:
            # A zero stride names one record ``count`` times: it is decoded once.
            return self._decode([_ATTR.unpack_from(self.data, first)]) * count
        last = first + stride * count
        places = range(first, last if last < stop else stop, stride)
        if stride == _ATTR.size:
            # The layout compilers write: the records side by side, unpacked in one call.
            return self._decode(_ATTR.iter_unpack(self.data[first : first + stride * len(places)]))
        return self._decode([_ATTR.unpack_from(self.data, at) for at in places])

    def _decode(self, records: Iterable[tuple[int, ...]]) -> tuple[Attribute, ...]:
        get = self.pool.get
        res_ids = self.res_ids
        mapped = len(res_ids)
        out: list[Attribute] = []
        for ns_idx, name_idx, raw_idx, _, _, vtype, vdata in records:
            namespace = get(ns_idx)
            rid = res_ids[name_idx] if name_idx < mapped else 0
            name = ANDROID_ATTRS_BY_ID.get(rid, "") if rid else ""
            if not name:
                name = get(name_idx) or (f"0x{rid:08x}" if rid else "")
            if not mapped and namespace == ANDROID_NS:
                self.unmapped = True
                rid = ANDROID_ATTRS.get(name, 0)
            raw = get(raw_idx) if raw_idx != NO_INDEX else None
            text = get(vdata) if vtype == TYPE_STRING else format_value(vtype, vdata, raw)
            out.append(_new(Attribute, (namespace, name, rid or None, vtype, vdata, raw, text)))
        return tuple(out)


def parse_axml(data: bytes, *, name: str = "AndroidManifest.xml", path: str = "") -> XmlDocument:
    """Parse compiled binary XML into an element tree.

    ``name`` (the entry) and ``path`` (the APK) only label errors and problems.
    Raises :class:`ApkError` when no element can be read and
    :class:`ApkLimitError` past :data:`MAX_DEPTH`, :data:`MAX_ELEMENTS` or
    :data:`MAX_ATTRIBUTES`.
    """
    return _Parser(bytes(data), name, path).run()
