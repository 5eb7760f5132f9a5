"""The APK Signing Block (right before the ZIP central directory) and its v2, v3, v3.1 signers.

Layout, from AOSP apksig (ApkSigningBlockUtils, V2SchemeVerifier,
V3SchemeVerifier): ``uint64 size``, ID-value pairs each prefixed by a uint64
length, ``uint64 size`` again, then the 16-byte magic. A scheme's value is a
uint32-length-prefixed sequence of signers; every nested record is a
uint32-length-prefixed little-endian structure. Every length is checked against
its enclosing record and every sequence is capped, so a hostile block yields a
problem sentence, never an exception or a long loop.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from unstalk.apk.fast_init import fast_init
from unstalk.apk.model import Certificate, SignatureScheme
from unstalk.apk.parsers.certs import certificate_from_der
from unstalk.apk.parsers.zip import ApkZip
from unstalk.errors import ApkError

BLOCK_MAGIC = b"APK Sig Block 42"
V2_BLOCK_ID = 0x7109871A
V3_BLOCK_ID = 0xF05368C0
V31_BLOCK_ID = 0x1B93AD61
PROOF_OF_ROTATION_ATTR_ID = 0x3BA06F8C
STRIPPING_PROTECTION_ATTR_ID = 0xBEEFF00D
"""A v2 signer attribute naming a newer scheme the APK was also signed with."""

SCHEME_BLOCK_IDS = (
    (SignatureScheme.V2, V2_BLOCK_ID),
    (SignatureScheme.V3, V3_BLOCK_ID),
    (SignatureScheme.V31, V31_BLOCK_ID),
)
SCHEME_LABELS = {
    SignatureScheme.V2: "APK Signature Scheme v2",
    SignatureScheme.V3: "APK Signature Scheme v3",
    SignatureScheme.V31: "APK Signature Scheme v3.1",
}

MAX_PAIRS = 1024
MAX_SIGNERS = 32
MAX_ITEMS = 64
"""Digests, signatures or certificates of one signer."""
MAX_ATTRIBUTES = 256
MAX_LINEAGE = 64
_FOOTER = 24
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


class BlockFormatError(ValueError):
    """A record of the signing block does not hold together; the text says how."""


class Cursor:
    """Bounds-checked reader over ``buf[pos:end]``; nested records share the buffer."""

    __slots__ = ("_buf", "_end", "_pos")

    def __init__(self, buf: memoryview, pos: int = 0, end: int | None = None) -> None:
        self._buf = buf
        self._pos = pos
        self._end = len(buf) if end is None else end

    @property
    def remaining(self) -> int:
        return self._end - self._pos

    def _advance(self, size: int, what: str) -> int:
        if size > self._end - self._pos:
            raise BlockFormatError(f"{what} runs past the end of its record")
        start = self._pos
        self._pos += size
        return start

    def u32(self, what: str = "a number") -> int:
        pos = self._pos
        if pos + 4 > self._end:
            raise BlockFormatError(f"{what} runs past the end of its record")
        self._pos = pos + 4
        value: int = _U32.unpack_from(self._buf, pos)[0]
        return value

    def u64(self, what: str = "a number") -> int:
        value: int = _U64.unpack_from(self._buf, self._advance(8, what))[0]
        return value

    def take(self, size: int, what: str) -> Cursor:
        start = self._advance(size, what)
        return Cursor(self._buf, start, start + size)

    def prefixed(self, what: str, number: int = 0) -> Cursor:
        """The record of a uint32 length prefix and that many bytes (``what #number``)."""
        # A signing block has a hundred records: the names for errors are only built
        # when there is an error.
        pos, end = self._pos, self._end
        if pos + 4 > end:
            raise BlockFormatError(
                f"the length of {_name(what, number)} runs past the end of its record"
            )
        start = pos + 4
        size: int = _U32.unpack_from(self._buf, pos)[0]
        if size > end - start:
            raise BlockFormatError(f"{_name(what, number)} runs past the end of its record")
        self._pos = start + size
        return Cursor(self._buf, start, start + size)

    def view(self) -> memoryview:
        """The bytes not read yet (the cursor is left where it was)."""
        return self._buf[self._pos : self._end]

    def items(self, what: str, limit: int) -> Iterator[Cursor]:
        """Each length-prefixed element of a sequence filling the rest of this record."""
        count = 0
        while self._pos < self._end:
            count += 1
            if count > limit:
                raise BlockFormatError(f"it lists more than {limit} {what}")
            yield self.prefixed(what, count)


def _name(what: str, number: int) -> str:
    return f"{what} #{number}" if number else what


@fast_init
@dataclass(frozen=True, slots=True)
class SigningBlock:
    offset: int
    """Where the block starts in the file (its content digests stop here)."""
    pairs: dict[int, memoryview]
    """Value of each ID (the first one when an ID repeats)."""


def find_signing_block(zip: ApkZip, problems: list[str]) -> SigningBlock | None:
    """Locate and split the APK Signing Block; ``None`` when the APK has none."""
    cd = zip.central_directory_offset
    if cd is None or cd < _FOOTER + 8:
        return None
    data = memoryview(zip.data)
    if data[cd - 16 : cd] != BLOCK_MAGIC:
        return None
    size = _U64.unpack_from(data, cd - _FOOTER)[0]
    start = cd - size - 8
    if size < _FOOTER or start < 0:
        problems.append(
            f"The APK Signing Block is damaged: its recorded size ({size:,} bytes) does not "
            "fit in the file, so its v2/v3 signatures were not read."
        )
        return None
    if _U64.unpack_from(data, start)[0] != size:
        problems.append(
            "The APK Signing Block is damaged: the sizes at its start and end differ, "
            "so its v2/v3 signatures were not read (Android ignores it too)."
        )
        return None
    pairs = _read_pairs(Cursor(data, start + 8, cd - _FOOTER), problems)
    return SigningBlock(start, pairs)


def _read_pairs(cursor: Cursor, problems: list[str]) -> dict[int, memoryview]:
    pairs: dict[int, memoryview] = {}
    count = 0
    while cursor.remaining:
        count += 1
        if count > MAX_PAIRS:
            problems.append(
                f"The APK Signing Block holds more than {MAX_PAIRS} entries; "
                "the rest were not read."
            )
            break
        if cursor.remaining < 8:
            problems.append("The APK Signing Block ends with a truncated entry.")
            break
        length = cursor.u64()
        if length < 4 or length > cursor.remaining:
            problems.append(
                f"The APK Signing Block entry #{count} has an impossible length ({length:,}); "
                "the entries after it were not read."
            )
            break
        value = cursor.take(length, "an entry")
        pairs.setdefault(value.u32(), value.view())
    return pairs


@dataclass(slots=True)
class RawSigner:
    """One v2/v3/v3.1 signer as stored, before its certificates are decoded."""

    scheme: SignatureScheme
    index: int
    signed_data: bytes
    signatures: list[tuple[int, bytes]]
    public_key: bytes
    digests: list[tuple[int, bytes]]
    certificates: list[bytes]
    attributes: list[tuple[int, memoryview]]
    min_sdk: int | None = None
    max_sdk: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{SCHEME_LABELS[self.scheme]} signer #{self.index}"


def read_scheme_signers(
    value: memoryview, scheme: SignatureScheme, problems: list[str]
) -> list[RawSigner]:
    """Split one scheme's block into its signers; damaged ones become problems."""
    label = SCHEME_LABELS[scheme]
    signers: list[RawSigner] = []
    try:
        sequence = Cursor(value).prefixed("the signer list")
        if not sequence.remaining:
            problems.append(f"The {label} block lists no signers.")
        for index, item in enumerate(sequence.items("signers", MAX_SIGNERS), 1):
            signers.append(_read_signer(item, scheme, index))
    except BlockFormatError as e:
        problems.append(f"The {label} block is damaged at signer #{len(signers) + 1}: {e}.")
    return signers


def _read_signer(cursor: Cursor, scheme: SignatureScheme, index: int) -> RawSigner:
    signed = cursor.prefixed("the signed data")
    signed_bytes = bytes(signed.view())
    outer_sdk = None
    if scheme is not SignatureScheme.V2:
        outer_sdk = (cursor.u32("the minimum SDK"), cursor.u32("the maximum SDK"))
    signatures = [
        (item.u32("an algorithm ID"), bytes(item.prefixed("a signature").view()))
        for item in cursor.prefixed("the signatures").items("signatures", MAX_ITEMS)
    ]
    public_key = bytes(cursor.prefixed("the public key").view())
    digests = [
        (item.u32("an algorithm ID"), bytes(item.prefixed("a digest").view()))
        for item in signed.prefixed("the digests").items("digests", MAX_ITEMS)
    ]
    certificates = [
        bytes(item.view())
        for item in signed.prefixed("the certificates").items("certificates", MAX_ITEMS)
    ]
    raw = RawSigner(scheme, index, signed_bytes, signatures, public_key, digests, certificates, [])
    if outer_sdk is not None:
        _read_sdk_range(signed, outer_sdk, raw)
    raw.attributes = [
        (item.u32("an attribute ID"), item.view())
        for item in signed.prefixed("the attributes").items("attributes", MAX_ATTRIBUTES)
    ]
    return raw


def _read_sdk_range(signed: Cursor, outer: tuple[int, int], raw: RawSigner) -> None:
    inner = (signed.u32("the minimum SDK"), signed.u32("the maximum SDK"))
    raw.min_sdk, raw.max_sdk = outer
    if inner != outer:
        raw.problems.append(
            f"{raw.label}: the platform range it states ({outer[0]} to {outer[1]}) differs "
            f"from the signed one ({inner[0]} to {inner[1]})."
        )
    if outer[0] > outer[1]:
        raw.problems.append(f"{raw.label}: its platform range is empty ({outer[0]} to {outer[1]}).")


@fast_init
@dataclass(frozen=True, slots=True)
class LineageNode:
    certificate: Certificate
    der: bytes
    signed_data: bytes
    parent_algorithm: int
    """The algorithm the previous certificate used to sign this node (0 for the first)."""
    algorithm: int
    """The algorithm this certificate uses to sign the next node."""
    signature: bytes


def read_lineage(value: memoryview) -> list[LineageNode]:
    """Parse a proof-of-rotation attribute value: the lineage, oldest certificate first.

    Raises :class:`BlockFormatError` on a damaged record and :class:`ApkError`
    on an unreadable certificate; the nodes read so far are lost in both cases
    because a partial lineage would claim a rotation history that is not there.
    """
    cursor = Cursor(value)
    version = cursor.u32("the lineage version")
    if version != 1:
        raise BlockFormatError(f"its lineage has an unknown format version ({version})")
    nodes: list[LineageNode] = []
    for item in cursor.items("lineage entries", MAX_LINEAGE):
        signed = item.prefixed("the signed part of a lineage entry")
        signed_bytes = bytes(signed.view())
        item.u32("the lineage flags")
        algorithm = item.u32("an algorithm ID")
        signature = bytes(item.prefixed("a lineage signature").view())
        der = bytes(signed.prefixed("a lineage certificate").view())
        parent_algorithm = signed.u32("an algorithm ID")
        certificate = certificate_from_der(der)
        nodes.append(
            LineageNode(certificate, der, signed_bytes, parent_algorithm, algorithm, signature)
        )
    return nodes


def lineage_or_problem(value: memoryview, label: str) -> tuple[list[LineageNode], str | None]:
    """:func:`read_lineage`, with a failure turned into a problem sentence."""
    try:
        return read_lineage(value), None
    except (BlockFormatError, ApkError) as e:
        return [], f"{label}: its key rotation lineage cannot be read: {e}."
