"""Fixtures: an initialised hub on SQLite (and on PostgreSQL when one is given), its app.

PostgreSQL tests need ``$UNSTALK_TEST_POSTGRES_URL`` (scripts/test starts a
server and sets it in CI); each test gets a database of its own, dropped after.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from unstalk.hub.app import create_hub_app
from unstalk.hub.bootstrap import init_hub
from unstalk.hub.db import Database
from unstalk.hub.passwords import Passwords
from unstalk.hub.principal import Principal
from unstalk.hub.schemas import UserIn
from unstalk.hub.settings import HubSettings

from .helpers import ADMIN_EMAIL, BASE_URL, PASSWORD, Clock, Ticker, principal

POSTGRES_ENV = "UNSTALK_TEST_POSTGRES_URL"
FAST_HASHING = {"password_time_cost": 1, "password_memory_kib": 32}


@dataclass
class Hub:
    """An initialised hub: its database, settings, app and the first coalition admin."""

    db: Database
    settings: HubSettings
    passwords: Passwords
    clock: Clock
    ticker: Ticker
    app: FastAPI
    admin: Principal


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need ${POSTGRES_ENV} (scripts/test sets it in CI)")
    return url


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    name = f"unstalk_hub_{secrets.token_hex(6)}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hub.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def make_hub(url: str, tmp_path: Path, **overrides: object) -> Hub:
    settings = HubSettings.model_validate(
        {"database_url": url, "sample_store": tmp_path / "samples", **FAST_HASHING, **overrides}
    )
    db = Database(url)
    passwords = settings.passwords()
    user = init_hub(
        db,
        passwords,
        org_name="Coalition",
        country="ZZ",
        admin=UserIn(email=ADMIN_EMAIL, password=PASSWORD),
    )
    clock, ticker = Clock(), Ticker()
    app = create_hub_app(settings, database=db, clock=clock, monotonic=ticker)
    return Hub(db, settings, passwords, clock, ticker, app, principal(db, user.id))


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    """A hub on SQLite."""
    made = make_hub(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path)
    yield made
    made.db.dispose()


@pytest.fixture
def any_hub(database_url: str, tmp_path: Path) -> Iterator[Hub]:
    """A hub on SQLite, then on PostgreSQL."""
    made = make_hub(database_url, tmp_path)
    yield made
    made.db.dispose()


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(hub.app, base_url=BASE_URL) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient) -> TestClient:
    """The ``client`` fixture, under the name the indicator and permission tests use."""
    return client
