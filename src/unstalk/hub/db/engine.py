"""Engine and sessions from a database URL, set up for many writers at once.

SQLite: WAL journal (readers never block the writer), foreign keys on, and a
busy timeout so a writer waits for another instead of failing. Write
transactions start with ``BEGIN IMMEDIATE``: a deferred transaction that read
first and writes later cannot wait for the lock (SQLite answers "database is
locked" at once), an immediate one takes the lock up front and waits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from unstalk.hub.errors import DatabaseError

BUSY_TIMEOUT_SECONDS = 30.0
_WRITE_OPTION = "unstalk_hub_write"


def default_database_url(home: Path) -> str:
    """``sqlite:///<home>/hub/hub.db``: the hub's database under unstalk's data folder."""
    return f"sqlite:///{home / 'hub' / 'hub.db'}"


def _sqlite_connect(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # The driver's own transaction handling is off (see create_database_engine); begin here.
    write = connection.get_execution_options().get(_WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def create_database_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``)."""
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise DatabaseError(
            f"'{url}' is not a database URL.",
            advice="Use sqlite:///path/to/hub.db or postgresql+psycopg://user@host/dbname.",
        ) from e
    try:
        if parsed.get_backend_name() != "sqlite":
            return create_engine(parsed, pool_pre_ping=True)
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed,
            connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "isolation_level": None},
        )
    except (NoSuchModuleError, ModuleNotFoundError) as e:
        raise DatabaseError(
            f"unstalk has no driver for the database in '{parsed.render_as_string()}'.",
            advice="PostgreSQL needs the psycopg package and a postgresql+psycopg:// URL.",
        ) from e
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


class Database:
    """The engine and the two kinds of session the hub uses."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_database_engine(url)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(
            self.engine.execution_options(**{_WRITE_OPTION: True}), expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A session for looking things up; anything written in it is discarded.

        Objects loaded in it stay readable after the block (closing does not expire them).
        """
        with self._read() as session:
            yield session

    @contextmanager
    def writer(self) -> Iterator[Session]:
        """A session whose changes are committed together when the block ends without error."""
        with self._write() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
