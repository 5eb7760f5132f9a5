"""The dex string table reader: exact MUTF-8, every layout, and hostile files refused cleanly.

Oracles: androguard's ``DEX(...).get_strings()`` (a test extra) on synthetic and real dex
files; the real ones come from the AOSP apksig corpus in ../shared/data/apksig.
"""

from __future__ import annotations

import hashlib
import struct
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.apk.dex_fixtures import (
    build_container,
    build_dex,
    dex_order,
    patch_u32,
    seal,
    string_item,
    uleb128,
)
from unstalk.apk.parsers import dex as dex_module
from unstalk.apk.parsers.dex import (
    MAX_STRINGS,
    DexStrings,
    decode_mutf8,
    dex_names,
    dex_version,
    other_dex_names,
    read_dex_strings,
)
from unstalk.apk.parsers.zip import ApkZip
from unstalk.errors import ApkError, ApkLimitError

APKSIG = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "apksig"

TRICKY = [
    "",
    "Landroid/app/Activity;",
    "https://api.example.com/v1/upload",
    "café",
    "日本語",
    "nul\0inside",
    "emoji \U0001f600 end",
    "lone high \ud800 x",
    "lone low \udc00",
    "low then high \udc00\ud800",
    "\u07ff\u0800\uffff",
    "x" * 127,
    "y" * 128,
    "é" * 300,
    "z" * 20000,
]


def java(text: str) -> str:
    """What Java holds for ``text``: surrogate pairs are one character."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def strings_of(data: bytes) -> list[str]:
    return list(read_dex_strings(data).strings)


def test_reads_every_kind_of_string_exactly() -> None:
    strings = dex_order(TRICKY)
    result = read_dex_strings(build_dex(strings), name="classes2.dex")
    assert result.strings == tuple(java(s) for s in strings)
    assert (result.name, result.version, result.string_count) == ("classes2.dex", "035", 15)
    assert result.problems == ()


def test_surrogates_follow_java() -> None:
    result = dict.fromkeys(strings_of(build_dex(dex_order(TRICKY))))
    assert "emoji \U0001f600 end" in result
    assert "lone high \ud800 x" in result
    assert "low then high \udc00\ud800" in result  # reversed order is no pair


def test_scattered_layout_reads_the_same() -> None:
    strings = dex_order(TRICKY)
    items = [string_item(s) for s in strings]
    # The data in reverse order, the ids still in string order.
    dex = bytearray(build_dex(strings))
    count = len(items)
    data_off = 0x70 + 4 * count
    pos = data_off
    offsets = [0] * count
    for k in reversed(range(count)):
        offsets[k] = pos
        dex[pos : pos + len(items[k])] = items[k]
        pos += len(items[k])
    struct.pack_into(f"<{count}I", dex, 0x70, *offsets)
    assert strings_of(seal(bytes(dex))) == [java(s) for s in strings]


def test_strings_sharing_bytes_are_each_read() -> None:
    dex = bytearray(build_dex(["abc", "hello", "zzz"]))
    second = struct.unpack_from("<I", dex, 0x74)[0]
    struct.pack_into("<I", dex, 0x78, second)  # the third id points at "hello" too
    assert strings_of(seal(bytes(dex))) == ["abc", "hello", "hello"]


def test_bulk_fallback_keeps_exact_strings_when_one_is_invalid() -> None:
    items = [string_item(s) for s in ("abc", "café")] + [b"\x03b\xffd\0", b"\x04\xf0\x9f\x98\x80\0"]
    result = read_dex_strings(build_dex(items=items + [string_item("zz")]))
    assert result.strings == ("abc", "café", "b\ufffdd", "\U0001f600", "zz")
    assert any("2 strings are not valid MUTF-8" in p for p in result.problems)


@pytest.mark.parametrize(
    ("raw", "text", "valid"),
    [
        (b"a\xc0\x80b", "a\0b", True),
        (b"\xed\xa0\xbd\xed\xb8\x80", "\U0001f600", True),
        (b"\xed\xa0\x80", "\ud800", True),
        (b"\xed\xb0\x80\xed\xa0\x80", "\udc00\ud800", True),
        (b"\xe2\x82\xac", "€", True),
        (b"\xf0\x9f\x98\x80", "\U0001f600", False),
        (b"\x80abc", "\ufffdabc", False),
        (b"\xc1\xbf", "\ufffd\ufffd", False),
        (b"\xed\xa0", "\ufffd\ufffd", False),
    ],
)
def test_mutf8_decoding(raw: bytes, text: str, valid: bool) -> None:
    assert decode_mutf8(raw) == (text, valid)


@given(st.lists(st.text(st.characters(blacklist_categories=())), max_size=40))
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_any_strings_round_trip(strings: list[str]) -> None:
    ordered = dex_order(strings)
    assert strings_of(build_dex(ordered)) == [java(s) for s in ordered]


@pytest.mark.parametrize("version", ["035", "037", "038", "039", "040"])
def test_versions_are_read(version: str) -> None:
    assert read_dex_strings(build_dex(["a", "b"], version=version)).version == version


def test_a_container_yields_the_strings_of_each_dex() -> None:
    result = read_dex_strings(build_container([["a", "b", "c"], ["http://x.example", "y"]]))
    assert result.version == "041"
    assert result.strings == ("a", "b", "c", "http://x.example", "y")
    assert result.problems == ()


def test_a_container_of_too_many_dex_files_hits_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dex_module, "MAX_CONTAINER_DEXES", 2)
    with pytest.raises(ApkLimitError, match="more than 2 dex files"):
        read_dex_strings(build_container([["a"], ["b"], ["c"]]))


def test_an_unknown_later_version_is_read_and_noted() -> None:
    result = read_dex_strings(build_dex(["a"], version="045"))
    assert result.strings == ("a",)
    assert any("newer" in p for p in result.problems)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "too short"),
        (b"PK\x03\x04" + bytes(200), "not a dex file"),
        (b"dex\n009\0" + bytes(200), "predates"),
        (b"dey\n036\0" + bytes(200), "not a dex file"),
    ],
    ids=["empty", "zip", "old", "odex"],
)
def test_what_is_not_a_dex_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(ApkError, match=message):
        read_dex_strings(data)


def _hostile(offset: int, value: int, strings: tuple[str, ...] = ("abc", "def", "ghi")) -> bytes:
    return patch_u32(build_dex(list(strings)), offset, value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_hostile(0x28, 0x78563412), "endian"),
        (_hostile(0x24, 0x10), "header size"),
        (_hostile(0x38, 0x4000_0000), "runs past the end"),
        (_hostile(0x3C, 0xFFFF_FF00), "runs past the end"),
        (_hostile(0x74, 0x7FFF_FFFF), "outside the file"),
        (build_dex(items=[b"\x03abc"])[: 0x74 + 4], "no end"),
        (build_dex(items=[b"\x80\x80\x80\x80\x80abc\0"]), "malformed"),
    ],
    ids=["endian", "header", "count", "table", "offset", "unterminated", "length"],
)
def test_hostile_tables_raise_apk_error(data: bytes, message: str) -> None:
    with pytest.raises(ApkError, match=message):
        read_dex_strings(data)


def test_too_many_strings_hits_the_limit() -> None:
    with pytest.raises(ApkLimitError, match="more than 2 strings"):
        read_dex_strings(build_dex(["a", "b", "c"]), max_strings=2)
    assert MAX_STRINGS >= 1_000_000


def test_reusing_one_big_string_hits_the_byte_limit() -> None:
    dex = bytearray(build_dex(["x" * 1000]))
    count = 5000
    target = struct.unpack_from("<I", dex, 0x70)[0]
    table = len(dex)
    dex += struct.pack(f"<{count}I", *[target] * count)
    struct.pack_into("<II", dex, 0x38, count, table)
    with pytest.raises(ApkLimitError, match="safety limit"):
        read_dex_strings(seal(bytes(dex)), limit=1_000_000)


def test_damage_that_leaves_strings_readable_is_noted() -> None:
    dex = build_dex(["abc", "def"])
    truncated = read_dex_strings(patch_u32(dex, 0x20, len(dex) + 100))
    assert truncated.strings == ("abc", "def")
    assert any("cut short" in p for p in truncated.problems)
    changed = read_dex_strings(dex[:-1] + b"\x01")
    assert any("checksum" in p for p in changed.problems)
    padded = read_dex_strings(dex + b"PAYLOAD")
    assert any("7 bytes follow" in p for p in padded.problems)


@given(st.binary(min_size=0, max_size=64), st.integers(0, 400), st.integers(0, 600))
@settings(max_examples=300, deadline=None)
def test_corrupted_files_never_crash(noise: bytes, at: int, cut: int) -> None:
    base = bytearray(build_dex(dex_order(TRICKY[:12])))
    base[at : at + len(noise)] = noise
    data = bytes(base[: len(base) - cut])
    try:
        result = read_dex_strings(data)
    except ApkError:
        return
    assert isinstance(result, DexStrings)


def test_uleb_lengths_are_not_trusted() -> None:
    # The declared length is wrong but the NUL decides, as in androguard.
    items = [uleb128(99) + b"abc\0", uleb128(1) + b"defgh\0", string_item("zz")]
    assert strings_of(build_dex(items=items)) == ["abc", "defgh", "zz"]


def test_memoryview_input() -> None:
    assert read_dex_strings(memoryview(build_dex(["a", "b"]))).strings == ("a", "b")


def test_dex_names_follow_android_loading_order() -> None:
    names = ["AndroidManifest.xml", "classes3.dex", "classes.dex", "classes2.dex", "classes5.dex"]
    assert dex_names(names) == ["classes.dex", "classes2.dex", "classes3.dex"]
    assert dex_names(["classes2.dex"]) == []
    assert dex_names(["classes.dex", "classes1.dex", "classes02.dex"]) == ["classes.dex"]


def test_other_dex_files_are_reported() -> None:
    names = [
        "classes.dex",
        "classes3.dex",
        "assets/payload.dex",
        "assets/x.ODEX",
        "lib/arm64-v8a/libfoo.so",
        "res/raw/a.vdex",
    ]
    assert other_dex_names(names) == [
        "classes3.dex",
        "assets/payload.dex",
        "assets/x.ODEX",
        "res/raw/a.vdex",
    ]


def test_dex_version_spots_a_dex_by_its_magic() -> None:
    assert dex_version(b"dex\n039\0rest") == "039"
    assert dex_version(b"dex\n039") is None
    assert dex_version(b"\x89PNG\r\n\x1a\n") is None


# Oracles ------------------------------------------------------------------------------------


def _androguard_strings(data: bytes) -> list[str]:
    dex_module = pytest.importorskip("androguard.core.dex")
    loguru = pytest.importorskip("loguru")
    loguru.logger.disable("androguard")
    strings: list[str] = dex_module.DEX(data).get_strings()
    return strings


def _apksig_dex_files() -> dict[str, bytes]:
    if not APKSIG.is_dir():
        pytest.skip(f"the apksig corpus is not at {APKSIG}")
    found: dict[str, bytes] = {}
    for apk in sorted(APKSIG.glob("*.apk")):
        try:
            with zipfile.ZipFile(apk) as archive:
                data = archive.read("classes.dex")
        except (zipfile.BadZipFile, KeyError, OSError, NotImplementedError):
            continue
        found.setdefault(hashlib.sha256(data).hexdigest(), data)
    return found


def test_every_apksig_apk_yields_its_dex_strings_or_a_clear_error() -> None:
    if not APKSIG.is_dir():
        pytest.skip(f"the apksig corpus is not at {APKSIG}")
    read = 0
    for apk in sorted(APKSIG.glob("*.apk")):
        try:
            archive = ApkZip.from_bytes(apk.read_bytes(), path=apk.name)
            for name in dex_names(archive.names):
                result = read_dex_strings(archive.read(name), name=name)
                assert result.string_count > 0
                read += 1
        except ApkError:
            continue
    assert read >= 250


@pytest.mark.oracle
def test_matches_androguard_on_synthetic_strings() -> None:
    data = build_dex(dex_order(TRICKY))
    assert strings_of(data) == _androguard_strings(data)


@pytest.mark.oracle
def test_matches_androguard_on_the_apksig_corpus() -> None:
    corpus = _apksig_dex_files()
    assert len(corpus) >= 5
    for data in corpus.values():
        result = read_dex_strings(data)
        assert list(result.strings) == _androguard_strings(data)
        assert result.problems == ()
