"""Create, upgrade and downgrade the hub's database schema with Alembic.

The migration scripts ship inside the package and are found through
:mod:`importlib.resources`, so this works from an installed wheel as well as
from a checkout.
"""

from __future__ import annotations

from importlib.resources import as_file, files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.exc import SQLAlchemyError

from unstalk.hub.db import Database
from unstalk.hub.errors import DatabaseError

HEAD = "head"
BASE = "base"


def _run(database: Database, action: str, revision: str) -> None:
    with as_file(files("unstalk.hub") / "migrations") as location:
        config = Config()
        config.set_main_option("script_location", str(location))
        try:
            with database.engine.begin() as connection:
                config.attributes["connection"] = connection
                if action == "upgrade":
                    command.upgrade(config, revision)
                else:
                    command.downgrade(config, revision)
        except CommandError as e:
            raise DatabaseError(
                f"The database could not be migrated to '{revision}': {e}",
                advice="Check the revision name with 'unstalk hub migrate --help'.",
            ) from e
        except SQLAlchemyError as e:
            raise DatabaseError(
                f"The database could not be migrated: {e.__class__.__name__}.",
                advice="Check that the database is reachable and that you may change it.",
            ) from e


def upgrade(database: Database, revision: str = HEAD) -> None:
    """Bring the schema up to ``revision`` (the newest by default)."""
    _run(database, "upgrade", revision)


def downgrade(database: Database, revision: str) -> None:
    """Take the schema back to ``revision`` (``base`` removes every table)."""
    _run(database, "downgrade", revision)


def current_revision(database: Database) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    with as_file(files("unstalk.hub") / "migrations") as location:
        config = Config()
        config.set_main_option("script_location", str(location))
        head = ScriptDirectory.from_config(config).get_current_head()
    if head is None:
        raise DatabaseError("The hub's migration scripts are missing from this installation.")
    return head
