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

import zlib
from collections.abc import Iterator, Mapping

from unstalk.apk.parsers.zip_directory import (
    DEFLATED,
    FLAG_DATA_DESCRIPTOR,
    LFH,
    LFH_SIG,
    MAX_ENTRIES,
    STORED,
    Eocd,
    ZipEntry,
    check_local_headers,
    find_eocd,
    index_entries,
    locate_cd,
    read_cd,
    recover_missing,
    scan_local_headers,
)
from unstalk.errors import ApkError, ApkLimitError

__all__ = [
    "DEFAULT_ENTRY_LIMIT",
    "DEFLATED",
    "FLAG_DATA_DESCRIPTOR",
    "MAX_ENTRIES",
    "STORED",
    "ApkZip",
    "ZipEntry",
]

DEFAULT_ENTRY_LIMIT = 256 * 1024 * 1024
"""Largest decompressed entry :meth:`ApkZip.read` returns unless told otherwise."""
MAX_TOTAL_READ = 1024 * 1024 * 1024
"""Decompressed bytes one :class:`ApkZip` hands out over its lifetime."""
MAX_RATIO = 1000
"""Deflate cannot exceed about 1032:1; above this on a large entry it is a zip bomb."""
RATIO_MIN_OUTPUT = 1024 * 1024
"""Ratio guard applies only past this output size (tiny files compress absurdly well)."""
MAX_CACHED = 64 * 1024 * 1024
"""Decompressed bytes one :class:`ApkZip` keeps, so an entry read twice (a digest check,
then the analysis) is inflated once."""
_INFLATE_STEP = 16 * 1024

NOT_A_ZIP = "This file is not an APK (no ZIP directory found)."


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
        eocd: Eocd | None,
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
        self._cache: dict[str, bytes] = {}
        self._cached = 0

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview, *, path: str = "") -> ApkZip:
        """Index an APK held in memory; raise :class:`ApkError` when it is not a ZIP."""
        raw = data if isinstance(data, bytes) else bytes(data)
        problems: list[str] = []
        eocd = find_eocd(raw, problems)
        cd_start: int | None = None
        entries: list[ZipEntry] = []
        if eocd is None:
            problems.append("The ZIP end-of-directory record is missing (file truncated?).")
        else:
            cd_start = locate_cd(raw, eocd, problems)
            if cd_start is not None:
                entries = read_cd(raw, eocd, cd_start, problems, path)
                if entries and len(entries) < eocd.entry_count:
                    entries += recover_missing(raw, entries, problems, path)
        if not entries and (
            cd_start is None or eocd is None or eocd.entry_count or raw.startswith(LFH_SIG)
        ):
            entries = scan_local_headers(raw, path)
            if not entries:
                raise ApkError(NOT_A_ZIP, path=path)
            problems.append(
                "The ZIP central directory is unreadable; entries were recovered "
                "from local headers (Android would refuse this file)."
            )
            cd_start = None
        by_name, names = index_entries(entries, problems)
        check_local_headers(raw, by_name, problems)
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
        """What does not hold in the container (each a plain sentence, each once)."""
        return tuple(dict.fromkeys(self._problems))

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
        cached = self._cache.get(name)
        if cached is not None and len(cached) <= limit:
            return cached
        left = MAX_TOTAL_READ - self._read_total
        budget = limit if limit < left else left
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
        if self._cached + len(out) <= MAX_CACHED:
            self._cache[name] = out
            self._cached += len(out)
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
        if off < 0 or off + LFH.size > len(self._view):
            raise ApkError(f"the entry {entry.name!r} points outside the file", path=self.path)
        header = LFH.unpack_from(self._view, off)
        sig, method, name_len, extra_len = header[0], header[3], header[-2], header[-1]
        if sig != LFH_SIG:
            raise ApkError(
                f"the entry {entry.name!r} has no local header where the directory says",
                path=self.path,
            )
        if method != entry.compression_method:
            self._problems.append(
                f"The entry {entry.name!r} has a different compression method in its "
                "local header; the central directory's was used, as Android does."
            )
        start: int = off + LFH.size + name_len + extra_len
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
            step_end = pos + _INFLATE_STEP
            try:
                part = inflater.decompress(
                    self._view[pos : step_end if step_end < end else end], budget - produced + 1
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
