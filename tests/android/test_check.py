"""check_acquisition as a whole: pulled APKs, what could not be checked, and the JSON report."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from tests.android.folder_loader import bundled_feed, bundled_index
from tests.android.gen_acquisition import write_acquisition
from tests.android.gen_outputs import PlantedApp
from tests.apk.builder.apk import build_apk
from tests.apk.builder.spy_apps import COVERT
from unstalk.android.acquire.acquisition import write_manifest
from unstalk.android.check import SCHEMA, check_acquisition, result_dict
from unstalk.android.importers import load_acquisition
from unstalk.apk.analyse import Analyser
from unstalk.criteria.model import VerdictKind
from unstalk.models import Severity

WIFI_SYNC = COVERT[0]
"""A covert monitoring app from the APK test corpus, labelled 'Wi-Fi Sync'."""


@pytest.fixture(scope="module")
def analyser() -> Analyser:
    return Analyser(bundled_feed(), index=bundled_index())


def _pulled_phone(folder: Path, apk: bytes) -> Path:
    app = PlantedApp(WIFI_SYNC.package, 10300, label="Wi-Fi Sync")
    return write_acquisition(folder, [app], apks={WIFI_SYNC.package: apk})


def test_a_pulled_apk_is_analysed_and_its_label_read(tmp_path: Path, analyser: Analyser) -> None:
    folder = _pulled_phone(tmp_path / "phone", build_apk(WIFI_SYNC))
    result = check_acquisition(load_acquisition(folder), bundled_index(), analyser=analyser)
    judged = next(a for a in result.apps if a.facts.name == WIFI_SYNC.package)
    assert judged.analysis is not None
    assert judged.facts.label == "Wi-Fi Sync"
    pretends = next(f for f in judged.findings if f.id == "android.app.impersonation")
    assert "'Wi-Fi Sync'" in pretends.explanation and pretends.severity is Severity.HIGH
    assert judged.verdict.verdict is VerdictKind.SUSPICIOUS
    apps = result_dict(result)["apps"]
    assert isinstance(apps, list)
    entry = next(a for a in apps if isinstance(a, dict) and a["package"] == WIFI_SYNC.package)
    assert isinstance(entry, dict) and entry["apk_analysed"] is True


def test_an_unreadable_apk_is_listed_as_not_analysed(tmp_path: Path, analyser: Analyser) -> None:
    folder = _pulled_phone(tmp_path / "phone", b"PK\x03\x04 not an apk at all")
    result = check_acquisition(load_acquisition(folder), bundled_index(), analyser=analyser)
    broken = [n for n in result.not_checked if n.part == f"apk:{WIFI_SYNC.package}"]
    assert broken and broken[0].status == "not-analysed" and broken[0].reasons[0]
    # The rest of the phone is still checked.
    assert any(a.facts.name == "com.whatsapp" for a in result.apps)


def test_a_pulled_apk_matches_the_feed_by_file_hash_without_analysis(tmp_path: Path) -> None:
    sample = next(s for s in bundled_feed().samples if s.family and "stalkerware" in s.family)
    acquisition = load_acquisition(_pulled_phone(tmp_path / "phone", build_apk(WIFI_SYNC)))
    ((package, path),) = acquisition.apk_files
    known = dataclasses.replace(
        acquisition, file_hashes={**acquisition.file_hashes, path: sample.sha256.lower()}
    )
    result = check_acquisition(known, bundled_index())
    judged = next(a for a in result.apps if a.facts.name == package)
    assert judged.verdict.verdict is VerdictKind.STALKERWARE
    assert "file hash" in judged.verdict.summary
    assert any("matched by file hash only" in limit for limit in result.limits)


def test_a_missing_output_makes_the_check_incomplete(tmp_path: Path) -> None:
    folder = write_acquisition(tmp_path / "phone", [])
    # As when the phone was unplugged just before that command.
    (folder / "dumpsys_accessibility.txt").unlink()
    metadata = json.loads((folder / "acquisition.json").read_text())
    metadata["commands"] = [
        c for c in metadata["commands"] if c["output"] != "dumpsys_accessibility.txt"
    ]
    metadata.update(complete=False, stopped_because="adb said: error: device not found")
    (folder / "acquisition.json").write_text(json.dumps(metadata))
    (folder / "SHA256SUMS").unlink()
    write_manifest(folder)
    result = check_acquisition(load_acquisition(folder), bundled_index())
    assert result.incomplete and not result.found
    missing = next(n for n in result.not_checked if n.part == "accessibility")
    assert missing.status == "missing" and missing.reasons
    assert result.headline.startswith("No known stalkerware found by these checks.")


def test_the_json_report(tmp_path: Path) -> None:
    planted = PlantedApp("com.thetruth", 10300)
    folder = write_acquisition(tmp_path / "phone", [planted])
    document = result_dict(check_acquisition(load_acquisition(folder), bundled_index()))
    text = json.dumps(document)
    assert document["schema"] == SCHEMA
    assert document["found"] is True and document["incomplete"] is False
    assert "clean" not in text.lower()
    assert document["acquired_at"] is not None
    device = document["device"]
    assert isinstance(device, dict) and device["model"] == "Pixel 7"
    apps = document["apps"]
    assert isinstance(apps, list) and len(apps) == 27
    spy = next(a for a in apps if isinstance(a, dict) and a["package"] == "com.thetruth")
    assert isinstance(spy, dict)
    assert spy["install_source"] == "package_installer"
    verdict = spy["verdict"]
    assert isinstance(verdict, dict) and verdict["verdict"] == "stalkerware"
    findings = spy["findings"]
    assert isinstance(findings, list)
    first = findings[0]
    assert isinstance(first, dict) and first["severity"] == "critical"
    assert first["evidence"] and first["package"] == "com.thetruth"
    not_checked = document["not_checked"]
    assert isinstance(not_checked, list)
    assert [n["part"] for n in not_checked if isinstance(n, dict)] == ["root_indicators"]
    assert document["limits"]
