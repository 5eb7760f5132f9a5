"""Checks of one iPhone app: each a small generator over :class:`~unstalk.ios.detect.AppFacts`.

Adding a check is one function and one line in :data:`CHECKS`. A feed match on
stalkerware is ``CRITICAL``; on watchware (overt monitoring) it is ``LOW`` and
never called stalkerware. An app signed with a developer or enterprise
certificate is ``HIGH``: that is how most iPhone spy apps that need no jailbreak
get onto a phone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from unstalk.feed.index import Match
from unstalk.feed.model import FamilyType
from unstalk.ios.detect import JAILBREAK_APPS, TROLLSTORE_APPS, AppFacts, Evidence, IosFinding
from unstalk.ios.model import AppOrigin
from unstalk.models import Severity

AppCheck = Callable[[AppFacts], Iterator[IosFinding]]

SAFETY = (
    "Before removing it, talk with an advocate about safety: removing it can alert the "
    "person who installed it, and the app and this report are evidence."
)


def _finding(
    facts: AppFacts,
    check: str,
    severity: Severity,
    title: str,
    explanation: str,
    evidence: Iterable[Evidence],
) -> IosFinding:
    return IosFinding(
        id=f"ios.app.{check}",
        severity=severity,
        title=f"{title}: {facts.label}",
        explanation=explanation,
        evidence=tuple(evidence),
        app=facts.bundle_id,
    )


def _listed(facts: AppFacts, value: str) -> Evidence:
    return Evidence(facts.listed_in, "apps", value)


def check_feed_match(facts: AppFacts) -> Iterator[IosFinding]:
    """The feed lists the app's bundle identifier."""
    by_family: dict[str, list[Match]] = {}
    for match in facts.matches:
        by_family.setdefault(match.family.id, []).append(match)
    for matches in by_family.values():
        family = matches[0].family
        evidence = [
            Evidence(
                m.indicator.source or "indicator feed",
                "feed",
                f"{m.kind.value} {m.indicator.value} ({family.name}, {family.type.value})",
            )
            for m in matches
        ]
        evidence.append(_listed(facts, f"installed: {facts.bundle_id}"))
        if family.type is FamilyType.WATCHWARE:
            yield _finding(
                facts,
                "feed-match",
                Severity.LOW,
                f"Known monitoring app (watchware, {family.name})",
                f"The indicator feed lists this app as {family.name}, overt monitoring (parental "
                "control, family location or employee monitoring). Such apps are meant to be "
                "visible and agreed to: check that the person using the phone knows about it and "
                "agreed to it.",
                evidence,
            )
            continue
        yield _finding(
            facts,
            "feed-match",
            min((m.severity for m in matches), key=lambda s: s.rank),
            f"Known stalkerware ({family.name})",
            f"The indicator feed lists this app as {family.name}, stalkerware: it lets someone "
            f"else secretly watch this phone. {SAFETY}",
            evidence,
        )


_OUTSIDE_STORE = {
    AppOrigin.ENTERPRISE: (
        "an enterprise or ad hoc distribution certificate",
        "Companies use such certificates for their own staff apps; many iPhone spy apps use "
        "them too, because they install without the App Store and without a jailbreak. The "
        "phone must trust the certificate first, in Settings > General > VPN & Device "
        "Management.",
    ),
    AppOrigin.DEVELOPER: (
        "a developer certificate",
        "Developers use such certificates to test their own apps on a phone they hold. Someone "
        "with the phone in hand and a computer can install an app this way, without the App "
        "Store.",
    ),
}


def check_outside_store(facts: AppFacts) -> Iterator[IosFinding]:
    """An app signed with an enterprise or developer certificate, not by the App Store."""
    known = _OUTSIDE_STORE.get(facts.app.origin)
    if known is None:
        return
    how, why = known
    signer = facts.app.signer or "signer not given"
    yield _finding(
        facts,
        "outside-app-store",
        Severity.HIGH,
        "Installed from outside the App Store",
        f"This app was installed with {how}, not from the App Store. {why} Ask whether the "
        "person installed it themselves or uses it for work or school.",
        [_listed(facts, f"{facts.bundle_id}: {facts.app.origin.value} ({signer})")],
    )


def check_testflight(facts: AppFacts) -> Iterator[IosFinding]:
    """A TestFlight beta: reviewed less than App Store apps, installed by invitation."""
    if facts.app.origin is not AppOrigin.TESTFLIGHT:
        return
    yield _finding(
        facts,
        "testflight",
        Severity.LOW,
        "Beta app from TestFlight",
        "This app is a test version installed through Apple's TestFlight, by invitation. Apple "
        "checks betas less than App Store apps. Ask whether the person joined this beta "
        "themselves.",
        [_listed(facts, f"{facts.bundle_id}: testflight")],
    )


def check_jailbreak_app(facts: AppFacts) -> Iterator[IosFinding]:
    """An app that only runs on a jailbroken phone, or that installs apps past the App Store."""
    key = facts.bundle_id.lower()
    tool = JAILBREAK_APPS.get(key)
    if tool is not None:
        yield _finding(
            facts,
            "jailbreak-app",
            Severity.HIGH,
            f"Jailbreak app ({tool})",
            f"{tool} only runs on a jailbroken iPhone. A jailbreak removes the iPhone's "
            "protections, and most iPhone spyware that reads messages needs one. If the person "
            "did not jailbreak the phone, someone else may have: updating iOS or restoring the "
            f"phone removes a jailbreak. {SAFETY}",
            [_listed(facts, f"installed: {facts.bundle_id}")],
        )
    helper = TROLLSTORE_APPS.get(key)
    if helper is not None:
        yield _finding(
            facts,
            "trollstore",
            Severity.HIGH,
            f"App installer outside the App Store ({helper})",
            "TrollStore installs apps permanently with any permission, without the App Store "
            "and without a jailbreak, on the iOS versions it supports. Spy apps can be put on a "
            f"phone this way. Ask whether the person installed it themselves. {SAFETY}",
            [_listed(facts, f"installed: {facts.bundle_id}")],
        )


CHECKS: tuple[AppCheck, ...] = (
    check_feed_match,
    check_outside_store,
    check_testflight,
    check_jailbreak_app,
)
