"""``unstalk report``: from a check's JSON to HTML, JSON and text, with the outcome's exit code."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from unstalk.cli.main import cli
from unstalk.cli.report import ReportGroup, render, report
from unstalk.report.model import Outcome, load_report

from .fixtures import android_json, network_json

if "report" not in cli.commands:
    cli.add_command(report)


@pytest.fixture
def android(tmp_path: Path) -> Path:
    path = tmp_path / "r.json"
    path.write_bytes(android_json())
    return path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["report", *args])
    return result.exit_code, result.output


def test_html_in_french_from_an_android_check(android: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    code, _ = _run(str(android), "--format", "html", "--lang", "fr", "-o", str(out))
    assert code == 1  # something was found
    html = out.read_text(encoding="utf-8")
    assert '<html lang="fr">' in html and "Votre sécurité" in html


def test_json_output_is_a_report_that_renders_again(android: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    code, _ = _run(str(android), "--format", "json", "-o", str(out), "--case-id", "C-17")
    assert code == 1
    made = load_report(out.read_text(encoding="utf-8"))
    assert made.outcome is Outcome.FOUND and made.case is not None and made.case.id == "C-17"
    again = tmp_path / "again.html"
    assert _run(str(out), "--format", "html", "-o", str(again))[0] == 1
    assert "C-17" in again.read_text(encoding="utf-8")


def test_text_summary_in_the_terminal(tmp_path: Path) -> None:
    path = tmp_path / "net.json"
    path.write_bytes(network_json())
    code, output = _run(str(path), "--lang", "es")
    assert code == 1
    assert "Se encontró stalkerware conocido: TheTruthSpy, KidsShield." in output
    assert "Tu seguridad" in output


def test_the_text_summary_can_be_kept_in_a_file(tmp_path: Path) -> None:
    path, out = tmp_path / "net.json", tmp_path / "summary.txt"
    path.write_bytes(network_json())
    assert _run(str(path), "--format", "text", "-o", str(out))[0] == 1
    assert "Your safety" in out.read_text(encoding="utf-8")


def test_an_incomplete_result_exits_with_3(tmp_path: Path) -> None:
    path = tmp_path / "net.json"
    error = {"schema": "unstalk.network-check/1", "path": "x", "status": "error", "error": "cut"}
    path.write_text(json.dumps({"feed": None, "results": [error]}), encoding="utf-8")
    assert _run(str(path), "--format", "json")[0] == 3


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--lang", "klingon"], "There is no report language 'klingon'"),
        (["--format", "pdf"], "A PDF report needs a file"),
    ],
)
def test_usage_errors_exit_with_2(android: Path, args: list[str], says: str) -> None:
    code, output = _run(str(android), *args)
    assert code == 2 and says in output


def test_a_file_that_is_not_a_result_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0 JFIF")
    code, output = _run(str(path))
    assert code == 3 and "not a text file" in output


def test_subcommands_and_the_default_render_share_the_group() -> None:
    @click.command("verify")
    def verify() -> None:
        click.echo("verified")

    group = ReportGroup("report", commands={"render": render, "verify": verify})
    assert CliRunner().invoke(group, ["verify"]).output == "verified\n"
    missing = CliRunner().invoke(group, ["no-such-file.json"])
    assert missing.exit_code == 2 and "does not exist" in missing.output
