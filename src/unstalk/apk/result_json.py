"""The JSON shape of an APK analysis (``unstalk scan apk --format json|jsonl``).

One object per file. ``schema`` names the version of this shape; fields are
only ever added within a version. A file that could not be analysed gives an
object with ``status: "error"`` and the plain-language reason, never a missing
entry: "could not check" must not read as "nothing found". ``problems`` gathers
every part of an analysed file that could not be read or does not verify (ZIP,
manifest, code and signatures alike; the signing ones also sit under
``profile.signing.problems``). docs/apk.md describes every field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields, is_dataclass
from datetime import datetime
from enum import Enum
from typing import cast

from unstalk.apk.analyse import ApkAnalysis
from unstalk.criteria.model import Verdict
from unstalk.feed.index import Match
from unstalk.models import JsonValue as JsonValue

SCHEMA = "unstalk.apk-analysis/1"


_SCALARS = frozenset((str, int, float, bool, type(None)))


def plain(value: object) -> JsonValue:
    """Turn dataclasses, enums, tuples and datetimes into JSON-ready values."""
    # A result holds thousands of values, nearly all plain strings, tuples and dataclasses:
    # their exact types are looked up first.
    cls = type(value)
    if cls in _SCALARS:
        return cast(JsonValue, value)
    if cls is tuple or cls is list:
        return [plain(v) for v in cast(Sequence[object], value)]
    names = _field_names(cls)
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    return _other(value)


def _other(value: object) -> JsonValue:
    if value is None or isinstance(value, str | int | float | bool):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    names = _field_names(type(value))
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted((plain(v) for v in value), key=str)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if hasattr(value, "model_dump"):
        dumped: JsonValue = value.model_dump(mode="json")
        return dumped
    raise TypeError(f"cannot serialise {type(value).__name__}")


_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(cls: type) -> tuple[str, ...] | None:
    """A dataclass's field names, looked up once per class (a result holds thousands)."""
    if cls not in _FIELD_NAMES:
        _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls)) if is_dataclass(cls) else None
    return _FIELD_NAMES[cls]


def match_dict(match: Match) -> dict[str, JsonValue]:
    indicator = match.indicator
    return {
        "family": match.family.name,
        "family_id": match.family.id,
        "family_type": match.family.type.value,
        "kind": indicator.kind.value,
        "role": indicator.role.value if indicator.role else None,
        "indicator": indicator.value if indicator.kind.value != "yara" else indicator.name,
        "observed": match.observed,
        "severity": match.severity.value,
        "source": indicator.source,
    }


def verdict_dict(verdict: Verdict) -> dict[str, JsonValue]:
    return {
        "verdict": verdict.verdict.value,
        "summary": verdict.summary,
        "criteria_version": verdict.criteria_version,
        "criteria": plain(verdict.criteria),
        "families": [
            {
                "name": fm.family.name,
                "id": fm.family.id,
                "type": fm.family.type.value,
                "decisive": fm.decisive,
                "matches": [match_dict(m) for m in fm.matches],
            }
            for fm in verdict.families
        ],
        "dual_use": verdict.dual_use,
        "notes": list(verdict.notes),
    }


def analysis_dict(analysis: ApkAnalysis) -> dict[str, JsonValue]:
    profile = analysis.profile
    manifest = profile.manifest
    return {
        "schema": SCHEMA,
        "path": profile.path,
        "status": "analysed",
        "verdict": verdict_dict(analysis.verdict),
        "package": manifest.package,
        "label": manifest.label,
        "version_name": manifest.version_name,
        "version_code": manifest.version_code,
        "hashes": plain(profile.hashes),
        "matches": [match_dict(m) for m in analysis.matches],
        "capabilities": plain(analysis.capabilities),
        "not_checked": list(analysis.not_checked),
        "problems": [*profile.problems, *profile.signing.problems],
        "profile": {
            "manifest": plain(manifest),
            "has_launcher_activity": manifest.has_launcher_activity,
            "signing": plain(profile.signing),
            "dex": plain(profile.dex),
        },
    }


def error_dict(path: str, message: str) -> dict[str, JsonValue]:
    return {"schema": SCHEMA, "path": path, "status": "error", "error": message}
