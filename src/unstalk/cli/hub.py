"""``unstalk hub``: set up, migrate and run the coalition hub.

The database URL comes from ``--database`` or ``$UNSTALK_HUB_DATABASE_URL``
(better for PostgreSQL: a password in a command line is visible to every user
of the machine), else SQLite under unstalk's data folder. Passwords are only
ever prompted for, never taken from arguments.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from unstalk.errors import UsageError

from . import settings

DEFAULT_PORT = 8766
DEFAULT_HOST = "127.0.0.1"
DATABASE_ENV = "UNSTALK_HUB_DATABASE_URL"

_REMOTE_WARNING = (
    "Warning: the hub listens on {host}, reachable from other machines, without TLS. Put it "
    "behind a reverse proxy that terminates HTTPS (see docs/hub.md) and pass --behind-tls; "
    "otherwise passwords, session cookies and API keys cross the network readable by anyone "
    "on the way."
)

database_option = click.option(
    "--database",
    "database_url",
    envvar=DATABASE_ENV,
    metavar="URL",
    help="sqlite:///path/hub.db or postgresql+psycopg://user@host/db "
    f"(default: SQLite under unstalk's data folder; also ${DATABASE_ENV}).",
)


def _database_url(given: str | None) -> str:
    from unstalk.hub.db import default_database_url

    return given or default_database_url(settings.data_home())


@click.group()
def hub() -> None:
    """Run the coalition hub: organisations share indicators and samples, vote, publish feeds."""


@hub.command()
@database_option
@click.option("--admin-email", required=True, help="E-mail address of the first coalition admin.")
@click.option("--org-name", required=True, help="Name of the coalition's own organisation.")
@click.option("--country", default="ZZ", show_default=True, help="Its two-letter country code.")
def init(database_url: str | None, admin_email: str, org_name: str, country: str) -> None:
    """Create the database and the first coalition admin (prompts for the password)."""
    from unstalk.hub.bootstrap import init_hub
    from unstalk.hub.db import Database
    from unstalk.hub.passwords import Passwords, check_strength
    from unstalk.hub.schemas import UserIn
    from unstalk.hub.web import parse

    password = click.prompt(
        f"Password for {admin_email}", hide_input=True, confirmation_prompt=True
    )
    check_strength(password)
    admin = parse(UserIn, {"email": admin_email, "password": password})
    database = Database(_database_url(database_url))
    try:
        user = init_hub(
            database,
            Passwords(),
            org_name=org_name.strip(),
            country=country.strip().upper(),
            admin=admin,
        )
    finally:
        database.dispose()
    click.echo(f"The hub is ready. Sign in as {user.email} after 'unstalk hub serve'.")


@hub.command()
@database_option
@click.argument("direction", type=click.Choice(["up", "down"]))
@click.argument("revision", required=False)
def migrate(database_url: str | None, direction: str, revision: str | None) -> None:
    """Upgrade the schema (to the newest, or REVISION) or take it down to REVISION.

    'down base' removes every table of the hub: back up the database first.
    """
    from unstalk.hub import migrate as migrations
    from unstalk.hub.db import Database

    if direction == "down" and not revision:
        raise UsageError(
            "Say which revision to go down to, for example 'unstalk hub migrate down base'."
        )
    database = Database(_database_url(database_url))
    try:
        if direction == "up":
            migrations.upgrade(database, revision or migrations.HEAD)
        else:
            migrations.downgrade(database, revision or migrations.BASE)
        click.echo(f"The database is now at revision {migrations.current_revision(database)}.")
    finally:
        database.dispose()


@hub.command()
@database_option
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--behind-tls",
    is_flag=True,
    help="A reverse proxy terminates HTTPS in front of the hub: mark cookies Secure.",
)
@click.option(
    "--allowed-host", "allowed_hosts", multiple=True, help="Host name the hub answers to."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes; one per CPU core serves the most look-ups.",
)
def serve(
    database_url: str | None,
    host: str,
    port: int,
    behind_tls: bool,
    allowed_hosts: tuple[str, ...],
    workers: int,
) -> None:
    """Start the hub's web interface and JSON API."""
    import uvicorn

    from unstalk.hub import migrate as migrations
    from unstalk.hub.app import create_hub_app
    from unstalk.hub.db import Database
    from unstalk.hub.settings import HubSettings
    from unstalk.web.security import is_loopback

    url = _database_url(database_url)
    database = Database(url)
    if migrations.current_revision(database) != migrations.head_revision():
        database.dispose()
        raise UsageError(
            "The hub's database is not set up, or is older than this version of unstalk.",
            advice="Run 'unstalk hub init' once, or 'unstalk hub migrate up' after an upgrade.",
        )
    if not is_loopback(host.strip("[]")) and not behind_tls:
        click.echo(_REMOTE_WARNING.format(host=host), err=True)
    hub_settings = HubSettings(
        database_url=url,
        sample_store=settings.data_home() / "hub" / "samples",
        secure_cookies=behind_tls,
        allowed_hosts=allowed_hosts,
    )
    click.echo(f"The hub is at http://{host}:{port}/ (press Ctrl+C to stop).")
    if workers > 1:
        # Each worker process builds its own app from the same settings.
        database.dispose()
        os.environ[WORKER_SETTINGS] = hub_settings.model_dump_json()
        uvicorn.run(
            f"{__name__}:worker_app",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            server_header=False,
            proxy_headers=True,
        )
        return
    app = create_hub_app(hub_settings, database=database)
    uvicorn.run(app, host=host, port=port, server_header=False, proxy_headers=True)


WORKER_SETTINGS = "UNSTALK_HUB_WORKER_SETTINGS"
"""How 'hub serve --workers N' hands its settings to the worker processes uvicorn starts."""


def worker_app() -> object:
    """The app of one 'hub serve --workers N' process (uvicorn calls this in each worker)."""
    from unstalk.hub.app import create_hub_app
    from unstalk.hub.settings import HubSettings

    return create_hub_app(HubSettings.model_validate_json(os.environ[WORKER_SETTINGS]))


@hub.command("import-echap")
@database_option
@click.argument(
    "path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
def import_echap(database_url: str | None, path: Path | None) -> None:
    """Import the Echap feed (PATH, or the snapshot bundled with unstalk) as TLP:CLEAR.

    Running it again updates what changed and never duplicates.
    """
    from unstalk.feed.store import bundled_dir, load_folder
    from unstalk.hub import migrate as migrations
    from unstalk.hub.db import Database
    from unstalk.hub.indicators.echap_import import import_echap as run_import

    feed = load_folder(path or bundled_dir())
    database = Database(_database_url(database_url))
    try:
        if migrations.current_revision(database) != migrations.head_revision():
            raise UsageError(
                "The hub's database is not set up, or is older than this version of unstalk.",
                advice="Run 'unstalk hub init' once, or 'unstalk hub migrate up' after an upgrade.",
            )
        with database.writer() as session:
            result = run_import(session, "cli", feed, source=str(path) if path else "bundled")
    finally:
        database.dispose()
    click.echo(
        f"Families: {result.families_created} added, {result.families_updated} updated. "
        f"Indicators: {result.indicators_created} added, {result.indicators_updated} updated, "
        f"{result.indicators_unchanged} unchanged, {result.indicators_revoked} revoked "
        "(no longer in the feed)."
    )
