"""API answers about releases (also the shape of ``/feed/releases.json``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from unstalk.hub.db import Release
from unstalk.hub.releases.publish import file_names, version_label


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FamilyChange(_Out):
    id: str
    name: str


class IndicatorChange(_Out):
    family: str
    kind: str
    value: str
    role: str


class ChangelogOut(_Out):
    previous_version: str | None
    families_added: list[FamilyChange]
    families_removed: list[FamilyChange]
    indicators_added: list[IndicatorChange]
    indicators_removed: list[IndicatorChange]


class ReleaseOut(_Out):
    version: str
    """``YYYY.MM.DD.N``; N only grows."""
    created_at: datetime
    audience: str
    sha256sums_sha256: str
    """SHA-256 of the release's SHA256SUMS, which the signature covers."""
    public_key: str
    """The Ed25519 public key (32 bytes, base64) that signed it."""
    url: str
    """Where its files are: ``<url>/<file name>``."""
    files: list[str]
    changelog: ChangelogOut

    @classmethod
    def of(cls, release: Release) -> ReleaseOut:
        label = version_label(release)
        return cls(
            version=label,
            created_at=release.created_at,
            audience=release.audience.value,
            sha256sums_sha256=release.content_hash,
            public_key=release.public_key,
            url=f"/feed/{label}",
            files=file_names(release),
            changelog=ChangelogOut.model_validate(release.changelog),
        )


class ReleaseIndex(_Out):
    latest: str | None
    public_key: str | None
    """The key that signed the latest release; pin it out of band, not from this file."""
    releases: list[ReleaseOut]


class ReleaseKeyOut(_Out):
    public_key: str
    """32 bytes, base64: give it to ``unstalk feed update --hub URL --key``."""
    public_key_pem: str
