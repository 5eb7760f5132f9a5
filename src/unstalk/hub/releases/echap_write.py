"""A feed written back as Echap's files, the layout ``unstalk feed update`` installs.

The hub's releases carry these beside the other export formats, so a client
updates from a hub exactly as it does from Echap's repository. Echap's layout is
narrower than the hub's model, and a client refuses files its linter finds
errors in, so:

- families of one type whose names differ only in case become one entry (Echap
  allows one app per name), and an alias another entry already uses is dropped;
- C2 and website URLs and CIDR ranges have no place in it (they are in the
  other formats), and values the linter refuses are left out too.

What was left out is returned, so the release can say so.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

import yaml

from unstalk.feed.formats.echap_files import SAMPLES_HEADER
from unstalk.feed.lint import lint_echap
from unstalk.feed.model import (
    NETWORK_KINDS,
    FamilyId,
    FamilyType,
    Feed,
    Indicator,
    IndicatorKind,
    NoteLevel,
    Role,
)
from unstalk.feed.update import TOLERATED_LINT_ERRORS

_LIST_KEY = {
    IndicatorKind.PACKAGE: "packages",
    IndicatorKind.IOS_BUNDLE: "ios_bundles",
    IndicatorKind.CERT_SHA1: "certificates",
    IndicatorKind.CERT_SHA256: "certificates",
    IndicatorKind.CERT_ORG: "certificate_organizations",
    IndicatorKind.CERT_CNAME_RE: "certificate_cname_re",
}
_ADDRESS_KINDS = frozenset({IndicatorKind.IPV4, IndicatorKind.IPV6})
_FILES = {FamilyType.STALKERWARE: "ioc.yaml", FamilyType.WATCHWARE: "watchware.yaml"}


@dataclass
class _App:
    """One Echap entry: the families of one type sharing a name, merged."""

    name: str
    type: FamilyType
    aliases: list[str] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)


def _slot(ind: Indicator) -> tuple[str, str | None] | None:
    """(key, c2 sub-key) where Echap lists ``ind``; None when Echap has no place for it."""
    if ind.kind in _LIST_KEY:
        return _LIST_KEY[ind.kind], None
    if ind.kind not in NETWORK_KINDS or ind.kind is IndicatorKind.CIDR:
        return None
    if ind.role is Role.DISTRIBUTION:
        return "distribution", None
    if ind.kind is IndicatorKind.URL:
        return None
    if ind.role is Role.WEBSITE:
        return ("websites", None) if ind.kind is IndicatorKind.DOMAIN else None
    return "c2", "ips" if ind.kind in _ADDRESS_KINDS else "domains"


def _entry(app: _App, refused: set[str]) -> dict[str, object]:
    entry: dict[str, object] = {"name": app.name, "type": app.type.value}
    if app.aliases:
        entry["names"] = [app.name, *app.aliases]
    lists: dict[str, list[str]] = {}
    c2: dict[str, list[str]] = {}
    for ind in app.indicators:
        slot = _slot(ind)
        if slot is None or ind.value in refused:
            continue
        key, sub = slot
        (c2.setdefault(sub, []) if sub else lists.setdefault(key, [])).append(ind.value)
    for key in sorted(lists):
        entry[key] = sorted(dict.fromkeys(lists[key]))
    if c2:
        entry["c2"] = {sub: sorted(dict.fromkeys(values)) for sub, values in sorted(c2.items())}
    return entry


def _apps(feed: Feed) -> list[_App]:
    by_family: dict[FamilyId, list[Indicator]] = {f.id: [] for f in feed.families}
    for ind in feed.active():
        by_family.setdefault(ind.family, []).append(ind)
    apps: dict[tuple[FamilyType, str], _App] = {}
    for family in sorted(feed.listed_families(), key=lambda f: (f.name.lower(), f.id)):
        app = apps.setdefault((family.type, family.name.lower()), _App(family.name, family.type))
        app.aliases.extend(family.aliases)
        app.indicators.extend(by_family[family.id])
    taken = {(kind, name) for kind, name in apps}
    for (kind, _), app in apps.items():
        aliases = dict.fromkeys(a for a in app.aliases if a.lower() != app.name.lower())
        app.aliases = [a for a in aliases if (kind, a.lower()) not in taken]
        taken.update((kind, a.lower()) for a in app.aliases)
    return list(apps.values())


def _yaml(entries: list[dict[str, object]]) -> bytes:
    text = yaml.safe_dump(entries, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return text.encode("utf-8") if entries else b"[]\n"


def _samples(feed: Feed, names: dict[FamilyId, str], refused: set[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SAMPLES_HEADER)
    rows = {
        (ind.value, names[ind.family])
        for ind in feed.active()
        if ind.kind is IndicatorKind.FILE_SHA256
        and ind.family in names
        and ind.value not in refused
    }
    writer.writerows((sha, "", "", "", app) for sha, app in sorted(rows))
    return out.getvalue().encode("utf-8")


def _rules(feed: Feed) -> bytes:
    rules = sorted({i.value.strip() for i in feed.active() if i.kind is IndicatorKind.YARA})
    return "".join(rule + "\n\n" for rule in rules).encode("utf-8")


def _write(feed: Feed, apps: Iterable[_App], refused: set[str]) -> dict[str, bytes]:
    entries: dict[FamilyType, list[dict[str, object]]] = {t: [] for t in _FILES}
    for app in apps:
        entries[app.type].append(_entry(app, refused))
    files = {name: _yaml(entries[kind]) for kind, name in _FILES.items()}
    names = {f.id: f.name for f in feed.families}
    files["samples.csv"] = _samples(feed, names, refused)
    files["rules.yar"] = _rules(feed)
    return files


def export_echap(feed: Feed) -> tuple[dict[str, bytes], list[str]]:
    """``ioc.yaml``, ``watchware.yaml``, ``samples.csv`` and ``rules.yar`` for ``feed``,
    and the values the linter refused, which the files leave out."""
    apps = _apps(feed)
    files = _write(feed, apps, set())
    blocking = [
        note
        for note in lint_echap(files)
        if note.level is NoteLevel.ERROR and note.code not in TOLERATED_LINT_ERRORS
    ]
    refused = {value for note in blocking for value in note.values}
    if not refused:
        return files, []
    return _write(feed, apps, refused), sorted(refused)
