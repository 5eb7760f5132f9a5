"""The synthetic APK corpus: one app per behaviour an analyser must tell apart.

What a correct analyser concludes about each app is in tests/apk/cases/synthetic.yml (read
it with :func:`tests.apk.builder.expectations.load_expectations`); docs/testing-apks.md
explains every app. Build it with ``python -m tests.apk.builder.corpus OUTDIR``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from tests.apk.builder.apk import SyntheticApp, write_apk
from tests.apk.builder.benign_apps import BENIGN, DUAL_USE
from tests.apk.builder.spy_apps import COVERT, FEED_LISTED

APPS: tuple[SyntheticApp, ...] = (*BENIGN, *DUAL_USE, *COVERT, *FEED_LISTED)
APPS_BY_PACKAGE: dict[str, SyntheticApp] = {app.package: app for app in APPS}


def build_corpus(folder: Path, apps: Iterable[SyntheticApp] = APPS) -> dict[str, Path]:
    """Build every app into ``folder`` as PACKAGE.apk; return ``{package: path}``."""
    return {app.package: write_apk(app, folder) for app in apps}


class ApkBuilder:
    """Builds synthetic APKs into a test's temporary folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def build(self, app: SyntheticApp, name: str | None = None) -> Path:
        """Build ``app``; ``name`` sets the file name (default PACKAGE.apk)."""
        path = write_apk(app, self.folder)
        return path.rename(self.folder / name) if name else path

    def app(self, package: str) -> SyntheticApp:
        """The corpus specification of ``package``."""
        return APPS_BY_PACKAGE[package]

    def variant(self, package: str, *, name: str | None = None, **changes: object) -> Path:
        """Build a corpus app with some fields changed (``schemes``, ``key``, ``label`` ...)."""
        return self.build(replace(self.app(package), **changes), name)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.apk.builder.corpus",
        description="Build unstalk's synthetic test APKs (manifests and strings, no code).",
    )
    parser.add_argument("outdir", type=Path, help="folder to write PACKAGE.apk files into")
    args = parser.parse_args(argv)
    for package, path in build_corpus(args.outdir).items():
        print(f"{package}\t{path}")  # noqa: T201 - a command-line tool reporting what it built
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
