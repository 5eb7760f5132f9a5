"""Check results to report on, made with the other checks' own generators.

- Android: the generated phone (``tests.android.gen_acquisition``) with two stalkerware
  packages of the bundled feed, a watchware app and a Play-store app, checked as
  ``unstalk check android --format json`` does.
- Network: the stalkerware and check-in captures of ``tests.netcap.phone_captures``.
- APK: a feed-listed spy app, a covert one and a benign one from ``tests.apk.builder``.
- iPhone: a backup from ``tests.ios.gen`` joining its scenarios (the feed's watchware app,
  an app without App Store details, jailbreak apps and files, the monitoring and MDM
  profiles), checked as ``unstalk check ios --backup DIR --format json`` does. The
  profiles' certificate is signed with a fixed Ed25519 key so the backup is the same
  at every run.

Paths that depend on the machine (temporary folders) are replaced by stable names, so
the reports can be compared with the golden files. Regenerate those (and the committed
JSON Schema of the report) with::

    python -m tests.report.fixtures
"""

from __future__ import annotations

import functools
import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID

from tests.android.folder_loader import bundled_feed, bundled_index
from tests.android.gen_acquisition import planted_from_feed, store_apps, write_acquisition
from tests.apk.builder.apk import build_apk
from tests.apk.builder.benign_apps import BENIGN
from tests.apk.builder.corpus import APPS
from tests.apk.builder.spy_apps import COVERT, FEED_LISTED
from tests.ios.gen import Scenario, scenarios, write_backup
from tests.netcap.phone_captures import checkin_capture, stalkerware_capture
from unstalk.android.check import check_acquisition, result_dict
from unstalk.android.importers import load_acquisition
from unstalk.apk.analyse import Analyser
from unstalk.apk.result_json import JsonValue, analysis_dict, error_dict
from unstalk.ios.backup import read_backup
from unstalk.ios.check import check_acquisition as check_ios
from unstalk.ios.check import result_dict as ios_dict
from unstalk.netcap.check import check_capture
from unstalk.netcap.check import result_dict as network_dict
from unstalk.report.convert import report_from_bytes
from unstalk.report.from_apk import report_from_apks
from unstalk.report.model import Report, json_schema, report_json

GOLDEN = Path(__file__).parent / "golden"
CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
TOOL_VERSION = "test"
FEED = {"format": "echap", "source": "bundled", "version": "test-feed"}


@functools.cache
def android_json() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        apps = [*planted_from_feed(bundled_feed())[:2], *store_apps(1, first_uid=20000)]
        folder = write_acquisition(Path(tmp) / "phone", apps)
        result = check_acquisition(load_acquisition(folder), bundled_index())
        data = result_dict(result)
    data["source"] = "case-1/phone"
    data["feed"] = dict(FEED)
    return json.dumps(data).encode()


@functools.cache
def network_json() -> bytes:
    results: list[JsonValue] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in (
            ("phone.pcapng", stalkerware_capture),
            ("checkin.pcapng", checkin_capture),
        ):
            result = network_dict(check_capture(make(Path(tmp) / name), bundled_index()))
            result["path"] = name
            results.append(result)
    run: dict[str, JsonValue] = {"feed": dict(FEED), "allowlist": None, "results": results}
    return json.dumps(run).encode()


@functools.cache
def apk_json() -> bytes:
    analyser = Analyser(bundled_feed(), index=bundled_index())
    results: list[JsonValue] = [
        analysis_dict(analyser.analyse_bytes(build_apk(app), path=f"apks/{app.package}.apk"))
        for app in (FEED_LISTED[0], COVERT[0], BENIGN[0])
    ]
    results.append(error_dict("apks/broken.apk", "the file is not a ZIP archive"))
    return json.dumps(results).encode()


def _fixed_certificate() -> x509.Certificate:
    """The profiles' root CA, signed with a fixed key (Ed25519 signatures are deterministic)."""
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Acme Inspection Root CA")])
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(4242)
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, None)
    )


def ios_scenario() -> Scenario:
    """Every scenario of the backup generator in one phone (Wi-Fi sync not recorded)."""
    with mock.patch.object(scenarios, "root_certificate", _fixed_certificate):
        parts = (scenarios.feed_app(), scenarios.jailbroken(), scenarios.profiles())
    apps = {app.bundle_id: app for part in parts for app in part.apps}
    files = {(f.domain, f.relative_path): f for part in parts for f in part.files}
    return Scenario(apps=tuple(apps.values()), files=tuple(files.values()))


@functools.cache
def ios_json() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_backup(Path(tmp), ios_scenario())
        data = ios_dict(check_ios(read_backup(folder), bundled_index()))
    data["source"] = "case-2/backup"
    data["feed"] = dict(FEED)
    return json.dumps(data).encode()


def corpus_report() -> Report:
    """The report of every app of the synthetic APK corpus, as ``unstalk scan apk`` makes it."""
    analyser = Analyser(bundled_feed(), index=bundled_index())
    analyses = [
        analyser.analyse_bytes(build_apk(app), path=f"apks/{app.package}.apk") for app in APPS
    ]
    return report_from_apks(analyses, created_at=CREATED, feed=bundled_feed().provenance)


SOURCES = {"android": android_json, "network": network_json, "apk": apk_json, "ios": ios_json}


def report_of(kind: str) -> Report:
    """The report of one fixture, with the creation time and tool version pinned."""
    made = report_from_bytes(SOURCES[kind](), source=f"{kind}.json", created_at=CREATED)
    return made.model_copy(update={"tool_version": TOOL_VERSION})


def stable(report: Report) -> Report:
    """``report`` with machine-dependent digests masked.

    EC and DSA signatures make APK digests differ at every build, and SQLite writes its
    own version into every database file, so a backup's Manifest.db differs between
    machines. The paths stay: which files were read is part of the golden report.
    """
    apps = tuple(
        app.model_copy(update={"sha256": "<sha256>" if _is_sha256(app.sha256) else app.sha256})
        for app in report.apps
    )
    acquisition = report.acquisition
    if acquisition is not None and acquisition.files:
        masked = dict.fromkeys(acquisition.files, "<sha256>")
        acquisition = acquisition.model_copy(update={"files": masked})
    return report.model_copy(update={"apps": apps, "acquisition": acquisition})


def _is_sha256(value: str | None) -> bool:
    return value is not None and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


SCHEMA_FILE = Path(__file__).parents[2] / "src" / "unstalk" / "report" / "schema" / "report-1.json"


def main() -> None:
    schema = json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
    SCHEMA_FILE.write_text(schema, encoding="utf-8")
    for kind in SOURCES:
        text = report_json(stable(report_of(kind)))
        (GOLDEN / f"{kind}.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
