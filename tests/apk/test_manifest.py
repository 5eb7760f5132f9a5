"""Manifest model from crafted APKs, and aapt as oracle on the AOSP apksig corpus."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.apk.axml_craft import TYPE_STRING, El, Hex, Ref, arsc, axml
from unstalk.apk import manifest as manifest_module
from unstalk.apk.manifest import class_name, read_manifest
from unstalk.apk.model import ComponentKind, Manifest
from unstalk.apk.parsers.zip import ApkZip
from unstalk.errors import ApkError, ApkLimitError

APKSIG = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "apksig"
FRAMEWORK_RES = Path("/usr/share/android-framework-res/framework-res.apk")
PKG = "com.example.spy"
LABEL = 0x7F020000
A11Y_XML = 0x7F030000
ADMIN_XML = 0x7F030001
LAUNCHER = El(
    "intent-filter",
    children=[
        El("action", {"android:name": "android.intent.action.MAIN"}),
        El("category", {"android:name": "android.intent.category.LAUNCHER"}),
    ],
)


def manifest_tree(*, app_enabled: bool = True) -> El:
    boot = El(
        "intent-filter",
        {"android:priority": 999},
        [
            El("action", {"android:name": "android.intent.action.BOOT_COMPLETED"}),
            El("data", {"android:scheme": "https", "android:host": "c2.example.net"}),
        ],
    )
    app = El(
        "application",
        {
            "android:label": Ref(LABEL),
            "android:debuggable": True,
            "android:allowBackup": False,
            "android:usesCleartextTraffic": True,
            "android:enabled": app_enabled,
        },
        [
            El("activity", {"android:name": ".Main"}, [LAUNCHER]),
            El(
                "activity-alias",
                {"android:name": "Alias", "android:targetActivity": ".Main"},
                [LAUNCHER],
            ),
            El(
                "service",
                {
                    "android:name": "com.other.Watch",
                    "android:permission": "android.permission.BIND_ACCESSIBILITY_SERVICE",
                    "android:foregroundServiceType": Hex(0x48),
                },
                [
                    El("meta-data", {"android:name": "a11y", "android:resource": Ref(A11Y_XML)}),
                    El("meta-data", {"android:name": "mode", "android:value": "stealth"}),
                ],
            ),
            El("receiver", {"android:name": ".Boot", "android:exported": False}, [boot]),
            El(
                "receiver",
                {"android:name": ".Admin"},
                [El("meta-data", {"android:name": "admin", "android:resource": Ref(ADMIN_XML)})],
            ),
            El("provider", {"android:name": ".Files", "android:enabled": False}),
        ],
    )
    return El(
        "manifest",
        {
            "package": PKG,
            "android:versionCode": 7,
            "android:versionName": "2.0",
            "android:sharedUserId": "com.example.shared",
        },
        [
            El("uses-sdk", {"android:minSdkVersion": 21, "android:targetSdkVersion": 30}),
            El("uses-permission", {"android:name": "android.permission.CAMERA"}),
            El(
                "uses-permission",
                {"android:name": "android.permission.READ_SMS", "android:maxSdkVersion": 28},
            ),
            El("uses-permission-sdk-23", {"android:name": "android.permission.RECORD_AUDIO"}),
            El("permission", {"android:name": f"{PKG}.C2"}),
            app,
        ],
    )


A11Y = El(
    "accessibility-service",
    {
        "android:accessibilityEventTypes": Hex(0xFFFFFFFF),
        "android:canRetrieveWindowContent": True,
    },
)
ADMIN = El(
    "device-admin",
    children=[El("uses-policies", children=[El("force-lock"), El("wipe-data")])],
)


def build_apk(manifest: bytes | None, **extra: bytes) -> ApkZip:
    files = dict(extra)
    if manifest is not None:
        files["AndroidManifest.xml"] = manifest
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return ApkZip.from_bytes(out.getvalue(), path="crafted.apk")


def resources() -> bytes:
    strings = ["Spy App", "res/xml/a11y.xml", "res/xml/admin.xml"]
    default = bytes(60)
    types = {
        0x02: [(default, {0: (TYPE_STRING, 0)})],
        0x03: [(default, {0: (TYPE_STRING, 1), 1: (TYPE_STRING, 2)})],
    }
    return arsc(strings, types)


def full_apk(*, blank: bool = False, app_enabled: bool = True) -> Manifest:
    apk = build_apk(
        axml(manifest_tree(app_enabled=app_enabled), blank_names=blank),
        **{
            "resources.arsc": resources(),
            "res/xml/a11y.xml": axml(A11Y, blank_names=blank),
            "res/xml/admin.xml": axml(ADMIN),
        },
    )
    return read_manifest(apk).manifest


@pytest.mark.parametrize("blank", [False, True])
def test_identity_and_permissions(blank: bool) -> None:
    m = full_apk(blank=blank)
    assert (m.package, m.version_code, m.version_name) == (PKG, 7, "2.0")
    assert (m.min_sdk, m.target_sdk) == (21, 30)
    assert m.label == "Spy App"
    assert [(p.name, p.max_sdk, p.sdk23_only) for p in m.permissions] == [
        ("android.permission.CAMERA", None, False),
        ("android.permission.READ_SMS", 28, False),
        ("android.permission.RECORD_AUDIO", None, True),
    ]
    assert m.declared_permissions == (f"{PKG}.C2",)
    assert (m.debuggable, m.allow_backup, m.uses_cleartext_traffic) == (True, False, True)
    assert m.shared_user_id == "com.example.shared"


@pytest.mark.parametrize("blank", [False, True])
def test_components_as_android_sees_them(blank: bool) -> None:
    by_name = {c.name: c for c in full_apk(blank=blank).components}
    main, alias = by_name[f"{PKG}.Main"], by_name[f"{PKG}.Alias"]
    assert main.exported and main.kind is ComponentKind.ACTIVITY
    assert alias.target_activity == f"{PKG}.Main"
    watch = by_name["com.other.Watch"]
    assert not watch.exported
    assert watch.permission == "android.permission.BIND_ACCESSIBILITY_SERVICE"
    assert watch.foreground_service_type == "location|camera"
    assert [(d.name, d.value, d.resource) for d in watch.meta_data] == [
        ("a11y", None, "res/xml/a11y.xml"),
        ("mode", "stealth", None),
    ]
    boot = by_name[f"{PKG}.Boot"]
    assert not boot.exported
    assert boot.intent_filters[0].priority == 999
    assert boot.intent_filters[0].data_schemes == ("https",)
    assert boot.intent_filters[0].data_hosts == ("c2.example.net",)
    assert "android.intent.action.BOOT_COMPLETED" in boot.actions
    files = by_name[f"{PKG}.Files"]
    assert (files.exported, files.enabled) == (False, False)


def test_launcher_presence_and_disabled_application() -> None:
    assert full_apk().has_launcher_activity
    m = full_apk(app_enabled=False)
    assert not m.has_launcher_activity
    assert not any(c.enabled for c in m.components)


@pytest.mark.parametrize("blank", [False, True])
def test_accessibility_and_device_admin_configs_are_read(blank: bool) -> None:
    configs = {c.path: c for c in full_apk(blank=blank).configs}
    a11y = dict(configs["res/xml/a11y.xml"].attributes)
    assert a11y == {"accessibilityEventTypes": "0xffffffff", "canRetrieveWindowContent": "true"}
    assert configs["res/xml/admin.xml"].children == ("uses-policies", "force-lock", "wipe-data")


def test_missing_manifest_is_an_apk_error() -> None:
    with pytest.raises(ApkError, match="no AndroidManifest.xml"):
        read_manifest(build_apk(None, **{"classes.dex": b"dex"}))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'<?xml version="1.0"?><manifest package="a.b"/>', "plain-text"),
        (axml(El("application")), "no <manifest>"),
        (b"\x03\x00\x08\x00" + bytes(40), "no XML element"),
    ],
)
def test_broken_manifest_is_an_apk_error(data: bytes, message: str) -> None:
    with pytest.raises(ApkError, match=message):
        read_manifest(build_apk(data))


def test_unresolvable_label_keeps_the_reference_and_says_why() -> None:
    result = read_manifest(build_apk(axml(manifest_tree())))
    assert result.manifest.label == "@0x7f020000"
    assert any("resources.arsc" in p for p in result.problems)


def test_oversized_resources_are_a_problem_not_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manifest_module, "ARSC_LIMIT", 16)
    monkeypatch.setattr(manifest_module, "CONFIG_LIMIT", 16)
    apk = build_apk(
        axml(manifest_tree()),
        **{"resources.arsc": resources(), "res/xml/a11y.xml": axml(A11Y)},
    )
    result = read_manifest(apk)
    assert result.manifest.package == PKG
    assert result.manifest.label == "@0x7f020000"
    assert any("resources.arsc" in p and "safety limit" in p for p in result.problems)


def test_manifest_bomb_is_stopped() -> None:
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = b"".join(comp.compress(bytes(1 << 20)) for _ in range(40)) + comp.flush()
    apk = build_apk(b"placeholder")
    data = bytearray(apk.data)
    # Swap the manifest's compressed bytes for the bomb, keeping the archive valid.
    entry = apk.entries["AndroidManifest.xml"]
    start = entry.local_header_offset + 30 + len("AndroidManifest.xml")
    data[start : start + entry.compressed_size] = body
    fixed = ApkZip.from_bytes(_resize(bytes(data), entry.compressed_size, len(body)))
    with pytest.raises(ApkLimitError):
        read_manifest(fixed)


def _resize(data: bytes, old: int, new: int) -> bytes:
    """Patch the sizes and offsets of a one-entry archive whose data grew."""
    out = bytearray(data)
    out[18:22] = new.to_bytes(4, "little")
    cd = out.find(b"PK\x01\x02")
    out[cd + 20 : cd + 24] = new.to_bytes(4, "little")
    eocd = out.rfind(b"PK\x05\x06")
    offset = int.from_bytes(out[eocd + 16 : eocd + 20], "little") + new - old
    out[eocd + 16 : eocd + 20] = offset.to_bytes(4, "little")
    return bytes(out)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (".Foo", "a.b.Foo"),
        ("Foo", "a.b.Foo"),
        ("x.y.Foo", "x.y.Foo"),
        ("Foo$Inner", "a.b.Foo$Inner"),
    ],
)
def test_class_names_complete_like_android(name: str, expected: str) -> None:
    assert class_name("a.b", name) == expected


def _badging(apk: Path) -> dict[str, object] | None:
    run = subprocess.run(["aapt", "dump", "badging", str(apk)], capture_output=True, text=True)
    if run.returncode != 0:
        return None
    out = run.stdout
    head = re.search(r"package: name='([^']*)' versionCode='([^']*)' versionName='([^']*)'", out)
    assert head is not None
    sdk = re.search(r"^sdkVersion:'([^']*)'", out, re.M)
    target = re.search(r"^targetSdkVersion:'([^']*)'", out, re.M)
    label = re.search(r"^application-label:'([^']*)'", out, re.M)
    return {
        "package": head.group(1),
        "version_code": head.group(2),
        "version_name": head.group(3),
        "sdk": sdk.group(1) if sdk else None,
        "target": target.group(1) if target else None,
        "permissions": re.findall(r"^uses-permission: name='([^']*)'", out, re.M),
        "label": label.group(1) if label else None,
    }


def _ours(m: Manifest) -> dict[str, object]:
    return {
        "package": m.package,
        "version_code": "" if m.version_code is None else str(m.version_code),
        "version_name": m.version_name or "",
        "sdk": None if m.min_sdk is None else str(m.min_sdk),
        "target": None if m.target_sdk is None else str(m.target_sdk),
        "permissions": [p.name for p in m.permissions if not p.sdk23_only],
        "label": m.label,
    }


def _corpus() -> list[Path]:
    apks = sorted(APKSIG.glob("*.apk")) if APKSIG.is_dir() else []
    return apks + ([FRAMEWORK_RES] if FRAMEWORK_RES.is_file() else [])


@pytest.mark.oracle
@pytest.mark.skipif(shutil.which("aapt") is None, reason="aapt is not installed")
@pytest.mark.skipif(not APKSIG.is_dir(), reason=f"the apksig corpus is not at {APKSIG}")
def test_corpus_matches_aapt_badging() -> None:
    differences: dict[str, object] = {}
    corpus = _corpus()
    with ThreadPoolExecutor(max_workers=8) as pool:
        badging = list(pool.map(_badging, corpus))
    for apk, expected in zip(corpus, badging, strict=True):
        try:
            ours = _ours(read_manifest(ApkZip.from_bytes(apk.read_bytes())).manifest)
        except ApkError as e:
            if expected is not None:
                differences[apk.name] = f"aapt reads it, we raise {e}"
            continue
        if expected is not None and ours != expected:
            differences[apk.name] = {
                k: (expected[k], ours[k]) for k in ours if ours[k] != expected[k]
            }
    assert differences == {}
