"""JAR signing digests: MANIFEST.MF over the entries, each .SF file over MANIFEST.MF.

The AOSP apksig corpus holds APKs whose MANIFEST.MF or .SF states a wrong SHA-1 or a
wrong SHA-256 digest beside a right one; apksigner rejects all four by default (see
``assets/signing/apksigner-output.json``). The crafted cases build the manifests here.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from unstalk.apk.parsers.signing import read_signing
from unstalk.apk.parsers.signing_v1_digests import JarDigests, parse_manifest
from unstalk.apk.parsers.zip import DEFAULT_ENTRY_LIMIT, ApkZip

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "apksig"
needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"the AOSP apksig corpus is missing at {CORPUS}"
)
PREFIX = "v1-sha1-sha256-manifest-and-sf"
CODE = b"dex\n035\x00 some code"


def _b64(algorithm: str, data: bytes) -> str:
    return base64.b64encode(hashlib.new(algorithm, data).digest()).decode("ascii")


def _zip(entries: dict[str, bytes]) -> ApkZip:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return ApkZip.from_bytes(buffer.getvalue(), path="crafted.apk")


def _manifest(*, sha1: str | None = None, sha256: str | None = None) -> bytes:
    return (
        "Manifest-Version: 1.0\r\nCreated-By: test\r\n\r\n"
        "Name: classes.dex\r\n"
        f"SHA-256-Digest: {sha256 or _b64('sha256', CODE)}\r\n"
        f"SHA1-Digest: {sha1 or _b64('sha1', CODE)}\r\n\r\n"
    ).encode("ascii")


def _signature_file(
    manifest: bytes, *, whole: str | None = None, section: str | None = None
) -> bytes:
    sections = parse_manifest(manifest)
    body = manifest[sections[1].start : sections[1].end]
    return (
        "Signature-Version: 1.0\r\n"
        f"SHA-256-Digest-Manifest: {whole or _b64('sha256', manifest)}\r\n\r\n"
        "Name: classes.dex\r\n"
        f"SHA-256-Digest: {section or _b64('sha256', body)}\r\n\r\n"
    ).encode("ascii")


def _digests(entries: dict[str, bytes]) -> JarDigests:
    return JarDigests(_zip(entries), entry_limit=DEFAULT_ENTRY_LIMIT)


# --- the corpus --------------------------------------------------------------------------


@needs_corpus
@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("with-sha1-wrong-in-manifest", "The SHA-1 digests of AndroidManifest.xml, classes.dex"),
        ("with-sha256-wrong-in-manifest", "The SHA-256 digests of AndroidManifest.xml"),
        ("with-sha1-wrong-in-sf", "CERT.SF: the SHA-1 digests it states"),
        ("with-sha256-wrong-in-sf", "CERT.SF: the SHA-256 digests it states"),
    ],
)
def test_every_wrong_jar_digest_is_reported(variant: str, expected: str) -> None:
    name = f"{PREFIX}-{variant}.apk"
    signing = read_signing(ApkZip.from_bytes((CORPUS / name).read_bytes(), path=name))
    assert len(signing.problems) == 1
    assert expected in signing.problems[0]
    assert "resources.arsc" in signing.problems[0]


@needs_corpus
@pytest.mark.parametrize("name", [f"{PREFIX}.apk", "v1-sha1-sha256-manifest-and-sha1-sf.apk"])
def test_right_jar_digests_give_no_problem(name: str) -> None:
    signing = read_signing(ApkZip.from_bytes((CORPUS / name).read_bytes(), path=name))
    assert signing.problems == ()


@needs_corpus
def test_unverified_reading_checks_no_digest() -> None:
    name = f"{PREFIX}-with-sha256-wrong-in-manifest.apk"
    archive = ApkZip.from_bytes((CORPUS / name).read_bytes(), path=name)
    assert read_signing(archive, verify_signatures=False).problems == ()
    assert read_signing(archive, verify_digests=False).problems == ()


# --- crafted manifests ---------------------------------------------------------------------


def test_sections_cover_the_file_whatever_the_line_endings() -> None:
    text = b"Manifest-Version: 1.0\rLong: abc\n def\r\n\r\nName: a/b\n\nName: c\r\nX: 1"
    sections = parse_manifest(text)
    assert [s.name for s in sections] == [None, "a/b", "c"]
    assert sections[0].attributes["LONG"] == "abcdef"
    assert b"".join(text[s.start : s.end] for s in sections) == text


def test_one_wrong_algorithm_among_right_ones_is_reported() -> None:
    wrong = _b64("sha1", b"other code")
    digests = _digests({"classes.dex": CODE, "META-INF/MANIFEST.MF": _manifest(sha1=wrong)})
    problems = digests.entries()
    assert len(problems) == 1
    assert problems[0].startswith("The SHA-1 digests of classes.dex do not match")
    assert "it was changed after JAR signing" in problems[0]


def test_a_digest_that_is_not_base64_matches_nothing() -> None:
    digests = _digests({"classes.dex": CODE, "META-INF/MANIFEST.MF": _manifest(sha256="%%%")})
    assert [p[:27] for p in digests.entries()] == ["The SHA-256 digests of clas"]


def test_right_entry_digests_give_no_problem() -> None:
    assert _digests({"classes.dex": CODE, "META-INF/MANIFEST.MF": _manifest()}).entries() == []


def test_signature_file_covering_the_whole_manifest_skips_sections() -> None:
    manifest = _manifest()
    digests = _digests({"classes.dex": CODE, "META-INF/MANIFEST.MF": manifest})
    wrong_section = _b64("sha256", b"elsewhere")
    good = _signature_file(manifest, section=wrong_section)
    assert digests.signature_file("META-INF/CERT.SF", good) == []
    bad = _signature_file(manifest, whole=wrong_section, section=wrong_section)
    problems = digests.signature_file("META-INF/CERT.SF", bad)
    assert problems == [
        "The JAR signature file META-INF/CERT.SF: the SHA-256 digests it states of the "
        "META-INF/MANIFEST.MF sections for classes.dex do not match them "
        "(META-INF/MANIFEST.MF was changed after signing)."
    ]


def test_right_section_digests_make_up_for_a_wrong_whole_manifest_digest() -> None:
    manifest = _manifest()
    digests = _digests({"classes.dex": CODE, "META-INF/MANIFEST.MF": manifest})
    other = _b64("sha256", b"another manifest")
    assert digests.signature_file("META-INF/CERT.SF", _signature_file(manifest, whole=other)) == []


def test_a_signature_file_without_manifest_is_reported() -> None:
    digests = _digests({"classes.dex": CODE})
    problems = digests.signature_file("META-INF/CERT.SF", b"Signature-Version: 1.0\r\n\r\n")
    assert len(problems) == 1 and "no META-INF/MANIFEST.MF" in problems[0]
    assert digests.entries() == []


def test_an_entry_read_twice_is_inflated_once_and_its_damage_reported_once() -> None:
    archive = _zip({"classes.dex": CODE * 100})
    entry = archive.entries["classes.dex"]
    damaged = bytearray(archive.data)
    # Flip a byte of the CRC-32 in the central directory: the data no longer matches it.
    crc_at = archive.data.rfind(b"PK\x01\x02") + 16
    damaged[crc_at] ^= 0xFF
    archive = ApkZip.from_bytes(bytes(damaged), path="crafted.apk")
    first = archive.read("classes.dex")
    assert archive.read("classes.dex") is first
    assert len(first) == entry.uncompressed_size
    assert archive.problems == ("The data of 'classes.dex' does not match its CRC-32.",)
