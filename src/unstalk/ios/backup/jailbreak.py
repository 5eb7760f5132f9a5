"""Jailbreak traces in a backup: app data domains, file paths and installed apps."""

from __future__ import annotations

from collections.abc import Iterable

from unstalk.ios.backup.manifest import FileRow
from unstalk.ios.data.jailbreak import JAILBREAK_SIGNS, JailbreakSign
from unstalk.ios.model import JailbreakTrace

_APP_DOMAIN = "appdomain-"


class TraceCollector:
    """Collects one trace per tool and kind of evidence while Manifest.db streams by."""

    def __init__(self, signs: tuple[JailbreakSign, ...] = JAILBREAK_SIGNS) -> None:
        self._signs = signs
        self._by_bundle = {bundle: sign for sign in signs for bundle in sign.bundle_ids}
        self._seen: dict[tuple[str, str], JailbreakTrace] = {}

    def visit(self, row: FileRow) -> None:
        domain = row.domain.lower()
        if domain.startswith(_APP_DOMAIN):
            sign = self._by_bundle.get(domain.removeprefix(_APP_DOMAIN))
            if sign is not None:
                self._add(sign, f"{sign.tool} app data", row.domain)
        path = row.relative_path.lower()
        if not path:
            return
        for sign in self._signs:
            for fragment in sign.paths:
                if fragment in path:
                    self._add(sign, f"file or folder matching {fragment!r}", row.where)

    def visit_apps(self, bundle_ids: Iterable[str], source: str) -> None:
        for bundle_id in bundle_ids:
            sign = self._by_bundle.get(bundle_id.lower())
            if sign is not None:
                self._add(sign, f"{sign.tool} app ({bundle_id}) installed", source)

    def _add(self, sign: JailbreakSign, what: str, source: str) -> None:
        self._seen.setdefault((sign.tool, what), JailbreakTrace(what, source, sign.tool))

    def traces(self) -> tuple[JailbreakTrace, ...]:
        return tuple(self._seen.values())
