"""Checking a plugged-in Android phone from the app, against the fake adb's recorded phones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.android.fake_adb import ReplayRunner
from unstalk.android.acquire.adb import Adb
from unstalk.web import create_app

from .helpers import BASE_URL, accept_start, bundled_store, csrf_token
from .test_web_check import _finished, _text


def _client(tmp_path: Path, scenario: str) -> TestClient:
    state = tmp_path / "adb-state"
    app = create_app(
        bundled_store(tmp_path),
        work_root=tmp_path,
        adb=lambda: Adb(ReplayRunner(scenario, state)),
    )
    client = TestClient(app, base_url=BASE_URL)
    client.__enter__()
    accept_start(client)
    return client


def test_connect_page_shows_the_steps_with_described_pictures(tmp_path: Path) -> None:
    client = _client(tmp_path, "no-device")
    html = client.get("/check/android").text
    text = _text(html)
    assert "Build number" in text and "USB debugging" in text and "Allow" in text
    images = re.findall(r'<img src="(/static/[^"]+\.svg)"[^>]*alt="([^"]+)"', html, re.DOTALL)
    assert len(images) == 3
    for source, _ in images:
        assert client.get(source).status_code == 200
    assert "No phone is connected" in text
    assert "Look for the phone again" in text


@pytest.mark.parametrize(
    ("scenario", "said"),
    [
        ("unauthorized", "has not allowed this computer"),
        ("offline", "offline"),
        ("no-permissions", "plugdev"),
    ],
)
def test_a_phone_not_ready_gets_plain_advice(tmp_path: Path, scenario: str, said: str) -> None:
    client = _client(tmp_path, scenario)
    text = _text(client.get("/check/android").text)
    assert said in text
    assert "Check this phone" not in text


def test_two_phones_ask_which_one(tmp_path: Path) -> None:
    client = _client(tmp_path, "two-devices")
    html = client.get("/check/android").text
    assert html.count('type="radio"') == 2
    assert "Which one do you want to check?" in _text(html)


def test_a_phone_is_checked_end_to_end(tmp_path: Path) -> None:
    client = _client(tmp_path, "android-14")
    page = client.get("/check/android").text
    assert "Ready to check" in _text(page)
    serial = re.search(r'name="serial" value="([^"]+)"', page)
    assert serial is not None
    response = client.post(
        "/check/android",
        data={"csrf_token": csrf_token(page), "serial": serial.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    text = _text(_finished(client, response.headers["location"]))
    assert "What the check found" in text
    assert "What was checked" in text
    assert str(tmp_path) not in text, "the app's private folder must not be shown"


def test_a_phone_unplugged_midway_is_reported_as_not_fully_checked(tmp_path: Path) -> None:
    client = _client(tmp_path, "disconnect-after-5")
    page = client.get("/check/android").text
    serial = re.search(r'name="serial" value="([^"]+)"', page)
    assert serial is not None
    response = client.post(
        "/check/android",
        data={"csrf_token": csrf_token(page), "serial": serial.group(1)},
        follow_redirects=False,
    )
    text = _text(_finished(client, response.headers["location"]))
    assert "the rest of the phone" in text
    assert "Only what was read before that was checked" in text
    assert "No known stalkerware found by these checks." not in text.split("What was found")[0]


def test_a_phone_gone_before_the_start_sends_back_to_the_steps(tmp_path: Path) -> None:
    client = _client(tmp_path, "no-device")
    # The steps page has no form to post while no phone is ready; any page's token will do.
    token = csrf_token(client.get("/check").text)
    response = client.post(
        "/check/android", data={"csrf_token": token, "serial": "X"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/check/android"
