"""Signing blocks, signers, lineages and JAR signatures built byte by byte, many hostile.

Every malformed structure must come back as a plain-language problem in the
:class:`~unstalk.apk.model.Signing` report (or an :class:`ApkError` for a bad
certificate given directly), never as another exception or a long loop.
"""

from __future__ import annotations

import struct

import pytest
from cryptography import x509 as cx509
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.apk import signing_fixtures as fx
from tests.apk.signing_fixtures import read_crafted
from unstalk.apk.model import SignatureScheme, Signing
from unstalk.apk.parsers.signing import certificate_from_der
from unstalk.errors import ApkError

# --- certificates --------------------------------------------------------------------------


def test_distinguished_names_are_escaped_as_rfc_4514_says() -> None:
    who = fx.identity('#1, "evil" + co <x>; ', organization="Acme, Inc.")
    cert = certificate_from_der(who.cert)
    reference = cx509.load_der_x509_certificate(who.cert).subject.rfc4514_string()
    assert cert.subject == reference
    assert cert.common_name == '#1, "evil" + co <x>; '
    assert cert.organization == "Acme, Inc."
    assert cert.serial == "1234abcd"


@pytest.mark.parametrize("der", [b"", b"\x30\x03\x02\x01\x01", b"not a certificate" * 10])
def test_garbage_is_not_a_certificate(der: bytes) -> None:
    with pytest.raises(ApkError, match="certificate"):
        certificate_from_der(der)


def test_an_oversized_certificate_is_refused_before_parsing() -> None:
    with pytest.raises(ApkError, match="too large"):
        certificate_from_der(b"\x30\x84\x01\x00\x00\x00" + b"\x00" * (1 << 24))


# --- crafted signing blocks ----------------------------------------------------------------


def test_crafted_v3_signer_with_rotation_lineage() -> None:
    old, new = fx.identity("old key"), fx.identity("new key")
    attribute = fx.lineage_attribute(fx.lineage([old, new]))
    value = fx.seq([fx.signer(new, v3=True, attributes=[attribute], min_sdk=28)])
    signing = read_crafted(fx.apk_with_pairs([(fx.V3_ID, value)]))
    assert signing.problems == ()
    assert signing.schemes == (SignatureScheme.V3,)
    (signer,) = signing.signers
    assert (signer.min_sdk, signer.max_sdk) == (28, fx.MAX_SDK)
    assert [c.common_name for c in signing.lineage] == ["old key", "new key"]
    assert signer.certificates[0] == signing.lineage[-1]


def test_forged_lineage_link_is_reported() -> None:
    old, new = fx.identity("old key"), fx.identity("new key")
    attribute = fx.lineage_attribute(fx.lineage([old, new], tamper_at=1))
    value = fx.seq([fx.signer(new, v3=True, attributes=[attribute])])
    signing = read_crafted(fx.apk_with_pairs([(fx.V3_ID, value)]))
    assert any("lineage certificate #2" in p and "does not verify" in p for p in signing.problems)


def test_lineage_that_does_not_end_with_the_signer_is_reported() -> None:
    old, new, other = fx.identity("old key"), fx.identity("new key"), fx.identity("other")
    attribute = fx.lineage_attribute(fx.lineage([old, new]))
    value = fx.seq([fx.signer(other, v3=True, attributes=[attribute])])
    signing = read_crafted(fx.apk_with_pairs([(fx.V3_ID, value)]))
    assert any("does not end with its own certificate" in p for p in signing.problems)


def test_unknown_lineage_version_is_reported_and_no_lineage_claimed() -> None:
    new = fx.identity("new key")
    attribute = fx.lineage_attribute(fx.lineage([fx.identity("old key"), new], version=2))
    value = fx.seq([fx.signer(new, v3=True, attributes=[attribute])])
    signing = read_crafted(fx.apk_with_pairs([(fx.V3_ID, value)]))
    assert signing.lineage == ()
    assert any("unknown format version (2)" in p for p in signing.problems)
    assert len(signing.signers) == 1


def test_tampered_v2_signature_is_reported_and_signer_still_listed() -> None:
    who = fx.identity("signer")
    value = fx.seq([fx.signer(who, tamper=True)])
    signing = read_crafted(fx.apk_with_pairs([(fx.V2_ID, value)]))
    assert [s.certificates[0].common_name for s in signing.signers] == ["signer"]
    assert any("ECDSA with SHA-256 signature does not verify" in p for p in signing.problems)


def test_wrong_content_digest_is_reported() -> None:
    value = fx.seq([fx.signer(fx.identity("signer"))])
    signing = read_crafted(fx.apk_with_pairs([(fx.V2_ID, value)]), verify_digests=True)
    assert any("changed after signing" in p for p in signing.problems)


def test_unknown_block_ids_are_skipped() -> None:
    value = fx.seq([fx.signer(fx.identity("signer"))])
    entries = [(0x42726577, b"\x00" * 100), (0x6DFF800D, b"stamp"), (fx.V2_ID, value)]
    signing = read_crafted(fx.apk_with_pairs(entries))
    assert (signing.schemes, signing.problems) == ((SignatureScheme.V2,), ())


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (fx.signing_block(b"", size=1 << 40), "does not fit"),
        (fx.signing_block(b"", size=8), "does not fit"),
        (fx.signing_block(fx.pairs([(fx.V2_ID, b"abc")]), head_size=99), "sizes at its start"),
        (fx.signing_block(struct.pack("<QI", 1 << 62, fx.V2_ID)), "impossible length"),
        (fx.signing_block(struct.pack("<QI", 3, fx.V2_ID)), "impossible length"),
        (fx.signing_block(b"\x01\x02\x03"), "truncated entry"),
        (fx.signing_block(fx.pairs([(7, b"")] * 2000)), "more than 1024 entries"),
    ],
)
def test_hostile_block_frames_become_problems(block: bytes, message: str) -> None:
    signing = read_crafted(fx.insert_block(fx.base_apk(), block))
    assert any(message in p for p in signing.problems)
    assert signing.signers == ()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (fx.lp(b""), "lists no signers"),
        (struct.pack("<I", 0xFFFFFFFF), "runs past the end"),
        (b"\x01", "runs past the end"),
        (fx.seq([b""]), "damaged at signer #1"),
        (fx.seq([fx.lp(b"\xff\xff\xff\xff")]), "damaged at signer #1"),
        (fx.seq([fx.lp(fx.seq([]) * 3) + fx.seq([]) + fx.lp(b"")] * 40), "more than 32 signers"),
    ],
)
def test_hostile_signer_lists_become_problems(value: bytes, message: str) -> None:
    signing = read_crafted(fx.apk_with_pairs([(fx.V2_ID, value)]))
    assert signing.schemes == (SignatureScheme.V2,)
    assert any(message in p for p in signing.problems)


def test_huge_certificate_counts_are_capped() -> None:
    value = fx.seq([fx.signer(fx.identity("signer"), certificates=[b""] * 100)])
    signing = read_crafted(fx.apk_with_pairs([(fx.V2_ID, value)]))
    assert any("more than 64 certificates" in p for p in signing.problems)


def test_unreadable_certificate_is_reported_and_skipped() -> None:
    value = fx.seq([fx.signer(fx.identity("signer"), certificates=[b"\x30\x00junk"])])
    signing = read_crafted(fx.apk_with_pairs([(fx.V2_ID, value)]))
    assert signing.signers == ()
    assert any("certificate #1 cannot be read" in p for p in signing.problems)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([fx.V2_ID, fx.V3_ID, fx.V31_ID]), st.binary(max_size=300))
def test_random_scheme_blocks_never_crash(block_id: int, value: bytes) -> None:
    signing = read_crafted(fx.apk_with_pairs([(block_id, value)]))
    assert isinstance(signing, Signing)


def test_unreadable_jar_signature_block_is_a_problem() -> None:
    apk = fx.base_apk(
        {"META-INF/CERT.SF": b"Signature-Version: 1.0\r\n", "META-INF/CERT.RSA": b"x"}
    )
    signing = read_crafted(apk)
    assert signing.schemes == (SignatureScheme.V1,)
    assert signing.signers == ()
    assert any("META-INF/CERT.RSA cannot be read" in p for p in signing.problems)


def test_unpaired_jar_signature_files_are_reported() -> None:
    apk = fx.base_apk({"META-INF/A.RSA": b"x", "META-INF/B.SF": b"Signature-Version: 1.0\n"})
    problems = read_crafted(apk).problems
    assert any("META-INF/A.RSA has no matching .SF" in p for p in problems)
    assert any("META-INF/B.SF has no signature block" in p for p in problems)
