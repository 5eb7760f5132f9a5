"""The app in its five languages: the chooser, the browser's default, and no English left.

Every page an advocate can reach is rendered in French, Spanish, German and Brazilian
Portuguese; none may show a sentence of the app's own English wording (taken from the
committed ``unstalk-web.pot``) or a word calling a device clean or safe.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from tests.android.fake_adb import ReplayRunner as AdbReplay
from tests.ios.device.replay import ReplayRunner as IdeviceReplay
from tests.netcap.gen.app_scenarios import http_capture
from unstalk.android.acquire.adb import Adb
from unstalk.ios.device import Idevice
from unstalk.web import create_app

from .catalogs import POT, read_catalog
from .helpers import BASE_URL, bundled_store, csrf_token
from .test_web_check import _finished, _upload
from .test_web_i18n import NEVER_SAID, texts_of

TRANSLATED = ("fr", "es", "de", "pt_BR")
PASSPHRASE = "blue kettle under the stairs"
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}|%%")
_TAG = re.compile(r"<[^>]+>")
_HIDDEN = re.compile(r"<(script|style|title)[^>]*>.*?</\1>", re.DOTALL)
MIN_WORDS = 4
"""Shorter fragments (names, "Linux (idevicebackup2)") may rightly read the same."""


def visible(page: str) -> str:
    text = _TAG.sub(" ", _HIDDEN.sub(" ", page))
    return " ".join(html.unescape(text).split())


def english_sentences(lang: str) -> list[str]:
    """The app's English wording, in pieces of at least MIN_WORDS words, that ``lang`` changes."""
    with POT.open("rb") as stream:
        template = read_po(stream)
    catalog = read_catalog(lang)
    pieces: set[str] = set()
    for message in template:
        if not message.id:
            continue
        ids = (message.id,) if isinstance(message.id, str) else tuple(message.id)
        entry = catalog.get(message.id)
        said = " ".join(texts_of(entry.string if entry is not None else ""))
        for source in ids:
            for piece in _PLACEHOLDER.split(visible(source)):
                piece = piece.strip(" .,:;()\"'")
                if len(piece.split()) >= MIN_WORDS and piece not in visible(said):
                    pieces.add(piece)
    return sorted(pieces)


def _choose(client: TestClient, lang: str, page: str = "/") -> str:
    """Choose ``lang`` with the header's form on ``page``; return the page shown after."""
    form = client.get(page).text
    response = client.post(
        "/language", data={"csrf_token": csrf_token(form), "lang": lang, "next": page}
    )
    assert response.status_code == 200
    assert response.url.path == page
    return response.text


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    work = tmp_path / "work"
    work.mkdir()
    app = create_app(
        bundled_store(tmp_path),
        work_root=work,
        case_folder=tmp_path / "cases",
        adb=lambda: Adb(AdbReplay("android-14", tmp_path / "adb-state")),
        idevice=lambda: Idevice(IdeviceReplay("no-device")),
    )
    with TestClient(app, base_url=BASE_URL) as test_client:
        yield test_client


def _every_page(client: TestClient, lang: str) -> dict[str, str]:
    """Walk every flow of the app in ``lang``; the pages by name."""
    pages = {"start": _choose(client, lang)}
    token = csrf_token(pages["start"])
    pages["check"] = client.post("/start", data={"csrf_token": token}, follow_redirects=True).text
    pages["missing consent"] = pages["check"]
    pages["check"] = client.post("/start", data={"csrf_token": token, "consent": "yes"}).text
    for name, path in (
        ("android", "/check/android"),
        ("iphone", "/check/iphone"),
        ("look-up", "/lookup"),
        ("about", "/about"),
        ("end, nothing yet", "/end"),
        ("no kept case", "/cases"),
        ("not found", "/no-such-page"),
        ("missing check", "/check/jobs/unknown"),
    ):
        pages[name] = client.get(path).text
    values = "com.wondershare.famisafe\norg.example.notepad\n" + "x" * 600
    pages["look-up results"] = client.post(
        "/lookup", data={"csrf_token": token, "values": values}
    ).text
    pages["look-up, nothing typed"] = client.post("/lookup", data={"csrf_token": token}).text
    pages["unknown file"] = client.post(
        "/check/file", data={"csrf_token": token}, files={"file": ("notes.txt", b"hello")}
    ).text
    pages["iphone, no folder"] = client.post(
        "/check/iphone/backup", data={"csrf_token": token, "folder": "/no/such/folder"}
    ).text
    pages["expired form"] = client.post("/lookup", data={"csrf_token": "0" * 64}).text
    job = _upload(client, token, "hotspot.pcap", http_capture().scenario.pcap())
    pages["results"] = _finished(client, job)
    pages["checks list"] = client.get("/check").text
    pages["end"] = client.get("/end").text
    pages.update(_keep_and_open(client, token))
    return pages


def _keep_and_open(client: TestClient, token: str) -> dict[str, str]:
    form = {"csrf_token": token, "passphrase": PASSPHRASE, "passphrase_again": PASSPHRASE}
    mismatch = client.post("/end/keep", data={**form, "passphrase_again": "x", "keep_days": "30"})
    kept = client.post("/end/keep", data={**form, "notes": "", "keep_days": "30"}).text
    case_id = re.search(r'<code class="value">([^<]+)</code>', kept)
    assert case_id is not None, visible(kept)
    cases = client.get("/cases").text
    opened = client.post(
        "/cases/open", data={"csrf_token": token, "case_id": case_id[1], "passphrase": PASSPHRASE}
    ).text
    report = client.get(f"/cases/{case_id[1]}/reports/0").text
    unticked = client.post(f"/cases/{case_id[1]}/delete", data={"csrf_token": token}).text
    deleted = client.post(
        "/end/delete", data={"csrf_token": token}, headers={"accept-language": "en"}
    ).text
    return {
        "passphrases differ": mismatch.text,
        "case kept": kept,
        "kept cases": cases,
        "case": opened,
        "kept report": report,
        "delete unticked": unticked,
        "everything deleted": deleted,
    }


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_page_speaks_the_chosen_language(client: TestClient, lang: str) -> None:
    english = english_sentences(lang)
    never = re.compile(NEVER_SAID[lang], re.IGNORECASE)
    pages = _every_page(client, lang)
    leftovers = {}
    for name, page in pages.items():
        # After "delete everything" the session is gone: the browser's language counts again.
        expected = "en" if name == "everything deleted" else lang
        assert f'<html lang="{expected.replace("_", "-")}">' in page, name
        if expected == "en":
            continue
        text = visible(page)
        found = [sentence for sentence in english if sentence in text]
        if found:
            leftovers[name] = found
        assert not never.search(text), (name, never.search(text))
    assert leftovers == {}


def test_the_browser_language_is_the_default_until_one_is_chosen(client: TestClient) -> None:
    page = client.get("/", headers={"accept-language": "de-DE,de;q=0.9,en;q=0.5"}).text
    assert '<html lang="de">' in page
    assert "Bevor Sie anfangen" in page
    assert '<option value="de" lang="de" selected>' in page
    chosen = _choose(client, "pt_BR")
    assert '<html lang="pt-BR">' in chosen
    again = client.get("/about", headers={"accept-language": "de"}).text
    assert "Sobre os indicadores" in again


def test_the_chooser_only_goes_back_to_pages_of_the_app(client: TestClient) -> None:
    token = csrf_token(client.get("/").text)
    for target in ("https://example.org/", "//example.org/", "/\\example.org"):
        response = client.post(
            "/language",
            data={"csrf_token": token, "lang": "es", "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/"
    unknown = client.post("/language", data={"csrf_token": token, "lang": "xx", "next": "/"})
    assert '<html lang="es">' in unknown.text


def test_the_chooser_needs_the_form_token(client: TestClient) -> None:
    client.get("/")
    refused = client.post("/language", data={"lang": "fr", "next": "/"})
    assert refused.status_code == 403
    assert '<html lang="en">' in client.get("/").text


def test_the_report_download_defaults_to_the_page_language(client: TestClient) -> None:
    token = csrf_token(_choose(client, "fr"))
    client.post("/start", data={"csrf_token": token, "consent": "yes"})
    job = _upload(client, token, "hotspot.pcap", http_capture().scenario.pcap())
    page = _finished(client, job)
    assert '<option value="fr" lang="fr" selected>' in page
    saved = client.get(f"{job}/report", params={"format": "html"})
    assert saved.status_code == 200
    assert '<html lang="fr">' in saved.text
    english = client.get(f"{job}/report", params={"format": "html", "lang": "en"})
    assert '<html lang="en">' in english.text
