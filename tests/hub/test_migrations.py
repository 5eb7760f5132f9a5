"""The schema: migrations up and down on SQLite and PostgreSQL, and the models match them."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from unstalk.hub import migrate
from unstalk.hub.db import Base, Database
from unstalk.hub.errors import DatabaseError

EXPECTED_TABLES = {
    "organisations",
    "users",
    "sessions",
    "api_keys",
    "audit_log",
    "families",
    "indicators",
    "samples",
    "object_shares",
    "proposals",
    "votes",
    "disputes",
    "releases",
    "settings",
}


def _tables(database: Database) -> set[str]:
    return set(inspect(database.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_creates_every_table_and_matches_the_models(database_url: str) -> None:
    database = Database(database_url)
    try:
        migrate.upgrade(database)
        assert _tables(database) == EXPECTED_TABLES
        assert migrate.current_revision(database) == migrate.head_revision()
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        database.dispose()


def test_downgrade_to_base_removes_everything_and_upgrade_works_again(database_url: str) -> None:
    database = Database(database_url)
    try:
        migrate.upgrade(database)
        migrate.downgrade(database, migrate.BASE)
        assert _tables(database) == set()
        assert migrate.current_revision(database) is None
        migrate.upgrade(database)
        assert _tables(database) == EXPECTED_TABLES
    finally:
        database.dispose()


def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path}/hub.db")
    try:
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one() >= 10_000
    finally:
        database.dispose()


def test_a_malformed_database_url_is_explained() -> None:
    with pytest.raises(DatabaseError, match="not a database URL") as caught:
        Database("hub.db")
    assert "sqlite:///" in caught.value.advice


def test_an_unreachable_database_is_explained() -> None:
    # Port 9 on loopback (discard) has no PostgreSQL server: connecting fails at once.
    database = Database("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2")
    with pytest.raises(DatabaseError, match="could not be migrated") as caught:
        migrate.upgrade(database)
    assert "reachable" in caught.value.advice
