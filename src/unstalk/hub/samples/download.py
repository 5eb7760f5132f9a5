"""Download a sample as a zip encrypted with AES-256 and the password ``infected``.

That is the convention between malware analysts: the archive keeps virus
scanners and mail filters from deleting the sample, and keeps anyone from
opening the APK by accident. Only organisations allowed to download samples,
through a user or key with the ``samples`` scope, get it; every download and
every refusal is audited.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pyzipper

from unstalk.hub.audit import record
from unstalk.hub.db import Database
from unstalk.hub.errors import Forbidden, HubError
from unstalk.hub.principal import Principal
from unstalk.hub.roles import Role, Scope
from unstalk.hub.samples.service import get_sample
from unstalk.hub.samples.store import SampleStore

PASSWORD = b"infected"


@dataclass(frozen=True, slots=True)
class SampleZip:
    name: str
    data: bytes


def _refusal(user: Principal) -> Forbidden | None:
    if not user.may_download_samples:
        return Forbidden(
            "Your organisation may not download samples.",
            advice="A coalition admin can allow it on the organisation's page.",
        )
    if not user.role.at_least(Role.ANALYST):
        return Forbidden("Only an analyst or above may download samples.")
    if Scope.SAMPLES not in user.scopes:
        return Forbidden(
            "This API key may not download samples: it lacks the 'samples' scope.",
            advice="Create a key with that scope on the API keys page.",
        )
    return None


def download(db: Database, store: SampleStore, user: Principal, sample_id: int) -> SampleZip:
    """The sample zipped for ``user``; a refusal is audited before it is raised."""
    refusal: HubError | None = None
    with db.writer() as session:
        try:
            sample = get_sample(session, user, sample_id)
        except HubError as e:
            refusal = e
            # The entry names the id asked for, not the sample: it may be one they cannot see.
            record(
                session,
                user,
                "sample.download_refused",
                None,
                {"sample_id": sample_id, "reason": e.message},
            )
        else:
            refusal = _refusal(user)
            if refusal is not None:
                record(
                    session, user, "sample.download_refused", sample, {"reason": refusal.message}
                )
            else:
                record(session, user, "sample.downloaded", sample, {"sha256": sample.sha256})
                blob, sha256 = sample.blob_path, sample.sha256
    if refusal is not None:
        raise refusal
    return SampleZip(name=f"{sha256}.zip", data=zip_sample(store.read(blob), f"{sha256}.apk"))


def zip_sample(data: bytes, member: str) -> bytes:
    buffer = io.BytesIO()
    with pyzipper.AESZipFile(
        buffer, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(PASSWORD)
        archive.setencryption(pyzipper.WZ_AES, nbits=256)
        archive.writestr(member, data)
    return buffer.getvalue()
