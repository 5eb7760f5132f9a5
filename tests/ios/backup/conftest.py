"""Backups written once per session by the committed generator (tests/ios/gen)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ios.gen import SCENARIOS, write_backup
from unstalk.ios.backup import read_backup
from unstalk.ios.model import IosAcquisition

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def backups(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Scenario name -> backup folder; ``encrypted`` is the profiles phone with PASSWORD."""
    root = tmp_path_factory.mktemp("ios-backups")
    folders = {name: write_backup(root / name, make()) for name, make in SCENARIOS.items()}
    folders["encrypted"] = write_backup(
        root / "encrypted", SCENARIOS["profiles"](), password=PASSWORD
    )
    return folders


@pytest.fixture(scope="session")
def read(backups: dict[str, Path]) -> dict[str, IosAcquisition]:
    """Scenario name -> what the reader made of it."""
    return {
        name: read_backup(folder, password=PASSWORD if name == "encrypted" else None)
        for name, folder in backups.items()
    }
