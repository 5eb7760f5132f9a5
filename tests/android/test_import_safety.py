"""What the importers refuse, and how they say it: wrong input, hostile zips, limits."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.android.make_imports import androidqf_files, write_androidqf, write_unstalk
from unstalk.android.importers import (
    NotAnAcquisitionError,
    UnsafeArchiveError,
    detect_format,
    load_acquisition,
)
from unstalk.android.importers._archive import Budget, ZipArchive
from unstalk.android.model import ParseStatus


def _zip(path: Path, files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def test_a_path_that_does_not_exist_says_what_was_expected(tmp_path: Path) -> None:
    with pytest.raises(NotAnAcquisitionError, match="does not exist") as raised:
        load_acquisition(tmp_path / "nothing")
    assert "AndroidQF" in raised.value.advice and "bugreport" in raised.value.advice


def test_a_file_that_is_no_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not an acquisition")

    with pytest.raises(NotAnAcquisitionError, match="neither a folder nor a zip"):
        load_acquisition(path)


def test_an_encrypted_androidqf_file_says_how_to_decrypt(tmp_path: Path) -> None:
    path = tmp_path / f"{'a' * 8}.zip.age"
    path.write_bytes(b"age-encryption.org/v1\n-> X25519 abc\n")

    with pytest.raises(NotAnAcquisitionError, match="encrypted AndroidQF") as raised:
        load_acquisition(path)
    assert "age --decrypt" in raised.value.advice


def test_the_parent_of_an_acquisition_gets_a_hint(tmp_path: Path) -> None:
    write_androidqf("android-9", tmp_path / "case" / "aqf", "folder")

    with pytest.raises(NotAnAcquisitionError) as raised:
        detect_format(tmp_path / "case")
    assert "It holds one folder, aqf" in raised.value.advice


def test_an_empty_folder_and_an_unknown_zip_are_not_acquisitions(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(NotAnAcquisitionError) as raised:
        load_acquisition(tmp_path / "empty")
    assert "It is empty" in raised.value.advice

    photos = _zip(tmp_path / "photos.zip", {"IMG_0001.jpg": b"\xff\xd8\xff"})
    with pytest.raises(NotAnAcquisitionError, match="not an Android acquisition"):
        load_acquisition(photos)


def test_a_truncated_zip_is_refused_plainly(tmp_path: Path) -> None:
    path = write_androidqf("android-12", tmp_path / "a.zip")
    cut = tmp_path / "cut.zip"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    with pytest.raises(NotAnAcquisitionError):
        load_acquisition(cut)


@pytest.mark.parametrize(
    "name", ["../getprop.txt", "/etc/getprop.txt", "C:/getprop.txt", "a/..\\..\\getprop.txt"]
)
def test_names_pointing_outside_the_archive_are_refused(name: str, tmp_path: Path) -> None:
    files = androidqf_files("android-9") | {name: b"[ro.product.model]: [Evil]\n"}

    with pytest.raises(UnsafeArchiveError, match="points outside the archive"):
        load_acquisition(_zip(tmp_path / "evil.zip", files))


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_two_members_with_one_name_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "twice.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for data in (b"[a]: [1]\n", b"[a]: [2]\n"):
            archive.writestr(zipfile.ZipInfo("getprop.txt"), data)

    with pytest.raises(UnsafeArchiveError, match="two files named getprop.txt"):
        load_acquisition(path)


def test_password_protected_members_are_refused(tmp_path: Path) -> None:
    data = bytearray(_zip(tmp_path / "plain.zip", {"packages.json": b"[]"}).read_bytes())
    # Set the "encrypted" bit in the local header and the central directory, as zip tools do.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        data[data.index(signature) + offset] |= 0x1
    path = tmp_path / "locked.zip"
    path.write_bytes(bytes(data))

    with pytest.raises(UnsafeArchiveError, match="password-protected"):
        load_acquisition(path)


def test_a_zip_bomb_is_refused_before_it_is_expanded(tmp_path: Path) -> None:
    bomb = {"dumpsys.txt": b"\0" * (16 * 1024 * 1024), "packages.json": b"[]"}
    path = _zip(tmp_path / "bomb.zip", bomb, zipfile.ZIP_BZIP2)
    assert path.stat().st_size < 100_000

    with pytest.raises(UnsafeArchiveError, match="zip bomb"):
        load_acquisition(path)


def test_reads_stop_at_their_limit(tmp_path: Path) -> None:
    path = _zip(tmp_path / "big.zip", {"getprop.txt": b"x" * 5000})
    archive = ZipArchive(path)
    try:
        with pytest.raises(UnsafeArchiveError, match="more than the 1000"):
            archive.read("getprop.txt", limit=1000)
        assert len(archive.read("getprop.txt", limit=5000)) == 5000
    finally:
        archive.close()
    budget = Budget(left=10)
    budget.spend(10, "x")
    with pytest.raises(UnsafeArchiveError, match="stopped reading"):
        budget.spend(1, "x")


def test_nothing_is_extracted_next_to_the_zip(tmp_path: Path) -> None:
    path = write_androidqf("android-14", tmp_path / "a.zip")
    before = sorted(tmp_path.rglob("*"))

    load_acquisition(path)
    assert sorted(tmp_path.rglob("*")) == before


def test_a_symbolic_link_is_not_followed_out_of_the_folder(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("[ro.product.model]: [Not this phone]\n")
    folder = write_androidqf("android-12", tmp_path / "aqf", "folder")
    (folder / "getprop.txt").unlink()
    (folder / "getprop.txt").symlink_to(outside)

    acquisition = load_acquisition(folder, verify=False)
    assert acquisition.device.status is ParseStatus.MISSING
    assert any("getprop.txt is listed in hashes.csv" in note for note in acquisition.integrity)


def test_files_a_desktop_adds_do_not_count(tmp_path: Path) -> None:
    folder = write_unstalk("android-9", tmp_path / "acq", pull_apks=False)
    (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (folder / "apks").mkdir()
    (folder / "apks" / "Thumbs.db").write_bytes(b"\xd0\xcf")

    acquisition = load_acquisition(folder)
    assert acquisition.integrity == ()
    assert ".DS_Store" not in acquisition.file_hashes


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("packages.json", b"[" * 100_000),
        ("packages.json", b'{"name": "com.x"}'),
        ("root_binaries.json", b'{"su": true}'),
        ("acquisition.json", b"\xff\xfe not json"),
        ("dumpsys.txt", bytes(range(256)) * 64),
        ("getprop.txt", b"DUMP OF SERVICE package:\n" * 1000),
        ("hashes.csv", b"\x00,\x00\n" * 10),
    ],
)
def test_hostile_files_never_crash_an_import(name: str, data: bytes, tmp_path: Path) -> None:
    files = androidqf_files("android-12") | {name: data}

    acquisition = load_acquisition(_zip(tmp_path / "a.zip", files), verify=False)
    assert acquisition.format == "androidqf"
    assert acquisition.accessibility.status in (ParseStatus.OK, ParseStatus.MISSING)


def test_a_damaged_acquisition_json_of_unstalk_is_named(tmp_path: Path) -> None:
    folder = write_unstalk("android-9", tmp_path / "acq", pull_apks=False)
    (folder / "acquisition.json").write_text('{"format": "unstalk-android-acquisition", ')

    with pytest.raises(NotAnAcquisitionError, match="acquisition.json is damaged"):
        load_acquisition(folder)
