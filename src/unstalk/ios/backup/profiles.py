"""Configuration profiles and MDM enrolment, as a backup stores them.

The ``SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles``
domain holds, under ``Library/ConfigurationProfiles/``: one
``profile-<hash>.stub`` plist per installed profile (``PayloadIdentifier``,
``PayloadDisplayName``, ``PayloadOrganization``, ``PayloadUUID``,
``PayloadContent``: the payload dictionaries), ``MCProfileEvents.plist``
(``ProfileEvents``: a list of ``{profile identifier: {timestamp, operation,
process}}``) and ``CloudConfigurationDetails.plist`` (Automated Device Enrolment:
``OrganizationName``, ``ConfigurationURL``, ``IsSupervised``, ``IsMandatory``).
Payload contents follow Apple's configuration profile reference.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import PurePosixPath

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from unstalk.errors import BackupError
from unstalk.ios.backup.content import BlobReader
from unstalk.ios.backup.manifest import FileRow
from unstalk.ios.backup.plists import PlistDict, data, date, load_dict, scalar_text, sub_dict, text
from unstalk.ios.model import Parsed, ParseStatus, Profile, ProfilePayload

PROFILES_DOMAIN = "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles"
_FOLDER = "Library/ConfigurationProfiles/"
EVENTS_PATH = _FOLDER + "MCProfileEvents.plist"
CLOUD_PATH = _FOLDER + "CloudConfigurationDetails.plist"
_CERTIFICATE_TYPES = frozenset(
    {"com.apple.security.root", "com.apple.security.pem", "com.apple.security.pkcs1"}
)
_PROXY_KEYS = ("ProxyType", "ProxyServer", "ProxyServerPort", "ProxyPACURL")
_MDM_KEYS = ("ServerURL", "CheckInURL", "Topic", "SignMessage", "AccessRights")
_VPN_KEYS = ("RemoteAddress", "AuthenticationMethod", "OnDemandEnabled")
_CLOUD_KEYS = ("OrganizationName", "ConfigurationURL", "IsSupervised", "IsMandatory")


def is_profile_stub(row: FileRow) -> bool:
    name = PurePosixPath(row.relative_path).name
    return (
        row.domain == PROFILES_DOMAIN
        and row.relative_path.startswith(_FOLDER)
        and name.startswith("profile-")
    )


def _pairs(plist: PlistDict, keys: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs = []
    for key in keys:
        shown = scalar_text(plist.get(key))
        if shown is not None:
            pairs.append((key, shown))
    return pairs


def _certificate(payload: PlistDict, kind: str) -> list[tuple[str, str]]:
    raw = data(payload, "PayloadContent")
    if raw is None:
        return [("certificate", "not included in the backup")]
    try:
        if kind == "com.apple.security.pem" and b"-----BEGIN" in raw:
            cert = x509.load_pem_x509_certificate(raw)
        else:
            cert = x509.load_der_x509_certificate(raw)
        subject, issuer = cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()
    except ValueError:
        return [("certificate", "could not be read")]
    return [
        ("subject", subject),
        ("issuer", issuer),
        ("sha256", cert.fingerprint(hashes.SHA256()).hex()),
        ("not_after", cert.not_valid_after_utc.isoformat()),
    ]


def _vpn(payload: PlistDict) -> list[tuple[str, str]]:
    pairs = _pairs(payload, ("VPNType", "VPNSubType"))
    for section in ("VPN", "IKEv2", "IPSec", "PPP"):
        pairs += [(f"{section}.{k}", v) for k, v in _pairs(sub_dict(payload, section), _VPN_KEYS)]
    return pairs


_DETAILS: dict[str, Callable[[PlistDict], list[tuple[str, str]]]] = {
    "com.apple.vpn.managed": _vpn,
    "com.apple.proxy.http.global": lambda p: _pairs(p, _PROXY_KEYS),
    "com.apple.mdm": lambda p: _pairs(p, _MDM_KEYS),
}


def parse_payload(payload: PlistDict) -> ProfilePayload:
    kind = text(payload, "PayloadType") or "unknown"
    if kind in _CERTIFICATE_TYPES:
        details = _certificate(payload, kind)
    elif kind in _DETAILS:
        details = _DETAILS[kind](payload)
    else:
        details = []
    return ProfilePayload(
        type=kind,
        identifier=text(payload, "PayloadIdentifier"),
        display_name=text(payload, "PayloadDisplayName"),
        details=tuple(details),
    )


def parse_profile(plist: PlistDict, source: str, installed: dict[str, datetime]) -> Profile:
    """One ``profile-*.stub``; ``installed`` maps identifiers to their install time."""
    identifier = text(plist, "PayloadIdentifier") or PurePosixPath(source).name
    content = plist.get("PayloadContent")
    payloads = [p for p in content if isinstance(p, dict)] if isinstance(content, list) else []
    return Profile(
        identifier=identifier,
        display_name=text(plist, "PayloadDisplayName"),
        organisation=text(plist, "PayloadOrganization"),
        uuid=text(plist, "PayloadUUID"),
        installed=installed.get(identifier) or date(plist, "InstallDate"),
        payloads=tuple(parse_payload(p) for p in payloads),
        source=source,
    )


def install_dates(events: PlistDict) -> dict[str, datetime]:
    """The latest install time of each profile identifier in MCProfileEvents.plist."""
    found: dict[str, datetime] = {}
    entries = events.get("ProfileEvents")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        for identifier, event in entry.items():
            if not isinstance(event, dict) or text(event, "operation") != "install":
                continue
            when = date(event, "timestamp")
            if when is not None and (identifier not in found or when > found[identifier]):
                found[identifier] = when
    return found


def parse_cloud_configuration(plist: PlistDict, source: str) -> Profile | None:
    """Automated Device Enrolment details, when the phone has any."""
    details = _pairs(plist, _CLOUD_KEYS)
    if not any(key in ("OrganizationName", "ConfigurationURL") for key, _ in details):
        return None
    return Profile(
        identifier="CloudConfigurationDetails",
        display_name="Automated Device Enrolment",
        organisation=text(plist, "OrganizationName"),
        payloads=(ProfilePayload(type="cloud-configuration", details=tuple(details)),),
        source=source,
    )


def read_profiles(rows: list[FileRow], reader: BlobReader) -> Parsed[tuple[Profile, ...]]:
    """Every profile in the configuration profiles domain rows of Manifest.db."""
    source = f"{PROFILES_DOMAIN}/{_FOLDER}"
    if not rows:
        return Parsed(
            source,
            ParseStatus.MISSING,
            problems=("the backup holds no files of the configuration profiles domain",),
        )
    problems: list[str] = []
    plists: dict[str, PlistDict] = {}
    for row in rows:
        if row.relative_path in (EVENTS_PATH, CLOUD_PATH) or is_profile_stub(row):
            try:
                plists[row.relative_path] = load_dict(reader.read(row), row.where)
            except BackupError as e:
                problems.append(e.message)
    events = plists.pop(EVENTS_PATH, {})
    cloud = plists.pop(CLOUD_PATH, {})
    dates = install_dates(events)
    found = [
        parse_profile(plist, f"{PROFILES_DOMAIN}/{path}", dates) for path, plist in plists.items()
    ]
    enrolment = parse_cloud_configuration(cloud, f"{PROFILES_DOMAIN}/{CLOUD_PATH}")
    if enrolment is not None:
        found.append(enrolment)
    status = ParseStatus.PARTIAL if problems else ParseStatus.OK
    return Parsed(source, status, tuple(found), tuple(problems))
