"""The indicator model: families, indicators, samples and where they came from.

These are internal values (frozen, slotted dataclasses: cheap to build for the
thousands of indicators a feed holds, and cheap to cache). Loaders turn feed
files into a :class:`Feed`; exporters turn a :class:`Feed` back into files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NewType

from unstalk.models import JsonValue

FamilyId = NewType("FamilyId", str)
"""Stable identifier of a family inside a feed: ``<type>/<slug of name>``."""


class FamilyType(StrEnum):
    """What the coalition's criteria say an app family is."""

    STALKERWARE = "stalkerware"
    WATCHWARE = "watchware"
    """Overt monitoring (parental control, employee monitoring): reported, never as stalkerware."""


class Platform(StrEnum):
    ANDROID = "android"
    IOS = "ios"


class IndicatorKind(StrEnum):
    PACKAGE = "package"
    IOS_BUNDLE = "ios_bundle"
    CERT_SHA1 = "cert_sha1"
    CERT_SHA256 = "cert_sha256"
    CERT_ORG = "cert_org"
    CERT_CNAME_RE = "cert_cname_re"
    FILE_SHA256 = "file_sha256"
    DOMAIN = "domain"
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    CIDR = "cidr"
    URL = "url"
    YARA = "yara"


NETWORK_KINDS = frozenset(
    {
        IndicatorKind.DOMAIN,
        IndicatorKind.IPV4,
        IndicatorKind.IPV6,
        IndicatorKind.CIDR,
        IndicatorKind.URL,
    }
)
"""Kinds that carry a :class:`Role`."""


class Role(StrEnum):
    """What a network indicator is for."""

    C2 = "c2"
    """Where the app sends what it collects, or takes commands from."""
    WEBSITE = "website"
    """The vendor's public or customer web site."""
    DISTRIBUTION = "distribution"
    """Where the app is downloaded from."""


class TLP(StrEnum):
    """Traffic Light Protocol 2.0 labels, least to most restricted."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"

    @classmethod
    def parse(cls, text: str) -> TLP:
        """Read a TLP label as written by TLP 1.0 or 2.0 tools (``white`` is ``clear``)."""
        label = text.strip().lower().removeprefix("tlp:")
        if label == "white":
            return cls.CLEAR
        return cls(label)


class Status(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class Family:
    """An app family: one product, however many names and packages it ships under."""

    id: FamilyId
    name: str
    type: FamilyType
    aliases: tuple[str, ...] = ()
    platforms: tuple[Platform, ...] = ()
    websites: tuple[str, ...] = ()
    vendor_ref: str | None = None
    """Where more is known about the vendor (e.g. the Echap research file)."""
    implied: bool = False
    """True when no family list names it and it exists only because samples or rules refer to it."""


@dataclass(frozen=True, slots=True)
class Indicator:
    """One observable that points to a family."""

    kind: IndicatorKind
    value: str
    """Normalised value (see :func:`normalise_value`)."""
    family: FamilyId
    role: Role | None = None
    source: str = ""
    """The input file (and where useful, the entry) the indicator was read from."""
    tlp: TLP = TLP.CLEAR
    status: Status = Status.ACTIVE
    name: str | None = None
    """Rule name for YARA indicators; free label otherwise."""


@dataclass(frozen=True, slots=True)
class Sample:
    """A known sample of a family's app (one row of Echap's samples.csv)."""

    sha256: str
    app: str
    family: FamilyId | None
    package: str | None = None
    cert_sha1: str | None = None
    version: str | None = None


@dataclass(frozen=True, slots=True)
class InputFile:
    name: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a feed came from, so a result can say exactly which data it used."""

    format: str
    """Loader that read it: ``echap``, ``stix2``, ``misp``, ``tinycheck``."""
    source: str
    """URL or path the files were read from, or ``bundled``."""
    version: str | None = None
    """Upstream version or commit, when known."""
    retrieved: datetime | None = None
    """When the files were fetched (UTC), when known."""
    files: tuple[InputFile, ...] = ()


def provenance_summary(provenance: Provenance | None) -> dict[str, JsonValue] | None:
    """The ``feed`` field every check result and report input carries: format, source, version."""
    if provenance is None:
        return None
    return {
        "format": provenance.format,
        "source": provenance.source,
        "version": provenance.version,
    }


class NoteLevel(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Note:
    """Something a loader or linter noticed and kept, rather than dropping silently."""

    level: NoteLevel
    code: str
    """Short stable identifier, e.g. ``family-in-two-files`` or ``c2-ip-key``."""
    message: str
    source: str = ""
    values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Feed:
    families: tuple[Family, ...]
    indicators: tuple[Indicator, ...]
    samples: tuple[Sample, ...] = ()
    provenance: Provenance | None = None
    notes: tuple[Note, ...] = ()
    _by_id: dict[FamilyId, Family] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update((f.id, f) for f in self.families)

    def family(self, family_id: FamilyId) -> Family:
        """Return the family with this id (KeyError when the feed has none)."""
        return self._by_id[family_id]

    def listed_families(self) -> Iterable[Family]:
        """Families the feed's family lists name (not the ones only implied by samples or rules)."""
        return (f for f in self.families if not f.implied)

    def active(self) -> Iterable[Indicator]:
        return (i for i in self.indicators if i.status is Status.ACTIVE)


_SLUG = re.compile(r"[^a-z0-9]+")


def family_id(family_type: FamilyType, name: str) -> FamilyId:
    """Build the stable id of a family from its type and name.

    The type is part of the id because the same product can be listed both as
    stalkerware and as watchware; both facts are kept.
    """
    slug = _SLUG.sub("-", name.lower()).strip("-") or "unnamed"
    return FamilyId(f"{family_type.value}/{slug}")


_HEX_KINDS = frozenset(
    {IndicatorKind.CERT_SHA1, IndicatorKind.CERT_SHA256, IndicatorKind.FILE_SHA256}
)
_LOWER_KINDS = frozenset(
    {IndicatorKind.DOMAIN, IndicatorKind.IPV4, IndicatorKind.IPV6, IndicatorKind.CIDR}
)


def normalise_value(kind: IndicatorKind, value: str) -> str:
    """Return the canonical spelling of an indicator value.

    Certificate and file hashes: upper-case hex without separators (Echap's
    spelling). Domains: lower case, no trailing dot, IDN as punycode. IPs and
    CIDRs: lower case. Everything else is only stripped of surrounding space.
    """
    text = value.strip()
    if kind in _HEX_KINDS:
        return text.replace(":", "").replace(" ", "").upper()
    if kind is IndicatorKind.DOMAIN:
        return normalise_domain(text)
    if kind in _LOWER_KINDS:
        return text.lower()
    return text


def normalise_domain(name: str) -> str:
    """Lower-case a host name, drop a trailing dot and encode IDN labels as punycode."""
    host = name.strip().rstrip(".").lower()
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host
