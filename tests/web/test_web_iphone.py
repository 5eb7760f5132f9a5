"""Checking an iPhone from the app: over USB (recorded libimobiledevice answers) or a backup."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.ios.device.replay import ReplayRunner
from tests.ios.gen import SCENARIOS, write_backup
from unstalk.ios.device import Idevice
from unstalk.web import create_app

from .helpers import BASE_URL, accept_start, bundled_store, csrf_token
from .test_web_check import _finished, _text

PASSWORD = "backup password 1"


def _client(tmp_path: Path, scenario: str, backup: str | None = "benign") -> TestClient:
    def make(folder: Path) -> None:
        if backup is not None:
            write_backup(folder.parent, SCENARIOS[backup]())

    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    app = create_app(
        bundled_store(tmp_path),
        work_root=work,
        idevice=lambda: Idevice(ReplayRunner(scenario, on_backup=make)),
    )
    client = TestClient(app, base_url=BASE_URL)
    client.__enter__()
    accept_start(client)
    return client


def _check_live(client: TestClient, password: str = "") -> str:
    page = client.get("/check/iphone").text
    udid = re.search(r'name="udid" value="([^"]+)"', page)
    assert udid is not None, _text(page)
    response = client.post(
        "/check/iphone/live",
        data={"csrf_token": csrf_token(page), "udid": udid.group(1), "password": password},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return _text(_finished(client, response.headers["location"]))


def test_page_offers_the_phone_and_a_backup_folder(tmp_path: Path) -> None:
    client = _client(tmp_path, "no-device")
    text = _text(client.get("/check/iphone").text)
    assert "No iPhone is connected." in text
    assert "Trust This Computer?" in text
    assert "MobileSync" in text


def test_a_locked_iphone_gets_plain_advice(tmp_path: Path) -> None:
    client = _client(tmp_path, "locked")
    text = _text(client.get("/check/iphone").text)
    assert "Check this iPhone" in text  # listed: trust is asked for when the check starts
    result = _check_live(client)
    assert "could not finish" in result.lower()
    assert "Unlock the iPhone" in result


def test_a_live_iphone_is_checked_with_its_backup(tmp_path: Path) -> None:
    client = _client(tmp_path, "iphone-17", backup="profiles")
    text = _check_live(client)
    assert "What the check found" in text
    assert "Things to check by hand" in text
    assert "root certificate" in text.lower()
    assert str(tmp_path) not in text


def test_an_encrypted_backup_without_password_says_what_was_not_read(tmp_path: Path) -> None:
    client = _client(tmp_path, "encrypted-backup", backup=None)
    text = _check_live(client)
    assert "type the backup password" in text


def test_a_backup_folder_is_checked(tmp_path: Path) -> None:
    folder = write_backup(tmp_path / "backups", SCENARIOS["jailbroken"]())
    client = _client(tmp_path, "no-device")
    page = client.get("/check/iphone").text
    response = client.post(
        "/check/iphone/backup",
        data={"csrf_token": csrf_token(page), "folder": f' "{folder}" '},
        follow_redirects=False,
    )
    text = _text(_finished(client, response.headers["location"]))
    assert "Known" in text or "jailbr" in text.lower()
    assert "Cydia" in text or "Sileo" in text


def test_an_encrypted_backup_folder_opens_with_its_password(tmp_path: Path) -> None:
    folder = write_backup(tmp_path / "backups", SCENARIOS["benign"](), password=PASSWORD)
    client = _client(tmp_path, "no-device")
    token = csrf_token(client.get("/check/iphone").text)
    wrong = client.post(
        "/check/iphone/backup",
        data={"csrf_token": token, "folder": str(folder)},
        follow_redirects=False,
    )
    # The check runs in the background: follow its page until it has finished.
    text = _text(_finished(client, wrong.headers["location"]))
    assert "This backup is encrypted." in text
    assert "could not finish" in text.lower()
    right = client.post(
        "/check/iphone/backup",
        data={"csrf_token": token, "folder": str(folder), "password": PASSWORD},
        follow_redirects=False,
    )
    assert "What the check found" in _text(_finished(client, right.headers["location"]))


def test_a_folder_that_is_not_there_is_refused_at_once(tmp_path: Path) -> None:
    client = _client(tmp_path, "no-device")
    token = csrf_token(client.get("/check/iphone").text)
    response = client.post(
        "/check/iphone/backup", data={"csrf_token": token, "folder": str(tmp_path / "nope")}
    )
    assert response.status_code == 400
    assert "There is no folder" in response.text
