"""The criteria definitions (read from versioned YAML) and the verdicts the engine returns.

Definitions are boundary data, validated with pydantic (frozen, no unknown
keys) so a typo in a criteria file fails loudly. Verdicts are internal values:
frozen dataclasses, like the app profile they are computed from.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, model_validator

from unstalk.apk.capabilities import Capability, Confidence, Evidence
from unstalk.feed.index import Match
from unstalk.feed.model import Family, FamilyType


class CriterionKind(StrEnum):
    """How the engine assesses a criterion: what kind of evidence can satisfy it."""

    PURPOSE = "purpose"
    """Marketed or designed for covert monitoring: only a feed listing can tell."""
    SURVEILLANCE = "surveillance"
    """Able to monitor or control the phone without the user's ongoing knowledge."""
    CONCEALMENT = "concealment"
    """Hides its presence."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CapabilityRequirement(_Strict):
    """A capability that counts towards a criterion, and under which conditions."""

    capability: Capability
    min_confidence: Confidence = Confidence.MEDIUM
    with_any: tuple[Capability, ...] = ()
    """Counts only when the app also has one of these (e.g. a way to send data away)."""
    only_if_concealed: bool = False
    """Counts only when the app also hides itself: an ordinary feature in a visible app."""


class Criterion(_Strict):
    id: str
    kind: CriterionKind
    title: str
    text: str
    """The criterion in plain language."""
    evidence: str
    """What evidence satisfies it."""
    limits: str
    """What static analysis cannot establish about it."""
    satisfied_by: tuple[CapabilityRequirement, ...] = ()
    supported_by: tuple[CapabilityRequirement, ...] = ()
    """Evidence that points towards the criterion without meeting it alone."""


class CriteriaSet(_Strict):
    """One version of the criteria, as published in ``criteria-<version>.yaml``."""

    format: int
    version: str
    title: str
    source: str
    """Where the coalition publishes the definition and criteria paraphrased here."""
    definition: str
    consent: str
    criteria: tuple[Criterion, ...]
    watchware: str
    dual_use: str

    @model_validator(mode="after")
    def _one_of_each_kind(self) -> CriteriaSet:
        kinds = [c.kind for c in self.criteria]
        missing = [k.value for k in CriterionKind if kinds.count(k) != 1]
        if missing:
            raise ValueError(f"needs exactly one criterion of each kind; check {missing}")
        ids = [c.id for c in self.criteria]
        if len(set(ids)) != len(ids):
            raise ValueError("criterion ids must be unique")
        return self

    def of_kind(self, kind: CriterionKind) -> Criterion:
        return next(c for c in self.criteria if c.kind == kind)


class VerdictKind(StrEnum):
    STALKERWARE = "stalkerware"
    """An indicator feed lists the app as stalkerware."""
    WATCHWARE = "watchware"
    """An indicator feed lists the app as overt monitoring; never reported as stalkerware."""
    SUSPICIOUS = "suspicious"
    """No listing, but capabilities and behaviour that need a closer look (see ``dual_use``)."""
    NO_EVIDENCE = "no_evidence"
    """No evidence found by these checks: never a statement that the app is harmless."""


class CriterionStatus(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    UNDETERMINED = "undetermined"
    """The evidence points both ways, or static analysis cannot tell."""


@dataclass(frozen=True, slots=True)
class CriterionResult:
    id: str
    title: str
    status: CriterionStatus
    reason: str
    """Why, in plain language."""
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class FamilyMatch:
    """A feed family the app matched, with the indicator hits."""

    family: Family
    matches: tuple[Match, ...]
    decisive: bool
    """True when the hits identify the app itself (package, certificate, file hash, YARA rule)
    and decide the verdict; network addresses in the code alone never do."""

    @property
    def type(self) -> FamilyType:
        return self.family.type


@dataclass(frozen=True, slots=True)
class Verdict:
    verdict: VerdictKind
    summary: str
    """The conclusion in plain language, with its reason."""
    criteria: tuple[CriterionResult, ...]
    """Every criterion of the version used, in its order, met or not."""
    families: tuple[FamilyMatch, ...]
    criteria_version: str
    dual_use: bool = False
    """For ``suspicious``: the app shows itself; review whether the person knows and agreed."""
    notes: tuple[str, ...] = ()
    """Further plain-language remarks: conflicts between listings, limits of the checks."""

    @property
    def criteria_met(self) -> tuple[CriterionResult, ...]:
        return tuple(c for c in self.criteria if c.status is CriterionStatus.MET)
