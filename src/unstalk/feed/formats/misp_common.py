"""What the MISP reader and writer share: the ``android-app`` template and family ids."""

from __future__ import annotations

from collections.abc import Mapping

from unstalk.feed.model import Family, FamilyId, FamilyType, IndicatorKind

ANDROID_APP_TEMPLATE = "92836f23-4730-4eae-82ac-9f00d5299735"

RELATIONS: Mapping[IndicatorKind, tuple[str, str, str]] = {
    IndicatorKind.PACKAGE: ("appid", "text", "Other"),
    IndicatorKind.CERT_SHA1: ("certificate", "sha1", "Payload delivery"),
    IndicatorKind.CERT_SHA256: ("certificate-sha256", "sha256", "Payload delivery"),
    IndicatorKind.FILE_SHA256: ("sha256", "sha256", "Payload delivery"),
    IndicatorKind.DOMAIN: ("domain", "domain", "Network activity"),
}
"""The ``android-app`` relation, attribute type and category of the kinds it can hold."""


def family_of_id(fid: str | None) -> Family | None:
    """An implied family for a well-formed ``<type>/<slug>`` id, else None."""
    prefix, _, slug = (fid or "").partition("/")
    if not slug or prefix not in {t.value for t in FamilyType}:
        return None
    return Family(FamilyId(fid or ""), slug, FamilyType(prefix), implied=True)
