"""The advocate's path: safety notes, look-ups of values and files, the feed's description."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from unstalk.feed.model import FamilyType, IndicatorKind, Role
from unstalk.feed.store import FeedStore, bundled_dir
from unstalk.models import Severity
from unstalk.web import create_app, wording
from unstalk.web.results import MAX_VALUE_LENGTH, MAX_VALUES, parse_values

from .helpers import BASE_URL, accept_start, csrf_token

NEVER_SAID = re.compile(r"\b(clean|safe)\b", re.IGNORECASE)


def _visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_start_page_gives_the_safety_notes_before_anything_else(client: TestClient) -> None:
    text = " ".join(_visible_text(client.get("/").text).split())
    for note in (
        "Checking a phone can be noticed",
        "Do not remove anything yet",
        "destroys evidence",
        "Make a safety plan first",
        "Nothing leaves this computer",
        '"No match" never means that nobody is watching the phone',
    ):
        assert note in text


def test_lookup_needs_the_notes_accepted(client: TestClient) -> None:
    assert client.get("/lookup", follow_redirects=False).headers["location"] == "/"
    token = csrf_token(client.get("/").text)
    refused = client.post("/start", data={"csrf_token": token})
    assert refused.status_code == 400
    assert "Please tick the box" in refused.text
    assert client.post("/lookup", data={"csrf_token": token, "values": "x"}).url.path == "/"


def test_lookup_form_is_labelled(started: tuple[TestClient, str]) -> None:
    client, _ = started
    html = client.get("/lookup").text
    for field in ("values", "file"):
        assert f'<label for="{field}">' in html
        assert f'id="{field}"' in html
    assert 'enctype="multipart/form-data"' in html


def test_known_package_shows_family_severity_and_evidence(started: tuple[TestClient, str]) -> None:
    client, token = started
    response = client.post("/lookup", data={"csrf_token": token, "values": " com.thetruth \n"})
    assert response.history[0].status_code == 303
    assert response.url.path == "/lookup/results"
    text = " ".join(_visible_text(response.text).split())
    assert "TheTruthSpy" in text
    assert wording.SEVERITY_TITLES[Severity.CRITICAL] in text
    assert "Android app package name" in text
    assert "feed file ioc.yaml" in text
    assert "Do not remove the app" in text
    assert "1 matched" in text
    # The result stays on reload, without sending the form again.
    assert "TheTruthSpy" in client.get("/lookup/results").text


def test_unknown_value_gets_honest_limits_and_no_reassurance(
    started: tuple[TestClient, str],
) -> None:
    client, token = started
    response = client.post("/lookup", data={"csrf_token": token, "values": "org.example.notepad"})
    text = " ".join(_visible_text(response.text).split())
    assert "None of them is in the list" in text
    assert "does not show that the phone is free of spyware" in text
    assert "looked up as Android app package name" in text
    assert NEVER_SAID.search(text) is None, NEVER_SAID.search(text)


def test_watchware_is_reported_but_not_called_stalkerware(started: tuple[TestClient, str]) -> None:
    client, token = started
    response = client.post(
        "/lookup", data={"csrf_token": token, "values": "com.wondershare.famisafe"}
    )
    text = " ".join(_visible_text(response.text).split())
    assert "FamiSafe" in text
    assert wording.SEVERITY_TITLES[Severity.LOW] in text
    assert "not called stalkerware" in text
    assert wording.SEVERITY_TITLES[Severity.CRITICAL] not in text


def test_results_are_grouped_most_urgent_first(started: tuple[TestClient, str]) -> None:
    client, token = started
    values = "com.wondershare.famisafe\nthetruthspy.com\ncom.thetruth\nunknown.example"
    text = client.post("/lookup", data={"csrf_token": token, "values": values}).text
    titles = [wording.SEVERITY_TITLES[s] for s in (Severity.CRITICAL, Severity.MEDIUM)]
    titles.append(wording.SEVERITY_TITLES[Severity.LOW])
    positions = [text.index(title) for title in titles]
    assert positions == sorted(positions)
    assert text.index(titles[-1]) < text.index("Not in the list")


def test_empty_lookup_asks_for_a_value(started: tuple[TestClient, str]) -> None:
    client, token = started
    response = client.post("/lookup", data={"csrf_token": token, "values": " \n "})
    assert response.status_code == 400
    assert "Type or paste at least one value" in response.text


def test_values_are_escaped(started: tuple[TestClient, str]) -> None:
    client, token = started
    html = client.post("/lookup", data={"csrf_token": token, "values": "<b>x</b>"}).text
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_results_without_a_lookup_go_back_to_the_form(started: tuple[TestClient, str]) -> None:
    client, _ = started
    assert client.get("/lookup/results", follow_redirects=False).headers["location"] == "/lookup"


def test_file_upload_is_hashed_and_looked_up(started: tuple[TestClient, str]) -> None:
    client, token = started
    content = b"not an app\n" * 10_000
    response = client.post(
        "/lookup/file", data={"csrf_token": token}, files={"file": ("notes.apk", content)}
    )
    assert response.url.path == "/lookup/results"
    text = _visible_text(response.text)
    assert hashlib.sha256(content).hexdigest() in text
    assert "notes.apk" in text
    assert "110,000 bytes" in text
    assert "None of them is in the list" in " ".join(text.split())


def test_upload_arriving_in_small_pieces_hashes_the_same(started: tuple[TestClient, str]) -> None:
    client, token = started
    content = bytes(range(256)) * 400
    boundary = "----piecesboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        f'{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="C:\\Users\\me\\phone.apk"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    body += content + f"\r\n--{boundary}--\r\n".encode()

    def pieces() -> Iterator[bytes]:
        # 7-byte pieces split the boundary, the headers and the token between reads.
        for start in range(0, len(body), 7):
            yield body[start : start + 7]

    response = client.post(
        "/lookup/file",
        content=pieces(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    text = _visible_text(response.text)
    assert hashlib.sha256(content).hexdigest() in text
    assert "phone.apk" in text and "Users" not in text


def _feed_with_sample(tmp_path: Path, content: bytes) -> FeedStore:
    """An installed feed: the bundled one plus a sample whose SHA-256 is that of ``content``."""
    current = tmp_path / "home" / "feeds" / "current"
    shutil.copytree(bundled_dir(), current)
    with (current / "samples.csv").open("a", encoding="utf-8") as samples:
        sha = hashlib.sha256(content).hexdigest()
        samples.write(f"{sha},com.thetruth,,1,TheTruthSpy\n")
    return FeedStore(tmp_path / "home", None)


def test_uploaded_known_sample_matches(tmp_path: Path) -> None:
    content = b"pretend this is a TheTruthSpy APK"
    app = create_app(_feed_with_sample(tmp_path, content))
    with TestClient(app, base_url=BASE_URL) as client:
        token = accept_start(client)
        response = client.post(
            "/lookup/file", data={"csrf_token": token}, files={"file": ("tts.apk", content)}
        )
    text = " ".join(_visible_text(response.text).split())
    assert "TheTruthSpy" in text
    assert "file fingerprint (SHA-256) of a known app file" in text
    assert "feed file samples.csv" in text
    assert wording.SEVERITY_TITLES[Severity.CRITICAL] in text


def test_upload_needs_the_token_before_the_file(started: tuple[TestClient, str]) -> None:
    client, token = started
    missing = client.post("/lookup/file", files={"file": ("a.apk", b"data")})
    assert missing.status_code == 403
    wrong = client.post("/lookup/file", data={"csrf_token": "0" * 64}, files={"file": ("a", b"d")})
    assert wrong.status_code == 403
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.apk"\r\n\r\n'
        f"data\r\n--{boundary}\r\n"
        f'Content-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n--{boundary}--\r\n'
    )
    late = client.post(
        "/lookup/file",
        content=body.encode(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert late.status_code == 403


def test_upload_over_the_limit_is_refused(store: FeedStore) -> None:
    app = create_app(store, max_upload_bytes=1024)
    with TestClient(app, base_url=BASE_URL) as client:
        token = accept_start(client)
        response = client.post(
            "/lookup/file", data={"csrf_token": token}, files={"file": ("big", b"x" * 2048)}
        )
    assert response.status_code == 413
    assert "larger than" in response.text


def test_upload_without_a_file_says_so(started: tuple[TestClient, str]) -> None:
    client, token = started
    response = client.post("/lookup/file", data={"csrf_token": token}, files={"file": ("", b"")})
    assert response.status_code == 400
    assert "No file was chosen." in response.text
    assert "Choose file" in response.text


def test_broken_upload_gets_a_plain_error(started: tuple[TestClient, str]) -> None:
    client, token = started
    body = f'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n--b\r\nXX'
    response = client.post(
        "/lookup/file",
        content=body.encode(),
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 400
    assert "did not arrive complete" in response.text


def test_about_page_describes_the_feed_and_credits_echap(client: TestClient) -> None:
    text = " ".join(_visible_text(client.get("/about").text).split())
    assert "Echap" in text and "CC BY 4.0" in text
    assert "https://github.com/AssoEchap/stalkerware-indicators" in text
    assert "the copy bundled with unstalk" in text
    assert "Android app package name" in text
    assert re.search(r"stalkerware \d+", text)
    assert re.search(r"watchware \d+", text)


def test_parse_values_dedupes_and_bounds() -> None:
    values, notes = parse_values("a\n\n a \nb\n" + "x" * (MAX_VALUE_LENGTH + 1))
    assert values == ("a", "b")
    assert notes and "too long" in str(notes[0])
    many, notes = parse_values("\n".join(f"v{i}" for i in range(MAX_VALUES + 5)))
    assert len(many) == MAX_VALUES
    assert [str(note) for note in notes] == [f"Only the first {MAX_VALUES} values were checked."]


@pytest.mark.parametrize(
    ("table", "members"),
    [
        (wording.SEVERITY_TITLES, Severity),
        (wording.SEVERITY_EXPLANATIONS, Severity),
        (wording.FAMILY_TYPES, FamilyType),
        (wording.KIND_LABELS, IndicatorKind),
        (wording.ROLE_LABELS, Role),
    ],
)
def test_every_enum_member_has_plain_words(
    table: Mapping[object, str], members: Iterable[object]
) -> None:
    assert set(table) == set(members)
    assert all(NEVER_SAID.search(text) is None for text in table.values())
