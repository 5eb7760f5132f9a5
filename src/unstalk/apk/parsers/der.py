"""A reader of plain DER for the layouts nearly every APK signature has.

Certificates and JAR signature blocks (PKCS#7 signed data) are read with
asn1crypto, which reads lax encodings but takes most of the time of an APK's
signatures. This module reads the same structures in their usual layout, five
to six times faster on the AOSP corpus. It raises :class:`NotPlainDer` on
anything else: indefinite lengths, multi-byte tags, missing or unexpected
fields. Callers then hand the bytes to asn1crypto, so the result never depends
on which reader ran; what this module accepts, it checks as strictly as
asn1crypto does when reading the same fields, or more.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from asn1crypto import cms, core  # type: ignore[import-untyped]


class NotPlainDer(Exception):
    """The bytes hold something this reader leaves to asn1crypto."""


DerElement = tuple[int, int, int, int]
"""Tag, start and end of the contents, start of the element (its header)."""
CertificateFields = tuple[DerElement, DerElement, DerElement, DerElement, DerElement]
"""Serial number, issuer, validity, subject, public key."""
MAX_PLAIN_CERTIFICATE = 16 * 1024
"""Larger certificates (a 16384-bit RSA one takes 2.5 KiB) are left to asn1crypto, which
keeps the caches of what was read small."""

SEQUENCE, SET, INTEGER, BIT_STRING, OCTET_STRING, OID = 0x30, 0x31, 0x02, 0x03, 0x04, 0x06
_EXPLICIT_0, _IMPLICIT_1 = 0xA0, 0xA1
_TBS_TAGS = (INTEGER, *[SEQUENCE] * 5)
"""Serial number, signature algorithm, issuer, validity, subject, public key."""
_TBS_TAIL = (0x81, 0x82, 0xA3)
"""issuerUniqueID, subjectUniqueID, extensions: what may follow the public key, in order."""
_SIGNED_DATA = "1.2.840.113549.1.7.2"
_SIGNED_DATA_TAGS = (
    (INTEGER, SET, SEQUENCE, _EXPLICIT_0, SET),
    (INTEGER, SET, SEQUENCE, _EXPLICIT_0, _IMPLICIT_1, SET),
)
"""Version, digest algorithms, content, certificates, [CRLs,] signer infos."""
_SIGNER_INFO_TAILS = ((SEQUENCE, OCTET_STRING), (SEQUENCE, OCTET_STRING, _IMPLICIT_1))
"""Signature algorithm, signature, [unsigned attributes]."""
_ATTRIBUTE_NAMES: dict[str, str] = cms.CMSAttributeType._map


def der_element(buf: bytes, pos: int, end: int) -> DerElement:
    """The element at ``pos``, which must end by ``end``."""
    start = pos + 2
    if start > end:
        raise NotPlainDer
    tag = buf[pos]
    length = buf[pos + 1]
    if tag & 0x1F == 0x1F:
        raise NotPlainDer
    if length > 0x7F:
        # One or two length bytes cover every real certificate: read without a slice.
        if length == 0x81 and start < end:
            length, start = buf[start], start + 1
        elif length == 0x82 and start + 1 < end:
            length, start = buf[start] << 8 | buf[start + 1], start + 2
        elif length == 0x83:
            length, start = int.from_bytes(buf[start : start + 3], "big"), start + 3
        else:
            raise NotPlainDer
    stop = start + length
    if stop > end:
        raise NotPlainDer
    return tag, start, stop, pos


def der_children(buf: bytes, parent: DerElement, *tags: int) -> list[DerElement]:
    """The elements inside ``parent``; when ``tags`` are given, exactly those, in that order."""
    found = []
    pos, end = parent[1], parent[2]
    while pos < end:
        child = der_element(buf, pos, end)
        found.append(child)
        pos = child[2]
    if tags and tuple([child[0] for child in found]) != tags:
        raise NotPlainDer
    return found


def der_integer(buf: bytes, element: DerElement) -> int:
    if element[0] != INTEGER or element[1] == element[2]:
        raise NotPlainDer
    return int.from_bytes(buf[element[1] : element[2]], "big", signed=True)


def encoded(buf: bytes, element: DerElement) -> bytes:
    """The element with its header, as stored."""
    return buf[element[3] : element[2]]


def contents(buf: bytes, element: DerElement) -> bytes:
    return buf[element[1] : element[2]]


def oid_text(raw: bytes) -> str:
    """The dotted form of an object identifier's contents, as asn1crypto spells it."""
    # The same few identifiers recur; a long one is no real identifier and is not kept.
    return _oid_text(raw) if len(raw) <= 32 else _oid_text.__wrapped__(raw)


@lru_cache(maxsize=256)
def _oid_text(raw: bytes) -> str:
    dotted: str = core.ObjectIdentifier(contents=raw).dotted
    return dotted


@lru_cache(maxsize=256)
def certificate_fields(der: bytes) -> CertificateFields:
    """The fields of a certificate that unstalk reads, its layout checked on the way.

    Kept for the few certificates last read: one APK reads each several times.
    """
    if len(der) > MAX_PLAIN_CERTIFICATE:
        raise NotPlainDer
    outer = der_element(der, 0, len(der))
    if outer[0] != SEQUENCE:
        raise NotPlainDer
    fields = der_children(der, der_children(der, outer, SEQUENCE, SEQUENCE, BIT_STRING)[0])
    if fields and fields[0][0] == _EXPLICIT_0:
        der_children(der, fields.pop(0), INTEGER)
    if tuple([f[0] for f in fields[:6]]) != _TBS_TAGS:
        raise NotPlainDer
    tail = [f[0] for f in fields[6:]]
    if tail != [tag for tag in _TBS_TAIL if tag in tail]:
        raise NotPlainDer
    for field in fields[6:]:
        if field[0] == 0xA3:
            der_children(der, field, SEQUENCE)
    serial, _, issuer, validity, subject, spki = fields[:6]
    return serial, issuer, validity, subject, spki


# PKCS#7 signed data ---------------------------------------------------------------------------


class PlainCertificate(NamedTuple):
    """A certificate of a signature block; names and key as encoded.

    This and :class:`PlainSignerInfo` are named tuples: one is built per signature block
    of every APK, and a tuple is built several times faster than a frozen dataclass.
    """

    der: bytes
    serial: int
    issuer: bytes
    subject: bytes
    public_key: bytes


class PlainSignerInfo(NamedTuple):
    """A SignerInfo that names its certificate by issuer and serial number."""

    issuer: bytes
    serial: int
    digest_algorithm: str
    """Dotted object identifier."""
    signed_attributes: bytes | None
    """The encoded attributes, as stored (tagged [0])."""
    first_values: dict[str, tuple[int, bytes] | None]
    """Per signed attribute (named as asn1crypto names it): tag and contents of its first
    value, None when it has no value."""
    signature: bytes


_new = tuple.__new__
"""Builds a named tuple from a tuple of its fields in one C call (the class call runs a
Python ``__new__``)."""


def plain_signed_data(
    raw: bytes, max_certificates: int, max_signer_infos: int
) -> tuple[list[PlainCertificate], list[PlainSignerInfo]]:
    """The certificates and the first SignerInfos of a PKCS#7 signed-data block.

    More than ``max_certificates`` certificates, or none, is left to asn1crypto.
    """
    info = der_element(raw, 0, len(raw))
    kind, content = der_children(raw, info, OID, _EXPLICIT_0)
    if info[0] != SEQUENCE or oid_text(contents(raw, kind)) != _SIGNED_DATA:
        raise NotPlainDer
    fields = der_children(raw, der_children(raw, content, SEQUENCE)[0])
    if tuple([f[0] for f in fields]) not in _SIGNED_DATA_TAGS:
        raise NotPlainDer
    elements = der_children(raw, fields[3])
    if not 0 < len(elements) <= max_certificates:
        raise NotPlainDer
    bag = [_certificate(encoded(raw, e)) for e in elements]
    infos = der_children(raw, fields[-1])[:max_signer_infos]
    return bag, [_signer_info(raw, e) for e in infos]


def _certificate(der: bytes) -> PlainCertificate:
    serial, issuer, _, subject, key = certificate_fields(der)
    return _new(
        PlainCertificate,
        (
            der,
            der_integer(der, serial),
            encoded(der, issuer),
            encoded(der, subject),
            encoded(der, key),
        ),
    )


def _signer_info(raw: bytes, element: DerElement) -> PlainSignerInfo:
    fields = der_children(raw, element)
    tags = tuple([f[0] for f in fields])
    signed = fields[3] if tags[3:4] == (_EXPLICIT_0,) else None
    tail = tags[4:] if signed else tags[3:]
    if element[0] != SEQUENCE or tags[:3] != (INTEGER, SEQUENCE, SEQUENCE):
        raise NotPlainDer
    if tail not in _SIGNER_INFO_TAILS:
        raise NotPlainDer
    issuer, serial = der_children(raw, fields[1], SEQUENCE, INTEGER)
    algorithm = der_children(raw, fields[2])
    if not 0 < len(algorithm) <= 2 or algorithm[0][0] != OID:
        raise NotPlainDer
    return PlainSignerInfo(
        issuer=encoded(raw, issuer),
        serial=der_integer(raw, serial),
        digest_algorithm=oid_text(contents(raw, algorithm[0])),
        signed_attributes=encoded(raw, signed) if signed else None,
        first_values=_first_values(raw, signed) if signed else {},
        signature=contents(raw, fields[-2] if tail[-1] == _IMPLICIT_1 else fields[-1]),
    )


def _first_values(raw: bytes, attributes: DerElement) -> dict[str, tuple[int, bytes] | None]:
    found: dict[str, tuple[int, bytes] | None] = {}
    for attribute in der_children(raw, attributes):
        kind, values = der_children(raw, attribute, OID, SET)
        if attribute[0] != SEQUENCE:
            raise NotPlainDer
        oid = oid_text(contents(raw, kind))
        first = der_children(raw, values)[:1]
        found[_ATTRIBUTE_NAMES.get(oid, oid)] = (
            (first[0][0], contents(raw, first[0])) if first else None
        )
    return found
