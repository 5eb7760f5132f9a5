"""Extract, update and compile the app's catalogs (domain ``unstalk-web``) with Babel.

    python -m tests.web.catalogs update    # new .pot from the code, merged into every .po
    python -m tests.web.catalogs compile   # every .po to its .mo (committed with it)

The tests use :func:`extract` and :func:`compiled` to check that the committed
``unstalk-web.pot`` and ``.mo`` files match the code and the ``.po`` files.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from unstalk.web.i18n import DOMAIN, LANGUAGES

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "unstalk" / "web"
LOCALE = PACKAGE / "locale"
POT = LOCALE / f"{DOMAIN}.pot"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def extract() -> Catalog:
    """Every marked message of the app's code and templates."""
    with (PACKAGE / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    catalog = Catalog(project="unstalk", domain=DOMAIN, charset="utf-8", fuzzy=False)
    found = extract_from_dir(
        PACKAGE, method_map, options_map, keywords=KEYWORDS, comment_tags=("Translators:",)
    )
    for filename, lineno, message, comments, context in found:
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(lang: str) -> Catalog:
    with po_path(lang).open("rb") as stream:
        return read_po(stream, locale=lang, domain=DOMAIN)


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


def update() -> None:
    template = extract()
    write_catalog(POT, template)
    for lang in LANGUAGES[1:]:
        path = po_path(lang)
        if path.exists():
            catalog = read_catalog(lang)
            catalog.update(template, update_header_comment=False)
        else:
            catalog = Catalog(locale=lang, domain=DOMAIN, project="unstalk", charset="utf-8")
            catalog.update(template)
        write_catalog(path, catalog)


def compile_all() -> None:
    for lang in LANGUAGES[1:]:
        po_path(lang).with_suffix(".mo").write_bytes(compiled(read_catalog(lang)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("action", choices=["update", "compile"])
    args = parser.parse_args()
    if args.action == "update":
        update()
    compile_all()


if __name__ == "__main__":
    main()
