"""Checking whole capture files: from packets to findings with evidence, limits and JSON."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from unstalk.errors import CaptureError
from unstalk.feed.allowlist import AllowList
from unstalk.feed.index import FeedIndex
from unstalk.feed.store import bundled_dir, load_folder
from unstalk.models import Severity
from unstalk.netcap.check import NOTHING_FOUND, SCHEMA, check_capture, result_dict
from unstalk.netcap.findings import Check, Seen

from .phone_captures import (
    BEACON_ADDRESS,
    BEACONS,
    BUCKET,
    C2_ADDRESS,
    C2_NAME,
    ordinary_capture,
    short_capture,
    stalkerware_capture,
)


@pytest.fixture(scope="module")
def index() -> FeedIndex:
    return FeedIndex.build(load_folder(bundled_dir()))


@pytest.fixture(scope="module")
def tinycheck() -> AllowList:
    data = (resources.files("unstalk.netcap") / "data" / "tinycheck_whitelist.json").read_bytes()
    return AllowList.from_tinycheck(data)


def test_stalkerware_capture_names_families_with_packet_evidence(
    tmp_path: Path, index: FeedIndex
) -> None:
    result = check_capture(stalkerware_capture(tmp_path / "phone.pcapng"), index)
    assert result.headline == "Traffic to known stalkerware servers found: TheTruthSpy, KidsShield."
    c2 = next(f for f in result.findings if f.evidence.first.value == C2_NAME)
    assert c2.severity is Severity.CRITICAL
    assert c2.indicator is not None and c2.indicator.family == "TheTruthSpy"
    assert c2.indicator.source == "ioc.yaml"
    # The DNS question is frame 1; the ClientHello, split over three segments, was read too.
    assert c2.evidence.first.number == 1 and c2.evidence.first.seen is Seen.DNS_QUERY
    assert Seen.TLS_SNI in c2.evidence.seen_as
    address = next(f for f in result.findings if f.evidence.first.value == C2_ADDRESS)
    assert address.evidence.first.name == C2_NAME
    assert [f.severity for f in result.findings] == sorted(
        (f.severity for f in result.findings), key=lambda s: s.rank
    )


def test_timer_check_ins_to_a_dynamic_dns_name_are_reported(
    tmp_path: Path, index: FeedIndex
) -> None:
    result = check_capture(stalkerware_capture(tmp_path / "phone.pcap"), index)
    checks = {f.check: f for f in result.findings}
    assert checks[Check.BEACONING].severity is Severity.MEDIUM
    assert checks[Check.BEACONING].evidence.count == BEACONS
    assert checks[Check.DYNAMIC_DNS].severity is Severity.MEDIUM
    assert checks[Check.CLEARTEXT_HTTP].severity is Severity.LOW


def test_allow_list_leaves_every_feed_match_in_place(
    tmp_path: Path, index: FeedIndex, tinycheck: AllowList
) -> None:
    path = stalkerware_capture(tmp_path / "phone.pcapng")
    plain = check_capture(path, index)
    allowed = check_capture(path, index, allowlist=tinycheck, allowlist_label="tinycheck")
    assert [(f.evidence.first.value, f.severity) for f in allowed.feed_matches] == [
        (f.evidence.first.value, f.severity) for f in plain.feed_matches
    ]
    bucket = next(f for f in allowed.feed_matches if f.evidence.first.value == BUCKET)
    assert bucket.severity is Severity.CRITICAL and not bucket.allowlisted
    assert allowed.allowlist == "tinycheck"


def test_ordinary_capture_never_reads_as_clean(tmp_path: Path, index: FeedIndex) -> None:
    result = check_capture(ordinary_capture(tmp_path / "ordinary.pcapng"), index)
    assert result.findings == ()
    assert result.headline == NOTHING_FOUND
    assert result.limits
    text = json.dumps(result_dict(result)).lower()
    assert "clean" not in text and "safe" not in text


def test_json_shape_is_plain_data(tmp_path: Path, index: FeedIndex) -> None:
    result = check_capture(stalkerware_capture(tmp_path / "phone.pcapng"), index)
    data = json.loads(json.dumps(result_dict(result)))
    assert data["schema"] == SCHEMA and data["status"] == "checked"
    assert data["capture"]["format"] == "pcapng"
    first = data["findings"][0]
    assert first["severity"] == "critical" and first["family"] == "TheTruthSpy"
    assert first["indicator"]["source"] == "ioc.yaml"
    assert {a["value"] for a in first["also"]} == {"copy9.com"}
    assert first["first"]["frame"] == 1
    assert first["first"]["time"] == "2023-11-14T22:13:20.000+00:00"
    beacon = next(f for f in data["findings"] if f["check"] == "beaconing")
    assert beacon["first"]["flow"].startswith("tcp 10.42.0.23:")
    assert beacon["first"]["flow"].endswith(f" -> {BEACON_ADDRESS}:443")
    assert beacon["count"] == BEACONS


def test_truncated_file_is_checked_up_to_the_cut_and_says_so(
    tmp_path: Path, index: FeedIndex
) -> None:
    path = stalkerware_capture(tmp_path / "phone.pcap")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 7])
    result = check_capture(path, index)
    assert result.summary.truncated
    assert any(f.evidence.first.value == C2_NAME for f in result.feed_matches)
    assert any("ends early" in limit for limit in result.limits)


def test_gzip_capture_reports_progress_over_the_whole_file(
    tmp_path: Path, index: FeedIndex
) -> None:
    path = stalkerware_capture(tmp_path / "phone.pcapng.gz")
    read: list[int] = []
    result = check_capture(path, index, progress=read.append)
    assert result.summary.compressed
    assert sum(read) == path.stat().st_size
    assert result.feed_matches


def test_short_capture_says_it_is_short(tmp_path: Path, index: FeedIndex) -> None:
    short = check_capture(short_capture(tmp_path / "short.pcap"), index)
    assert any("covers only 2 seconds" in limit for limit in short.limits)
    ten_minutes = check_capture(ordinary_capture(tmp_path / "long.pcap"), index)
    assert not any("covers only" in limit for limit in ten_minutes.limits)


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"", "empty"), (b"this is not a capture at all, just text\n", "not")],
)
def test_not_a_capture_is_a_clear_error(
    tmp_path: Path, index: FeedIndex, content: bytes, words: str
) -> None:
    path = tmp_path / "notes.pcap"
    path.write_bytes(content)
    with pytest.raises(CaptureError) as error:
        check_capture(path, index)
    assert words in error.value.message.lower()


def test_missing_file_is_a_clear_error(tmp_path: Path, index: FeedIndex) -> None:
    with pytest.raises(CaptureError, match="cannot open the capture file"):
        check_capture(tmp_path / "nowhere.pcapng", index)
