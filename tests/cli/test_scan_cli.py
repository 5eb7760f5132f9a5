"""``unstalk scan apk``: outputs, exit codes, folders, broken files and parallel runs.

The APKs are synthetic apps from tests/apk/builder (docs/testing-apks.md), built into each
test's temporary folder; the feed is the snapshot bundled with unstalk.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import struct
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.apk.builder.corpus import APPS_BY_PACKAGE, build_corpus
from tests.apk.builder.keys import load_key
from tests.apk.builder.spy_apps import FEED_CERT_KEY
from unstalk.cli import scan as scan_module
from unstalk.cli.main import cli
from unstalk.cli.scan import display_names

runner = CliRunner(env={"COLUMNS": "80"})
BENIGN = ("org.example.notes", "org.example.calculator", "org.example.browser")
LISTED = "com.thetruth"
DUAL_USE = "org.example.familymap"
NOT_AN_APK = b"PK\x03\x04 this is not really a zip archive" * 20


def _build(folder: Path, *packages: str) -> dict[str, Path]:
    return build_corpus(folder, [APPS_BY_PACKAGE[p] for p in packages])


def _scan(*args: str | Path) -> Result:
    return runner.invoke(cli, ["scan", "apk", *map(str, args)])


def _jsonl(result: Result) -> dict[str, dict[str, object]]:
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    return {str(o["path"]): o for o in objects}


def _verdict(obj: dict[str, object]) -> object:
    verdict = obj.get("verdict")
    return verdict.get("verdict") if isinstance(verdict, dict) else None


@pytest.fixture
def mixed(tmp_path: Path, unstalk_home: Path) -> Path:
    """A folder tree: listed stalkerware, a dual-use app, benign apps, one broken file."""
    folder = tmp_path / "apks"
    _build(folder, LISTED, DUAL_USE, "org.example.notes")
    _build(folder / "nested" / "deeper", "org.example.calculator")
    (folder / "broken.apk").write_bytes(NOT_AN_APK)
    (folder / "readme.txt").write_text("not an APK, and not named like one", encoding="utf-8")
    return folder


def test_table_fits_80_columns_names_files_and_explains_below(mixed: Path) -> None:
    result = _scan(mixed, "-j", "1")
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert all(len(line) <= 80 for line in out.splitlines()), out
    assert str(mixed) not in out  # file names, not full paths
    table, _, below = out.partition("com.thetruth.apk: Known stalkerware")
    assert "stalkerware" in table and "TheTruthSpy" in table and "not analysed" in table
    assert "org.example.notes.apk" in table and "no evidence" in table
    assert "org.example.familymap.apk: Can monitor" in below.replace("\n", " ")
    assert "broken.apk: could not be analysed" in out
    assert "org.example.notes.apk:" not in out  # "no evidence" files get no paragraph
    assert "5 file(s): 1 stalkerware, 1 suspicious, 2 no evidence, 1 could not be" in out
    assert "does not mean an app is safe" in " ".join(out.split())


def test_json_is_one_array_sorted_by_path(mixed: Path) -> None:
    result = _scan(mixed, "--format", "json", "-j", "1")
    assert result.exit_code == 1
    objects = json.loads(result.stdout)
    paths = [o["path"] for o in objects]
    assert paths == sorted(paths) and len(paths) == 5
    by_name = {Path(o["path"]).name: o for o in objects}
    assert _verdict(by_name["com.thetruth.apk"]) == "stalkerware"
    assert by_name["com.thetruth.apk"]["package"] == "com.thetruth"
    assert by_name["broken.apk"]["status"] == "error"
    assert "not an APK" in str(by_name["broken.apk"]["error"])


def test_jsonl_gives_one_object_per_file_with_its_path(mixed: Path) -> None:
    result = _scan(mixed, "--format", "jsonl", "-j", "1")
    objects = _jsonl(result)
    assert set(objects) == {str(p) for p in mixed.rglob("*.apk")}
    assert {_verdict(o) for o in objects.values()} == {
        "stalkerware",
        "suspicious",
        "no_evidence",
        None,
    }


def test_one_broken_file_among_good_ones_stops_nothing(mixed: Path) -> None:
    objects = _jsonl(_scan(mixed, "--format", "jsonl", "-j", "2"))
    errors = [p for p, o in objects.items() if o["status"] == "error"]
    assert [Path(p).name for p in errors] == ["broken.apk"]
    assert sum(o["status"] == "analysed" for o in objects.values()) == 4


def test_folders_are_searched_recursively_for_apks_only(mixed: Path) -> None:
    objects = _jsonl(_scan(mixed, "--format", "jsonl", "-j", "1"))
    assert str(mixed / "nested" / "deeper" / "org.example.calculator.apk") in objects
    assert not any(p.endswith("readme.txt") for p in objects)


def test_stalkerware_exits_1_and_benign_only_exits_0(tmp_path: Path, unstalk_home: Path) -> None:
    apps = _build(tmp_path, LISTED, *BENIGN)
    assert _scan(apps[LISTED], "-j", "1").exit_code == 1
    result = _scan(*(apps[p] for p in BENIGN), "-j", "1")
    assert result.exit_code == 0, result.output
    assert "3 file(s): 3 no evidence." in result.stdout


def test_fail_on_suspicious_counts_dual_use_apps(tmp_path: Path, unstalk_home: Path) -> None:
    app = _build(tmp_path, DUAL_USE)[DUAL_USE]
    assert _scan(app).exit_code == 0
    assert _scan(app, "--fail-on", "suspicious").exit_code == 1


def test_exit_3_when_a_file_could_not_be_analysed_and_nothing_found(
    tmp_path: Path, unstalk_home: Path
) -> None:
    broken = tmp_path / "broken.apk"
    broken.write_bytes(NOT_AN_APK)
    result = _scan(broken)
    assert result.exit_code == 3
    assert "could not be analysed" in result.stdout
    notes = _build(tmp_path, "org.example.notes")["org.example.notes"]
    assert _scan(broken, notes, "-j", "1").exit_code == 3


def _tampered(path: Path) -> Path:
    """The APK with one byte of its stored resources.arsc changed after signing."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("resources.arsc")
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    data[info.header_offset + 30 + name_len + extra_len + 8] ^= 0xFF
    tampered = path.with_name(f"tampered-{path.name}")
    tampered.write_bytes(bytes(data))
    return tampered


def test_damaged_signatures_are_listed_not_hidden(tmp_path: Path, unstalk_home: Path) -> None:
    tampered = _tampered(_build(tmp_path, "org.example.notes")["org.example.notes"])
    table = _scan(tampered)
    assert table.exit_code == 0
    assert "1 file(s) have parts that could not be read or do not verify" in " ".join(
        table.stdout.split()
    )
    (obj,) = _jsonl(_scan(tampered, "--format", "jsonl")).values()
    problems = obj["problems"]
    assert isinstance(problems, list)
    assert any("resources.arsc" in str(p) for p in problems), problems


def test_a_feed_given_on_the_command_line_is_used(tmp_path: Path, unstalk_home: Path) -> None:
    app = _build(tmp_path, "com.example.coreupdater")["com.example.coreupdater"]
    feed = tmp_path / "feed"
    feed.mkdir()
    sha1 = load_key(FEED_CERT_KEY).cert_sha1
    (feed / "ioc.yaml").write_text(
        f"- name: Test Spy\n  type: stalkerware\n  certificates:\n  - {sha1}\n",
        encoding="utf-8",
    )
    result = _scan(app, "--feed", feed)
    assert result.exit_code == 1, result.output
    assert "Test Spy" in result.stdout and "stalkerware" in result.stdout
    assert _scan(app).exit_code == 0  # the installed feed does not list it


def test_an_unreadable_feed_stops_the_scan_once_with_its_reason(
    tmp_path: Path, unstalk_home: Path
) -> None:
    apps = _build(tmp_path, *BENIGN)
    bad = tmp_path / "feed.json"
    bad.write_text('{"neither": "stix nor misp"}', encoding="utf-8")
    result = _scan(*apps.values(), "--feed", bad, "-j", "2")
    assert result.exit_code == 3
    assert "none of the formats unstalk reads" in result.stderr
    assert result.stdout == "" and "Traceback" not in result.output


def test_missing_path_is_a_usage_error_with_a_clear_message(
    tmp_path: Path, unstalk_home: Path
) -> None:
    missing = tmp_path / "nowhere.apk"
    result = _scan(missing)
    assert result.exit_code == 2
    assert f"{missing} does not exist" in result.stderr
    assert "Traceback" not in result.output


def test_folder_without_apks_is_a_usage_error(tmp_path: Path, unstalk_home: Path) -> None:
    (tmp_path / "notes.txt").write_text("nothing here", encoding="utf-8")
    result = _scan(tmp_path)
    assert result.exit_code == 2
    assert "No APK found" in result.stderr


def test_two_jobs_give_the_same_results_as_one(mixed: Path) -> None:
    one = _scan(mixed, "--format", "json", "-j", "1")
    two = _scan(mixed, "--format", "json", "-j", "2")
    assert one.exit_code == two.exit_code == 1
    assert json.loads(one.stdout) == json.loads(two.stdout)


def test_output_file_receives_the_results(mixed: Path, tmp_path: Path) -> None:
    target = tmp_path / "results.json"
    result = _scan(mixed, "--format", "json", "-o", target, "-j", "1")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(json.loads(target.read_text(encoding="utf-8"))) == 5


def test_progress_bar_never_mixes_into_the_results(mixed: Path) -> None:
    result = _scan(mixed, "--format", "jsonl", "-j", "2")
    assert len(_jsonl(result)) == 5
    assert "Analysing" not in result.stdout


_real_analyse = scan_module._analyse


def _dies_on_crash_apk(path: str) -> scan_module.FileResult:
    if path.endswith("crash.apk"):
        os._exit(9)  # a worker killed mid-file, as the kernel does when memory runs out
    return _real_analyse(path)


@pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork", reason="patching workers needs fork"
)
def test_a_worker_that_dies_costs_only_its_own_file(
    mixed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (mixed / "crash.apk").write_bytes((mixed / "org.example.notes.apk").read_bytes())
    monkeypatch.setattr(scan_module, "_analyse", _dies_on_crash_apk)
    result = _scan(mixed, "--format", "jsonl", "-j", "2")
    objects = _jsonl(result)
    assert len(objects) == 6, result.output
    crashed = objects[str(mixed / "crash.apk")]
    assert crashed["status"] == "error" and "stopped unexpectedly" in str(crashed["error"])
    assert sum(o["status"] == "analysed" for o in objects.values()) == 4
    assert result.exit_code == 1


def test_display_names_add_folders_only_to_tell_files_apart() -> None:
    names = display_names(["a/x/app.apk", "b/x/app.apk", "c/y/app.apk", "d/other.apk"])
    assert names == {
        "a/x/app.apk": "a/x/app.apk",
        "b/x/app.apk": "b/x/app.apk",
        "c/y/app.apk": "y/app.apk",
        "d/other.apk": "other.apk",
    }


def test_no_verify_skips_digests_and_says_so(tmp_path: Path, unstalk_home: Path) -> None:
    tampered = _tampered(_build(tmp_path, "org.example.notes")["org.example.notes"])
    (verified,) = _jsonl(_scan(tampered, "--format", "jsonl")).values()
    (fast,) = _jsonl(_scan(tampered, "--format", "jsonl", "--no-verify")).values()

    def listed(obj: dict[str, object], key: str) -> list[str]:
        value = obj[key]
        assert isinstance(value, list)
        return [str(v) for v in value]

    assert not any("not verified" in n for n in listed(verified, "not_checked"))
    assert any("not verified" in n for n in listed(fast, "not_checked"))
    # The tampered byte is only caught when digests are checked.
    assert len(listed(fast, "problems")) < len(listed(verified, "problems"))
    assert fast["verdict"] == verified["verdict"]
