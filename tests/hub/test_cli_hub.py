"""``unstalk hub init``, ``migrate`` and ``serve`` as an operator runs them."""

from __future__ import annotations

import os
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from unstalk.cli.hub import hub
from unstalk.hub import migrate
from unstalk.hub.db import AuditEntry, Database, HubSetting, Organisation, User
from unstalk.hub.errors import Conflict, InvalidInput
from unstalk.hub.roles import Role

from .helpers import PASSWORD


@click.group()
def cli() -> None:
    """The hub commands under a group of their own, as the main CLI registers them."""


cli.add_command(hub)


def _init(url: str, password_input: str = f"{PASSWORD}\n{PASSWORD}\n") -> Result:
    runner = CliRunner()
    return runner.invoke(
        cli,
        [
            "hub",
            "init",
            "--database",
            url,
            "--admin-email",
            "Boss@Coalition.example",
            "--org-name",
            "Coalition Against Stalkerware",
            "--country",
            "de",
        ],
        input=password_input,
    )


def test_init_creates_the_coalition_org_and_its_first_admin(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    result = _init(url)
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    database = Database(url)
    with database.reader() as session:
        user = session.scalars(select(User)).one()
        org = session.get(Organisation, user.org_id)
        assert user.email == "boss@coalition.example"
        assert user.role is Role.COALITION_ADMIN
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        assert org is not None and org.clearance.value == "red" and org.country == "DE"
        actions = session.scalars(select(AuditEntry.action)).all()
        assert actions == ["hub.initialised"]
        rules = {row.key: row.value for row in session.scalars(select(HubSetting))}
        assert rules["consensus.min_organisations"] == 3
        assert rules["consensus.majority"] == [2, 3]
    assert migrate.current_revision(database) == migrate.head_revision()
    database.dispose()


def test_init_twice_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    assert _init(url).exit_code == 0
    again = _init(url)
    assert isinstance(again.exception, Conflict)
    assert "already set up" in again.exception.message


def test_init_refuses_a_short_password(tmp_path: Path) -> None:
    result = _init(f"sqlite:///{tmp_path / 'hub.db'}", "short\nshort\n")
    assert isinstance(result.exception, InvalidInput)


def test_init_has_no_password_option() -> None:
    options = {name for param in hub.commands["init"].params for name in param.opts}
    assert not any("password" in name for name in options)


def test_migrate_down_needs_a_revision_and_goes_to_base(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    runner = CliRunner()
    up = runner.invoke(cli, ["hub", "migrate", "--database", url, "up"])
    assert up.exit_code == 0 and migrate.head_revision() in up.output
    down = runner.invoke(cli, ["hub", "migrate", "--database", url, "down", "base"])
    assert down.exit_code == 0 and "revision None" in down.output
    missing = runner.invoke(cli, ["hub", "migrate", "--database", url, "down"])
    assert missing.exception is not None and "which revision" in str(missing.exception)


def test_serve_refuses_a_database_that_was_never_initialised(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["hub", "serve", "--database", f"sqlite:///{tmp_path}/x.db"])
    assert result.exception is not None
    assert "not set up" in str(result.exception)


@pytest.mark.parametrize(
    ("host", "extra", "warned"),
    [("127.0.0.1", [], False), ("0.0.0.0", [], True), ("0.0.0.0", ["--behind-tls"], False)],
)
def test_serve_warns_when_reachable_without_tls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, host: str, extra: list[str], warned: bool
) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    assert _init(url).exit_code == 0
    started: list[dict[str, object]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: started.append(kwargs))
    result = CliRunner().invoke(
        cli, ["hub", "serve", "--database", url, "--host", host, "--port", "9999", *extra]
    )
    assert result.exit_code == 0, result.output
    assert started and started[0]["host"] == host and started[0]["port"] == 9999
    assert ("without TLS" in result.output) is warned


def test_serve_with_workers_hands_the_same_settings_to_each_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi import FastAPI

    from unstalk.cli import hub as command

    url = f"sqlite:///{tmp_path / 'hub.db'}"
    assert _init(url).exit_code == 0
    # Recorded so the variable the command sets is removed again after the test.
    monkeypatch.setenv(command.WORKER_SETTINGS, "")
    started: list[tuple[object, dict[str, object]]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: started.append((app, kwargs)))
    result = CliRunner().invoke(
        cli, ["hub", "serve", "--database", url, "--workers", "2", "--behind-tls"]
    )
    assert result.exit_code == 0, result.output
    target, options = started[0]
    assert target == "unstalk.cli.hub:worker_app"
    assert options["workers"] == 2 and options["factory"] is True
    app = command.worker_app()
    assert isinstance(app, FastAPI)
    assert '"secure_cookies":true' in os.environ[command.WORKER_SETTINGS]
