"""Binary XML parser: crafted documents (tricks, damage, limits) and aapt as oracle."""

from __future__ import annotations

import contextlib
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.apk.axml_craft import ANDROID_NS, IDS, El, Hex, Ref, axml, chunk, string_pool
from unstalk.apk.parsers import axml as axml_module
from unstalk.apk.parsers.axml import ANDROID_ATTRS, Element, parse_axml
from unstalk.apk.parsers.zip import ApkZip
from unstalk.errors import ApkError, ApkLimitError

APKSIG = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "apksig"
FRAMEWORK_RES = Path("/usr/share/android-framework-res/framework-res.apk")
LONG = "x" * 200 + "é"


def manifest_tree() -> El:
    return El(
        "manifest",
        {"package": "com.example.app", "android:versionCode": 42, "android:versionName": "1.2"},
        [
            El("uses-permission", {"android:name": "android.permission.CAMERA"}),
            El(
                "application",
                {"android:label": Ref(0x7F010000), "android:debuggable": True},
                [
                    El(
                        "service",
                        {
                            "android:name": ".Spy",
                            "android:exported": False,
                            "android:foregroundServiceType": Hex(0x48),
                        },
                    ),
                    El("meta-data", {"android:name": "Café 日本", "android:value": LONG}),
                ],
            ),
        ],
    )


def parse(data: bytes) -> Element:
    return parse_axml(data).root


@pytest.mark.parametrize("utf8", [True, False])
def test_reads_tags_and_typed_values_from_both_string_encodings(utf8: bool) -> None:
    root = parse(axml(manifest_tree(), utf8=utf8))
    assert root.tag == "manifest"
    assert root.get("package", "") == "com.example.app"
    assert root.attr("versionCode") is not None
    assert root.attr("versionCode").as_int() == 42  # type: ignore[union-attr]
    app = next(root.iter("application"))
    assert app.get("label") == "@0x7f010000"
    assert app.attr("label").reference == 0x7F010000  # type: ignore[union-attr]
    assert app.attr("debuggable").as_bool() is True  # type: ignore[union-attr]
    service = next(app.iter("service"))
    assert service.get("exported") == "false"
    assert service.get("foregroundServiceType") == "0x48"
    meta = next(app.iter("meta-data"))
    assert meta.get("name") == "Café 日本"
    assert meta.get("value") == LONG


def test_blanked_attribute_names_are_resolved_by_resource_id() -> None:
    root = parse(axml(manifest_tree(), blank_names=True))
    assert root.attr("versionCode").as_int() == 42  # type: ignore[union-attr]
    perm = next(root.iter("uses-permission"))
    assert perm.get("name") == "android.permission.CAMERA"
    assert perm.attributes[0].name == "name"
    assert perm.attributes[0].resource_id == IDS["name"]


def test_decoy_attribute_names_do_not_fool_the_lookup() -> None:
    tree = El("service", {"android:exported": True})
    root = parse(axml(tree, decoy_names={"exported": "enabled"}))
    assert root.get("exported") == "true"
    assert root.get("enabled") is None


def test_without_resource_map_android_attributes_match_by_name() -> None:
    doc = parse_axml(axml(manifest_tree(), resource_map=False))
    assert doc.root.attr("versionCode").as_int() == 42  # type: ignore[union-attr]
    assert any("resource map" in p for p in doc.problems)


def test_unknown_chunks_are_skipped_like_android() -> None:
    data = axml(manifest_tree())
    # Insert an unknown chunk type right after the file header.
    junk = chunk(0x7777, b"", b"\xaa" * 12)
    crafted = data[:8] + junk + data[8:]
    crafted = crafted[:4] + struct.pack("<I", len(crafted)) + crafted[8:]
    assert parse(crafted).get("package", "") == "com.example.app"


def test_lying_total_size_and_wrong_header_type_are_tolerated() -> None:
    data = bytearray(axml(manifest_tree()))
    data[0:2] = b"\x00\x00"
    data[4:8] = struct.pack("<I", 0x7FFFFFFF)
    doc = parse_axml(bytes(data))
    assert doc.root.get("package", "") == "com.example.app"
    assert doc.problems


def test_every_truncation_gives_a_tree_or_apk_error() -> None:
    data = axml(manifest_tree())
    for cut in range(len(data)):
        try:
            doc = parse_axml(data[:cut])
        except ApkError:
            continue
        assert doc.root.tag == "manifest"


def test_deep_nesting_is_refused() -> None:
    ok = El("a")
    node = ok
    for _ in range(axml_module.MAX_DEPTH - 1):
        node.children.append(El("a"))
        node = node.children[0]
    assert parse(axml(ok)).tag == "a"
    node.children.append(El("a"))
    with pytest.raises(ApkLimitError, match="deeper"):
        parse_axml(axml(ok))


def test_element_count_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(axml_module, "MAX_ELEMENTS", 10)
    with pytest.raises(ApkLimitError, match="elements"):
        parse_axml(axml(El("r", children=[El("c") for _ in range(20)])))


def test_overlapping_attribute_records_cannot_blow_up() -> None:
    # 65535 attributes with a stride of 0 all alias one record, in 60 elements.
    pool = string_pool(["a", "n"])
    ext = struct.pack("<IIHHHHHH", 0xFFFFFFFF, 0, 20, 0, 0xFFFF, 0, 0, 0)
    attr = struct.pack("<IIIHBBI", 0xFFFFFFFF, 1, 0xFFFFFFFF, 8, 0, 0x10, 1)
    start = chunk(0x0102, struct.pack("<II", 1, 0xFFFFFFFF), ext + attr)
    end = chunk(0x0103, struct.pack("<II", 1, 0xFFFFFFFF), struct.pack("<II", 0xFFFFFFFF, 0))
    data = chunk(0x0003, b"", pool + start * 60 + end * 60)
    with pytest.raises(ApkLimitError, match="attributes"):
        parse_axml(data)


def _element_with_records(stride: int, count: int, records: bytes) -> bytes:
    """A document of one element whose ``count`` attribute records sit ``stride`` apart."""
    pool = string_pool(["r", "n", "v"])
    ext = struct.pack("<IIHHHHHH", 0xFFFFFFFF, 0, 20, stride, count, 0, 0, 0)
    start = chunk(0x0102, struct.pack("<II", 1, 0xFFFFFFFF), ext + records)
    end = chunk(0x0103, struct.pack("<II", 1, 0xFFFFFFFF), struct.pack("<II", 0xFFFFFFFF, 0))
    return chunk(0x0003, b"", pool + start + end)


def test_attribute_records_are_read_at_any_stride() -> None:
    name = struct.pack("<IIIHBBI", 0xFFFFFFFF, 1, 2, 8, 0, 0x03, 2)
    number = struct.pack("<IIIHBBI", 0xFFFFFFFF, 1, 0xFFFFFFFF, 8, 0, 0x10, 7)
    padded = parse_axml(_element_with_records(24, 2, name + bytes(4) + number + bytes(4))).root
    assert [(a.name, a.text) for a in padded.attributes] == [("n", "v"), ("n", "7")]
    packed = parse_axml(_element_with_records(20, 2, name + number)).root
    assert packed.attributes == padded.attributes
    aliased = parse_axml(_element_with_records(0, 3, number)).root
    assert [a.text for a in aliased.attributes] == ["7", "7", "7"]


def test_string_pool_claiming_too_many_strings_is_cut_to_its_size() -> None:
    data = bytearray(axml(manifest_tree()))
    data[8 + 8 : 8 + 12] = struct.pack("<I", 0xFFFFFFFF)
    doc = parse_axml(bytes(data))
    assert doc.root.tag == "manifest"
    assert any("string pool" in p for p in doc.problems)


def test_only_the_first_root_element_counts() -> None:
    two = axml(El("manifest", {"package": "a.b"}))
    body_start = 8
    crafted = two + two[body_start:]
    crafted = crafted[:4] + struct.pack("<I", len(crafted)) + crafted[8:]
    doc = parse_axml(crafted)
    assert doc.root.get("package", "") == "a.b"


def test_plain_text_xml_is_named_as_such() -> None:
    with pytest.raises(ApkError, match="plain-text XML"):
        parse_axml(b'<?xml version="1.0"?><manifest/>')


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_give_apk_error_or_a_tree(data: bytes) -> None:
    with contextlib.suppress(ApkError):
        parse_axml(data)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.binary(min_size=1, max_size=4))
def test_corrupted_manifests_give_apk_error_or_a_tree(position: int, junk: bytes) -> None:
    data = bytearray(axml(manifest_tree(), utf8=position % 2 == 0))
    at = position % len(data)
    data[at : at + len(junk)] = junk
    with contextlib.suppress(ApkError):
        parse_axml(bytes(data))


def _aapt_tree(apk: Path, entry: str) -> list[tuple[str, ...]]:
    """Tags, and attribute names with string values, from ``aapt dump xmltree``."""
    out = subprocess.run(
        ["aapt", "dump", "xmltree", str(apk), entry], capture_output=True, text=True, check=True
    ).stdout
    found: list[tuple[str, ...]] = []
    for line in out.splitlines():
        text = line.strip()
        if text.startswith("E: "):
            found.append(("E", text[3:].split(" (")[0]))
        elif m := re.match(r'A: (?:[\w.]+:)?([^(=]*)(?:\(0x[0-9a-f]+\))?="(.*)" \(Raw', text):
            found.append(("A", m.group(1), m.group(2)))
        elif m := re.match(r"A: (?:[\w.]+:)?([^(=]*)(?:\(0x[0-9a-f]+\))?=", text):
            found.append(("A", m.group(1)))
    return found


def _our_tree(root: Element) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = [("E", root.tag)]
    found += [("A", a.name, a.text) if a.type == 0x03 else ("A", a.name) for a in root.attributes]
    for child in root.children:
        found += _our_tree(child)
    return found


def _oracle_apks() -> list[Path]:
    apks = [FRAMEWORK_RES] if FRAMEWORK_RES.is_file() else []
    if APKSIG.is_dir():
        apks += [APKSIG / "golden-aligned-in.apk", APKSIG / "debuggable-resource.apk"]
    return apks


@pytest.mark.oracle
@pytest.mark.skipif(shutil.which("aapt") is None, reason="aapt is not installed")
@pytest.mark.parametrize("apk", _oracle_apks(), ids=lambda p: p.name)
def test_tree_matches_aapt_xmltree(apk: Path) -> None:
    zf = ApkZip.from_bytes(apk.read_bytes())
    ours = _our_tree(parse_axml(zf.read("AndroidManifest.xml")).root)
    assert ours == _aapt_tree(apk, "AndroidManifest.xml")


@pytest.mark.oracle
@pytest.mark.skipif(shutil.which("aapt") is None, reason="aapt is not installed")
@pytest.mark.skipif(not FRAMEWORK_RES.is_file(), reason="android-framework-res is not installed")
def test_attribute_ids_match_the_framework() -> None:
    out = subprocess.run(
        ["aapt", "dump", "resources", str(FRAMEWORK_RES)], capture_output=True, text=True
    ).stdout
    framework = {
        m.group(2): int(m.group(1), 16)
        for m in re.finditer(r"spec resource (0x0101[0-9a-f]{4}) android:attr/(\w+):", out)
    }
    checked = {name: rid for name, rid in ANDROID_ATTRS.items() if name in framework}
    assert len(checked) > 50
    assert checked == {name: framework[name] for name in checked}


def test_namespace_of_android_attributes_is_kept() -> None:
    root = parse(axml(manifest_tree()))
    assert root.attr("versionName").namespace == ANDROID_NS  # type: ignore[union-attr]
