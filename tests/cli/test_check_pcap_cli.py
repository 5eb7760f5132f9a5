"""``unstalk check pcap``: reports, JSON, allow-lists and exit codes on generated captures."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tests.netcap.phone_captures import (
    BUCKET,
    C2_NAME,
    checkin_capture,
    ordinary_capture,
    stalkerware_capture,
)
from unstalk.cli.main import cli

runner = CliRunner()


def _check(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, ["check", "pcap", *args])
    return result.exit_code, result.output


def test_stalkerware_capture_exits_1_with_family_and_evidence(
    unstalk_home: Path, tmp_path: Path
) -> None:
    code, output = _check(str(stalkerware_capture(tmp_path / "phone.pcapng")))
    assert code == 1, output
    assert "Traffic to known stalkerware servers found: TheTruthSpy, KidsShield." in output
    assert C2_NAME in output and "TheTruthSpy (stalkerware)" in output
    assert "seen: frame 1, 2023-11-14 22:13:20 UTC, as DNS question, TLS server name" in output
    assert "What these checks could not see:" in output


def test_ordinary_capture_exits_0_and_never_says_clean(unstalk_home: Path, tmp_path: Path) -> None:
    code, output = _check(str(ordinary_capture(tmp_path / "ordinary.pcapng")))
    assert code == 0, output
    assert "No known stalkerware traffic found by these checks." in output
    assert "clean" not in output.lower()


def test_json_lists_every_file_with_feed_provenance(unstalk_home: Path, tmp_path: Path) -> None:
    spy = stalkerware_capture(tmp_path / "spy.pcap")
    ordinary = ordinary_capture(tmp_path / "ordinary.pcapng.gz")
    code, output = _check(str(spy), str(ordinary), "--format", "json")
    assert code == 1
    data = json.loads(output)
    assert data["feed"]["format"] == "echap" and data["allowlist"] is None
    spy_result, ordinary_result = data["results"]
    assert spy_result["path"] == str(spy) and spy_result["status"] == "checked"
    assert spy_result["findings"][0]["family"] == "TheTruthSpy"
    assert ordinary_result["findings"] == [] and ordinary_result["capture"]["compressed"]


def test_heuristics_alone_exit_0_unless_fail_on_asks(unstalk_home: Path, tmp_path: Path) -> None:
    path = str(checkin_capture(tmp_path / "checkin.pcapng"))
    code, output = _check(path)
    assert code == 0, output
    assert "beaconing" not in output  # the check id is for JSON; people read the sentence
    assert "Regular check-ins with sync.hopto.org" in output
    assert _check(path, "--fail-on", "medium")[0] == 1
    assert _check(path, "--fail-on", "low")[0] == 1


def test_tinycheck_allow_list_never_hides_an_indicator(unstalk_home: Path, tmp_path: Path) -> None:
    path = str(stalkerware_capture(tmp_path / "phone.pcapng"))
    code, output = _check(path, "--allowlist", "tinycheck", "--format", "json")
    assert code == 1
    data = json.loads(output)
    assert data["allowlist"] == "tinycheck"
    bucket = next(f for f in data["results"][0]["findings"] if f["first"]["value"] == BUCKET)
    assert bucket["severity"] == "critical" and bucket["family"] == "KidsShield"
    assert bucket["allowlisted"] is False


def test_allow_list_from_a_file(unstalk_home: Path, tmp_path: Path) -> None:
    allow = tmp_path / "allow.json"
    allow.write_text(json.dumps({"elements": [{"type": "domain", "element": "hopto.org"}]}))
    path = str(checkin_capture(tmp_path / "checkin.pcapng"))
    code, output = _check(path, "--allowlist", str(allow), "--fail-on", "low", "--format", "json")
    assert code == 0, output
    findings = json.loads(output)["results"][0]["findings"]
    assert findings and all(f["severity"] == "info" and f["allowlisted"] for f in findings)


def test_unusable_allow_list_is_a_usage_error(unstalk_home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "allow.json"
    bad.write_text("{not json")
    code, output = _check(str(ordinary_capture(tmp_path / "o.pcapng")), "--allowlist", str(bad))
    assert code == 2
    assert "not valid JSON" in output


def test_unreadable_file_exits_3_and_the_others_are_still_checked(
    unstalk_home: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.pcap"
    broken.write_bytes(b"this is not a capture\n")
    ordinary = str(ordinary_capture(tmp_path / "ordinary.pcapng"))
    code, output = _check(str(broken), ordinary)
    assert code == 3, output
    assert f"Could not check {broken}" in output
    assert "No known stalkerware traffic found by these checks." in output
    code, output = _check(str(broken), str(tmp_path / "missing.pcap"), "--format", "json")
    assert code == 3
    assert [r["status"] for r in json.loads(output)["results"]] == ["error", "error"]


def test_findings_win_over_unreadable_files(unstalk_home: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.pcapng"
    broken.write_bytes(b"")
    code, _ = _check(str(broken), str(stalkerware_capture(tmp_path / "phone.pcapng")))
    assert code == 1
