"""The verdict engine: capabilities and feed matches, judged against the coalition's criteria.

The order of the rules, strongest evidence first:

1. The feed lists the app itself (package, signing certificate, certificate
   subject, file hash, YARA rule) under a stalkerware family: **stalkerware**.
2. Under a watchware family: **watchware**, never stalkerware, whatever the
   app can do (a note says when it can do more than overt monitoring needs).
   A value listed under both a stalkerware and a watchware family is disputed
   and does not decide; only undisputed stalkerware hits make rule 1 apply.
3. No listing: static analysis cannot show how an app is marketed (criterion
   CAS-1), so the engine never says stalkerware. An app that hides itself
   (CAS-3) and can monitor (CAS-2) is **suspicious**; an app that can monitor
   but shows itself is **suspicious** and flagged ``dual_use``; addresses of a
   stalkerware family's servers in the code make it **suspicious** too. A visible app
   whose capabilities miss CAS-2 only by what the file cannot show (server addresses
   built while it runs; monitoring features behind uninstall protection, the shape of
   parental-control apps) leaves CAS-2 undetermined and is dual-use **suspicious**.
4. Otherwise: **no evidence** found by these checks, which is never "clean".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from unstalk.apk.capabilities import (
    Capability,
    CapabilityFinding,
    Evidence,
    EvidenceKind,
    by_capability,
)
from unstalk.apk.capabilities_facts import MANIFEST, component_evidence, foreground_types
from unstalk.apk.model import ComponentKind, Manifest
from unstalk.criteria.definitions import DEFAULT_VERSION, load_criteria
from unstalk.criteria.listing import Listing, family_names, indicator_evidence, kinds, listing_of
from unstalk.criteria.model import (
    CapabilityRequirement,
    Criterion,
    CriterionKind,
    CriterionResult,
    CriterionStatus,
    Verdict,
    VerdictKind,
)
from unstalk.feed.index import Match

MET, NOT_MET, UNDETERMINED = CriterionStatus
INTERNET = "android.permission.INTERNET"
NO_MONITORING = "No capability to monitor or control the phone was found at the level needed."
LIMITS = (
    "These checks read the app without running it: they cannot see code it downloads later, "
    "how it is set up on a given phone, or what it has already collected."
)


def evaluate(
    *,
    capabilities: Iterable[CapabilityFinding],
    feed_matches: Sequence[Match],
    manifest: Manifest,
    criteria_version: str = DEFAULT_VERSION,
) -> Verdict:
    """Judge one app against one version of the criteria.

    ``feed_matches`` are every hit of the app's identity (package, certificates,
    certificate subject, file hash, YARA rules) and of the endpoints in its
    code, as :class:`~unstalk.feed.index.FeedIndex` returned them.
    """
    criteria = load_criteria(criteria_version)
    found = by_capability(capabilities)
    listing = listing_of(feed_matches)
    concealment = _concealment(criteria.of_kind(CriterionKind.CONCEALMENT), found)
    notice = _notice(manifest)
    surveillance = _surveillance(
        criteria.of_kind(CriterionKind.SURVEILLANCE),
        found,
        concealment,
        notice=notice,
        online=INTERNET in manifest.permission_names,
    )
    purpose = _purpose(criteria.of_kind(CriterionKind.PURPOSE), listing)
    by_kind = {
        CriterionKind.PURPOSE: purpose,
        CriterionKind.SURVEILLANCE: surveillance,
        CriterionKind.CONCEALMENT: concealment,
    }
    verdict, summary, dual_use = _decide(listing, surveillance, concealment, bool(notice))
    return Verdict(
        verdict=verdict,
        summary=summary,
        criteria=tuple(by_kind[c.kind] for c in criteria.criteria),
        families=listing.families,
        criteria_version=criteria.version,
        dual_use=dual_use,
        notes=(*_notes(listing, verdict, surveillance, concealment), LIMITS),
    )


# Criteria -----------------------------------------------------------------------------------


def _result(
    criterion: Criterion, status: CriterionStatus, reason: str, evidence: Iterable[Evidence] = ()
) -> CriterionResult:
    unique = tuple(dict.fromkeys(evidence))
    return CriterionResult(criterion.id, criterion.title, status, reason, unique)


def _purpose(criterion: Criterion, listing: Listing) -> CriterionResult:
    if listing.stalkerware:
        names = family_names(listing.stalkerware)
        reason = f"The indicator feed lists this app as stalkerware ({names})."
        return _result(criterion, MET, reason, indicator_evidence(listing.stalkerware))
    if listing.watchware:
        names = family_names(listing.watchware)
        reason = f"The indicator feed lists this app as overt monitoring, watchware ({names})."
        return _result(criterion, NOT_MET, reason, indicator_evidence(listing.watchware))
    if listing.servers:
        names = family_names(listing.servers)
        reason = (
            f"The code names servers the indicator feed lists for {names}, but the app itself "
            "is not listed: how it is marketed cannot be told from the file."
        )
        return _result(criterion, UNDETERMINED, reason, indicator_evidence(listing.servers))
    reason = (
        "No indicator feed lists this app, and how an app is marketed cannot be read from the file."
    )
    return _result(criterion, UNDETERMINED, reason)


def _meets(
    requirement: CapabilityRequirement,
    found: Mapping[Capability, CapabilityFinding],
    concealed: bool,
) -> CapabilityFinding | None:
    finding = found.get(requirement.capability)
    if finding is None or finding.confidence.rank < requirement.min_confidence.rank:
        return None
    if requirement.only_if_concealed and not concealed:
        return None
    if requirement.with_any and not any(c in found for c in requirement.with_any):
        return None
    return finding


def _hits(
    requirements: Iterable[CapabilityRequirement],
    found: Mapping[Capability, CapabilityFinding],
    concealed: bool = False,
) -> list[CapabilityFinding]:
    hits = (_meets(r, found, concealed) for r in requirements)
    return list({h.capability: h for h in hits if h is not None}.values())


def _with_support(
    hits: list[CapabilityFinding],
    requirements: Iterable[CapabilityRequirement],
    found: Mapping[Capability, CapabilityFinding],
) -> list[Evidence]:
    """The hits' evidence, then that of the capabilities a requirement needed alongside."""
    hit = {h.capability for h in hits}
    needed = {c for r in requirements if r.capability in hit for c in r.with_any}
    extra = [found[c] for c in Capability if c in needed and c in found]
    return [e for f in [*hits, *extra] for e in f.evidence]


def _surveillance(
    criterion: Criterion,
    found: Mapping[Capability, CapabilityFinding],
    concealment: CriterionResult,
    *,
    notice: list[Evidence],
    online: bool,
) -> CriterionResult:
    concealed = concealment.status is MET
    hits = _hits(criterion.satisfied_by, found, concealed)
    if not hits:
        return _unsettled_surveillance(criterion, found, concealment, online)
    evidence = _with_support(hits, criterion.satisfied_by, found)
    able = f"It can monitor through: {_labels(hits)}"
    if concealed:
        return _result(criterion, MET, f"{able}.", evidence)
    if not notice:
        reason = f"{able}, and declares no foreground service, so no notification need show."
        return _result(criterion, MET, reason, evidence)
    reason = (
        f"{able}. It declares a foreground service, so Android shows a notification while it "
        "runs; whether that keeps the person informed cannot be told from the file."
    )
    return _result(criterion, UNDETERMINED, reason, [*evidence, *notice])


def _unsettled_surveillance(
    criterion: Criterion,
    found: Mapping[Capability, CapabilityFinding],
    concealment: CriterionResult,
    online: bool,
) -> CriterionResult:
    """CAS-2 when what keeps it from being met is what a file cannot show.

    Apps often build their servers' addresses while they run, so a tracker that can reach
    the internet but names no server may still send data away; monitoring features behind
    uninstall protection are how parental-control apps look. Both deserve a review.
    """
    resists = concealment.status is UNDETERMINED
    via_internet = {r.capability for r in criterion.satisfied_by if r.with_any and online}
    via_admin = {r.capability for r in criterion.satisfied_by if r.only_if_concealed and resists}
    relaxed = (
        r.model_copy(update={"with_any": (), "only_if_concealed": False})
        for r in criterion.satisfied_by
        if r.capability in via_internet | via_admin
    )
    hits = _hits(relaxed, found)
    if not hits:
        return _result(criterion, NOT_MET, NO_MONITORING)
    able = {h.capability for h in hits}
    evidence = [e for f in hits for e in f.evidence]
    because: list[str] = []
    if able & via_internet:
        because.append("it can reach the internet, though its code names no server")
        evidence.append(Evidence(EvidenceKind.PERMISSION, INTERNET, MANIFEST))
    if able & via_admin:
        because.append("it resists removal, as parental-control and device-management apps do")
        evidence.extend(concealment.evidence)
    reason = (
        f"It has what monitoring needs ({_labels(hits)}) and {' and '.join(because)}; "
        "whether it is used to watch someone cannot be told from the file."
    )
    return _result(criterion, UNDETERMINED, reason, evidence)


def _concealment(
    criterion: Criterion, found: Mapping[Capability, CapabilityFinding]
) -> CriterionResult:
    hits = _hits(criterion.satisfied_by, found)
    if hits:
        reason = f"It hides itself: {_labels(hits)}."
        return _result(criterion, MET, reason, (e for f in hits for e in f.evidence))
    support = _hits(criterion.supported_by, found)
    if support:
        reason = (
            f"It shows some signs of concealment ({_labels(support)}) that legitimate "
            "device-management and anti-theft apps share; it does not hide its icon or name."
        )
        return _result(criterion, UNDETERMINED, reason, (e for f in support for e in f.evidence))
    return _result(criterion, NOT_MET, "No sign that it hides its icon, its name or itself.")


def _notice(manifest: Manifest) -> list[Evidence]:
    """Signs that the app keeps a notification on screen while it works."""
    services = [
        component_evidence(c, f"foreground service: {c.foreground_service_type}")
        for c in manifest.components
        if c.kind is ComponentKind.SERVICE and foreground_types(c)
    ]
    permission = "android.permission.FOREGROUND_SERVICE"
    if permission in manifest.permission_names:
        services.append(Evidence(EvidenceKind.PERMISSION, permission, MANIFEST))
    return services


# Verdict ------------------------------------------------------------------------------------


def _decide(
    listing: Listing,
    surveillance: CriterionResult,
    concealment: CriterionResult,
    notice: bool,
) -> tuple[VerdictKind, str, bool]:
    if listing.stalkerware:
        return VerdictKind.STALKERWARE, _stalkerware_summary(listing), False
    if listing.watchware:
        summary = (
            f"Known monitoring app that is meant to be visible (watchware): "
            f"{family_names(listing.watchware)}. It is reported so the person can decide about it, "
            "not as stalkerware."
        )
        return VerdictKind.WATCHWARE, summary, False
    can_monitor = surveillance.status is not NOT_MET
    if listing.servers:
        summary = (
            f"Needs a closer look: the code contains addresses the indicator feed lists for "
            f"{family_names(listing.servers)}, though the app itself is not listed. It may be a "
            "renamed build of that app."
        )
        if can_monitor:
            summary = f"{summary} {surveillance.reason}"
        return VerdictKind.SUSPICIOUS, summary, False
    if can_monitor and concealment.status is MET:
        summary = (
            f"Can monitor in secret. {surveillance.reason} {concealment.reason} No indicator "
            "feed lists it, and static analysis cannot show how an app is marketed, so it is "
            "not called stalkerware."
        )
        return VerdictKind.SUSPICIOUS, summary, False
    if can_monitor:
        shows = "an icon and a foreground-service notification" if notice else "an icon"
        summary = (
            f"Can monitor, and shows itself ({shows}): a dual-use app. {surveillance.reason} "
            "Review whether the person using the phone knows about it and agreed to it."
        )
        return VerdictKind.SUSPICIOUS, summary, True
    summary = "No evidence of stalkerware found by these checks."
    return VerdictKind.NO_EVIDENCE, summary, False


def _stalkerware_summary(listing: Listing) -> str:
    listed = family_names(listing.stalkerware)
    return (
        f"Known stalkerware: the indicator feed lists this app as {listed} "
        f"(matched on its {kinds(listing.stalkerware)})."
    )


def _notes(
    listing: Listing,
    verdict: VerdictKind,
    surveillance: CriterionResult,
    concealment: CriterionResult,
) -> list[str]:
    notes = []
    if listing.disputed:
        notes.append(
            f"The indicator feed lists the same {kinds(listing.disputed)} under both a "
            f"stalkerware and a watchware family ({family_names(listing.disputed)}); the listings "
            "disagree, so that match alone decides nothing."
        )
    if verdict is VerdictKind.STALKERWARE and listing.watchware:
        notes.append(f"The feed also lists it as watchware: {family_names(listing.watchware)}.")
    if verdict is VerdictKind.WATCHWARE and MET in (surveillance.status, concealment.status):
        notes.append(
            "This build can do more than overt monitoring needs: "
            + ("it hides itself. " if concealment.status is MET else "")
            + (
                "It can monitor without a notification that stays on screen. "
                if surveillance.status is MET
                else ""
            )  # fmt: skip
            + "Check how it was installed and whether the person knows about it."
        )
    if listing.other_servers:
        notes.append(
            "The code also names web sites or servers of listed families: "
            f"{family_names(listing.other_servers)}. That alone says little."
        )
    if verdict is VerdictKind.NO_EVIDENCE and concealment.status is MET:
        notes.append(f"{concealment.reason} No monitoring capability was found with it.")
    return notes


def _labels(findings: Iterable[CapabilityFinding]) -> str:
    return ", ".join(f.capability.label for f in findings)
