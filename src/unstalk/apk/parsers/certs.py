"""X.509 certificates as an APK stores them, read into :class:`~unstalk.apk.model.Certificate`.

Fingerprints are computed over the bytes exactly as stored: Android and the
indicator feeds identify a signer by the digest of its encoded certificate, and
re-encoding (which strict DER parsers do to certificates that are not perfect
DER) would change them. asn1crypto is used because it reads such lax encodings
and parses lazily, so only the fields asked for are decoded.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from asn1crypto import core, keys, x509  # type: ignore[import-untyped]

from unstalk.apk.model import Certificate
from unstalk.errors import ApkError

MAX_CERTIFICATE_SIZE = 64 * 1024
"""Real signing certificates are 1 to 3 KiB; a 16384-bit RSA one is about 2.5 KiB."""

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
_ESCAPES = str.maketrans(
    {c: "\\" + c for c in '\\"+,;<>'} | {"\0": "\\00"},
)
_KEY_NAMES = {"rsa": "RSA", "rsassa_pss": "RSA-PSS", "dsa": "DSA", "ec": "EC"}
_CURVE_BITS = re.compile(r"(\d{3})")


def certificate_from_der(der: bytes) -> Certificate:
    """Read one encoded X.509 certificate; raise :class:`ApkError` when it is not one.

    ``sha1`` and ``sha256`` are upper-case hex digests of ``der`` itself.
    """
    if len(der) > MAX_CERTIFICATE_SIZE:
        raise ApkError(f"a certificate of {len(der):,} bytes is too large to be genuine")
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
    if not native:
        return ""
    text = native.translate(_ESCAPES)
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
        # asn1crypto rounds P-521 up to whole bytes (528); the curve name is exact.
        kind, curve = spki.curve
        found = _CURVE_BITS.search(curve) if kind == "named" and isinstance(curve, str) else None
        return int(found.group(1)) if found else None
    if algorithm in ("rsa", "rsassa_pss", "dsa"):
        bits = spki.bit_size
        return bits if isinstance(bits, int) else None
    return None


def public_key_der(der: bytes) -> bytes:
    """The certificate's SubjectPublicKeyInfo as encoded in it; :class:`ApkError` if unreadable."""
    try:
        spki = x509.Certificate.load(der)["tbs_certificate"]["subject_public_key_info"]
        encoded: bytes = spki.dump()
    except ASN1_ERRORS as e:
        raise ApkError(f"a signing certificate is malformed ({_reason(e)})") from e
    return encoded
