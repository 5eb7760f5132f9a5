"""Finishing a session: delete everything, or keep the case encrypted and open it later."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.netcap.gen.app_scenarios import http_capture
from unstalk.web import create_app

from .helpers import BASE_URL, accept_start, bundled_store
from .test_web_check import _finished, _text, _upload

PASSPHRASE = "blue kettle under the stairs"
NOTES = "Safety plan agreed; meet again Friday."


def _session(tmp_path: Path, *, store: bool) -> tuple[TestClient, str, Path]:
    cases = tmp_path / "cases"
    work = tmp_path / "work"
    work.mkdir()
    app = create_app(bundled_store(tmp_path), work_root=work, case_folder=cases if store else None)
    client = TestClient(app, base_url=BASE_URL)
    client.__enter__()
    token = accept_start(client)
    _finished(client, _upload(client, token, "hotspot.pcap", http_capture().scenario.pcap()))
    return client, token, work


def _keep(client: TestClient, token: str, **fields: str) -> str:
    form = {
        "csrf_token": token,
        "passphrase": PASSPHRASE,
        "passphrase_again": PASSPHRASE,
        "notes": NOTES,
        "keep_days": "30",
        **fields,
    }
    return client.post("/end/keep", data=form).text


def test_delete_everything_removes_files_and_results(tmp_path: Path) -> None:
    client, token, work = _session(tmp_path, store=False)
    assert list(work.iterdir())
    response = client.post("/end/delete", data={"csrf_token": token})
    assert response.url.path == "/ended"
    assert "Everything was deleted" in response.text
    assert not list(work.iterdir())
    assert client.get("/check", follow_redirects=False).headers["location"] == "/"


def test_without_the_store_nothing_can_be_kept(tmp_path: Path) -> None:
    client, token, _ = _session(tmp_path, store=False)
    text = _text(client.get("/end").text)
    assert "Keeping cases is turned off" in text and "--case-store" in text
    assert "Kept cases" not in text
    assert client.post("/end/keep", data={"csrf_token": token}).status_code == 400
    assert client.get("/cases").status_code == 400
    assert not (tmp_path / "cases").exists()


def test_a_kept_case_opens_with_its_passphrase_and_shows_its_report(tmp_path: Path) -> None:
    client, token, work = _session(tmp_path, store=True)
    kept = _text(_keep(client, token))
    found = re.search(r"case-[A-Z2-9]{4}-[A-Z2-9]{4}", kept)
    assert found, kept
    case_id = found.group(0)
    assert not list(work.iterdir()), "the uploaded files must not outlive the session"
    assert NOTES.encode() not in (tmp_path / "cases" / f"{case_id}.case").read_bytes()

    wrong = client.post(
        "/cases/open", data={"csrf_token": token, "case_id": case_id, "passphrase": "x" * 12}
    )
    assert wrong.status_code == 400
    assert "does not open the case" in wrong.text
    opened = client.post(
        "/cases/open", data={"csrf_token": token, "case_id": case_id, "passphrase": PASSPHRASE}
    )
    text = _text(opened.text)
    assert NOTES in text and "hotspot.pcap" in text
    report = client.get(f"/cases/{case_id}/reports/0")
    assert "What the check found" in report.text
    saved = client.get(f"/cases/{case_id}/reports/0/file", params={"format": "json"})
    assert b'"schema": "unstalk.report/1"' in saved.content


def test_keeping_needs_matching_long_passphrases(tmp_path: Path) -> None:
    client, token, _ = _session(tmp_path, store=True)
    mismatch = client.post(
        "/end/keep",
        data={
            "csrf_token": token,
            "passphrase": PASSPHRASE,
            "passphrase_again": PASSPHRASE + "!",
            "keep_days": "30",
        },
    )
    assert mismatch.status_code == 400 and "not the same" in mismatch.text
    short = _keep(client, token, passphrase="short", passphrase_again="short")
    assert "at least" in short
    assert not (tmp_path / "cases").exists() or not list((tmp_path / "cases").iterdir())


def test_a_case_is_deleted_only_when_confirmed(tmp_path: Path) -> None:
    client, token, _ = _session(tmp_path, store=True)
    case_id = re.findall(r"case-[A-Z2-9]{4}-[A-Z2-9]{4}", _keep(client, token))[0]
    unconfirmed = client.post(f"/cases/{case_id}/delete", data={"csrf_token": token})
    assert unconfirmed.status_code == 400
    assert (tmp_path / "cases" / f"{case_id}.case").exists()
    done = client.post(f"/cases/{case_id}/delete", data={"csrf_token": token, "confirm": "yes"})
    assert f"Case {case_id} was deleted" in done.text
    assert not (tmp_path / "cases" / f"{case_id}.case").exists()
