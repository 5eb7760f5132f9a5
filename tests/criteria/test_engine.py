"""The verdict engine and the criteria data, driven by tests/cases/apk/*.yml.

Each case gives an app's manifest facts, dex strings, endpoints and a feed;
the test detects capabilities, looks the app up in the feed as the APK scan
does, evaluates, and compares with the case's expectations.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import cast

import pytest

from tests.criteria.apk_cases import ApkCase, case_paths, load_case
from unstalk.apk.capabilities import Capability, Confidence, EvidenceKind, detect_capabilities
from unstalk.apk.model import Manifest
from unstalk.criteria.definitions import (
    CriteriaError,
    available_versions,
    load_criteria,
    parse_criteria,
)
from unstalk.criteria.engine import evaluate
from unstalk.criteria.model import CriterionKind, CriterionStatus, Verdict, VerdictKind
from unstalk.errors import UsageError
from unstalk.feed.index import FeedIndex
from unstalk.feed.model import Family, FamilyType, Feed, Indicator, IndicatorKind, Status, family_id

BANNED_WORDS = ("clean", "safe", "harmless", "malware-free")


def _run(case: ApkCase) -> tuple[Verdict, dict[Capability, Confidence]]:
    found = detect_capabilities(case.manifest, case.dex_strings, case.dex)
    verdict = evaluate(capabilities=found, feed_matches=case.matches, manifest=case.manifest)
    return verdict, {f.capability: f.confidence for f in found}


def test_there_are_enough_cases_for_every_verdict() -> None:
    verdicts = [str(load_case(p).expect["verdict"]) for p in case_paths()]
    assert len(verdicts) >= 12
    assert {v.value for v in VerdictKind} <= set(verdicts)


@pytest.mark.parametrize("path", case_paths(), ids=lambda p: p.stem)
def test_case(path: Path) -> None:
    case = load_case(path)
    verdict, confidences = _run(case)
    expect = case.expect
    wanted = cast(Mapping[str, str], expect.get("capabilities") or {})
    assert {c: confidences.get(Capability(c)) for c in wanted} == {
        c: Confidence(level) for c, level in wanted.items()
    }, case.description
    for absent in cast(Sequence[str], expect.get("absent") or []):
        assert Capability(absent) not in confidences, absent
    assert verdict.verdict is VerdictKind(str(expect["verdict"])), verdict.summary
    assert verdict.dual_use is bool(expect.get("dual_use", False)), verdict.summary
    statuses = {c.id: c.status.value for c in verdict.criteria}
    assert statuses == expect["criteria"], [c.reason for c in verdict.criteria]
    families = [f.family.id for f in verdict.families]
    assert families == expect.get("families", families)
    decisive = [f.family.id for f in verdict.families if f.decisive]
    assert decisive == expect.get("decisive", decisive)
    for text in cast(Sequence[str], expect.get("summary_contains") or []):
        assert text in verdict.summary
    for text in cast(Sequence[str], expect.get("summary_lacks") or []):
        assert text not in verdict.summary
    for text in cast(Sequence[str], expect.get("notes_contain") or []):
        assert any(text in note for note in verdict.notes), verdict.notes


@pytest.mark.parametrize("path", case_paths(), ids=lambda p: p.stem)
def test_wording_never_reassures_and_met_criteria_carry_evidence(path: Path) -> None:
    verdict, _ = _run(load_case(path))
    text = " ".join([verdict.summary, *verdict.notes]).lower()
    assert not [word for word in BANNED_WORDS if re.search(rf"\b{word}\b", text)]
    assert all(c.evidence for c in verdict.criteria_met)
    assert verdict.criteria_version == "1.0"
    if verdict.verdict is not VerdictKind.STALKERWARE:
        assert "stalkerware:" not in verdict.summary.lower()


def test_stalkerware_evidence_names_the_indicator_and_its_source() -> None:
    case = load_case(next(p for p in case_paths() if p.stem == "stalkerware-renamed-certificate"))
    verdict, _ = _run(case)
    purpose = verdict.criteria[0]
    assert purpose.status is CriterionStatus.MET
    assert purpose.evidence[0].kind is EvidenceKind.INDICATOR
    assert "cert_sha1" in purpose.evidence[0].value
    assert purpose.evidence[0].source.startswith("ioc.yaml")


# Rules the cases cannot show one by one -----------------------------------------------------

SPY = Family(family_id(FamilyType.STALKERWARE, "Spy"), "Spy", FamilyType.STALKERWARE)
KIDS = Family(family_id(FamilyType.WATCHWARE, "Kids"), "Kids", FamilyType.WATCHWARE)
MANIFEST = Manifest("com.example.app", 1, "1", 21, 34, "App", (), ())


def _index(*indicators: Indicator) -> FeedIndex:
    return FeedIndex.build(Feed((SPY, KIDS), indicators))


def test_revoked_indicators_and_repeated_matches_do_not_count() -> None:
    revoked = Indicator(IndicatorKind.PACKAGE, "com.example.app", SPY.id, status=Status.REVOKED)
    index = _index(revoked)
    matches = index.revoked.package("com.example.app")
    assert matches
    verdict = evaluate(capabilities=(), feed_matches=matches, manifest=MANIFEST)
    assert verdict.verdict is VerdictKind.NO_EVIDENCE
    live = _index(Indicator(IndicatorKind.PACKAGE, "com.example.app", SPY.id))
    hits = live.package("com.example.app") * 3
    verdict = evaluate(capabilities=(), feed_matches=hits, manifest=MANIFEST)
    assert verdict.verdict is VerdictKind.STALKERWARE
    assert len(verdict.families[0].matches) == 1


def test_a_watchware_listing_never_yields_stalkerware_whatever_else_matches() -> None:
    index = _index(
        Indicator(IndicatorKind.PACKAGE, "com.example.app", KIDS.id),
        Indicator(IndicatorKind.DOMAIN, "c2.spy.example", SPY.id, role=None),
    )
    matches = [*index.package("com.example.app"), *index.domain("c2.spy.example")]
    verdict = evaluate(capabilities=(), feed_matches=matches, manifest=MANIFEST)
    assert verdict.verdict is VerdictKind.WATCHWARE
    assert [f.decisive for f in verdict.families] == [False, True]


# Criteria data --------------------------------------------------------------------------------


def test_bundled_criteria_are_complete_and_versioned() -> None:
    assert "1.0" in available_versions()
    criteria = load_criteria("1.0")
    assert criteria.version == "1.0"
    assert [c.kind for c in criteria.criteria] == list(CriterionKind)
    assert all(c.text and c.evidence and c.limits for c in criteria.criteria)
    covert = {r.capability for r in criteria.of_kind(CriterionKind.SURVEILLANCE).satisfied_by}
    assert {Capability.SMS_INTERCEPT, Capability.ACCESSIBILITY_KEYLOGGING} <= covert


def test_unknown_version_is_a_usage_error_naming_the_known_ones() -> None:
    with pytest.raises(UsageError) as info:
        evaluate(capabilities=(), feed_matches=(), manifest=MANIFEST, criteria_version="9.9")
    assert "1.0" in info.value.diagnostics()


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("criteria: [", "not valid YAML"),
        ("- just a list", "mapping"),
        ("format: 1\nversion: '2'\n", "layout"),
        ("x" * (1024 * 1024 + 1), "larger"),
    ],
)
def test_broken_criteria_documents_are_explained(text: str, complaint: str) -> None:
    with pytest.raises(CriteriaError) as info:
        parse_criteria(text, source="draft.yaml")
    assert complaint in info.value.diagnostics()
    assert "draft.yaml" in info.value.diagnostics()


def test_a_criteria_set_needs_one_criterion_of_each_kind() -> None:
    bundled = load_criteria().model_dump(mode="json")
    bundled["criteria"] = bundled["criteria"][:2]
    with pytest.raises(CriteriaError, match="each kind"):
        parse_criteria(json.dumps(bundled), source="draft.yaml")


def test_capability_requirements_name_real_capabilities() -> None:
    bundled = load_criteria().model_dump(mode="json")
    bundled["criteria"][1]["satisfied_by"].append({"capability": "mind_reading"})
    with pytest.raises(CriteriaError, match="capability"):
        parse_criteria(json.dumps(bundled), source="draft.yaml")
