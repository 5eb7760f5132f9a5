"""A plain summary of a feed: what ``unstalk feed info`` shows."""

from __future__ import annotations

from collections import Counter, defaultdict

from unstalk.feed.model import Feed, IndicatorKind, Role


def summarise(feed: Feed) -> dict[str, object]:
    """Count families per type, indicators per kind and role, and describe provenance.

    ``distinct`` counts each value once even when several families list it, so
    it can be compared with the distinct values of the source files.
    """
    families = Counter(f.type.value for f in feed.listed_families())
    implied = sum(1 for f in feed.families if f.implied)
    if implied:
        families["implied by samples or rules"] = implied
    counts: Counter[tuple[IndicatorKind, Role | None]] = Counter()
    distinct: defaultdict[tuple[IndicatorKind, Role | None], set[str]] = defaultdict(set)
    revoked = 0
    for indicator in feed.indicators:
        key = (indicator.kind, indicator.role)
        counts[key] += 1
        distinct[key].add(indicator.value)
        revoked += indicator.status.value == "revoked"
    rows = [
        {
            "kind": kind.value,
            "role": role.value if role else None,
            "count": counts[(kind, role)],
            "distinct": len(distinct[(kind, role)]),
        }
        for kind, role in sorted(counts, key=lambda k: (k[0].value, k[1].value if k[1] else ""))
    ]
    prov = feed.provenance
    provenance: dict[str, object] = {}
    if prov is not None:
        provenance = {
            "format": prov.format,
            "source": prov.source,
            "version": prov.version,
            "retrieved": prov.retrieved.isoformat() if prov.retrieved else None,
            "files": [{"name": f.name, "sha256": f.sha256, "size": f.size} for f in prov.files],
        }
    return {
        "families": dict(families),
        "indicators": rows,
        "indicators_total": len(feed.indicators),
        "revoked": revoked,
        "samples": len(feed.samples),
        "provenance": provenance,
        "notes": dict(Counter(n.code for n in feed.notes)),
    }
