"""Check results to report on, made with the other checks' own generators.

- Android: the generated phone (``tests.android.gen_acquisition``) with two stalkerware
  packages of the bundled feed, a watchware app and a Play-store app, checked as
  ``unstalk check android --format json`` does.
- Network: the stalkerware and check-in captures of ``tests.netcap.phone_captures``.
- APK: a feed-listed spy app, a covert one and a benign one from ``tests.apk.builder``.

Paths that depend on the machine (temporary folders) are replaced by stable names, so
the reports can be compared with the golden files. Regenerate those (and the committed
JSON Schema of the report) with::

    python -m tests.report.fixtures
"""

from __future__ import annotations

import functools
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from tests.android.folder_loader import bundled_feed, bundled_index
from tests.android.gen_acquisition import planted_from_feed, store_apps, write_acquisition
from tests.apk.builder.apk import build_apk
from tests.apk.builder.benign_apps import BENIGN
from tests.apk.builder.spy_apps import COVERT, FEED_LISTED
from tests.netcap.phone_captures import checkin_capture, stalkerware_capture
from unstalk.android.check import check_acquisition, result_dict
from unstalk.android.importers import load_acquisition
from unstalk.apk.analyse import Analyser
from unstalk.apk.result_json import JsonValue, analysis_dict, error_dict
from unstalk.netcap.check import check_capture
from unstalk.netcap.check import result_dict as network_dict
from unstalk.report.convert import report_from_bytes
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


SOURCES = {"android": android_json, "network": network_json, "apk": apk_json}


def report_of(kind: str) -> Report:
    """The report of one fixture, with the creation time and tool version pinned."""
    made = report_from_bytes(SOURCES[kind](), source=f"{kind}.json", created_at=CREATED)
    return made.model_copy(update={"tool_version": TOOL_VERSION})


def stable(report: Report) -> Report:
    """``report`` with the APK digests masked: EC and DSA signatures differ at every build."""
    apps = tuple(
        app.model_copy(update={"sha256": "<sha256>" if _is_sha256(app.sha256) else app.sha256})
        for app in report.apps
    )
    return report.model_copy(update={"apps": apps})


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
