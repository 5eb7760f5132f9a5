"""unstalk reads certificates and JAR signature blocks the same with its DER walker as with
asn1crypto.

Plain DER goes through ``parsers/der.py`` (fast), anything else through asn1crypto; a
report must not depend on which one ran. Both readings are compared on every certificate
and signature block of the AOSP apksig corpus, on crafted certificates of every string
type, time form and key kind, and on randomly damaged copies of both.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
from asn1crypto import pem, x509  # type: ignore[import-untyped]
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unstalk.apk.model import Certificate
from unstalk.apk.parsers import certs, signing_v1
from unstalk.apk.parsers.certs import ASN1_ERRORS, certificate_from_der
from unstalk.apk.parsers.der import (
    NotPlainDer,
    PlainCertificate,
    der_element,
    plain_signed_data,
)
from unstalk.apk.parsers.signing_block import (
    SCHEME_BLOCK_IDS,
    find_signing_block,
    read_scheme_signers,
)
from unstalk.apk.parsers.signing_v1 import SIGNATURE_BLOCK_EXTENSIONS
from unstalk.apk.parsers.zip import ApkZip
from unstalk.errors import ApkError

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "apksig"
needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"the AOSP apksig corpus is missing at {CORPUS}"
)
_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Reading = Certificate | str
"""What a reader makes of a certificate: the certificate, or that it is malformed."""


def by_asn1crypto(der: bytes) -> Reading:
    try:
        return certs._read(x509.Certificate.load(der), der)
    except ASN1_ERRORS:
        return "malformed"


def by_walker(der: bytes) -> Reading | None:
    """None when the walker leaves the certificate to asn1crypto."""
    try:
        return certs._read_fast(der)
    except NotPlainDer:
        return None


def read_as_unstalk_does(der: bytes) -> Reading:
    certs.clear_cache()
    try:
        return certificate_from_der(der)
    except ApkError:
        return "malformed"


def assert_same_reading(der: bytes) -> bool:
    """Both readings agree; True when the walker read it."""
    reference = by_asn1crypto(der)
    fast = by_walker(der)
    assert fast is None or fast == reference
    assert read_as_unstalk_does(der) == reference
    return fast is not None


# DER building ---------------------------------------------------------------------------------


def tlv(tag: int, body: bytes) -> bytes:
    if len(body) < 0x80:
        return bytes((tag, len(body))) + body
    size = (len(body).bit_length() + 7) // 8
    return bytes((tag, 0x80 | size)) + len(body).to_bytes(size, "big") + body


def oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        while arc := arc >> 7:
            chunk.append(0x80 | arc & 0x7F)
        body += bytes(reversed(chunk))
    return tlv(0x06, bytes(body))


def integer(value: int) -> bytes:
    return tlv(
        0x02, value.to_bytes((value + (value < 0)).bit_length() // 8 + 1, "big", signed=True)
    )


def name(rdns: list[list[tuple[str, int, bytes]]]) -> bytes:
    return tlv(
        0x30,
        b"".join(
            tlv(0x31, b"".join(tlv(0x30, oid(kind) + tlv(tag, value)) for kind, tag, value in rdn))
            for rdn in rdns
        ),
    )


@cache
def public_keys() -> tuple[bytes, ...]:
    made = (
        rsa.generate_private_key(65537, 1024).public_key(),
        ec.generate_private_key(ec.SECP256R1()).public_key(),
        ec.generate_private_key(ec.SECP521R1()).public_key(),
        dsa.generate_private_key(1024).public_key(),
    )
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return tuple(k.public_bytes(serialization.Encoding.DER, spki) for k in made)


def certificate(
    subject: bytes, issuer: bytes, times: tuple[bytes, bytes], serial: int, key: bytes
) -> bytes:
    algorithm = tlv(0x30, oid("1.2.840.113549.1.1.11") + tlv(0x05, b""))
    tbs = tlv(
        0x30,
        tlv(0xA0, integer(2))
        + integer(serial)
        + algorithm
        + issuer
        + tlv(0x30, times[0] + times[1])
        + subject
        + key
        + tlv(0xA3, tlv(0x30, b"")),
    )
    return tlv(0x30, tbs + algorithm + tlv(0x03, b"\0" + bytes(32)))


# Strategies -----------------------------------------------------------------------------------

ATTRIBUTE_TYPES = (
    "2.5.4.3",  # CN
    "2.5.4.10",  # O
    "2.5.4.11",  # OU
    "2.5.4.6",  # C
    "2.5.4.5",  # serialNumber
    "2.5.4.20",  # telephoneNumber: a PrintableString
    "1.2.840.113549.1.9.1",  # emailAddress: decoded as IDNA after the '@'
    "0.9.2342.19200300.100.1.25",  # DC: IDNA
    "0.9.2342.19200300.100.1.1",  # UID
    "1.3.6.1.4.1.99999.1",  # unknown to both
)
PLAIN_TAGS = (0x0C, 0x13, 0x16)
"""UTF8String, PrintableString, IA5String: what signers write, and the walker reads."""
OTHER_TAGS = (0x14, 0x1E, 0x1C, 0x04, 0x02)
"""Teletex, BMP and Universal strings, OCTET STRING and INTEGER values: left to asn1crypto."""
string_tags = st.one_of(st.sampled_from(PLAIN_TAGS), st.sampled_from(PLAIN_TAGS + OTHER_TAGS))
texts = st.one_of(
    st.text(alphabet=st.sampled_from('aZ09 #+,;<>"\\=-.@'), max_size=12).map(str.encode),
    st.text(alphabet=st.sampled_from("a\0é中 "), max_size=6).map(str.encode),
    st.sampled_from([b"android@android.com", b"x@xn--bcher-kva.example", b"XN--a", b" a "]),
    st.binary(max_size=8),
)
ordinary = st.tuples(
    st.sampled_from(ATTRIBUTE_TYPES[:4]),
    st.sampled_from(PLAIN_TAGS),
    st.text(alphabet=st.sampled_from('aZ09 #+,;<>"\\=-.'), max_size=12).map(str.encode),
)
attributes = st.one_of(ordinary, st.tuples(st.sampled_from(ATTRIBUTE_TYPES), string_tags, texts))
names = st.lists(st.lists(attributes, min_size=1, max_size=3), max_size=4).map(name)
moments = st.datetimes(datetime(1950, 1, 1), datetime(2049, 12, 31, 23, 59, 59))
utc_times = moments.map(lambda m: tlv(0x17, m.strftime("%y%m%d%H%M%SZ").encode()))
generalized_times = st.datetimes(datetime(1, 1, 1)).map(
    lambda m: tlv(0x18, f"{m.year:04}{m:%m%d%H%M%S}Z".encode())
)
odd_times = st.one_of(
    st.from_regex(rb"\A[0-9]{12}Z\Z").map(lambda text: tlv(0x17, text)),
    st.from_regex(rb"\A[0-9]{14}Z\Z").map(lambda text: tlv(0x18, text)),
    st.sampled_from([b"4912312359Z", b"491231235959+0100", b"0001010000Z"]).map(
        lambda text: tlv(0x17, text)
    ),
    st.sampled_from([b"00000101000000Z", b"20500101000000.5Z", b"205001010000Z"]).map(
        lambda text: tlv(0x18, text)
    ),
)
times = st.one_of(utc_times, generalized_times, odd_times)
serials = st.one_of(st.integers(-(2**70), 2**70), st.sampled_from([0, -1, 2**159]))


@given(
    subject=names,
    issuer=st.one_of(names, st.none()),
    validity=st.tuples(times, times),
    serial=serials,
    key=st.integers(0, 3),
)
@_SETTINGS
def test_crafted_certificates_read_the_same_both_ways(
    subject: bytes,
    issuer: bytes | None,
    validity: tuple[bytes, bytes],
    serial: int,
    key: int,
) -> None:
    der = certificate(subject, issuer or subject, validity, serial, public_keys()[key])
    assert_same_reading(der)


def test_an_ordinary_certificate_is_read_by_the_walker() -> None:
    # The fast reading must cover what real signers use, or it saves nothing.
    cn = [("2.5.4.3", 0x0C, b"Android Debug")]
    c = [("2.5.4.6", 0x13, b"US")]
    email = [("1.2.840.113549.1.9.1", 0x16, b"android@android.com")]
    subject = name([c, cn, email])
    when = (tlv(0x17, b"080229013346Z"), tlv(0x18, b"20500717013346Z"))
    for key in public_keys():
        assert assert_same_reading(certificate(subject, subject, when, 0x1234, key))
    read = certificate_from_der(certificate(subject, subject, when, -5, public_keys()[0]))
    assert read.subject == "1.2.840.113549.1.9.1=android@android.com,CN=Android Debug,C=US"
    assert (read.serial, read.key_algorithm) == ("-5", "RSA 1024")
    assert read.not_after == datetime(2050, 7, 17, 1, 33, 46, tzinfo=UTC)


@given(data=st.data())
@_SETTINGS
def test_damaged_certificates_read_the_same_both_ways(data: st.DataObject) -> None:
    der = bytearray(data.draw(st.sampled_from(corpus_certificates() or sample_certificates())))
    for _ in range(data.draw(st.integers(1, 2))):
        der[data.draw(st.integers(0, len(der) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.one_of(st.just(len(der)), st.integers(len(der) // 2, len(der))))
    assert_same_reading(bytes(der[:cut]))


@needs_corpus
def test_every_corpus_certificate_reads_the_same_both_ways() -> None:
    found = corpus_certificates()
    assert len(found) > 20
    assert all(assert_same_reading(der) for der in found)


# Signature blocks ----------------------------------------------------------------------------

Chain = tuple[list[bytes], str | None] | str


def chain_by_asn1crypto(block: bytes, signature_file: bytes | None) -> Chain:
    try:
        found, problem = signing_v1._signer_chain(block, signature_file)
        return [c.dump() for c in found], problem
    except (ApkError, *ASN1_ERRORS):
        return "unreadable"


def chain_by_walker(block: bytes, signature_file: bytes | None) -> Chain | None:
    try:
        return signing_v1._plain_chain(block, signature_file)
    except (NotPlainDer, *ASN1_ERRORS):
        return None


def assert_same_chain(block: bytes, signature_file: bytes | None) -> bool:
    fast = chain_by_walker(block, signature_file)
    assert fast is None or fast == chain_by_asn1crypto(block, signature_file)
    return fast is not None


@needs_corpus
def test_every_corpus_signature_block_reads_the_same_both_ways() -> None:
    blocks = list(corpus_blocks())
    assert len(blocks) > 100
    for block, signature_file in blocks:
        assert assert_same_chain(block, signature_file)
        assert assert_same_chain(block, None)


@given(data=st.data())
@_SETTINGS
def test_damaged_signature_blocks_read_the_same_both_ways(data: st.DataObject) -> None:
    block, signature_file = data.draw(st.sampled_from(crafted_blocks()))
    damaged = bytearray(block)
    for _ in range(data.draw(st.integers(1, 3))):
        damaged[data.draw(st.integers(0, len(damaged) - 1))] = data.draw(st.integers(0, 255))
    assert_same_chain(bytes(damaged), signature_file)


def test_crafted_signature_blocks_are_read_by_the_walker() -> None:
    for block, signature_file in crafted_blocks():
        assert assert_same_chain(block, signature_file)
        bag, infos = plain_signed_data(block, 64, 8)
        assert bag and infos


@pytest.mark.parametrize(
    "header", [b"\x04\x05", b"\x04\x81\x05", b"\x04\x82\x00\x05", b"\x04\x83\x00\x00\x05"]
)
def test_every_definite_length_form_is_read(header: bytes) -> None:
    buf = header + b"12345" + b"trailing"
    assert der_element(buf, 0, len(buf)) == (0x04, len(header), len(header) + 5, 0)


@pytest.mark.parametrize(
    "buf",
    [
        b"\x04\x81",  # a length byte announced, none there
        b"\x04\x82\x05",  # two announced, one there
        b"\x04\x82\x00\x06" + b"12345",  # longer than what is left
        b"\x04\x80\x00\x00",  # indefinite length
        b"\x04\x84\x00\x00\x00\x05" + b"12345",  # four length bytes
        b"\x1f\x01\x00",  # multi-byte tag
    ],
)
def test_unusual_or_cut_lengths_are_left_to_asn1crypto(buf: bytes) -> None:
    with pytest.raises(NotPlainDer):
        der_element(buf, 0, len(buf))


# Material -------------------------------------------------------------------------------------


@cache
def sample_certificates() -> tuple[bytes, ...]:
    subject = name([[("2.5.4.3", 0x0C, b"Sample")]])
    when = (tlv(0x17, b"200101000000Z"), tlv(0x17, b"300101000000Z"))
    return tuple(certificate(subject, subject, when, 7, key) for key in public_keys())


@cache
def corpus_certificates() -> tuple[bytes, ...]:
    if not CORPUS.is_dir():
        return ()
    found = {pem.unarmor(p.read_bytes())[2] for p in CORPUS.glob("*.x509.pem")}
    for apk in sorted(CORPUS.glob("*.apk")):
        try:
            archive = ApkZip.from_bytes(apk.read_bytes(), path=apk.name)
        except ApkError:
            continue
        found.update(_block_certificates(archive))
        found.update(c.der for block, _ in _blocks(archive) for c in _bag(block))
    return tuple(sorted(found))


def _block_certificates(archive: ApkZip) -> Iterator[bytes]:
    problems: list[str] = []
    block = find_signing_block(archive, problems)
    if block is None:
        return
    for scheme, block_id in ((s, i) for s, i in SCHEME_BLOCK_IDS if i in block.pairs):
        for signer in read_scheme_signers(block.pairs[block_id], scheme, problems):
            yield from signer.certificates


def _bag(block: bytes) -> list[PlainCertificate]:
    try:
        return plain_signed_data(block, 64, 8)[0]
    except (NotPlainDer, *ASN1_ERRORS):
        return []


def corpus_blocks() -> Iterator[tuple[bytes, bytes | None]]:
    for apk in sorted(CORPUS.glob("*.apk")):
        try:
            yield from _blocks(ApkZip.from_bytes(apk.read_bytes(), path=apk.name))
        except ApkError:
            continue


def _blocks(archive: ApkZip) -> Iterator[tuple[bytes, bytes | None]]:
    for entry in archive.names:
        if entry.startswith("META-INF/") and entry.upper().endswith(SIGNATURE_BLOCK_EXTENSIONS):
            stem = entry[: entry.rfind(".")]
            try:
                block = archive.read(entry)
            except ApkError:
                continue
            try:
                signature_file: bytes | None = archive.read(stem + ".SF")
            except ApkError:
                signature_file = None
            yield block, signature_file


@cache
def crafted_blocks() -> tuple[tuple[bytes, bytes], ...]:
    """PKCS#7 blocks as cryptography writes them, with and without signed attributes."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = cx509.Name([cx509.NameAttribute(cx509.NameOID.COMMON_NAME, "Crafted")])
    when = datetime(2020, 1, 1, tzinfo=UTC)
    cert = (
        cx509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(99)
        .not_valid_before(when)
        .not_valid_after(when.replace(year=2040))
        .sign(key, hashes.SHA256())
    )
    content = b"Signature-Version: 1.0\r\nX-Android-APK-Signed: 2\r\n\r\n"
    made = []
    detached = pkcs7.PKCS7Options.DetachedSignature
    for options in ([detached], [detached, pkcs7.PKCS7Options.NoAttributes]):
        builder = pkcs7.PKCS7SignatureBuilder().set_data(content)
        builder = builder.add_signer(cert, key, hashes.SHA256())
        block = builder.sign(serialization.Encoding.DER, [*options, pkcs7.PKCS7Options.Binary])
        made.append((block, content))
    made.append((made[0][0], content + b"changed"))
    return tuple(made)
