"""Indicators proposed from a sample's analysis, for an analyst to accept or dismiss.

A proposal is what the APK itself shows: its package name, the SHA-256 and
SHA-1 of every signing certificate, the file's SHA-256, and the servers named
in its code. Nothing becomes an indicator until an analyst accepts it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from unstalk.feed.model import IndicatorKind, Role, normalise_value

MAX_ENDPOINTS = 50
"""Apps name many servers (analytics, ad networks): only the first ones are proposed."""


class ProposalState(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DISMISSED = "dismissed"


class Proposal(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    number: int
    """Position in the sample's list; what accept and dismiss refer to."""
    kind: IndicatorKind
    value: str
    role: Role | None = None
    reason: str
    state: ProposalState = ProposalState.PROPOSED
    indicator_id: int | None = None
    """The indicator created when the proposal was accepted."""


def propose(result: Mapping[str, object]) -> list[Proposal]:
    """The proposals for one analysis (the JSON of :mod:`unstalk.apk.result_json`)."""
    found: dict[tuple[IndicatorKind, str], tuple[Role | None, str]] = {}
    for kind, value, role, reason in _candidates(result):
        normalised = normalise_value(kind, value)
        if normalised:
            found.setdefault((kind, normalised), (role, reason))
    return [
        Proposal(number=number, kind=kind, value=value, role=role, reason=reason)
        for number, ((kind, value), (role, reason)) in enumerate(found.items(), start=1)
    ]


Candidate = tuple[IndicatorKind, str, Role | None, str]


def _candidates(result: Mapping[str, object]) -> Iterator[Candidate]:
    package = result.get("package")
    if isinstance(package, str):
        yield IndicatorKind.PACKAGE, package, None, "the app's package name"
    hashes = _mapping(result.get("hashes"))
    if isinstance(hashes.get("sha256"), str):
        yield IndicatorKind.FILE_SHA256, str(hashes["sha256"]), None, "the APK file's SHA-256"
    profile = _mapping(result.get("profile"))
    yield from _certificates(_mapping(profile.get("signing")))
    yield from _endpoints(_sequence(profile.get("dex")))


def _certificates(signing: Mapping[str, object]) -> Iterator[Candidate]:
    for signer in _sequence(signing.get("signers")):
        for cert in _sequence(_mapping(signer).get("certificates")):
            fields = _mapping(cert)
            subject = str(fields.get("subject", ""))
            reason = f"a signing certificate ({subject})" if subject else "a signing certificate"
            if isinstance(fields.get("sha256"), str):
                yield IndicatorKind.CERT_SHA256, str(fields["sha256"]), None, reason
            if isinstance(fields.get("sha1"), str):
                yield IndicatorKind.CERT_SHA1, str(fields["sha1"]), None, reason


def _endpoints(dex: Sequence[object]) -> Iterator[Candidate]:
    count = 0
    for info in dex:
        fields = _mapping(info)
        where = f"named in {fields.get('name', 'the code')}"
        for kind, key in (
            (IndicatorKind.DOMAIN, "domains"),
            (IndicatorKind.IPV4, "ips"),
            (IndicatorKind.URL, "urls"),
        ):
            for value in _sequence(fields.get(key)):
                if isinstance(value, str) and count < MAX_ENDPOINTS:
                    count += 1
                    actual = (
                        IndicatorKind.IPV6 if kind is IndicatorKind.IPV4 and ":" in value else kind
                    )
                    yield actual, value, Role.C2, f"a server {where}"


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, dict) else {}


def _sequence(value: object) -> Sequence[object]:
    return value if isinstance(value, list) else []
