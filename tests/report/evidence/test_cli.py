"""``unstalk report keygen|manifest|verify|timeline`` as an examiner types them."""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from unstalk.cli.main import EXIT_INCOMPLETE, EXIT_USAGE, cli
from unstalk.cli.report_evidence import EVIDENCE_COMMANDS

# The lead adds the commands to the `report` group; here a group of the same shape, rendered
# by the same error handler as the real `unstalk` command.
_report = click.Group("report", commands={c.name or "": c for c in EVIDENCE_COMMANDS})
app = type(cli)("unstalk", commands={"report": _report})
runner = CliRunner()


@pytest.fixture
def keys(tmp_path: Path, unstalk_home: Path) -> Path:
    key = tmp_path / "keys" / "examiner.pem"
    key.parent.mkdir()
    result = runner.invoke(app, ["report", "keygen", "-o", str(key), "--no-passphrase"])
    assert result.exit_code == 0, result.output
    return key


def _sign(case: Path, key: Path, *extra: str) -> Path:
    args = ["report", "manifest", str(case), "--result", str(case / "result.json")]
    result = runner.invoke(app, [*args, "--key", str(key), "--case-id", "C-7", *extra])
    assert result.exit_code == 0, result.output
    assert "Signed manifest of" in result.output
    assert "phone/SHA256SUMS: all" in result.output
    return case / "manifest.json"


def test_keygen_writes_a_private_key_for_the_owner_and_prints_the_public_key(
    keys: Path,
) -> None:
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    public = keys.with_name("examiner.pem.pub").read_text().strip()
    assert len(public) == 44


def test_keygen_with_a_passphrase_asks_twice(tmp_path: Path, case: Path) -> None:
    key = tmp_path / "protected.pem"
    typed = "s3cret phrase\ns3cret phrase\n"
    result = runner.invoke(app, ["report", "keygen", "-o", str(key)], input=typed)
    assert result.exit_code == 0, result.output
    assert b"ENCRYPTED" in key.read_bytes()
    args = ["report", "manifest", str(case), "--result", str(case / "result.json")]
    wrong = runner.invoke(app, [*args, "--key", str(key)], input="not it\n")
    assert wrong.exit_code == EXIT_INCOMPLETE
    assert "passphrase is wrong" in wrong.output
    assert not (case / "manifest.json").exists()


def test_keygen_never_overwrites_a_key(keys: Path) -> None:
    before = keys.read_bytes()
    result = runner.invoke(app, ["report", "keygen", "-o", str(keys), "--no-passphrase"])
    assert result.exit_code == EXIT_USAGE
    assert "already exists" in result.output
    assert keys.read_bytes() == before


def test_an_untouched_case_verifies_with_exit_0(case: Path, keys: Path) -> None:
    manifest = _sign(case, keys)
    pub = str(keys.with_name("examiner.pem.pub"))
    result = runner.invoke(app, ["report", "verify", str(manifest), "--key", pub])
    assert result.exit_code == 0, result.output
    assert "Verified: the signature is good" in result.output


def test_a_changed_file_exits_1_and_is_named(case: Path, keys: Path) -> None:
    manifest = _sign(case, keys)
    with (case / "traffic.pcap").open("r+b") as f:
        f.seek(100)
        byte = f.read(1)
        f.seek(100)
        f.write(bytes([byte[0] ^ 0xFF]))
    result = runner.invoke(app, ["report", "verify", str(manifest)])
    assert result.exit_code == 1
    assert "Verification FAILED" in result.output
    assert "- Modified: traffic.pcap (expected SHA-256" in result.output


def test_a_manifest_kept_elsewhere_verifies_with_root(
    case: Path, keys: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "sealed" / "case-7.manifest.json"
    elsewhere.parent.mkdir()
    _sign(case, keys, "-o", str(elsewhere))
    result = runner.invoke(app, ["report", "verify", str(elsewhere), "--root", str(case)])
    assert result.exit_code == 0, result.output


def test_a_damaged_manifest_exits_1_with_a_clear_message(case: Path, keys: Path) -> None:
    manifest = _sign(case, keys)
    manifest.write_bytes(manifest.read_bytes()[:200])
    result = runner.invoke(app, ["report", "verify", str(manifest)])
    assert result.exit_code == 1
    assert "Verification FAILED. The manifest cannot be read: it is not valid JSON" in result.output
    assert "Traceback" not in result.output


def test_another_signers_key_exits_1(case: Path, keys: Path, tmp_path: Path) -> None:
    manifest = _sign(case, keys)
    other = tmp_path / "other.pem"
    runner.invoke(app, ["report", "keygen", "-o", str(other), "--no-passphrase"])
    pub = str(other.with_name("other.pem.pub"))
    result = runner.invoke(app, ["report", "verify", str(manifest), "--key", pub])
    assert result.exit_code == 1
    assert "signed with another key" in result.output


def test_an_unreadable_expected_key_is_a_usage_error(case: Path, keys: Path) -> None:
    manifest = _sign(case, keys)
    result = runner.invoke(app, ["report", "verify", str(manifest), "--key", "not-a-key"])
    assert result.exit_code == EXIT_USAGE
    assert "neither base64 nor PEM" in result.output


def test_an_existing_manifest_is_never_overwritten(case: Path, keys: Path) -> None:
    manifest = _sign(case, keys)
    before = manifest.read_bytes()
    args = ["report", "manifest", str(case), "--result", str(case / "result.json")]
    result = runner.invoke(app, [*args, "--key", str(keys)])
    assert result.exit_code == EXIT_USAGE
    assert manifest.read_bytes() == before


def test_timeline_from_an_acquisition_a_capture_and_a_result(
    case: Path, tmp_path: Path, unstalk_home: Path
) -> None:
    out = tmp_path / "timeline.csv"
    sources = [str(case / "phone"), str(case / "traffic.pcap"), str(case / "network.json")]
    result = runner.invoke(app, ["report", "timeline", *sources, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"time_utc,clock,event,subject,detail,severity,source\r\n")
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode(), newline="")))
    events = {r["event"] for r in rows}
    assert {"app-installed", "app-last-used", "finding", "first-seen", "acquisition"} <= events
    times = [r["time_utc"].removesuffix("Z") for r in rows if r["time_utc"]]
    assert times == sorted(times)


def test_timeline_goes_on_past_a_bad_source_and_exits_3(case: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema": "other/1"}))
    result = runner.invoke(app, ["report", "timeline", str(bad), str(case / "network.json")])
    assert result.exit_code == EXIT_INCOMPLETE
    assert "Could not read" in result.output
    assert "first-seen" in result.output
