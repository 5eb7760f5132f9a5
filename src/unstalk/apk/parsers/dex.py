"""The string table of a dex file, read fast and safely, and which dex files an APK holds.

Only the header and the string table are read: strings are what the endpoint finder and the
YARA rules need, and reading nothing else keeps this fast (tens of times faster than parsing
the whole dex) and keeps hostile class data out of reach.

A string is a ULEB128 count of UTF-16 units, then MUTF-8 bytes up to a NUL. As in androguard,
the NUL ends a string (the count is not checked). MUTF-8 writes U+0000 as ``C0 80`` and
characters above U+FFFF as two surrogates of three bytes each; both decode here as in Java.
A surrogate without its partner stays a lone surrogate in the ``str`` (Java strings can hold
one): encode with ``errors="surrogatepass"`` or ``"replace"``. Bytes that are not MUTF-8,
which Android would refuse, read as U+FFFD (four-byte UTF-8 as its character) and the dex's
``problems`` say how many strings had them.

Version 041 files are containers of several dex files one after another; offsets in each
header count from the start of the container, and the strings of all of them are returned.
"""

from __future__ import annotations

import codecs
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate, compress, islice, repeat
from operator import contains, itemgetter, lt, not_

from unstalk.errors import ApkError, ApkLimitError

DEX_MAGIC = b"dex\n"
KNOWN_VERSIONS = ("035", "037", "038", "039", "040", "041")
"""Versions Android has defined (036 was never used); 041 introduced containers."""

MAX_STRINGS = 1 << 21
"""Most strings read from one dex file; real apps stay well under 200,000 per dex."""
MAX_STRING_BYTES = 64 << 20
"""Most bytes of string data read from one dex file (a string counts each time it is used)."""
MAX_CONTAINER_DEXES = 256
"""Most dex files read from one version-041 container."""

_HEADER_SIZE = 0x70
_CONTAINER_HEADER_SIZE = 0x78
_ENDIAN_CONSTANT = 0x12345678
_SIZES = struct.Struct("<III")  # file_size, header_size, endian_tag at 0x20
_STRING_IDS = struct.Struct("<II")  # string_ids_size, string_ids_off at 0x38
_U32 = struct.Struct("<I")
_NOT_ASCII = "\x80"
"""The first character that is not ASCII; also stands for a string the bulk path leaves."""
_FOUR_BYTE_LEADS = (b"\xf0", b"\xf1", b"\xf2", b"\xf3", b"\xf4")
_NUL_STAND_IN = "\uffff"
"""Stands for U+0000 while strings are decoded together (U+FFFF is a noncharacter)."""
_STAND_IN_BYTES = _NUL_STAND_IN.encode("utf-8")
_DROP_LENGTH_BYTE = itemgetter(slice(1, None))


@dataclass(frozen=True, slots=True)
class DexStrings:
    """The string table of one dex file, in string-id order."""

    name: str
    version: str
    """The three digits of the magic, e.g. ``035``."""
    strings: tuple[str, ...]
    problems: tuple[str, ...] = ()
    """What is wrong with the file but did not stop the strings being read, one sentence each."""

    @property
    def string_count(self) -> int:
        return len(self.strings)


def read_dex_strings(
    data: bytes | memoryview,
    *,
    name: str = "classes.dex",
    limit: int = MAX_STRING_BYTES,
    max_strings: int = MAX_STRINGS,
) -> DexStrings:
    """Read every string of a dex file.

    ``limit`` caps the bytes of string data read in total and ``max_strings`` the number of
    strings: past either, :class:`ApkLimitError`. A file that is not a dex, or whose string
    table points outside the file, raises :class:`ApkError`.
    """
    buf = bytes(data)
    version = _check_magic(buf, name, 0)
    problems: list[str] = []
    if version not in KNOWN_VERSIONS:
        problems.append(f"dex version {version} is newer than unstalk knows; read as 041")
    reader = _StringReader(buf, name, limit, max_strings)
    for start in _dex_starts(buf, name, int(version), problems):
        reader.read_table(start)
    if reader.invalid:
        problems.append(
            f"{reader.invalid} strings are not valid MUTF-8 (Android would refuse this dex); "
            "their bad bytes read as U+FFFD"
        )
    return DexStrings(name, version, tuple(reader.strings), tuple(problems))


def dex_version(head: bytes | memoryview) -> str | None:
    """The version digits when ``head`` (the first bytes of a file) is a dex magic, else None."""
    magic = bytes(head[:8])
    if len(magic) == 8 and magic.startswith(DEX_MAGIC) and magic[7] == 0:
        digits = magic[4:7]
        if digits.isdigit():
            return digits.decode("ascii")
    return None


def dex_names(names: Iterable[str]) -> list[str]:
    """The dex files Android loads from an APK, in its order: classes.dex, classes2.dex ...

    Android stops at the first missing number (classes3.dex is not loaded without
    classes2.dex) and loads nothing without classes.dex.
    """
    present = set(names)
    if "classes.dex" not in present:
        return []
    loaded = ["classes.dex"]
    while (candidate := f"classes{len(loaded) + 1}.dex") in present:
        loaded.append(candidate)
    return loaded


_DEX_SUFFIXES = (".dex", ".odex", ".vdex", ".cdex")


def other_dex_names(names: Iterable[str]) -> list[str]:
    """Entries named like dex code that Android does not load at start, in APK order.

    An app can load these itself (``DexClassLoader``), which is a way to keep code out of
    sight; files of other names that start with a dex magic (see :func:`dex_version`) are
    the same thing under a disguise.
    """
    listed = list(names)
    loaded = set(dex_names(listed))
    return [n for n in listed if n.lower().endswith(_DEX_SUFFIXES) and n not in loaded]


# Header -------------------------------------------------------------------------------------


def _check_magic(buf: bytes, name: str, start: int) -> str:
    if len(buf) - start < _HEADER_SIZE:
        raise ApkError("too short to be a dex file", path=name)
    version = dex_version(buf[start : start + 8])
    if version is None:
        raise ApkError("not a dex file (its first bytes are not a dex magic)", path=name)
    if int(version) < 35:
        raise ApkError(f"dex version {version} predates Android 1.0 and is not read", path=name)
    return version


def _header(buf: bytes, name: str, start: int, problems: list[str]) -> tuple[int, int]:
    """Check the header at ``start``; return its declared file size and header size."""
    file_size, header_size, endian = _SIZES.unpack_from(buf, start + 0x20)
    if endian != _ENDIAN_CONSTANT:
        why = f"unexpected endian tag {endian:#010x} (Android refuses byte-swapped dex files)"
        raise ApkError(why, path=name)
    if header_size < _HEADER_SIZE or start + header_size > len(buf):
        raise ApkError(f"impossible header size {header_size}", path=name)
    if file_size < header_size:
        raise ApkError(f"impossible file size {file_size} in the header", path=name)
    if start + file_size > len(buf):
        problems.append(
            f"the header says {file_size} bytes but only {len(buf) - start} are there "
            "(the dex is cut short)"
        )
    return file_size, header_size


def _dex_starts(buf: bytes, name: str, version: int, problems: list[str]) -> list[int]:
    """Offsets of the header of each dex in the file: one, or several in a container."""
    file_size, header_size = _header(buf, name, 0, problems)
    if version < 41 or header_size < _CONTAINER_HEADER_SIZE:
        if file_size < len(buf):
            problems.append(f"{len(buf) - file_size} bytes follow the end the header declares")
        # What the checksum covers in a version-041 container is not settled: not checked.
        stored = _U32.unpack_from(buf, 8)[0]
        if file_size <= len(buf) and zlib.adler32(memoryview(buf)[12:file_size]) != stored:
            problems.append("the checksum does not match: the dex was changed after it was built")
        return [0]
    container = min(_U32.unpack_from(buf, 0x70)[0], len(buf))
    starts = [0]
    start = file_size
    while start < container:
        if len(starts) >= MAX_CONTAINER_DEXES:
            raise ApkLimitError(f"more than {MAX_CONTAINER_DEXES} dex files inside", path=name)
        _check_magic(buf, name, start)
        size, _ = _header(buf, name, start, problems)
        if _U32.unpack_from(buf, start + 0x74)[0] != start:
            problems.append(f"the dex header at {start} gives another offset for itself")
        starts.append(start)
        start += size
    return starts


# Strings ------------------------------------------------------------------------------------


def _strict_mutf8(exc: UnicodeError) -> tuple[str, int]:
    """Decode what UTF-8 rejects but MUTF-8 allows: ``C0 80`` and surrogates."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    raw, i = exc.object, exc.start
    if raw[i] == 0xC0 and raw[i + 1 : i + 2] == b"\x80":
        return "\0", i + 2
    if (
        raw[i] == 0xED
        and i + 2 < len(raw)
        and raw[i + 1] & 0xE0 == 0xA0
        and raw[i + 2] & 0xC0 == 0x80
    ):
        return chr(0xD000 | (raw[i + 1] & 0x3F) << 6 | (raw[i + 2] & 0x3F)), i + 3
    raise exc


def _lenient_mutf8(exc: UnicodeError) -> tuple[str, int]:
    try:
        return _strict_mutf8(exc)
    except UnicodeDecodeError as e:
        return "\ufffd", e.start + 1


_STRICT = "unstalk.mutf8"
_LENIENT = "unstalk.mutf8-lenient"
codecs.register_error(_STRICT, _strict_mutf8)
codecs.register_error(_LENIENT, _lenient_mutf8)


def decode_mutf8(raw: bytes) -> tuple[str, bool]:
    """Decode MUTF-8 bytes (without their NUL); the flag is False when they were not valid."""
    try:
        text = raw.decode("utf-8", _STRICT)
        valid = not any(lead in raw for lead in _FOUR_BYTE_LEADS)
    except UnicodeDecodeError:
        text, valid = raw.decode("utf-8", _LENIENT), False
    if b"\xed" in raw:
        text = _join_surrogates(text)
    return text, valid


def _decode_many(texts: list[str]) -> list[str] | None:
    """Decode many MUTF-8 strings (as Latin-1 text) in one call; None when one is not valid.

    U+0000 goes through as a stand-in, so that NUL still separates the strings, and
    surrogates come out one by one: the strings holding either are mended one by one.
    """
    joined = "\0".join(texts).encode("latin-1")
    if any(lead in joined for lead in _FOUR_BYTE_LEADS):
        return None
    nul = b"\xc0\x80" in joined
    if nul:
        if _STAND_IN_BYTES in joined:
            return None
        joined = joined.replace(b"\xc0\x80", _STAND_IN_BYTES)
    try:
        decoded = joined.decode("utf-8", "surrogatepass").split("\0")
    except UnicodeDecodeError:
        return None
    if nul:
        for j in compress(range(len(texts)), map(contains, texts, repeat("\xc0"))):
            decoded[j] = decoded[j].replace(_NUL_STAND_IN, "\0")
    if b"\xed" in joined:
        for j in compress(range(len(texts)), map(contains, texts, repeat("\xed"))):
            decoded[j] = _join_surrogates(decoded[j])
    return decoded


def _join_surrogates(text: str) -> str:
    """Join each high-low surrogate pair into its character; lone surrogates stay."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


class _StringReader:
    """Reads string tables into ``strings`` while keeping count of the limits."""

    def __init__(self, buf: bytes, name: str, limit: int, max_strings: int) -> None:
        self.buf = buf
        self.name = name
        self.budget = limit
        self.max_strings = max_strings
        self.strings: list[str] = []
        self.invalid = 0

    @cached_property
    def shifted(self) -> bytes:
        """The file one byte later: ``shifted[i]`` is ``buf[i - 1]``, for bulk look-behind."""
        return b"\1" + self.buf

    def read_table(self, start: int) -> None:
        count, table = _STRING_IDS.unpack_from(self.buf, start + 0x38)
        if count == 0:
            return
        if table + 4 * count > len(self.buf):
            raise ApkError("the string table runs past the end of the file", path=self.name)
        if len(self.strings) + count > self.max_strings:
            raise ApkLimitError(f"more than {self.max_strings} strings", path=self.name)
        offsets = struct.unpack_from(f"<{count}I", self.buf, table)
        if offsets[0] < len(self.buf) and self.buf[offsets[0]] == 0:
            # The empty string sorts first; its zero length byte would break the bulk path.
            self.strings.append(self._one(offsets[0]))
            offsets = offsets[1:]
        decoded = self._contiguous(offsets)
        if decoded is None:
            if offsets and max(offsets) >= len(self.buf):
                raise ApkError("a string points outside the file", path=self.name)
            decoded = self._scattered(offsets)
        self.strings.extend(decoded)

    def _contiguous(self, offsets: tuple[int, ...]) -> list[str] | None:
        """Decode the table in a few C calls when its strings lie back to back in id order.

        That is how dex compilers write them. The data is cut at every NUL at once; when
        there are exactly as many pieces as strings and a NUL just before each string,
        each piece is one string: a one-byte length then the text, if the piece is ASCII.
        The other pieces (long or non-ASCII strings) are decoded together. None when the
        layout is different: the general way then reads the table.
        """
        n = len(offsets)
        if n < 3 or offsets[-1] >= len(self.buf):
            return None
        if not all(map(lt, offsets, islice(offsets, 1, None))):
            return None
        first, end = offsets[0], self._end(offsets[-1])
        pieces = self.buf[first:end].decode("latin-1").split("\0")
        if len(pieces) != n or "" in pieces:
            return None
        # n - 1 NULs, one just before each string but the first: each piece is one string.
        before = itemgetter(*islice(offsets, 1, None))(self.shifted)
        if before.count(0) != n - 1:
            return None
        self._spend(end - first)
        strings = list(map(_DROP_LENGTH_BYTE, pieces))
        others = list(compress(range(n), map(not_, map(str.isascii, pieces))))
        if others:
            texts = [pieces[k] for k in others]
            for j in compress(range(len(texts)), map(_NOT_ASCII.__le__, texts)):
                # A length of two bytes (128 UTF-16 units or more) or longer still.
                size = 2 if texts[j][1:2] < _NOT_ASCII else self._uleb_size(offsets[others[j]])
                if size >= len(texts[j]):
                    return None
                texts[j] = texts[j][size - 1 :]
            decoded = _decode_many(list(map(_DROP_LENGTH_BYTE, texts)))
            if decoded is None:
                decoded = [self._decode_at(offsets[k]) for k in others]
            for k, text in zip(others, decoded, strict=True):
                strings[k] = text
        return strings

    def _scattered(self, offsets: tuple[int, ...]) -> list[str]:
        """Decode strings wherever they lie: ASCII ones in bulk, the rest one by one."""
        if not offsets:
            return []
        first, end = min(offsets), self._end(max(offsets))
        self._spend(end - first)
        pieces = self.buf[first:end].decode("latin-1").split("\0")
        starts = accumulate((len(p) + 1 for p in pieces[:-1]), initial=first)
        index = dict(zip(starts, range(len(pieces)), strict=True))
        pieces.append(_NOT_ASCII)
        picked = [pieces[index.get(o, -1)] or _NOT_ASCII for o in offsets]
        # Ids may share one string: past the data itself, each reuse counts again.
        self._spend(max(0, sum(map(len, picked)) - (end - first)))
        decoded = list(map(_DROP_LENGTH_BYTE, picked))
        for k in compress(range(len(picked)), map(not_, map(str.isascii, picked))):
            decoded[k] = self._one(offsets[k])
        return decoded

    def _one(self, offset: int) -> str:
        self._spend(self._end(offset) - offset)
        return self._decode_at(offset)

    def _decode_at(self, offset: int) -> str:
        start = offset + self._uleb_size(offset)
        text, valid = decode_mutf8(self.buf[start : self._end(offset)])
        self.invalid += not valid
        return text

    def _end(self, offset: int) -> int:
        """Where the string at ``offset`` ends (its NUL)."""
        end = self.buf.find(b"\0", offset + self._uleb_size(offset))
        if end < 0:
            raise ApkError(f"the string at {offset} has no end (cut short?)", path=self.name)
        return end

    def _uleb_size(self, offset: int) -> int:
        """Bytes of the ULEB128 at ``offset``: at most five, the last without its top bit."""
        for size, byte in enumerate(self.buf[offset : offset + 5], 1):
            if byte < 0x80:
                return size
        raise ApkError(f"the length of the string at {offset} is malformed", path=self.name)

    def _spend(self, size: int) -> None:
        self.budget -= size
        if self.budget < 0:
            raise ApkLimitError("more string data than the safety limit allows", path=self.name)
