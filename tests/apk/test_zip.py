"""Tolerant ZIP reader: what Android tolerates, what it refuses, and hostile archives."""

from __future__ import annotations

import contextlib
import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unstalk.apk.parsers import zip as zip_module
from unstalk.apk.parsers.zip import ApkZip
from unstalk.errors import ApkError, ApkLimitError

APKSIG = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "apksig"
needs_apksig = pytest.mark.skipif(
    not APKSIG.is_dir(), reason=f"the apksig corpus is not at {APKSIG}"
)

FILES = {
    "AndroidManifest.xml": b"\x03\x00\x08\x00" + b"manifest" * 40,
    "classes.dex": b"dex\n035\x00" + bytes(range(256)) * 8,
    "res/raw/note.txt": b"hello",
}


def make_zip(files: dict[str, bytes] = FILES, *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


class Unseekable(io.RawIOBase):
    """A write-only stream: zipfile then writes sizes in data descriptors."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: bytes) -> int:  # type: ignore[override]
        self.data += b
        return len(b)


def eocd_at(data: bytes) -> int:
    return data.rfind(b"PK\x05\x06")


def test_reads_entries_in_directory_order() -> None:
    apk = ApkZip.from_bytes(make_zip())
    assert apk.names == tuple(FILES)
    for name, content in FILES.items():
        assert apk.read(name) == content
    assert apk.entries["classes.dex"].compression_method == zipfile.ZIP_DEFLATED
    assert apk.entries["classes.dex"].uncompressed_size == len(FILES["classes.dex"])
    assert apk.problems == ()


def test_offsets_locate_directory_and_end_record() -> None:
    data = make_zip()
    apk = ApkZip.from_bytes(data)
    assert apk.eocd_offset == eocd_at(data)
    assert apk.central_directory_offset is not None
    assert data[apk.central_directory_offset :][:4] == b"PK\x01\x02"


def test_bytes_before_the_archive_are_tolerated_and_reported() -> None:
    data = b"#!/bin/sh\nexit 0\n" * 10 + make_zip()
    apk = ApkZip.from_bytes(data)
    assert apk.read("res/raw/note.txt") == b"hello"
    assert apk.prefix_size == 170
    assert apk.central_directory_offset is not None
    assert data[apk.central_directory_offset :][:4] == b"PK\x01\x02"
    assert any("170 unexpected bytes" in p for p in apk.problems)


def test_truncated_file_is_recovered_from_local_headers() -> None:
    data = make_zip(method=zipfile.ZIP_STORED)
    cut = data[: data.find(b"PK\x01\x02")]
    apk = ApkZip.from_bytes(cut)
    assert apk.read("classes.dex") == FILES["classes.dex"]
    assert apk.eocd_offset is None
    assert apk.central_directory_offset is None
    assert any("recovered" in p for p in apk.problems)


def test_directory_with_too_few_records_keeps_the_rest_from_local_headers() -> None:
    data = bytearray(make_zip())
    eocd = eocd_at(bytes(data))
    data[eocd + 10 : eocd + 12] = struct.pack("<H", 4)  # announce one entry more
    cd = data.find(b"PK\x01\x02")
    last = bytes(data).rfind(b"PK\x01\x02")
    del data[last:eocd]  # drop the last directory record
    new_eocd = eocd - (eocd - last)
    data[new_eocd + 12 : new_eocd + 16] = struct.pack("<I", last - cd)
    apk = ApkZip.from_bytes(bytes(data))
    assert set(apk.names) == set(FILES)
    assert apk.read("res/raw/note.txt") == b"hello"


@pytest.mark.parametrize("data", [b"", b"PK", b"hello world" * 100, bytes(range(256)) * 40])
def test_non_zip_input_is_named_not_an_apk(data: bytes) -> None:
    with pytest.raises(ApkError, match="not an APK"):
        ApkZip.from_bytes(data)


def test_empty_archive_has_no_entries() -> None:
    apk = ApkZip.from_bytes(make_zip({}))
    assert apk.names == ()
    assert apk.eocd_offset == 0


def test_zip_bomb_is_stopped() -> None:
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(1 << 20)
    body = b"".join(comp.compress(zeros) for _ in range(64)) + comp.flush()
    data = raw_zip("classes.dex", body, method=8, size=64 << 20)
    apk = ApkZip.from_bytes(data)
    with pytest.raises(ApkLimitError, match=r"classes\.dex.*zip bomb"):
        apk.read("classes.dex")


def test_entry_over_the_caller_limit_is_refused_by_name() -> None:
    apk = ApkZip.from_bytes(make_zip())
    with pytest.raises(ApkLimitError, match="classes.dex"):
        apk.read("classes.dex", limit=100)


def test_total_read_budget_is_enforced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zip_module, "MAX_TOTAL_READ", 3000)
    apk = ApkZip.from_bytes(make_zip({"one.bin": b"\1" * 2000, "two.bin": b"\2" * 2000}))
    apk.read("one.bin")
    apk.read("one.bin")  # kept from the first read: nothing more is inflated
    with pytest.raises(ApkLimitError, match="total"):
        apk.read("two.bin")


def test_lying_uncompressed_size_does_not_block_reading() -> None:
    body = zlib.compress(b"real content", 9)[2:-4]
    data = raw_zip("AndroidManifest.xml", body, method=8, size=0xFFFFFFFF)
    apk = ApkZip.from_bytes(data)
    assert apk.read("AndroidManifest.xml") == b"real content"
    assert any("not the 4294967295" in p for p in apk.problems)


def test_unknown_compression_method_is_inflated_like_android() -> None:
    body = zlib.compress(b"payload", 9)[2:-4]
    apk = ApkZip.from_bytes(raw_zip("a.txt", body, method=99, size=7))
    assert apk.read("a.txt") == b"payload"


def test_stored_entry_behind_a_bogus_method_is_read_raw() -> None:
    manifest = b"\x03\x00\x08\x00binary xml"
    apk = ApkZip.from_bytes(raw_zip("AndroidManifest.xml", manifest, method=0x1234, size=14))
    assert apk.read("AndroidManifest.xml") == manifest
    assert any("unknown compression method" in p for p in apk.problems)


def test_duplicate_names_are_reported_and_the_first_is_used() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf, pytest.warns(UserWarning):
        zf.writestr("classes.dex", b"first")
        zf.writestr("classes.dex", b"second")
    apk = ApkZip.from_bytes(out.getvalue())
    assert apk.read("classes.dex") == b"first"
    assert any("twice" in p for p in apk.problems)


def test_garbage_after_the_end_record_is_reported() -> None:
    apk = ApkZip.from_bytes(make_zip() + b"junk")
    assert apk.read("res/raw/note.txt") == b"hello"
    assert any("after the ZIP end record" in p for p in apk.problems)


def test_fake_end_record_in_the_comment_does_not_hide_the_real_one() -> None:
    data = make_zip()
    fake = b"PK\x05\x06" + bytes(18)
    with_comment = data[:-2] + struct.pack("<H", len(fake) + 3) + b"abc" + fake
    apk = ApkZip.from_bytes(with_comment)
    # Android takes the fake (it ends the file) and sees no entry; we still show them.
    assert apk.names == tuple(FILES)
    assert any("recovered" in p for p in apk.problems)


def test_entries_written_with_data_descriptors_are_read() -> None:
    out = Unseekable()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("x.bin", "w") as f:
        f.write(b"streamed" * 100)
    apk = ApkZip.from_bytes(bytes(out.data))
    assert apk.entries["x.bin"].flags & 0x08
    assert apk.read("x.bin") == b"streamed" * 100


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=100_000), st.binary(min_size=1, max_size=8))
def test_corrupted_archives_give_apk_error_or_content(position: int, junk: bytes) -> None:
    data = bytearray(make_zip())
    at = position % len(data)
    data[at : at + len(junk)] = junk
    try:
        apk = ApkZip.from_bytes(bytes(data))
    except ApkError:
        return
    for name in apk.names:
        with contextlib.suppress(ApkError):
            apk.read(name, limit=1 << 20)


@needs_apksig
@pytest.mark.parametrize(
    ("apk_name", "problem"),
    [
        ("mismatched-compression-method.apk", "different compression method"),
        ("weird-compression-method.apk", "unknown compression method 21"),
        ("v1-only-max-sized-eocd-comment.apk", None),
        ("v1-only-with-cr-in-entry-name.apk", None),
        ("v1-only-with-nul-in-entry-name.apk", "NUL"),
        ("v2-only-garbage-between-cd-and-eocd.apk", "extra bytes between"),
        ("v2-only-truncated-cd.apk", "runs into its end record"),
    ],
)
def test_aosp_corpus_damage_is_read_and_reported(apk_name: str, problem: str | None) -> None:
    apk = ApkZip.from_bytes((APKSIG / apk_name).read_bytes(), path=apk_name)
    for name in apk.names:
        apk.read(name)
    assert "AndroidManifest.xml" in apk
    if problem is None:
        assert apk.problems == ()
    else:
        assert any(problem in p for p in apk.problems), apk.problems


@needs_apksig
def test_names_keep_carriage_returns() -> None:
    apk = ApkZip.from_bytes((APKSIG / "v1-only-with-cr-in-entry-name.apk").read_bytes())
    assert "test.txt\r" in apk.names


def raw_zip(name: str, body: bytes, *, method: int, size: int) -> bytes:
    """One-entry archive with exactly the given method and declared size (CRC left 0)."""
    raw = name.encode()
    sizes = (0, len(body), size, len(raw))
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, method, 0, 0, *sizes, 0)
    central = struct.pack(
        "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, method, 0, 0, *sizes, 0, 0, 0, 0, 0, 0
    )
    cd_offset = len(local) + len(raw) + len(body)
    cd_size = len(central) + len(raw)
    eocd = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, cd_size, cd_offset, 0)
    return local + raw + body + central + raw + eocd
