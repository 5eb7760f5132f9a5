"""A case folder as an examiner keeps it: an Android acquisition, a capture, results, a report."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.android.gen_acquisition import write_acquisition
from tests.android.gen_outputs import PlantedApp
from tests.netcap.phone_captures import stalkerware_capture
from unstalk.android.check import AndroidCheckResult, check_acquisition, result_dict
from unstalk.android.importers import load_acquisition
from unstalk.feed.index import FeedIndex
from unstalk.feed.model import Feed
from unstalk.feed.store import bundled_dir, load_folder
from unstalk.netcap.check import NetworkCheckResult, check_capture
from unstalk.netcap.check import result_dict as network_dict
from unstalk.report.manifest import CaseFields, sign
from unstalk.report.manifest_build import ManifestRequest, build_manifest

SIGNED_AT = datetime(2024, 3, 13, 9, 0, tzinfo=UTC)
CASE_FILES = {
    "acquisition": "phone/getprop.txt",
    "capture": "traffic.pcap",
    "result": "result.json",
    "report": "report.html",
}
"""One file of each kind in the case folder, by role."""


@pytest.fixture(scope="session")
def feed() -> Feed:
    return load_folder(bundled_dir())


@pytest.fixture(scope="session")
def index(feed: Feed) -> FeedIndex:
    return FeedIndex.build(feed)


@pytest.fixture(scope="session")
def spy_acquisition(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("acquisitions") / "spy"
    return write_acquisition(folder, [PlantedApp("com.thetruth", 10300)])


@pytest.fixture(scope="session")
def android_result(spy_acquisition: Path, index: FeedIndex) -> AndroidCheckResult:
    return check_acquisition(load_acquisition(spy_acquisition), index)


@pytest.fixture(scope="session")
def capture_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return stalkerware_capture(tmp_path_factory.mktemp("captures") / "spy.pcap")


@pytest.fixture(scope="session")
def network_result(capture_file: Path, index: FeedIndex) -> NetworkCheckResult:
    return check_capture(capture_file, index)


@pytest.fixture
def case(
    tmp_path: Path,
    spy_acquisition: Path,
    capture_file: Path,
    android_result: AndroidCheckResult,
    network_result: NetworkCheckResult,
) -> Path:
    """A fresh case folder for each test, so each may change it."""
    root = tmp_path / "case"
    phone = root / "phone"
    phone.mkdir(parents=True)
    for path in spy_acquisition.iterdir():
        (phone / path.name).write_bytes(path.read_bytes())
    (root / "traffic.pcap").write_bytes(capture_file.read_bytes())
    (root / "result.json").write_text(json.dumps(result_dict(android_result), indent=2))
    (root / "network.json").write_text(json.dumps(network_dict(network_result), indent=2))
    (root / "report.html").write_text("<!doctype html><title>Report</title>", encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


SignCase = Callable[[Path], Path]


@pytest.fixture
def sign_case(key: Ed25519PrivateKey) -> SignCase:
    """Sign a case folder's manifest into ``manifest.json`` inside it; returns its path."""

    def run(root: Path) -> Path:
        target = root / "manifest.json"
        request = ManifestRequest(
            root=root,
            result=root / "result.json",
            tool_version="9.9.9",
            created=SIGNED_AT,
            case=CaseFields(case_id="2024-0042", examiner="Det. Müller"),
            exclude=frozenset({"manifest.json"}),
        )
        target.write_bytes(sign(build_manifest(request), key))
        return target

    return run
