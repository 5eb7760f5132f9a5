"""API bodies and answers of the samples area."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from unstalk.feed.model import TLP
from unstalk.hub.db.intel import AnalysisStatus
from unstalk.hub.samples.proposals import Proposal


class Consent(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Provenance(_Body):
    """Where the sample came from; shown wherever the sample is."""

    from_survivor_device: bool = False
    consent: Consent = Consent.UNKNOWN
    """Whether the device's owner agreed to the sample being shared."""
    may_contain_personal_data: bool = False


class SampleMeta(_Body):
    """What the uploader says about a sample, next to the file itself."""

    filename: Annotated[str, Field(max_length=255)] = ""
    tlp: TLP | None = None
    """Defaults to AMBER for samples from a survivor's device, else GREEN."""
    shared_with: frozenset[int] = frozenset()
    """Organisations named on an AMBER+STRICT or RED sample."""
    provenance: Provenance = Provenance()


class SampleOut(_Body):
    id: int
    sha256: str
    size: int
    filename: str
    tlp: TLP
    source_org_id: int
    family_id: int | None
    provenance: Provenance
    analysis_status: AnalysisStatus
    analysis_error: str
    """Why the analysis failed, in plain words; empty otherwise."""
    package: str | None
    verdict: str | None
    created_at: datetime
    duplicate: bool = False
    """True when the upload was a file the hub already held (it is not stored twice)."""


class AnalysisOut(_Body):
    sample_id: int
    status: AnalysisStatus
    error: str
    result: dict[str, object] | None
    """The analysis in the shape ``unstalk scan apk --format json`` writes (docs/apk.md)."""
    proposals: list[Proposal]


class AcceptIn(_Body):
    family_id: int | None = None
    """The family the new indicator belongs to; the sample's family when not given."""
    confidence: Annotated[int, Field(ge=0, le=100)] = 70


class ProposalOut(_Body):
    sample_id: int
    proposal: Proposal
