"""The ``unstalk`` command line: help, version, exit codes and the feed commands."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from unstalk import __version__
from unstalk.cli.main import cli
from unstalk.feed.io import EXPORT_FORMATS, load_feed_path

runner = CliRunner()


def _all_command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            paths.extend(_all_command_paths(command, (*prefix, name)))
        else:
            paths.append((*prefix, name))
    return paths


def test_version() -> None:
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


@pytest.mark.parametrize("path", _all_command_paths(cli), ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = runner.invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    # The first help line must say what the command is for, not be empty.
    description = result.output.split("\n\n")[1].strip()
    assert len(description) > 20


def test_top_help_documents_exit_codes() -> None:
    result = runner.invoke(cli, ["--help"])
    assert "Exit codes" in result.output


def test_feed_info_counts_match_source(unstalk_home: Path) -> None:
    result = runner.invoke(cli, ["feed", "info", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["families"]["stalkerware"] == 147
    assert summary["families"]["watchware"] == 27
    assert summary["samples"] == 3228
    assert summary["location"] == "bundled snapshot"
    names = {f["name"] for f in summary["provenance"]["files"]}
    assert {"ioc.yaml", "watchware.yaml", "samples.csv", "rules.yar"} <= names


def test_feed_info_table(unstalk_home: Path) -> None:
    result = runner.invoke(cli, ["feed", "info"])
    assert result.exit_code == 0, result.output
    assert "stalkerware" in result.output and "147" in result.output
    assert "a04c5c1958bff93fec3b1b56edbb412b209f2a38" in result.output


def test_match_known_package_exits_1(unstalk_home: Path) -> None:
    result = runner.invoke(cli, ["feed", "match", "com.thetruth", "--json"])
    assert result.exit_code == 1
    hits = [json.loads(line) for line in result.output.splitlines()]
    assert any(h["family"] == "TheTruthSpy" and h["kind"] == "package" for h in hits)


def test_match_subdomain_of_c2(unstalk_home: Path) -> None:
    result = runner.invoke(cli, ["feed", "match", "x.mycloud.wisemo.com."])
    assert result.exit_code == 1
    assert "WiseMo" in result.output and "watchware" in result.output


def test_no_match_is_not_called_safe(unstalk_home: Path) -> None:
    result = runner.invoke(cli, ["feed", "match", "example.org"])
    assert result.exit_code == 0
    assert "does not mean" in result.output
    assert "clean" not in result.output.lower()


def test_match_from_file(unstalk_home: Path, tmp_path: Path) -> None:
    values = tmp_path / "values.txt"
    values.write_text("example.org\n\ncom.thetruth\n", encoding="utf-8")
    result = runner.invoke(cli, ["feed", "match", "--file", str(values)])
    assert result.exit_code == 1
    assert "1 of 2 value(s) matched" in result.output


def test_match_without_values_is_a_usage_error(unstalk_home: Path) -> None:
    result = runner.invoke(cli, ["feed", "match"])
    assert result.exit_code == 2
    assert "Give at least one value" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("fmt", sorted(EXPORT_FORMATS))
def test_export_writes_each_format(fmt: str, unstalk_home: Path, tmp_path: Path) -> None:
    out = tmp_path / f"feed.{fmt}"
    result = runner.invoke(cli, ["feed", "export", "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 1000


@pytest.mark.parametrize("fmt", ["stix2", "misp", "tinycheck", "network-csv"])
def test_exports_load_back(fmt: str, unstalk_home: Path, tmp_path: Path) -> None:
    out = tmp_path / f"feed-{fmt}"
    runner.invoke(cli, ["feed", "export", "--format", fmt, "-o", str(out)])
    loaded = load_feed_path(out)
    assert loaded.indicators
    result = runner.invoke(cli, ["feed", "match", "--feed", str(out), "copy9.com"])
    assert result.exit_code == 1, result.output


def test_suricata_export_keeps_sids_between_runs(unstalk_home: Path, tmp_path: Path) -> None:
    first = runner.invoke(cli, ["feed", "export", "--format", "suricata"])
    second = runner.invoke(cli, ["feed", "export", "--format", "suricata"])
    assert first.exit_code == 0 and first.output == second.output
    assert (unstalk_home / "suricata-sids.json").is_file()


def test_lint_bundled_feed(unstalk_home: Path) -> None:
    from unstalk.feed.store import bundled_dir

    result = runner.invoke(cli, ["feed", "lint", str(bundled_dir()), "--json"])
    notes = [json.loads(line) for line in result.output.splitlines()]
    codes = {n["code"] for n in notes}
    assert notes, "the real feed lists WiseMo in both files; lint must say so"
    assert result.exit_code in (0, 1)
    assert codes


def test_update_failure_is_explained_without_traceback(unstalk_home: Path) -> None:
    result = runner.invoke(cli, ["feed", "update", "--source", "http://127.0.0.1:9"])
    assert result.exit_code == 3
    assert "Could not reach" in result.output
    assert "Traceback" not in result.output


def test_bad_pin_syntax_is_usage_error(unstalk_home: Path) -> None:
    result = runner.invoke(cli, ["feed", "update", "--sha256", "ioc.yaml=abc"])
    assert result.exit_code == 2
    assert "FILE=HEX" in result.output


def test_unreadable_feed_file_is_explained(unstalk_home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "bundle", "objects": [', encoding="utf-8")
    result = runner.invoke(cli, ["feed", "info", "--feed", str(bad)])
    assert result.exit_code == 3
    assert "bad.json" in result.output
    assert "Traceback" not in result.output
