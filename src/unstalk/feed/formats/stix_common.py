"""Names the STIX reader and writer share: object types, TLP markings, pattern paths."""

from __future__ import annotations

from collections.abc import Mapping

from unstalk.feed.model import TLP, IndicatorKind

CUSTOM_INDICATOR_TYPE = "x-unstalk-indicator"

TLP2_MARKING_IDS: Mapping[TLP, str] = {
    TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    TLP.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
"""Marking definitions published by OASIS for TLP 2.0 (cti-stix-common-objects)."""
TLP1_MARKING_IDS: Mapping[TLP, str] = {
    TLP.CLEAR: "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    TLP.GREEN: "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    TLP.AMBER: "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    TLP.RED: "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}
"""TLP 1.0 marking definitions predefined by the STIX 2.1 specification."""
TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

PATTERN_PATHS: Mapping[tuple[str, str], IndicatorKind] = {
    ("=", "app:id"): IndicatorKind.PACKAGE,
    ("=", "app:x_unstalk_ios_bundle_id"): IndicatorKind.IOS_BUNDLE,
    ("=", "app:cert.sha1"): IndicatorKind.CERT_SHA1,
    ("=", "app:cert.sha256"): IndicatorKind.CERT_SHA256,
    ("=", "app:cert.x_unstalk_organization"): IndicatorKind.CERT_ORG,
    ("MATCHES", "app:cert.x_unstalk_subject_cn"): IndicatorKind.CERT_CNAME_RE,
    ("=", "file:hashes.sha256"): IndicatorKind.FILE_SHA256,
    ("=", "domain-name:value"): IndicatorKind.DOMAIN,
    ("=", "ipv4-addr:value"): IndicatorKind.IPV4,
    ("=", "ipv6-addr:value"): IndicatorKind.IPV6,
    ("=", "url:value"): IndicatorKind.URL,
}
"""The (operator, object path) of each indicator kind a STIX pattern can express."""
