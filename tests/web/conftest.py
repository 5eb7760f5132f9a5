"""Fixtures: the app over the bundled Echap feed, and clients that talk to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from unstalk.feed.store import FeedStore
from unstalk.web import create_app

from .helpers import BASE_URL, FEED_CACHE, accept_start, bundled_store


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
