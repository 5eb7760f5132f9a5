"""What static analysis learns about an APK: the app profile.

Pure values (frozen, slotted dataclasses) built by the parsers in
``unstalk.apk.parsers`` and read by the capability rules and the criteria
engine. Nothing here runs or decompiles code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NewType

from unstalk.apk.fast_init import fast_init

Sha256 = NewType("Sha256", str)
"""Lower-case hex SHA-256 of a file (certificate digests are upper-case, as in feeds)."""


class SignatureScheme(StrEnum):
    V1 = "v1"
    """JAR signing (META-INF/*.SF + *.RSA/*.DSA/*.EC)."""
    V2 = "v2"
    V3 = "v3"
    V31 = "v3.1"


@fast_init
@dataclass(frozen=True, slots=True)
class Certificate:
    """An X.509 certificate; digests are of the raw DER bytes as stored in the APK."""

    sha1: str
    """Upper-case hex, no separators (the spelling feeds use)."""
    sha256: str
    subject: str
    """RFC 4514 string, e.g. ``CN=Android Debug,O=Android,C=US``."""
    issuer: str
    serial: str
    not_before: datetime | None
    not_after: datetime | None
    key_algorithm: str
    """``RSA``, ``DSA``, ``EC`` ..., with the key size when known: ``RSA 2048``."""
    organization: str | None = None
    common_name: str | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class Signer:
    """One signer of one scheme; ``certificates[0]`` is the signing certificate."""

    scheme: SignatureScheme
    certificates: tuple[Certificate, ...]
    min_sdk: int | None = None
    """v3/v3.1 signers apply to a platform range."""
    max_sdk: int | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class Signing:
    """Everything the APK carries about who signed it.

    ``problems`` lists what could not be read or does not hold (e.g. a v2 block
    whose digest does not match); a problem is reported, it never stops the
    analysis. unstalk reports signatures, it does not decide installability.
    """

    schemes: tuple[SignatureScheme, ...]
    signers: tuple[Signer, ...]
    lineage: tuple[Certificate, ...] = ()
    """v3 key-rotation proof-of-rotation, oldest certificate first."""
    problems: tuple[str, ...] = ()

    @property
    def certificates(self) -> tuple[Certificate, ...]:
        """Every distinct certificate from every signer and the lineage, first seen first."""
        seen: dict[str, Certificate] = {}
        for signer in self.signers:
            for cert in signer.certificates:
                seen.setdefault(cert.sha256, cert)
        for cert in self.lineage:
            seen.setdefault(cert.sha256, cert)
        return tuple(seen.values())


class ComponentKind(StrEnum):
    ACTIVITY = "activity"
    ACTIVITY_ALIAS = "activity-alias"
    SERVICE = "service"
    RECEIVER = "receiver"
    PROVIDER = "provider"


@fast_init
@dataclass(frozen=True, slots=True)
class IntentFilter:
    actions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    data_schemes: tuple[str, ...] = ()
    data_hosts: tuple[str, ...] = ()
    priority: int | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class MetaData:
    name: str
    value: str | None = None
    resource: str | None = None
    """The referenced resource's path inside the APK (e.g. ``res/xml/accessibility.xml``)."""


@fast_init
@dataclass(frozen=True, slots=True)
class Component:
    kind: ComponentKind
    name: str
    """Fully qualified class name (``.Foo`` resolved against the package)."""
    exported: bool
    """Effective value: the attribute, else Android's default (exported when it has a filter)."""
    enabled: bool = True
    permission: str | None = None
    intent_filters: tuple[IntentFilter, ...] = ()
    meta_data: tuple[MetaData, ...] = ()
    target_activity: str | None = None
    """For activity-alias: the activity it launches."""
    foreground_service_type: str | None = None

    @property
    def actions(self) -> frozenset[str]:
        return frozenset(a for f in self.intent_filters for a in f.actions)


@fast_init
@dataclass(frozen=True, slots=True)
class PermissionRequest:
    name: str
    max_sdk: int | None = None
    sdk23_only: bool = False
    """Declared with ``uses-permission-sdk-23`` (asked only on Android 6 and later)."""


@fast_init
@dataclass(frozen=True, slots=True)
class XmlConfig:
    """A component's XML configuration (accessibility service, device admin policies ...)."""

    path: str
    attributes: tuple[tuple[str, str], ...] = ()
    """Attributes of the root element, by name, as text."""
    children: tuple[str, ...] = ()
    """Tag names of nested elements (e.g. device-admin ``<uses-policies>`` entries)."""


@fast_init
@dataclass(frozen=True, slots=True)
class Manifest:
    package: str
    version_code: int | None
    version_name: str | None
    min_sdk: int | None
    target_sdk: int | None
    label: str | None
    permissions: tuple[PermissionRequest, ...]
    components: tuple[Component, ...]
    declared_permissions: tuple[str, ...] = ()
    debuggable: bool = False
    allow_backup: bool | None = None
    uses_cleartext_traffic: bool | None = None
    shared_user_id: str | None = None
    configs: tuple[XmlConfig, ...] = ()
    """XML configs referenced by components' meta-data, parsed."""

    @property
    def permission_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.permissions)

    @property
    def has_launcher_activity(self) -> bool:
        """True when an enabled activity (or alias) appears in the launcher."""
        return any(
            c.enabled
            and c.kind in (ComponentKind.ACTIVITY, ComponentKind.ACTIVITY_ALIAS)
            and any(
                "android.intent.action.MAIN" in f.actions
                and "android.intent.category.LAUNCHER" in f.categories
                for f in c.intent_filters
            )
            for c in self.components
        )


@fast_init
@dataclass(frozen=True, slots=True)
class DexInfo:
    """One classes*.dex file: its string table size and the endpoints found in it."""

    name: str
    sha256: Sha256
    string_count: int
    urls: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()


@fast_init
@dataclass(frozen=True, slots=True)
class FileHashes:
    sha256: Sha256
    sha1: str
    md5: str
    size: int


@fast_init
@dataclass(frozen=True, slots=True)
class AppProfile:
    """Everything static analysis read from one APK."""

    path: str
    hashes: FileHashes
    manifest: Manifest
    signing: Signing
    dex: tuple[DexInfo, ...]
    problems: tuple[str, ...] = ()
    """Parts that could not be read (each a plain sentence); the rest was still analysed."""
