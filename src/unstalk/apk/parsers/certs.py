"""X.509 certificates as an APK stores them, read into :class:`~unstalk.apk.model.Certificate`.

Fingerprints are computed over the bytes exactly as stored: Android and the
indicator feeds identify a signer by the digest of its encoded certificate, and
re-encoding (which strict DER parsers do to certificates that are not perfect
DER) would change them. asn1crypto is used because it reads such lax encodings
and parses lazily, so only the fields asked for are decoded.

asn1crypto takes about 0.4 ms a certificate, more than verifying most
signatures, so certificates are first read with :mod:`~unstalk.apk.parsers.der`,
five times faster. What that cannot read exactly as asn1crypto does is left to
asn1crypto: lengths and layouts it does not know, strings other than UTF8String,
PrintableString and IA5String, unusual times, keys other than RSA, DSA and EC.
Tests compare both readings. Results are kept per encoded certificate: the APKs
of one developer share a few signers.
"""

from __future__ import annotations

import hashlib
import math
import re
from datetime import UTC, datetime
from functools import lru_cache

from asn1crypto import core, keys, x509  # type: ignore[import-untyped]

from unstalk.apk.model import Certificate
from unstalk.apk.parsers.der import (
    BIT_STRING,
    INTEGER,
    MAX_PLAIN_CERTIFICATE,
    OID,
    SEQUENCE,
    DerElement,
    NotPlainDer,
    certificate_fields,
    contents,
    der_children,
    der_element,
    der_integer,
    encoded,
    oid_text,
)
from unstalk.errors import ApkError

MAX_CERTIFICATE_SIZE = 64 * 1024
"""Real signing certificates are 1 to 3 KiB; a 16384-bit RSA one is about 2.5 KiB."""
CACHE_SIZE = 512
"""Certificates, and names, kept once read: 8 MiB each at most (see MAX_PLAIN_CERTIFICATE)."""

ASN1_ERRORS = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    OverflowError,
    AttributeError,
    RecursionError,
)
"""What asn1crypto may raise on malformed or hostile input (it parses lazily, on access)."""

# RFC 4514 section 3 names, as cryptography's rfc4514_string() spells them; other
# attribute types are written as dotted OIDs.
_SHORT_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.6": "C",
    "2.5.4.9": "STREET",
    "0.9.2342.19200300.100.1.25": "DC",
    "0.9.2342.19200300.100.1.1": "UID",
}
_OID_CN = "2.5.4.3"
_OID_O = "2.5.4.10"
_ESCAPED = '\\"+,;<>'
_ESCAPES = str.maketrans({c: "\\" + c for c in _ESCAPED} | {"\0": "\\00"})
_NEEDS_ESCAPE = re.compile(f"[{re.escape(_ESCAPED)}\\x00]")
_KEY_NAMES = {"rsa": "RSA", "rsassa_pss": "RSA-PSS", "dsa": "DSA", "ec": "EC"}
_CURVE_BITS = re.compile(r"(\d{3})")


def certificate_from_der(der: bytes) -> Certificate:
    """Read one encoded X.509 certificate; raise :class:`ApkError` when it is not one.

    ``sha1`` and ``sha256`` are upper-case hex digests of ``der`` itself.
    """
    if len(der) > MAX_CERTIFICATE_SIZE:
        raise ApkError(f"a certificate of {len(der):,} bytes is too large to be genuine")
    if len(der) > MAX_PLAIN_CERTIFICATE:
        return _certificate.__wrapped__(bytes(der))
    return _certificate(bytes(der))


def clear_cache() -> None:
    """Forget the certificates read so far (benchmarks time reading them)."""
    _certificate.cache_clear()
    _name.cache_clear()
    certificate_fields.cache_clear()


@lru_cache(maxsize=CACHE_SIZE)
def _certificate(der: bytes) -> Certificate:
    try:
        return _read_fast(der)
    except NotPlainDer:
        pass
    try:
        cert = x509.Certificate.load(der)
        return _read(cert, der)
    except ASN1_ERRORS as e:
        raise ApkError(f"a signing certificate is malformed ({_reason(e)})") from e


def _read(cert: x509.Certificate, der: bytes) -> Certificate:
    tbs = cert["tbs_certificate"]
    subject = tbs["subject"]
    validity = tbs["validity"]
    return Certificate(
        sha1=hashlib.sha1(der).hexdigest().upper(),
        sha256=hashlib.sha256(der).hexdigest().upper(),
        subject=_rfc4514(subject),
        issuer=_rfc4514(tbs["issuer"]),
        serial=_serial(tbs["serial_number"].native),
        not_before=_time(validity["not_before"]),
        not_after=_time(validity["not_after"]),
        key_algorithm=_key_description(tbs["subject_public_key_info"]),
        organization=_first_value(subject, _OID_O),
        common_name=_first_value(subject, _OID_CN),
    )


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:160] if text else type(error).__name__


def _serial(value: object) -> str:
    # keytool prints serials as lower-case hex; -1 style negatives only in broken certs.
    if not isinstance(value, int):
        raise ValueError("serial number is not an integer")
    return f"-{-value:x}" if value < 0 else f"{value:x}"


def _time(value: x509.Time) -> datetime | None:
    # A certificate with an unreadable date is still worth reporting.
    try:
        native = value.native
    except ASN1_ERRORS:
        return None
    return native if isinstance(native, datetime) else None


def _rfc4514(name: x509.Name) -> str:
    """Format a distinguished name as RFC 4514 does: most specific RDN first."""
    return ",".join("+".join(_attribute(atv) for atv in rdn) for rdn in reversed(name.chosen))


def _attribute(atv: x509.NameTypeAndValue) -> str:
    oid: str = atv["type"].dotted
    label = _SHORT_NAMES.get(oid, oid)
    return f"{label}={_value_text(atv['value'])}"


def _value_text(value: core.Asn1Value) -> str:
    native = value.native
    if not isinstance(native, str):
        encoded: bytes = value.dump()
        return "#" + encoded.hex()
    return _escaped(native)


def _escaped(native: str) -> str:
    if not native:
        return ""
    # Most values need no escape; translate() costs a dict look-up per character.
    text = native.translate(_ESCAPES) if _NEEDS_ESCAPE.search(native) else native
    if text[0] in "# ":
        text = "\\" + text
    if len(native) > 1 and native.endswith(" "):
        text = text[:-1] + "\\ "
    return text


def _first_value(name: x509.Name, oid: str) -> str | None:
    """The attribute as RFC 4514 prints it first (the most specific), unescaped."""
    for rdn in reversed(name.chosen):
        for atv in rdn:
            if atv["type"].dotted == oid:
                native = atv["value"].native
                return native if isinstance(native, str) else None
    return None


def _key_description(spki: keys.PublicKeyInfo) -> str:
    """``RSA 2048``, ``EC 256``, ``DSA 1024``; the algorithm alone when its size is unknown."""
    algorithm = spki["algorithm"]["algorithm"]
    name: str = _KEY_NAMES.get(algorithm.native, algorithm.dotted)
    try:
        bits = _key_bits(spki)
    except ASN1_ERRORS:
        bits = None
    return f"{name} {bits}" if bits else name


def _key_bits(spki: keys.PublicKeyInfo) -> int | None:
    algorithm = spki.algorithm
    if algorithm == "ec":
        return _curve_bits(spki.curve)
    if algorithm in ("rsa", "rsassa_pss", "dsa"):
        bits = spki.bit_size
        return bits if isinstance(bits, int) else None
    return None


def _curve_bits(curve: tuple[str, object]) -> int | None:
    # asn1crypto rounds P-521 up to whole bytes (528); the curve name is exact.
    kind, name = curve
    found = _CURVE_BITS.search(name) if kind == "named" and isinstance(name, str) else None
    return int(found.group(1)) if found else None


def name_text(der: bytes) -> str | None:
    """The RFC 4514 text of an encoded distinguished name; None when it is read the slow way.

    Two names of the same text are equal; names of different texts may still be (X.509
    compares names ignoring case and spaces).
    """
    if len(der) > MAX_PLAIN_CERTIFICATE:
        return None
    try:
        return _name(bytes(der))[0]
    except NotPlainDer:
        return None


def public_key_der(der: bytes) -> bytes:
    """The certificate's SubjectPublicKeyInfo as encoded in it; :class:`ApkError` if unreadable."""
    try:
        return encoded(der, certificate_fields(bytes(der))[4])
    except NotPlainDer:
        pass
    try:
        spki = x509.Certificate.load(der)["tbs_certificate"]["subject_public_key_info"]
        dumped: bytes = spki.dump()
    except ASN1_ERRORS as e:
        raise ApkError(f"a signing certificate is malformed ({_reason(e)})") from e
    return dumped


# The fast reading -----------------------------------------------------------------------------

_RDN = 0x31
_STRINGS = {0x0C: "utf-8", 0x13: "latin-1", 0x16: "ascii"}
"""UTF8String, PrintableString and IA5String, decoded as asn1crypto decodes them."""
_VALUE_SPECS = {
    oid: x509.NameTypeAndValue._oid_specs.get(name) for oid, name in x509.NameType._map.items()
}
_GENERIC_SPECS = (None, x509.DirectoryString)
"""Attribute types whose strings asn1crypto decodes by their tag alone."""
_KEY_ALGORITHMS: dict[str, str] = keys.PublicKeyAlgorithmId._map
_CURVES: dict[str, str] = keys.NamedCurve._map
_RSA_IDENTIFIER = bytes.fromhex("300d06092a864886f70d0101010500")
"""AlgorithmIdentifier: rsaEncryption (1.2.840.113549.1.1.1), NULL parameters."""


def _read_fast(der: bytes) -> Certificate:
    serial, issuer, validity, subject, spki = certificate_fields(der)
    times = [_fast_time(der, e) for e in der_children(der, validity)]
    if len(times) != 2:
        raise NotPlainDer
    subject_text, organization, common_name = _name(encoded(der, subject))
    return Certificate(
        sha1=hashlib.sha1(der).hexdigest().upper(),
        sha256=hashlib.sha256(der).hexdigest().upper(),
        subject=subject_text,
        issuer=_name(encoded(der, issuer))[0],
        serial=_serial(der_integer(der, serial)),
        not_before=times[0],
        not_after=times[1],
        key_algorithm=_fast_key_description(der, spki),
        organization=organization,
        common_name=common_name,
    )


def _fast_time(buf: bytes, element: DerElement) -> datetime:
    tag, text = element[0], contents(buf, element)
    if tag == 0x17 and len(text) == 13 and text[:12].isdigit() and text[12:] == b"Z":
        year = int(text[:2])
        year += 2000 if year < 50 else 1900
    elif tag == 0x18 and len(text) == 15 and text[:14].isdigit() and text[14:] == b"Z":
        year, text = int(text[:4]), text[2:]
    else:
        raise NotPlainDer
    # MMDDhhmmss, all digits: one int() and arithmetic instead of five slices (and of
    # divmod() calls); microsecond and time zone by position, which datetime reads faster.
    digits = int(text[2:12])
    try:
        return datetime(
            year,
            digits // 100_000_000,
            digits // 1_000_000 % 100,
            digits // 10_000 % 100,
            digits // 100 % 100,
            digits % 100,
            0,
            UTC,
        )
    except ValueError as e:
        raise NotPlainDer from e


@lru_cache(maxsize=CACHE_SIZE)
def _name(der: bytes) -> tuple[str, str | None, str | None]:
    """RFC 4514 text, organisation and common name of an encoded distinguished name."""
    # Walked in place rather than with der_children: a name has a dozen elements, read
    # for every certificate, and the lists that would build cost more than the walk.
    rdns: list[list[tuple[str, str]]] = []
    _, pos, end, _ = der_element(der, 0, len(der))
    while pos < end:
        tag, start, stop, _ = der_element(der, pos, end)
        if tag != _RDN or start == stop:
            raise NotPlainDer
        rdn = []
        while start < stop:
            atv = der_element(der, start, stop)
            rdn.append(_attribute_value(der, atv))
            start = atv[2]
        rdns.append(rdn)
        pos = stop
    rdns.reverse()
    parts = []
    first: dict[str, str] = {}
    for rdn in rdns:
        texts = []
        for oid, value in rdn:
            texts.append(f"{_SHORT_NAMES.get(oid, oid)}={_escaped(value)}")
            first.setdefault(oid, value)
        parts.append("+".join(texts))
    return ",".join(parts), first.get(_OID_O), first.get(_OID_CN)


def _attribute_value(buf: bytes, atv: DerElement) -> tuple[str, str]:
    if atv[0] != SEQUENCE:
        raise NotPlainDer
    kind = der_element(buf, atv[1], atv[2])
    value = der_element(buf, kind[2], atv[2])
    if value[2] != atv[2] or kind[0] != OID or value[0] not in _STRINGS:
        raise NotPlainDer
    oid = oid_text(buf[kind[1] : kind[2]])
    text = buf[value[1] : value[2]]
    spec = _VALUE_SPECS.get(oid)
    if spec is x509.EmailAddress:
        # asn1crypto decodes the host part as IDNA, which leaves ASCII alone but for "xn--".
        if not text.isascii() or b"xn--" in text:
            raise NotPlainDer
        return oid, text.decode("ascii")
    if spec not in _GENERIC_SPECS:
        raise NotPlainDer
    try:
        return oid, text.decode(_STRINGS[value[0]])
    except UnicodeDecodeError as e:
        raise NotPlainDer from e


def _fast_key_description(buf: bytes, spki: DerElement) -> str:
    algorithm, key = der_children(buf, spki, SEQUENCE, BIT_STRING)
    bits: int | None
    if buf[algorithm[3] : algorithm[2]] == _RSA_IDENTIFIER:
        # Nearly every APK key: the identifier compared whole reads as walking it would.
        name, bits = "RSA", _rsa_bits(buf, key)
    else:
        name, bits = _other_key(buf, algorithm, key)
    return f"{name} {bits}" if bits else name


def _other_key(buf: bytes, algorithm: DerElement, key: DerElement) -> tuple[str, int | None]:
    found = der_children(buf, algorithm)
    if not 0 < len(found) <= 2 or found[0][0] != OID:
        raise NotPlainDer
    identifier, parameters = found[0], found[1:]
    oid = oid_text(contents(buf, identifier))
    native = _KEY_ALGORITHMS.get(oid, oid)
    tags = tuple(p[0] for p in parameters)
    bits: int | None
    if native == "rsa" and tags in ((), (0x05,)):
        bits = _rsa_bits(buf, key)
    elif native == "dsa" and tags == (SEQUENCE,):
        p = der_children(buf, parameters[0], INTEGER, INTEGER, INTEGER)[0]
        bits = _prime_bits(der_integer(buf, p))
    elif native == "ec" and tags == (OID,):
        curve = oid_text(contents(buf, parameters[0]))
        bits = _curve_bits(("named", _CURVES.get(curve, curve)))
    else:
        raise NotPlainDer
    return _KEY_NAMES[native], bits


def _rsa_bits(buf: bytes, key: DerElement) -> int:
    """The size of an RSA key: a BIT STRING without unused bits holding modulus, exponent."""
    rsa_key = der_element(buf, key[1] + 1, key[2])
    if buf[key[1] : key[1] + 1] != b"\0" or rsa_key[0] != SEQUENCE or rsa_key[2] != key[2]:
        raise NotPlainDer
    return _prime_bits(der_integer(buf, der_children(buf, rsa_key, INTEGER, INTEGER)[0]))


def _prime_bits(prime: int) -> int:
    """The key size as asn1crypto's ``bit_size`` works it out: in whole bytes."""
    if prime <= 0:
        raise NotPlainDer
    bits = math.ceil(math.log(prime, 2))
    return bits + (-bits % 8)
