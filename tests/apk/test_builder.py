"""The synthetic APK builder checked against the real Android tools.

Every corpus APK must verify with apksigner (exactly the schemes asked for, by our test
certificate), read correctly in aapt (package, version, label, permissions, launcher),
pass zipalign's check, and hold dex files dexdump and baksmali accept. The tools are
installed by CI; a test whose tool is missing is skipped with the reason.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import zipfile
from dataclasses import replace
from importlib.resources import files as resource_files
from pathlib import Path

import pytest
import yaml

from tests.apk.builder.apk import SyntheticApp, build_apk
from tests.apk.builder.axml_writer import ANDROID_ATTRS
from tests.apk.builder.components import LAUNCHER, MAIN
from tests.apk.builder.corpus import APPS, APPS_BY_PACKAGE, ApkBuilder, build_corpus, main
from tests.apk.builder.dex_writer import encode_dex
from tests.apk.builder.expectations import Expectation, load_expectations
from tests.apk.builder.keys import TEST_KEYS, load_key
from tests.apk.builder.oracles import (
    VerifyResult,
    aapt_badging,
    aapt_xmltree,
    apksigner_verify,
    dexdump_check,
    have_apksigner,
)
from tests.apk.builder.spy_apps import FEED_CERT_KEY

PACKAGES = sorted(APPS_BY_PACKAGE)
FRAMEWORK_RES = Path("/usr/share/android-framework-res/framework-res.apk")
TRICKY_STRINGS = (
    "",
    "plain ascii",
    "nul\x00inside",
    "h\u00e9llo \u65e5\u672c",
    "\u07ff\u0800\uffff",
    "emoji \U0001f600 beyond the BMP",
    "\ufffd sorts after the surrogates of \U0001f600",
    "x" * 300,
)


def needs(tool: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        shutil.which(tool) is None, reason=f"{tool} is not installed (CI installs it)"
    )


def _launcher(app: SyntheticApp) -> str | None:
    """The launcher activity aapt reports: an <activity> (aapt ignores aliases)."""
    for c in app.components:
        if c.kind == "activity" and any(
            MAIN in f.actions and LAUNCHER in f.categories for f in c.intent_filters
        ):
            return app.package + c.name if c.name.startswith(".") else c.name
    return None


@pytest.fixture(scope="module")
def verified(synthetic_apks: dict[str, Path]) -> dict[str, VerifyResult]:
    if not have_apksigner():
        pytest.skip("apksigner is not installed (CI installs it)")
    results = apksigner_verify([synthetic_apks[p] for p in PACKAGES])
    return {p: results[synthetic_apks[p]] for p in PACKAGES}


def test_expectations_cover_exactly_the_corpus(
    synthetic_expectations: dict[str, Expectation],
) -> None:
    assert sorted(synthetic_expectations) == PACKAGES


def test_corpus_covers_every_variant_the_parsers_must_handle() -> None:
    assert len(APPS) >= 14
    assert {app.schemes for app in APPS} >= {
        ("v1",),
        ("v2",),
        ("v3",),
        ("v1", "v2"),
        ("v2", "v3"),
        ("v1", "v2", "v3"),
    }
    assert {load_key(app.key).algorithm for app in APPS} == {"RSA", "EC"}
    assert any(app.blank_attribute_names for app in APPS)
    assert any(app.utf8_strings for app in APPS)
    assert any(app.extra_dex for app in APPS)
    assert any(_launcher(app) is None for app in APPS)
    assert sum(app.key == FEED_CERT_KEY for app in APPS) == 1


@pytest.mark.oracle
@pytest.mark.parametrize("package", PACKAGES)
def test_apksigner_verifies_exactly_the_requested_schemes(
    package: str, verified: dict[str, VerifyResult]
) -> None:
    app, result = APPS_BY_PACKAGE[package], verified[package]
    assert result.verifies, result.text
    assert result.schemes == set(app.schemes), result.text
    key = load_key(app.key)
    assert result.cert_sha256 == (key.cert_sha256,)
    assert result.cert_sha1 == (key.cert_sha1,)


@needs("aapt")
@pytest.mark.oracle
@pytest.mark.parametrize("package", PACKAGES)
def test_aapt_reads_identity_permissions_and_launcher(
    package: str, synthetic_apks: dict[str, Path]
) -> None:
    app = APPS_BY_PACKAGE[package]
    badging = aapt_badging(synthetic_apks[package])
    assert (badging.package, badging.version_code, badging.version_name) == (
        app.package,
        app.version_code,
        app.version_name,
    )
    assert badging.label == app.label
    assert badging.permissions == app.permissions
    assert badging.launchable_activity == _launcher(app)
    assert (badging.min_sdk, badging.target_sdk) == (app.min_sdk, app.target_sdk)


@needs("aapt")
@pytest.mark.oracle
def test_xml_configs_resolve_through_resources_arsc(synthetic_apks: dict[str, Path]) -> None:
    apk = synthetic_apks["com.example.screenhelper"]
    table = subprocess.run(
        ["aapt", "dump", "--values", "resources", str(apk)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert re.search(
        r"xml/accessibility_service:.*\n.*\"res/xml/accessibility_service.xml\"", table
    )
    manifest = aapt_xmltree(apk, "AndroidManifest.xml")
    assert "android:resource(0x01010025)=@0x7f020000" in manifest
    config = aapt_xmltree(apk, "res/xml/accessibility_service.xml")
    assert "android:canRetrieveWindowContent(0x01010385)=(type 0x12)0xffffffff" in config
    assert '"com.whatsapp,org.telegram.messenger' in config
    admin = aapt_xmltree(
        synthetic_apks["com.android.devicecare.keeper"], "res/xml/device_admin.xml"
    )
    assert re.findall(r"E: (\S+)", admin) == [
        "device-admin",
        "uses-policies",
        "limit-password",
        "watch-login",
        "reset-password",
        "force-lock",
        "wipe-data",
        "disable-camera",
    ]


def _manifest(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read("AndroidManifest.xml")


def test_blank_attribute_names_leave_no_names_in_the_pool(synthetic_apks: dict[str, Path]) -> None:
    blanked = _manifest(synthetic_apks["com.android.devicecare.keeper"])
    normal = _manifest(synthetic_apks["com.android.callservice"])
    name = "versionCode".encode("utf-16-le")
    assert name in normal
    assert name not in blanked


def test_utf8_pool_flag_is_set_only_when_asked(synthetic_apks: dict[str, Path]) -> None:
    def pool_flags(package: str) -> int:
        # The string pool chunk starts right after the 8-byte XML tree header.
        return int.from_bytes(_manifest(synthetic_apks[package])[24:28], "little")

    assert pool_flags("com.example.screenhelper") & 0x100
    assert not pool_flags("com.example.notifymirror") & 0x100


@needs("aapt")
@pytest.mark.oracle
@pytest.mark.parametrize(("utf8", "length"), [(True, 300), (False, 300), (False, 0x8100)])
def test_long_strings_use_two_part_lengths_aapt_reads(
    apk_builder: ApkBuilder, utf8: bool, length: int
) -> None:
    # Past 0x7f (UTF-8) or 0x7fff (UTF-16) units a pool length takes two parts.
    label = ("\u00e9" + "x" * length)[:length]
    path = apk_builder.variant(
        "org.example.notes", label=label, utf8_strings=utf8, label_from_resources=False
    )
    assert aapt_badging(path).label == label


@needs("zipalign")
@pytest.mark.oracle
def test_zipalign_accepts_every_apk(synthetic_apks: dict[str, Path]) -> None:
    for path in synthetic_apks.values():
        done = subprocess.run(
            ["zipalign", "-c", "4", str(path)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr


@needs("dexdump")
@pytest.mark.oracle
def test_dexdump_accepts_every_dex(synthetic_apks: dict[str, Path]) -> None:
    for path in synthetic_apks.values():
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.endswith(".dex"):
                    assert dexdump_check(archive.read(name)) == "", f"{path.name}!{name}"
    assert dexdump_check(encode_dex(TRICKY_STRINGS)) == ""
    assert dexdump_check(encode_dex([])) == ""


def _java_unescape(text: str) -> str:
    escapes = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}
    out = re.sub(
        r"\\(u[0-9a-fA-F]{4}|.)",
        lambda m: chr(int(m[1][1:], 16)) if m[1][0] == "u" else escapes[m[1]],
        text,
    )
    return out.encode("utf-16-le", "surrogatepass").decode("utf-16-le")


@needs("baksmali")
@pytest.mark.oracle
def test_baksmali_lists_exactly_our_strings_in_dex_order(tmp_path: Path) -> None:
    dex = tmp_path / "tricky.dex"
    dex.write_bytes(encode_dex(TRICKY_STRINGS))
    listed = subprocess.run(
        ["baksmali", "list", "strings", str(dex)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    strings = [_java_unescape(line[1:-1]) for line in listed]
    assert strings == sorted(TRICKY_STRINGS, key=lambda s: s.encode("utf-16-be"))


@pytest.mark.oracle
def test_androguard_reads_the_corpus(synthetic_apks: dict[str, Path]) -> None:
    apk_module = pytest.importorskip("androguard.core.apk", reason="androguard is a test extra")
    dex_module = pytest.importorskip("androguard.core.dex", reason="androguard is a test extra")

    for package, path in synthetic_apks.items():
        app, apk = APPS_BY_PACKAGE[package], apk_module.APK(str(path))
        assert (apk.get_package(), apk.get_app_name()) == (package, app.label)
        assert sorted(apk.get_permissions()) == sorted(app.permissions)
        dexes = [dex_module.DEX(apk.get_file(name)) for name in apk.get_dex_names()]
        strings = {s for dex in dexes for s in dex.get_strings()}
        assert strings == {s for table in (app.dex_strings, *app.extra_dex) for s in table}
        signed = (apk.is_signed_v1(), apk.is_signed_v2(), apk.is_signed_v3())
        assert signed == tuple(s in app.schemes for s in ("v1", "v2", "v3"))


@pytest.mark.skipif(not FRAMEWORK_RES.is_file(), reason="android-framework-res is not installed")
@needs("aapt")
@pytest.mark.oracle
def test_attribute_ids_match_the_platform() -> None:
    table = subprocess.run(
        ["aapt", "dump", "resources", str(FRAMEWORK_RES)], capture_output=True, text=True
    ).stdout
    platform = {
        name: int(res_id, 16)
        for res_id, name in re.findall(r"spec resource 0x([0-9a-f]+) android:attr/(\w+):", table)
    }
    assert {name: platform.get(name) for name in ANDROID_ATTRS} == dict(ANDROID_ATTRS)


def _feed() -> list[dict[str, object]]:
    folder = resource_files("unstalk.feed") / "data" / "echap"
    return [
        family
        for name in ("ioc.yaml", "watchware.yaml")
        for family in yaml.load((folder / name).read_text("utf-8"), Loader=yaml.CSafeLoader)
    ]


def _feed_values(family: dict[str, object], kind: str) -> list[object]:
    if kind == "domain":
        c2 = family.get("c2") or {}
        return list(c2.get("domains") or []) if isinstance(c2, dict) else []
    value = family.get({"package": "packages", "certificate": "certificates"}[kind]) or []
    return list(value) if isinstance(value, list) else []


def test_feed_matches_name_real_indicators_and_no_other_app_matches(
    synthetic_expectations: dict[str, Expectation],
) -> None:
    families = {str(f["name"]): f for f in _feed()}
    for expectation in synthetic_expectations.values():
        for match in expectation.feed_matches:
            assert match.value in _feed_values(families[match.family], match.kind)
    listed = {p for f in families.values() for p in _feed_values(f, "package")}
    unmatched = {p for p, e in synthetic_expectations.items() if not e.feed_matches}
    assert unmatched.isdisjoint(listed)


def test_feed_certificate_is_available_for_test_feeds(
    synthetic_expectations: dict[str, Expectation],
) -> None:
    cases = {p: e.with_test_feed for p, e in synthetic_expectations.items() if e.with_test_feed}
    assert list(cases) == ["com.example.coreupdater"]
    assert cases["com.example.coreupdater"].key == FEED_CERT_KEY
    key = load_key(FEED_CERT_KEY)
    assert re.fullmatch(r"[0-9A-F]{40}", key.cert_sha1)
    listed = {str(c) for f in _feed() for c in _feed_values(f, "certificate")}
    assert key.cert_sha1 not in listed


def test_rsa_builds_are_byte_for_byte_reproducible() -> None:
    app = APPS_BY_PACKAGE["com.android.devicecare.keeper"]
    assert load_key(app.key).algorithm == "RSA"
    assert build_apk(app) == build_apk(app)


def test_whole_corpus_builds_in_seconds(tmp_path: Path) -> None:
    start = time.perf_counter()
    build_corpus(tmp_path)
    assert time.perf_counter() - start < 5


def test_cli_builds_every_app_and_lists_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{p}.apk" for p in PACKAGES
    )
    assert len(capsys.readouterr().out.splitlines()) == len(PACKAGES)


def test_builder_rejects_specs_it_cannot_honour() -> None:
    app = APPS_BY_PACKAGE["org.example.notes"]
    with pytest.raises(ValueError, match="schemes"):
        build_apk(replace(app, schemes=("v4",)))
    with pytest.raises(KeyError, match="no test key"):
        build_apk(replace(app, key="missing"))
    assert set(TEST_KEYS) >= {app.key for app in APPS}


def test_expectations_loader_rejects_typos(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("org.example.notes:\n  verdict: clean\n", encoding="utf-8")
    with pytest.raises(ValueError, match="verdict 'clean'"):
        load_expectations(bad)
    bad.write_text("x:\n  verdict: suspicious\n  capabilities: [spying]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown spying"):
        load_expectations(bad)
