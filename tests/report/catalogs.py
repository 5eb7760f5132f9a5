"""Extract, update and compile the report catalogs with Babel.

    python -m tests.report.catalogs update    # new .pot from the code, merged into every .po
    python -m tests.report.catalogs compile   # every .po to its .mo (committed with it)

The tests use :func:`extract` and :func:`compiled` to check that the committed
``unstalk.pot`` and ``.mo`` files match the code and the ``.po`` files.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog

from tests.gettext_catalogs import SRC, Catalogs, compiled, write_catalog
from unstalk.report.i18n import DOMAIN, LANGUAGES

CATALOGS = Catalogs(SRC / "report", DOMAIN, LANGUAGES)
POT = CATALOGS.pot

__all__ = ["POT", "compiled", "extract", "po_path", "read_catalog", "write_catalog"]


def extract() -> Catalog:
    return CATALOGS.extract()


def po_path(lang: str) -> Path:
    return CATALOGS.po_path(lang)


def read_catalog(lang: str) -> Catalog:
    return CATALOGS.read(lang)


if __name__ == "__main__":
    CATALOGS.main(__doc__.splitlines()[0] if __doc__ else None)
