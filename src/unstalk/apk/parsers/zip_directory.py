"""The directory of an APK's ZIP container: its end record, its entries, their local headers.

The reading rules (Android's libziparchive where it matters) are described in
:mod:`unstalk.apk.parsers.zip`, which builds :class:`~unstalk.apk.parsers.zip.ApkZip`
from what this module finds.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import NamedTuple

from unstalk.apk.fast_init import fast_init
from unstalk.errors import ApkLimitError

STORED = 0
DEFLATED = 8
FLAG_DATA_DESCRIPTOR = 0x0008
MAX_ENTRIES = 100_000

EOCD_SIG = b"PK\x05\x06"
CDH_SIG = b"PK\x01\x02"
LFH_SIG = b"PK\x03\x04"
_EOCD = struct.Struct("<4sHHHHIIH")
_CDH = struct.Struct("<4sHHHHHHIIIHHHHHII")
_CDH_USED = struct.Struct("<8xHH4xIIIHHH8xI")
"""The fields of a directory record unstalk uses: flags, method, CRC-32, sizes, the lengths
of name, extra and comment, local header offset."""
LFH = struct.Struct("<4sHHHHHIIIHH")
_MAX_COMMENT = 0xFFFF


class ZipEntry(NamedTuple):
    """One archive member as the central directory (or a local header) describes it.

    A named tuple rather than a dataclass: an APK has thousands of entries, and a tuple
    is built several times faster.
    """

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


_new = tuple.__new__
"""Builds a named tuple from a tuple of its fields in one C call (the class call runs a
Python ``__new__``)."""


@fast_init
@dataclass(frozen=True, slots=True)
class Eocd:
    offset: int
    entry_count: int
    cd_size: int
    cd_offset: int
    comment: bytes


def find_eocd(data: bytes, problems: list[str]) -> Eocd | None:
    """The end record whose comment ends the file, scanning backwards as Android does.

    Android and apksig refuse a file whose end record does not end it; failing
    an exact fit, the last record whose comment fits is used and noted.
    """
    size = len(data)
    if size < _EOCD.size:
        return None
    lo = max(0, size - _EOCD.size - _MAX_COMMENT)
    fallback: Eocd | None = None
    pos = data.rfind(EOCD_SIG, lo)
    while pos >= 0:
        if pos + _EOCD.size > size:
            pos = data.rfind(EOCD_SIG, lo, pos)
            continue
        _, _, _, _, count, cd_size, cd_off, clen = _EOCD.unpack_from(data, pos)
        end = pos + _EOCD.size + clen
        record = Eocd(pos, count, cd_size, cd_off, data[pos + _EOCD.size : end])
        if end == size:
            return record
        if end < size and fallback is None:
            fallback = record
        pos = data.rfind(EOCD_SIG, lo, pos)
    if fallback is not None:
        problems.append("There are extra bytes after the ZIP end record (Android refuses this).")
    return fallback


def locate_cd(data: bytes, eocd: Eocd, problems: list[str]) -> int | None:
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


def _cd_starts_at(data: bytes, pos: int, eocd: Eocd) -> bool:
    if eocd.cd_size == 0 and eocd.entry_count == 0:
        return pos + eocd.cd_size == eocd.offset
    return pos + 4 <= eocd.offset and data[pos : pos + 4] == CDH_SIG


def read_cd(
    data: bytes, eocd: Eocd, cd_start: int, problems: list[str], path: str
) -> list[ZipEntry]:
    prefix = cd_start - eocd.cd_offset
    entries: list[ZipEntry] = []
    pos = cd_start
    limit = eocd.offset
    unpack, header = _CDH_USED.unpack_from, _CDH.size
    while pos + header <= limit and data.startswith(CDH_SIG, pos):
        if len(entries) >= MAX_ENTRIES:
            raise ApkLimitError(f"the APK has more than {MAX_ENTRIES:,} entries", path=path)
        flags, method, crc, csize, usize, nlen, xlen, clen, lho = unpack(data, pos)
        name_end = pos + header + nlen
        if name_end > limit:
            break
        name = data[pos + header : name_end].decode("utf-8", "replace")
        entries.append(_new(ZipEntry, (name, method, csize, usize, lho + prefix, crc, flags)))
        pos = name_end + xlen + clen
    if len(entries) != eocd.entry_count:
        problems.append(
            f"The ZIP directory announces {eocd.entry_count} entries but holds "
            f"{len(entries)} readable ones."
        )
    return entries


def recover_missing(
    raw: bytes, known: list[ZipEntry], problems: list[str], path: str
) -> list[ZipEntry]:
    names = {e.name for e in known}
    extra = [e for e in scan_local_headers(raw, path) if e.name not in names]
    if extra:
        problems.append(
            f"{len(extra)} entries missing from the damaged ZIP directory were recovered "
            "from local headers."
        )
    return extra


def scan_local_headers(raw: bytes, path: str) -> list[ZipEntry]:
    """Recover entries from local headers when there is no usable central directory."""
    entries: list[ZipEntry] = []
    pos = raw.find(LFH_SIG)
    while pos >= 0 and pos + LFH.size <= len(raw):
        if len(entries) >= MAX_ENTRIES:
            raise ApkLimitError(f"the APK has more than {MAX_ENTRIES:,} entries", path=path)
        _, _, flags, method, _, _, crc, csize, usize, nlen, xlen = LFH.unpack_from(raw, pos)
        data_start = pos + LFH.size + nlen + xlen
        if data_start > len(raw):
            break
        name = _decode_name(raw[pos + LFH.size : pos + LFH.size + nlen])
        deferred = bool(flags & FLAG_DATA_DESCRIPTOR) and csize == 0
        size = -1 if deferred and method != STORED else csize
        entries.append(ZipEntry(name, method, size, usize, pos, crc, flags))
        nxt = data_start + (0 if size < 0 else size)
        pos = raw.find(LFH_SIG, max(nxt, pos + 4))
    return entries


def check_local_headers(data: bytes, entries: dict[str, ZipEntry], problems: list[str]) -> None:
    """Note names Android's libziparchive rejects: NUL inside, or a local header that differs."""
    odd: list[str] = []
    size = len(data)
    for name, entry in entries.items():
        off = entry.local_header_offset
        start = off + LFH.size
        if off < 0 or start > size or not data.startswith(LFH_SIG, off):
            odd.append(name)
            continue
        raw = data[start : start + (data[off + 26] | data[off + 27] << 8)]
        # Comparing bytes first spares decoding thousands of names that match.
        if (raw != name.encode("utf-8") and _decode_name(raw) != name) or "\x00" in name:
            odd.append(name)
    if odd:
        shown = ", ".join(repr(n) for n in odd[:5]) + (" ..." if len(odd) > 5 else "")
        problems.append(
            f"{len(odd)} ZIP entries have a name Android refuses (NUL character) or a local "
            f"header that does not match the directory: {shown}."
        )


def _decode_name(raw: bytes) -> str:
    # Android compares names as UTF-8 bytes whatever the language-encoding flag says
    # (read_cd decodes the same way, inline).
    return raw.decode("utf-8", errors="replace")


def index_entries(
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
