"""A tolerant, bounded reader of the ZIP container of an APK.

Own reader rather than :mod:`zipfile` or apkInspector: ``zipfile`` refuses
archives Android installs (bytes before the archive, a central directory that
lies about its size, unknown compression methods), and apkInspector is untyped
and reads every entry eagerly. Reading only the directory and inflating only
the entries asked for keeps a 100 MB APK cheap.

Behaviour follows Android's libziparchive where it matters for what Android
would load: the central directory is authoritative (names, sizes, method), any
compression method other than 0 (stored) is inflated as deflate, and sizes come
from the central directory so data descriptors need no special handling.
Where Android would refuse the archive (duplicate names, a local header that
disagrees with the directory) the reader records a problem and goes on: a
forensic reader must still show what is inside.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from unstalk.errors import ApkError, ApkLimitError

DEFAULT_ENTRY_LIMIT = 256 * 1024 * 1024
"""Largest decompressed entry :meth:`ApkZip.read` returns unless told otherwise."""
MAX_TOTAL_READ = 1024 * 1024 * 1024
"""Decompressed bytes one :class:`ApkZip` hands out over its lifetime."""
MAX_ENTRIES = 100_000
MAX_RATIO = 1000
"""Deflate cannot exceed about 1032:1; above this on a large entry it is a zip bomb."""
RATIO_MIN_OUTPUT = 1024 * 1024
"""Ratio guard applies only past this output size (tiny files compress absurdly well)."""

STORED = 0
DEFLATED = 8
FLAG_DATA_DESCRIPTOR = 0x0008

_EOCD_SIG = b"PK\x05\x06"
_CDH_SIG = b"PK\x01\x02"
_LFH_SIG = b"PK\x03\x04"
_EOCD = struct.Struct("<4sHHHHIIH")
_CDH = struct.Struct("<4sHHHHHHIIIHHHHHII")
_LFH = struct.Struct("<4sHHHHHIIIHH")
_MAX_COMMENT = 0xFFFF
_INFLATE_STEP = 16 * 1024

NOT_A_ZIP = "This file is not an APK (no ZIP directory found)."


@dataclass(frozen=True, slots=True)
class ZipEntry:
    """One archive member as the central directory (or a local header) describes it."""

    name: str
    compression_method: int
    """As recorded; Android inflates every method other than 0 (stored)."""
    compressed_size: int
    """-1 when unknown (entry found by scanning, sizes deferred to a data descriptor)."""
    uncompressed_size: int
    local_header_offset: int
    """Absolute position of the local header in :attr:`ApkZip.data` (prefix included)."""
    crc32: int
    flags: int

    @property
    def is_stored(self) -> bool:
        return self.compression_method == STORED


@dataclass(frozen=True, slots=True)
class _Eocd:
    offset: int
    entry_count: int
    cd_size: int
    cd_offset: int
    comment: bytes


class ApkZip:
    """Read-only view of an APK's ZIP structure; entries are inflated on demand.

    ``eocd_offset`` and ``central_directory_offset`` are absolute positions in
    ``data`` (the APK Signing Block ends right before the central directory),
    or ``None`` when no usable central directory exists and the entries were
    recovered by scanning local headers (Android would not install such a file).
    """

    def __init__(
        self,
        data: bytes,
        entries: dict[str, ZipEntry],
        names: tuple[str, ...],
        *,
        eocd: _Eocd | None,
        central_directory_offset: int | None,
        problems: list[str],
        path: str,
    ) -> None:
        self.data = data
        self._view = memoryview(data)
        self.path = path
        self._entries = entries
        self.names = names
        self.eocd_offset = eocd.offset if eocd else None
        self.central_directory_offset = central_directory_offset
        self.comment = eocd.comment if eocd else b""
        self.prefix_size = 0
        if eocd is not None and central_directory_offset is not None:
            self.prefix_size = central_directory_offset - eocd.cd_offset
        self._problems = problems
        self._read_total = 0

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview, *, path: str = "") -> ApkZip:
        """Index an APK held in memory; raise :class:`ApkError` when it is not a ZIP."""
        raw = data if isinstance(data, bytes) else bytes(data)
        problems: list[str] = []
        eocd = _find_eocd(raw, problems)
        cd_start: int | None = None
        entries: list[ZipEntry] = []
        if eocd is None:
            problems.append("The ZIP end-of-directory record is missing (file truncated?).")
        else:
            cd_start = _locate_cd(raw, eocd, problems)
            if cd_start is not None:
                entries = _read_cd(raw, eocd, cd_start, problems, path)
                if entries and len(entries) < eocd.entry_count:
                    entries += _recover_missing(raw, entries, problems, path)
        if not entries and (
            cd_start is None or eocd is None or eocd.entry_count or raw.startswith(_LFH_SIG)
        ):
            entries = _scan_local_headers(raw, path)
            if not entries:
                raise ApkError(NOT_A_ZIP, path=path)
            problems.append(
                "The ZIP central directory is unreadable; entries were recovered "
                "from local headers (Android would refuse this file)."
            )
            cd_start = None
        by_name, names = _index(entries, problems)
        _check_local_headers(raw, by_name, problems)
        return cls(
            raw,
            by_name,
            names,
            eocd=eocd,
            central_directory_offset=cd_start,
            problems=problems,
            path=path,
        )

    @property
    def entries(self) -> Mapping[str, ZipEntry]:
        return self._entries

    @property
    def problems(self) -> tuple[str, ...]:
        """What does not hold in the container (each a plain sentence)."""
        return tuple(self._problems)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[ZipEntry]:
        return (self._entries[n] for n in self.names)

    def read(self, name: str, *, limit: int = DEFAULT_ENTRY_LIMIT) -> bytes:
        """Return an entry's decompressed bytes; ``KeyError`` when there is no such entry.

        The sizes the directory declares are not trusted: output is bounded
        while inflating. Raises :class:`ApkLimitError` when the entry would
        exceed ``limit``, looks like a zip bomb, or the archive's total read
        budget is spent, and :class:`ApkError` when its data is unreadable.
        """
        entry = self._entries[name]
        budget = min(limit, MAX_TOTAL_READ - self._read_total)
        start = self._data_start(entry)
        if self._stored(entry):
            out = self._read_stored(entry, start, budget, limit)
        else:
            out = self._inflate(entry, start, budget, limit)
        self._read_total += len(out)
        if len(out) != entry.uncompressed_size:
            self._problems.append(
                f"The entry {name!r} holds {len(out)} bytes, not the "
                f"{entry.uncompressed_size} its directory record says."
            )
        elif zlib.crc32(out) != entry.crc32:
            self._problems.append(f"The data of {name!r} does not match its CRC-32.")
        return out

    def _stored(self, entry: ZipEntry) -> bool:
        """Whether to copy the entry rather than inflate it.

        Android's two readers differ on unknown methods: the signature and
        dex path inflates anything not stored, the resource path reads
        anything not deflated as stored, which malware uses to hide a stored
        manifest behind a bogus method. Equal sizes tell which one applies.
        """
        if entry.compression_method in (STORED, DEFLATED):
            return entry.is_stored
        self._problems.append(
            f"The entry {entry.name!r} declares the unknown compression method "
            f"{entry.compression_method} (a trick to break analysis tools)."
        )
        return entry.compressed_size == entry.uncompressed_size

    def _too_big(self, name: str, budget: int, limit: int) -> ApkLimitError:
        if budget < limit:
            return ApkLimitError(
                f"reading {name!r} would exceed the {MAX_TOTAL_READ >> 20} MiB "
                "total decompression limit for one APK",
                path=self.path,
            )
        return ApkLimitError(
            f"the entry {name!r} is larger than the {limit:,}-byte safety limit",
            path=self.path,
        )

    def _data_start(self, entry: ZipEntry) -> int:
        off = entry.local_header_offset
        if off < 0 or off + _LFH.size > len(self._view):
            raise ApkError(f"the entry {entry.name!r} points outside the file", path=self.path)
        sig, _, _, method, *_, name_len, extra_len = _LFH.unpack_from(self._view, off)
        if sig != _LFH_SIG:
            raise ApkError(
                f"the entry {entry.name!r} has no local header where the directory says",
                path=self.path,
            )
        if method != entry.compression_method:
            self._problems.append(
                f"The entry {entry.name!r} has a different compression method in its "
                "local header; the central directory's was used, as Android does."
            )
        start: int = off + _LFH.size + name_len + extra_len
        return start

    def _read_stored(self, entry: ZipEntry, start: int, budget: int, limit: int) -> bytes:
        size = entry.uncompressed_size
        if size > budget:
            raise self._too_big(entry.name, budget, limit)
        if start + size > len(self._view):
            raise ApkError(f"the entry {entry.name!r} is cut short", path=self.path)
        return bytes(self._view[start : start + size])

    def _inflate(self, entry: ZipEntry, start: int, budget: int, limit: int) -> bytes:
        end = len(self._view) if entry.compressed_size < 0 else start + entry.compressed_size
        if end > len(self._view):
            raise ApkError(f"the entry {entry.name!r} is cut short", path=self.path)
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        parts: list[bytes] = []
        produced = 0
        # Small input steps bound what one call can produce before the ratio check.
        for pos in range(start, end, _INFLATE_STEP):
            try:
                part = inflater.decompress(
                    self._view[pos : min(pos + _INFLATE_STEP, end)], budget - produced + 1
                )
            except zlib.error as e:
                raise ApkError(f"the entry {entry.name!r} is damaged ({e})", path=self.path) from e
            produced += len(part)
            parts.append(part)
            if produced > budget:
                raise self._too_big(entry.name, budget, limit)
            if produced > RATIO_MIN_OUTPUT and produced > MAX_RATIO * (pos + _INFLATE_STEP - start):
                raise ApkLimitError(
                    f"the entry {entry.name!r} expands more than {MAX_RATIO}:1 (a zip bomb)",
                    path=self.path,
                )
            if inflater.eof:
                break
        if not inflater.eof:
            self._problems.append(f"The compressed data of {entry.name!r} ends early.")
        return b"".join(parts)


def _find_eocd(data: bytes, problems: list[str]) -> _Eocd | None:
    """The end record whose comment ends the file, scanning backwards as Android does.

    Android and apksig refuse a file whose end record does not end it; failing
    an exact fit, the last record whose comment fits is used and noted.
    """
    size = len(data)
    if size < _EOCD.size:
        return None
    lo = max(0, size - _EOCD.size - _MAX_COMMENT)
    fallback: _Eocd | None = None
    pos = data.rfind(_EOCD_SIG, lo)
    while pos >= 0:
        if pos + _EOCD.size > size:
            pos = data.rfind(_EOCD_SIG, lo, pos)
            continue
        _, _, _, _, count, cd_size, cd_off, clen = _EOCD.unpack_from(data, pos)
        end = pos + _EOCD.size + clen
        record = _Eocd(pos, count, cd_size, cd_off, data[pos + _EOCD.size : end])
        if end == size:
            return record
        if end < size and fallback is None:
            fallback = record
        pos = data.rfind(_EOCD_SIG, lo, pos)
    if fallback is not None:
        problems.append("There are extra bytes after the ZIP end record (Android refuses this).")
    return fallback


def _locate_cd(data: bytes, eocd: _Eocd, problems: list[str]) -> int | None:
    """Return where the central directory really starts, allowing bytes before the archive."""
    recorded = eocd.cd_offset
    if recorded <= eocd.offset and _cd_starts_at(data, recorded, eocd):
        end = recorded + eocd.cd_size
        if end > eocd.offset:
            problems.append(
                "The ZIP central directory runs into its end record (Android refuses this file)."
            )
        elif end < eocd.offset:
            problems.append("There are extra bytes between the ZIP central directory and its end.")
        return recorded
    actual = eocd.offset - eocd.cd_size
    if actual > recorded and _cd_starts_at(data, actual, eocd):
        problems.append(f"The APK has {actual - recorded} unexpected bytes before the ZIP archive.")
        return actual
    problems.append("The ZIP end record points to no central directory.")
    return None


def _cd_starts_at(data: bytes, pos: int, eocd: _Eocd) -> bool:
    if eocd.cd_size == 0 and eocd.entry_count == 0:
        return pos + eocd.cd_size == eocd.offset
    return pos + 4 <= eocd.offset and data[pos : pos + 4] == _CDH_SIG


def _read_cd(
    data: bytes, eocd: _Eocd, cd_start: int, problems: list[str], path: str
) -> list[ZipEntry]:
    prefix = cd_start - eocd.cd_offset
    entries: list[ZipEntry] = []
    pos = cd_start
    limit = eocd.offset
    while pos + _CDH.size <= limit and data[pos : pos + 4] == _CDH_SIG:
        if len(entries) >= MAX_ENTRIES:
            raise ApkLimitError(f"the APK has more than {MAX_ENTRIES:,} entries", path=path)
        (_, _, _, flags, method, _, _, crc, csize, usize, nlen, xlen, clen, *_, lho) = (
            _CDH.unpack_from(data, pos)
        )
        name_end = pos + _CDH.size + nlen
        if name_end > limit:
            break
        name = _decode_name(data[pos + _CDH.size : name_end])
        entries.append(ZipEntry(name, method, csize, usize, lho + prefix, crc, flags))
        pos = name_end + xlen + clen
    if len(entries) != eocd.entry_count:
        problems.append(
            f"The ZIP directory announces {eocd.entry_count} entries but holds "
            f"{len(entries)} readable ones."
        )
    return entries


def _recover_missing(
    raw: bytes, known: list[ZipEntry], problems: list[str], path: str
) -> list[ZipEntry]:
    names = {e.name for e in known}
    extra = [e for e in _scan_local_headers(raw, path) if e.name not in names]
    if extra:
        problems.append(
            f"{len(extra)} entries missing from the damaged ZIP directory were recovered "
            "from local headers."
        )
    return extra


def _scan_local_headers(raw: bytes, path: str) -> list[ZipEntry]:
    """Recover entries from local headers when there is no usable central directory."""
    entries: list[ZipEntry] = []
    pos = raw.find(_LFH_SIG)
    while pos >= 0 and pos + _LFH.size <= len(raw):
        if len(entries) >= MAX_ENTRIES:
            raise ApkLimitError(f"the APK has more than {MAX_ENTRIES:,} entries", path=path)
        _, _, flags, method, _, _, crc, csize, usize, nlen, xlen = _LFH.unpack_from(raw, pos)
        data_start = pos + _LFH.size + nlen + xlen
        if data_start > len(raw):
            break
        name = _decode_name(raw[pos + _LFH.size : pos + _LFH.size + nlen])
        deferred = bool(flags & FLAG_DATA_DESCRIPTOR) and csize == 0
        size = -1 if deferred and method != STORED else csize
        entries.append(ZipEntry(name, method, size, usize, pos, crc, flags))
        nxt = data_start + (0 if size < 0 else size)
        pos = raw.find(_LFH_SIG, max(nxt, pos + 4))
    return entries


def _check_local_headers(data: bytes, entries: dict[str, ZipEntry], problems: list[str]) -> None:
    """Note names Android's libziparchive rejects: NUL inside, or a local header that differs."""
    odd: list[str] = []
    for name, entry in entries.items():
        off = entry.local_header_offset
        local = None
        if off >= 0 and off + _LFH.size <= len(data) and data[off : off + 4] == _LFH_SIG:
            nlen = _LFH.unpack_from(data, off)[9]
            local = _decode_name(data[off + _LFH.size : off + _LFH.size + nlen])
        if local != name or "\x00" in name:
            odd.append(name)
    if odd:
        shown = ", ".join(repr(n) for n in odd[:5]) + (" ..." if len(odd) > 5 else "")
        problems.append(
            f"{len(odd)} ZIP entries have a name Android refuses (NUL character) or a local "
            f"header that does not match the directory: {shown}."
        )


def _decode_name(raw: bytes) -> str:
    # Android compares names as UTF-8 bytes whatever the language-encoding flag says.
    return raw.decode("utf-8", errors="replace")


def _index(
    entries: list[ZipEntry], problems: list[str]
) -> tuple[dict[str, ZipEntry], tuple[str, ...]]:
    by_name: dict[str, ZipEntry] = {}
    names: list[str] = []
    for entry in entries:
        if entry.name in by_name:
            problems.append(
                f"The ZIP holds the name {entry.name!r} twice (Android refuses such APKs); "
                "the first was used."
            )
            continue
        by_name[entry.name] = entry
        names.append(entry.name)
    return by_name, tuple(names)
