"""Read the data-driven APK cases (tests/cases/apk/*.yml) into model objects.

The layout is described in tests/cases/README.md. Unknown keys fail the case,
so a typo cannot silently weaken a test.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import yaml

from unstalk.apk.model import (
    Component,
    ComponentKind,
    DexInfo,
    IntentFilter,
    Manifest,
    MetaData,
    PermissionRequest,
    Sha256,
    XmlConfig,
)
from unstalk.feed.formats.echap import load_echap_dir
from unstalk.feed.index import FeedIndex, Match
from unstalk.feed.model import (
    Family,
    FamilyType,
    Feed,
    Indicator,
    IndicatorKind,
    Role,
    family_id,
    normalise_value,
)
from unstalk.feed.store import bundled_dir

CASES = Path(__file__).resolve().parents[1] / "cases" / "apk"
Node = Mapping[str, object]
MAIN, LAUNCHER = "android.intent.action.MAIN", "android.intent.category.LAUNCHER"


@dataclass(frozen=True)
class ApkCase:
    name: str
    description: str
    manifest: Manifest
    dex_strings: dict[str, list[str]]
    dex: tuple[DexInfo, ...]
    matches: tuple[Match, ...]
    expect: Node = field(repr=False)


def _keys(node: object, allowed: set[str], where: str) -> Node:
    if not isinstance(node, Mapping):
        raise ValueError(f"{where}: expected a mapping")
    unknown = set(node) - allowed
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    return cast(Node, node)


def _strs(node: Node, key: str) -> list[str]:
    return [str(v) for v in cast(Sequence[object], node.get(key) or [])]


def _permission(name: str) -> str:
    return name if "." in name else f"android.permission.{name}"


_COMPONENT_KEYS = {
    "kind", "name", "launcher", "actions", "categories", "priority", "permission", "enabled",
    "exported", "meta_data", "foreground_service_type",
}  # fmt: skip


def _component(node: object, package: str) -> Component:
    c = _keys(node, _COMPONENT_KEYS, "component")
    name = str(c["name"])
    actions, categories = _strs(c, "actions"), _strs(c, "categories")
    if c.get("launcher"):
        actions, categories = [MAIN, *actions], [LAUNCHER, *categories]
    priority = c.get("priority")
    filters = (
        (IntentFilter(tuple(actions), tuple(categories), priority=cast(int | None, priority)),)
        if actions
        else ()
    )
    metas = cast(Sequence[Node], c.get("meta_data") or [])
    return Component(
        kind=ComponentKind(str(c["kind"])),
        name=package + name if name.startswith(".") else name,
        exported=bool(c.get("exported", bool(filters))),
        enabled=bool(c.get("enabled", True)),
        permission=_permission(str(c["permission"])) if c.get("permission") else None,
        intent_filters=filters,
        meta_data=tuple(MetaData(str(m["name"]), resource=str(m["resource"])) for m in metas),
        foreground_service_type=cast(str | None, c.get("foreground_service_type")),
    )


_MANIFEST_KEYS = {"package", "label", "target_sdk", "permissions", "components", "configs"}


def manifest_from(node: object) -> Manifest:
    """A manifest from the case layout (see tests/cases/README.md)."""
    m = _keys(node, _MANIFEST_KEYS, "manifest")
    package = str(m["package"])
    configs = [
        _keys(c, {"path", "attributes", "children"}, "config")
        for c in cast(Sequence[object], m.get("configs") or [])
    ]
    return Manifest(
        package=package,
        version_code=1,
        version_name="1.0",
        min_sdk=21,
        target_sdk=cast(int, m.get("target_sdk", 34)),
        label=cast(str | None, m.get("label")),
        permissions=tuple(PermissionRequest(_permission(p)) for p in _strs(m, "permissions")),
        components=tuple(
            _component(c, package) for c in cast(Sequence[object], m.get("components") or [])
        ),
        configs=tuple(
            XmlConfig(
                path=str(c["path"]),
                attributes=tuple(
                    (str(k), str(v)) for k, v in cast(Node, c.get("attributes") or {}).items()
                ),
                children=tuple(_strs(c, "children")),
            )
            for c in configs
        ),
    )


def _dex(node: object) -> tuple[DexInfo, ...]:
    files = cast(Mapping[str, object], node or {})
    found = []
    for name, raw in files.items():
        d = _keys(raw, {"urls", "domains", "ips"}, f"endpoints.{name}")
        found.append(
            DexInfo(
                name=name,
                sha256=Sha256("0" * 64),
                string_count=0,
                urls=tuple(_strs(d, "urls")),
                domains=tuple(_strs(d, "domains")),
                ips=tuple(_strs(d, "ips")),
            )
        )
    return tuple(found)


@functools.cache
def bundled_index() -> FeedIndex:
    return FeedIndex.build(load_echap_dir(bundled_dir(), source="bundled"))


def _feed_index(node: object) -> FeedIndex:
    if node == "bundled":
        return bundled_index()
    f = _keys(node, {"families", "indicators"}, "feed")
    families = {
        str(x["name"]): Family(
            family_id(FamilyType(str(x["type"])), str(x["name"])),
            str(x["name"]),
            FamilyType(str(x["type"])),
        )
        for x in cast(Sequence[Node], f.get("families") or [])
    }
    indicators = []
    for raw in cast(Sequence[object], f.get("indicators") or []):
        i = _keys(raw, {"kind", "value", "family", "role", "name"}, "indicator")
        kind = IndicatorKind(str(i["kind"]))
        indicators.append(
            Indicator(
                kind,
                normalise_value(kind, str(i["value"])),
                families[str(i["family"])].id,
                Role(str(i["role"])) if i.get("role") else None,
                source="case feed",
                name=cast(str | None, i.get("name")),
            )
        )
    return FeedIndex.build(Feed(tuple(families.values()), tuple(indicators)))


_LOOKUP_KEYS = {"certificates", "file_sha256", "yara_rules", "cert_organization", "cert_cn"}


def _matches(
    index: FeedIndex, manifest: Manifest, dex: Sequence[DexInfo], node: object
) -> list[Match]:
    """Every lookup the APK scan makes: identity first, then the code's endpoints."""
    look = _keys(node or {}, _LOOKUP_KEYS, "lookups")
    found = list(index.package(manifest.package))
    for cert in _strs(look, "certificates"):
        found += index.cert(cert)
    for sha256 in _strs(look, "file_sha256"):
        found += index.file_hash(sha256)
    for rule in _strs(look, "yara_rules"):
        found += index.yara_rule(rule)
    org, cn = look.get("cert_organization"), look.get("cert_cn")
    found += index.cert_subject(cast(str | None, org), cast(str | None, cn))
    for info in dex:
        found += [m for u in info.urls for m in index.url(u)]
        found += [m for d in info.domains for m in index.domain(d)]
        found += [m for ip in info.ips for m in index.ip(ip)]
    return found


_CASE_KEYS = {"description", "manifest", "dex_strings", "endpoints", "feed", "lookups", "expect"}


def load_case(path: Path) -> ApkCase:
    raw = _keys(yaml.safe_load(path.read_text(encoding="utf-8")), _CASE_KEYS, path.name)
    manifest = manifest_from(raw["manifest"])
    strings = cast(Mapping[str, Sequence[str]], raw.get("dex_strings") or {})
    dex = _dex(raw.get("endpoints"))
    index = _feed_index(raw.get("feed") or {})
    return ApkCase(
        name=path.stem,
        description=str(raw["description"]),
        manifest=manifest,
        dex_strings={name: [str(s) for s in values] for name, values in strings.items()},
        dex=dex,
        matches=tuple(_matches(index, manifest, dex, raw.get("lookups"))),
        expect=_keys(raw["expect"], EXPECT_KEYS, f"{path.name} expect"),
    )


EXPECT_KEYS = {
    "capabilities", "absent", "verdict", "dual_use", "criteria", "families", "decisive",
    "summary_contains", "summary_lacks", "notes_contain",
}  # fmt: skip


def case_paths() -> list[Path]:
    return sorted(CASES.glob("*.yml"))
