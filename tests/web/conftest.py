"""Fixtures: the app over the bundled Echap feed, clients that talk to it, and a browser.

The browser tests share one chromium (Debian's, driven by Playwright) and one app served
by uvicorn with every optional part on: the case store, a fake adb replaying a recorded
Android 14 phone, and a libimobiledevice replay with no iPhone plugged in.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright

from tests.android.fake_adb import ReplayRunner as AdbReplay
from tests.ios.device.replay import ReplayRunner as IdeviceReplay
from unstalk.android.acquire.adb import Adb
from unstalk.feed.store import FeedStore
from unstalk.ios.device import Idevice
from unstalk.web import create_app

from .helpers import BASE_URL, CHROMIUM, CHROMIUM_ARGS, FEED_CACHE, accept_start, bundled_store
from .serving import serving


@pytest.fixture(scope="session")
def feed_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One parse cache for every test: the feed is parsed once, then read back."""
    return tmp_path_factory.getbasetemp() / FEED_CACHE


@pytest.fixture
def store(tmp_path: Path, feed_cache: Path) -> FeedStore:
    """The bundled feed, through the shared parse cache."""
    return bundled_store(tmp_path, feed_cache)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, feed_cache: Path) -> FastAPI:
    return create_app(bundled_store(tmp_path_factory.mktemp("web"), feed_cache))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url=BASE_URL) as test_client:
        yield test_client


@pytest.fixture
def started(client: TestClient) -> tuple[TestClient, str]:
    """A client past the start page, and its CSRF token."""
    return client, accept_start(client)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def full_app(tmp_path_factory: pytest.TempPathFactory, feed_cache: Path) -> FastAPI:
    """The app with the case store, a fake Android phone and no iPhone plugged in."""
    root = tmp_path_factory.mktemp("full-app")
    return create_app(
        bundled_store(root, feed_cache),
        work_root=root,
        case_folder=root / "cases",
        adb=lambda: Adb(AdbReplay("android-14", root / "adb-state")),
        idevice=lambda: Idevice(IdeviceReplay("no-device")),
    )


@pytest.fixture(scope="session")
def full_url(full_app: FastAPI) -> Iterator[str]:
    with serving(full_app) as address:
        yield address
