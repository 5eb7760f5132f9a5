"""Checking uploaded files in the app: an APK, an Android phone's data, a network capture.

Fixtures come from the committed generators (the APK builder, the AndroidQF writer, the
capture generator). Checks run in a worker thread; the tests follow the job page the way a
browser does, by reloading it.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import BinaryIO

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.android.make_imports import write_androidqf
from tests.apk.builder.apk import build_apk
from tests.apk.builder.corpus import APPS_BY_PACKAGE
from tests.apk.builder.spy_apps import FEED_PACKAGE
from tests.netcap.gen.app_scenarios import http_capture
from unstalk.netcap import check as netcap_check
from unstalk.netcap import shards
from unstalk.netcap.scan import Scan
from unstalk.web import create_app, filecheck
from unstalk.web.jobs import JobRunner

from .helpers import BASE_URL, accept_start, bundled_store

_TAGS = re.compile(r"<[^>]+>")
_FORBIDDEN = re.compile(r"\bclean\b|\bsafe to use\b", re.IGNORECASE)
WAIT_SECONDS = 120.0
"""Upper bound on waiting for a check; reached only when a check hangs."""


def _text(html: str) -> str:
    return " ".join(_TAGS.sub(" ", html).split())


def _jobs(app: FastAPI) -> JobRunner[object]:
    runner: JobRunner[object] = app.state.unstalk.jobs
    return runner


def _upload(client: TestClient, token: str, name: str, content: bytes) -> str:
    """Upload a file for checking; return the job page's path."""
    response = client.post(
        "/check/file",
        data={"csrf_token": token},
        files={"file": (name, content)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/check/jobs/")
    return location


def _finished(client: TestClient, path: str) -> str:
    """Reload the job page until it stops asking to be reloaded; return its text."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        page = client.get(path)
        assert page.status_code == 200
        if 'http-equiv="refresh"' not in page.text:
            return page.text
        assert time.monotonic() < deadline, "the check did not finish"
        time.sleep(0.05)


@pytest.fixture
def work_root(tmp_path: Path) -> Path:
    root = tmp_path / "work"
    root.mkdir()
    return root


@pytest.fixture
def checking(tmp_path: Path, work_root: Path) -> tuple[TestClient, str, FastAPI]:
    app = create_app(bundled_store(tmp_path), work_root=work_root)
    client = TestClient(app, base_url=BASE_URL)
    client.__enter__()
    token = accept_start(client)
    return client, token, app


def test_check_page_needs_the_safety_notes_first(client: TestClient) -> None:
    response = client.get("/check", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_check_page_explains_what_it_reads(started: tuple[TestClient, str]) -> None:
    client, _ = started
    text = _text(client.get("/check").text)
    for kind in (".apk", "AndroidQF", "bugreport", ".pcapng"):
        assert kind in text
    assert 'for="file"' in client.get("/check").text


def test_stalkerware_apk_is_named_with_safety_advice_first(
    checking: tuple[TestClient, str, FastAPI], tmp_path: Path
) -> None:
    client, token, _ = checking
    apk = build_apk(APPS_BY_PACKAGE[FEED_PACKAGE])
    html = _finished(client, _upload(client, token, "photos.apk", apk))
    text = _text(html)
    assert "Known stalkerware found" in text
    assert text.index("Before you do anything") < text.index("What was found")
    assert FEED_PACKAGE in text
    assert "photos.apk" in text
    assert str(tmp_path) not in text, "the app's private copy must not be shown"
    assert not _FORBIDDEN.search(text)


def test_androidqf_zip_is_checked_as_a_phone(
    checking: tuple[TestClient, str, FastAPI], tmp_path: Path
) -> None:
    client, token, _ = checking
    archive = write_androidqf("android-14", tmp_path / "qf", layout="zip")
    html = _finished(client, _upload(client, token, "phone.zip", archive.read_bytes()))
    text = _text(html)
    assert "What the check found" in text
    assert "What was checked" in text and "What these checks cannot tell" in text
    assert "Your safety" in text and "Where to find help" in text
    assert not _FORBIDDEN.search(text)


def test_capture_is_checked_for_traffic(checking: tuple[TestClient, str, FastAPI]) -> None:
    client, token, _ = checking
    capture = http_capture().scenario.pcap()
    text = _text(_finished(client, _upload(client, token, "hotspot.pcap", capture)))
    assert "hotspot.pcap" in text
    assert "HTTP" in text
    assert not _FORBIDDEN.search(text)


def test_big_capture_shared_between_processes_gives_the_same_page(
    checking: tuple[TestClient, str, FastAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The app runs checks in threads, so the helper processes are spawned, not forked.
    client, token, _ = checking
    capture = http_capture().scenario.pcap()
    alone = _text(_finished(client, _upload(client, token, "hotspot.pcap", capture)))
    shared_reads: list[int] = []
    real = shards.scan_shared

    def spy(stream: BinaryIO, *, path: str, source: str, jobs: int) -> Scan:
        shared_reads.append(jobs)
        return real(stream, path=path, source=source, jobs=jobs)

    monkeypatch.setattr(netcap_check, "SHARE_FROM_BYTES", 0)
    monkeypatch.setattr(filecheck, "default_jobs", lambda: 2)
    monkeypatch.setattr(shards, "scan_shared", spy)
    shared = _text(_finished(client, _upload(client, token, "hotspot.pcap", capture)))
    assert shared_reads == [2]
    assert _dated(shared) == _dated(alone)


def _dated(text: str) -> str:
    """A results page without the times it was made at."""
    return re.sub(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?( UTC)?", "", text)


def test_unknown_file_is_refused_and_not_kept(
    checking: tuple[TestClient, str, FastAPI], work_root: Path
) -> None:
    client, token, _ = checking
    response = client.post(
        "/check/file", data={"csrf_token": token}, files={"file": ("notes.txt", b"hello")}
    )
    assert response.status_code == 400
    assert "cannot tell what kind of file" in response.text
    assert not [p for p in work_root.rglob("*") if p.is_file()]


def test_broken_apk_is_could_not_check_never_nothing_found(
    checking: tuple[TestClient, str, FastAPI], tmp_path: Path
) -> None:
    client, token, _ = checking
    apk = bytearray(build_apk(APPS_BY_PACKAGE[FEED_PACKAGE]))
    # Keep the zip's names (so it is recognised as an app) but wreck the manifest's bytes.
    start = apk.index(b"AndroidManifest.xml") + len(b"AndroidManifest.xml")
    apk[start : start + 64] = b"\xff" * 64
    text = _text(_finished(client, _upload(client, token, "broken.apk", bytes(apk))))
    assert "could not finish" in text.lower()
    assert "not a result" in text
    assert "No known stalkerware" not in text


def test_quick_exit_deletes_the_uploaded_files(
    checking: tuple[TestClient, str, FastAPI], work_root: Path
) -> None:
    client, token, _ = checking
    path = _upload(client, token, "hotspot.pcap", http_capture().scenario.pcap())
    _finished(client, path)
    assert [p for p in work_root.rglob("*") if p.is_file()]
    client.get("/exit", follow_redirects=False)
    assert not list(work_root.iterdir())


def test_another_session_cannot_see_a_check(
    checking: tuple[TestClient, str, FastAPI], tmp_path: Path
) -> None:
    client, token, app = checking
    path = _upload(client, token, "hotspot.pcap", http_capture().scenario.pcap())
    _finished(client, path)
    with TestClient(app, base_url=BASE_URL) as stranger:
        accept_start(stranger)
        assert stranger.get(path).status_code == 404


def test_stopping_the_app_deletes_every_session_folder(tmp_path: Path, work_root: Path) -> None:
    app = create_app(bundled_store(tmp_path), work_root=work_root)
    with TestClient(app, base_url=BASE_URL) as client:
        token = accept_start(client)
        _finished(client, _upload(client, token, "a.pcap", http_capture().scenario.pcap()))
        assert list(work_root.iterdir())
    assert not list(work_root.iterdir())


@pytest.mark.parametrize(
    ("fmt", "lang", "media", "said"),
    [
        ("html", "de", "text/html", b'<html lang="de">'),
        ("json", "en", "application/json", b'"schema": "unstalk.report/1"'),
        ("pdf", "es", "application/pdf", b"%PDF-"),
    ],
)
def test_finished_check_is_saved_as_a_report_file(
    checking: tuple[TestClient, str, FastAPI], fmt: str, lang: str, media: str, said: bytes
) -> None:
    client, token, _ = checking
    path = _upload(client, token, "hotspot.pcap", http_capture().scenario.pcap())
    _finished(client, path)
    response = client.get(f"{path}/report", params={"format": fmt, "lang": lang})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert "attachment" in response.headers["content-disposition"]
    assert said in response.content


def test_report_of_an_unknown_kind_is_refused(checking: tuple[TestClient, str, FastAPI]) -> None:
    client, token, _ = checking
    path = _upload(client, token, "hotspot.pcap", http_capture().scenario.pcap())
    _finished(client, path)
    response = client.get(f"{path}/report", params={"format": "docx"})
    assert response.status_code == 400
    assert "not available" in response.text
