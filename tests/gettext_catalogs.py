"""Extract, update and compile one gettext domain's catalogs with Babel.

The report (``tests/report/catalogs.py``) and the web app (``tests/web/catalogs.py``) each
keep a catalog domain; both modules are a :class:`Catalogs` over their package, plus the
command line ``python -m tests.<area>.catalogs update|compile``.
"""

from __future__ import annotations

import argparse
import io
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
SRC = Path(__file__).resolve().parents[1] / "src" / "unstalk"


def compiled(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def write_catalog(path: Path, catalog: Catalog) -> None:
    catalog.copyright_holder = "The unstalk developers"
    catalog.msgid_bugs_address = "the unstalk issue tracker"
    catalog.last_translator = "The unstalk developers"
    catalog.language_team = f"unstalk {catalog.locale_identifier or 'template'}"
    catalog.version = "1"
    catalog.fuzzy = False
    out = io.BytesIO()
    write_po(out, catalog, width=100, omit_header=False, sort_output=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())


@dataclass(frozen=True)
class Catalogs:
    """The catalogs of ``domain`` under ``package``/locale, for ``languages`` (English first)."""

    package: Path
    domain: str
    languages: tuple[str, ...]

    @property
    def pot(self) -> Path:
        return self.package / "locale" / f"{self.domain}.pot"

    def extract(self) -> Catalog:
        """Every marked message of the package's code and templates."""
        with (self.package / "babel.cfg").open(encoding="utf-8") as cfg:
            method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
        catalog = Catalog(project="unstalk", domain=self.domain, charset="utf-8", fuzzy=False)
        found = extract_from_dir(
            self.package,
            method_map,
            options_map,
            keywords=KEYWORDS,
            comment_tags=("Translators:",),
        )
        for filename, lineno, message, comments, context in found:
            catalog.add(
                message, None, [(filename, lineno)], auto_comments=comments, context=context
            )
        return catalog

    def po_path(self, lang: str) -> Path:
        return self.package / "locale" / lang / "LC_MESSAGES" / f"{self.domain}.po"

    def read(self, lang: str) -> Catalog:
        with self.po_path(lang).open("rb") as stream:
            return read_po(stream, locale=lang, domain=self.domain)

    def update(self) -> None:
        """A new .pot from the code, merged into every language's .po."""
        template = self.extract()
        write_catalog(self.pot, template)
        for lang in self.languages[1:]:
            path = self.po_path(lang)
            if path.exists():
                catalog = self.read(lang)
                catalog.update(template, update_header_comment=False)
            else:
                catalog = Catalog(
                    locale=lang, domain=self.domain, project="unstalk", charset="utf-8"
                )
                catalog.update(template)
            write_catalog(path, catalog)

    def compile_all(self) -> None:
        for lang in self.languages[1:]:
            self.po_path(lang).with_suffix(".mo").write_bytes(compiled(self.read(lang)))

    def main(self, description: str | None) -> None:
        parser = argparse.ArgumentParser(description=description)
        parser.add_argument("action", choices=["update", "compile"])
        args = parser.parse_args()
        if args.action == "update":
            self.update()
        self.compile_all()
