"""A phone with 400 more apps: every importer reads every one (timings live outside tests)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.android.make_imports import (
    scaled_scenario,
    write_androidqf,
    write_bugreport,
    write_unstalk,
)
from tests.android.parser_fixtures import ZONES, local
from unstalk.android.importers import load_acquisition
from unstalk.android.model import ParseStatus

WRITERS: dict[str, Callable[[str, Path], Path]] = {
    "unstalk": lambda scenario, out: write_unstalk(scenario, out, pull_apks=False),
    "androidqf": lambda scenario, out: write_androidqf(scenario, out.with_suffix(".zip")),
    "bugreport": lambda scenario, out: write_bugreport(scenario, out.with_suffix(".zip")),
}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(scaled_scenario(tmp_path_factory.mktemp("scaled"), 400))


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_four_hundred_apps_are_all_imported(fmt: str, scenario: str, tmp_path: Path) -> None:
    acquisition = load_acquisition(WRITERS[fmt](scenario, tmp_path / "big"))

    assert acquisition.format == fmt
    assert acquisition.packages.value is not None
    clones = [app for app in acquisition.packages.value if app.name.startswith("org.example.")]
    assert len(clones) == 400 and all(app.third_party for app in clones)
    assert acquisition.appops.status is ParseStatus.OK
    ops = [u for u in acquisition.appops.value or () if u.package.startswith("org.example.")]
    assert len({use.package for use in ops}) == 400
    camera = next(use for use in ops if use.op == "CAMERA")
    assert camera.last_access is not None and camera.last_access.tzinfo == ZONES["android-12"]
    assert camera.last_access < local("android-12", "2022-03-21 10:05:00")
