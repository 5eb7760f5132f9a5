"""The phones the tests read: benign, a feed app, profiles and MDM, jailbroken."""

from __future__ import annotations

import plistlib
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.ios.gen.writer import App, BackupFile, Phone, Scenario

PROFILES_DOMAIN = "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles"
PROFILES = "Library/ConfigurationProfiles"
FEED_BUNDLE = "com.wheremychildren.ios"
"""An iOS bundle id of the bundled Echap feed (FindMyKids, watchware)."""
CA_SUBJECT = "CN=Acme Inspection Root CA,O=Acme Monitoring"
INSTALLED = datetime(2026, 10, 3, 21, 14, 0)
"""Naive UTC, as plistlib writes dates."""

STORE_APPS = (
    App("net.whatsapp.WhatsApp", "WhatsApp Messenger", "24.22.79", "24.22.79.71"),
    App("com.spotify.client", "Spotify - Music and Podcasts", "8.9.98", "8.9.98.488"),
    App("com.google.Maps", "Google Maps", "6.131.0", "6.131.0.0"),
)


def _binary(value: dict[str, object]) -> bytes:
    return plistlib.dumps(value, fmt=plistlib.FMT_BINARY)


def _system_files(events: bytes, cloud: dict[str, object]) -> tuple[BackupFile, ...]:
    springboard = _binary({"SBAutoLockTime": 30})
    return (
        BackupFile("HomeDomain", ""),
        BackupFile("HomeDomain", "Library"),
        BackupFile("HomeDomain", "Library/Preferences"),
        BackupFile("HomeDomain", "Library/Preferences/com.apple.springboard.plist", springboard),
        BackupFile("KeychainDomain", "keychain-backup.plist", _binary({"genp": []}), 11),
        BackupFile(PROFILES_DOMAIN, ""),
        BackupFile(PROFILES_DOMAIN, PROFILES),
        BackupFile(PROFILES_DOMAIN, f"{PROFILES}/MCProfileEvents.plist", events),
        BackupFile(PROFILES_DOMAIN, f"{PROFILES}/CloudConfigurationDetails.plist", _binary(cloud)),
        BackupFile(PROFILES_DOMAIN, f"{PROFILES}/ProfileTruth.plist", _binary({"Version": 2})),
    )


def _no_events() -> bytes:
    return _binary({"ProfileEvents": []})


def benign() -> Scenario:
    files = _system_files(_no_events(), {"CloudConfigurationUIComplete": True})
    return Scenario(apps=STORE_APPS, files=files)


def feed_app() -> Scenario:
    apps = (
        *STORE_APPS,
        App(FEED_BUNDLE, "Findmykids: GPS-tracker", "2.7.12", "2.7.12.1"),
        App("com.example.tracker.enterprise", "Tracker", "1.0", "1", store=False),
    )
    files = _system_files(_no_events(), {"CloudConfigurationUIComplete": True})
    return Scenario(apps=apps, files=files)


def root_certificate() -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme Monitoring"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Acme Inspection Root CA"),
        ]
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(4242)
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


def _monitoring_profile(cert: x509.Certificate) -> dict[str, object]:
    return {
        "PayloadIdentifier": "com.acme.monitoring",
        "PayloadDisplayName": "Network Security",
        "PayloadOrganization": "Acme Monitoring",
        "PayloadUUID": "5A0C8E1F-2B3D-4E5F-9A0B-1C2D3E4F5A6B",
        "PayloadType": "Configuration",
        "PayloadVersion": 1,
        "PayloadContent": [
            {
                "PayloadType": "com.apple.security.root",
                "PayloadIdentifier": "com.acme.monitoring.ca",
                "PayloadDisplayName": "Acme Inspection Root CA",
                "PayloadContent": cert.public_bytes(serialization.Encoding.DER),
            },
            {
                "PayloadType": "com.apple.vpn.managed",
                "PayloadIdentifier": "com.acme.monitoring.vpn",
                "PayloadDisplayName": "Secure Tunnel",
                "VPNType": "IKEv2",
                "IKEv2": {
                    "RemoteAddress": "vpn.acme-monitor.example",
                    "AuthenticationMethod": "None",
                },
            },
            {
                "PayloadType": "com.apple.proxy.http.global",
                "PayloadIdentifier": "com.acme.monitoring.proxy",
                "ProxyType": "Manual",
                "ProxyServer": "proxy.acme-monitor.example",
                "ProxyServerPort": 8080,
            },
        ],
    }


def _mdm_profile(cert: x509.Certificate) -> dict[str, object]:
    return {
        "PayloadIdentifier": "com.acme.mdm",
        "PayloadDisplayName": "Device Management",
        "PayloadOrganization": "Acme Monitoring",
        "PayloadUUID": "7C1D2E3F-4A5B-6C7D-8E9F-0A1B2C3D4E5F",
        "PayloadType": "Configuration",
        "PayloadContent": [
            {
                "PayloadType": "com.apple.mdm",
                "PayloadIdentifier": "com.acme.mdm.enrol",
                "ServerURL": "https://mdm.acme-monitor.example/server",
                "CheckInURL": "https://mdm.acme-monitor.example/checkin",
                "Topic": "com.apple.mgmt.External.7c1d2e3f",
                "AccessRights": 8191,
            },
            {
                "PayloadType": "com.apple.security.pem",
                "PayloadIdentifier": "com.acme.mdm.ca",
                "PayloadContent": cert.public_bytes(serialization.Encoding.PEM),
            },
        ],
    }


def profiles() -> Scenario:
    cert = root_certificate()
    events = _binary(
        {
            "ProfileEvents": [
                {
                    "com.acme.monitoring": {
                        "timestamp": INSTALLED,
                        "operation": "install",
                        "process": "Preferences",
                    }
                },
                {
                    "com.acme.mdm": {
                        "timestamp": INSTALLED + timedelta(minutes=2),
                        "operation": "install",
                        "process": "profiled",
                    }
                },
            ]
        }
    )
    cloud = {
        "OrganizationName": "Acme Monitoring",
        "ConfigurationURL": "https://mdm.acme-monitor.example/enroll",
        "IsSupervised": True,
        "IsMandatory": True,
    }
    stubs = (
        BackupFile(
            PROFILES_DOMAIN,
            f"{PROFILES}/profile-3f1a9c.stub",
            plistlib.dumps(_monitoring_profile(cert)),
        ),
        BackupFile(PROFILES_DOMAIN, f"{PROFILES}/profile-8d2e4b.stub", _binary(_mdm_profile(cert))),
    )
    return Scenario(apps=STORE_APPS, files=_system_files(events, cloud) + stubs)


def jailbroken() -> Scenario:
    cydia = "Library/Caches/com.saurik.Cydia"
    files = (
        *_system_files(_no_events(), {"CloudConfigurationUIComplete": True}),
        BackupFile("HomeDomain", cydia),
        BackupFile("HomeDomain", f"{cydia}/metadata.cb0", b"\x00" * 64),
        BackupFile("HomeDomain", "Library/Preferences/com.saurik.Cydia.plist", _binary({"a": 1})),
    )
    apps = (
        *STORE_APPS,
        App("org.coolstar.SileoStore", "Sileo", "2.5", "2.5", store=False),
        App("com.tigisoftware.Filza", "Filza", "4.0.1", "4.0.1", store=False),
    )
    return Scenario(phone=Phone(wifi_sync=True), apps=apps, files=files)


SCENARIOS = {
    "benign": benign,
    "feed-app": feed_app,
    "profiles": profiles,
    "jailbroken": jailbroken,
}
