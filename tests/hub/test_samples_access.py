"""Who may see and download samples: TLP on every endpoint, and the download rules."""

from __future__ import annotations

import io
import zipfile

import pytest
import pyzipper
from fastapi.testclient import TestClient
from sqlalchemy import select

from unstalk.feed.model import TLP
from unstalk.hub.db import AuditEntry
from unstalk.hub.roles import Scope

from .conftest import Hub
from .samples_helpers import Member, apk, member, samples_client, upload, wait

__all__ = ["samples_client"]

MISSING = 999_999
READS = ("/api/v1/samples/{id}", "/api/v1/samples/{id}/analysis", "/api/v1/samples/{id}/download")
WRITES = ("/api/v1/samples/{id}/proposals/1/dismiss",)


def _audit(hub: Hub, action: str) -> list[AuditEntry]:
    with hub.db.reader() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _listed(client: TestClient, who: Member) -> set[object]:
    response = client.get("/api/v1/samples", headers=who.auth)
    assert response.status_code == 200
    return {sample["id"] for sample in response.json()}


def _assert_hidden(client: TestClient, who: Member, sample_id: object) -> None:
    """Every endpoint answers for the sample exactly as for one that does not exist."""
    assert sample_id not in _listed(client, who)
    for template in READS:
        hidden = client.get(template.format(id=sample_id), headers=who.auth)
        missing = client.get(template.format(id=MISSING), headers=who.auth)
        assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())
        assert hidden.status_code == 404
    for template in WRITES:
        hidden = client.post(template.format(id=sample_id), headers=who.auth)
        assert hidden.status_code == 404


def _assert_seen(client: TestClient, who: Member, sample_id: object) -> None:
    assert sample_id in _listed(client, who)
    assert client.get(f"/api/v1/samples/{sample_id}", headers=who.auth).status_code == 200
    assert client.get(f"/api/v1/samples/{sample_id}/analysis", headers=who.auth).status_code == 200


def test_red_sample_reaches_only_the_source_and_named_organisations(
    hub: Hub, samples_client: TestClient
) -> None:
    source = member(hub, "Source", clearance=TLP.GREEN, downloads=True)
    named = member(hub, "Named", clearance=TLP.RED, downloads=True)
    named_low = member(hub, "NamedLow", clearance=TLP.AMBER, downloads=True)
    stranger = member(hub, "Stranger", clearance=TLP.RED, downloads=True)
    shared = upload(
        samples_client, source, apk(), tlp="red", shared_with=[named.org_id, named_low.org_id]
    )
    wait(hub)
    _assert_seen(samples_client, source, shared["id"])
    _assert_seen(samples_client, named, shared["id"])
    assert (
        samples_client.get(
            f"/api/v1/samples/{shared['id']}/download", headers=named.auth
        ).status_code
        == 200
    )
    _assert_hidden(samples_client, named_low, shared["id"])
    _assert_hidden(samples_client, stranger, shared["id"])
    refusals = _audit(hub, "sample.download_refused")
    assert {entry.actor_org_id for entry in refusals} == {named_low.org_id, stranger.org_id}
    assert all(entry.object_id == "" for entry in refusals)


def test_amber_sample_is_hidden_below_amber(hub: Hub, samples_client: TestClient) -> None:
    source = member(hub, "Source", clearance=TLP.AMBER)
    peer = member(hub, "Peer", clearance=TLP.AMBER)
    below = member(hub, "Below", clearance=TLP.GREEN)
    shared = upload(samples_client, source, apk(), tlp="amber")
    wait(hub)
    _assert_seen(samples_client, peer, shared["id"])
    _assert_hidden(samples_client, below, shared["id"])


def test_download_is_an_aes_zip_with_the_exact_bytes(hub: Hub, samples_client: TestClient) -> None:
    vendor = member(hub, "Vendor", downloads=True)
    shared = upload(samples_client, vendor, apk())
    response = samples_client.get(f"/api/v1/samples/{shared['id']}/download", headers=vendor.auth)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    member_name = f"{shared['sha256']}.apk"
    with pyzipper.AESZipFile(io.BytesIO(response.content)) as archive:
        assert archive.namelist() == [member_name]
        with pytest.raises(RuntimeError):
            archive.read(member_name)
        archive.setpassword(b"infected")
        assert archive.read(member_name) == apk()
    # Plain zip tools see an encrypted entry, never the APK itself.
    with zipfile.ZipFile(io.BytesIO(response.content)) as plain:
        assert plain.infolist()[0].flag_bits & 0x1
    assert apk()[:64] not in response.content
    downloads = _audit(hub, "sample.downloaded")
    assert [(entry.actor_org_id, entry.object_id) for entry in downloads] == [
        (vendor.org_id, str(shared["id"]))
    ]


@pytest.mark.parametrize(
    ("downloads", "scopes", "expected"),
    [
        (False, frozenset(Scope), "may not download samples"),
        (True, frozenset({Scope.READ, Scope.WRITE}), "'samples' scope"),
    ],
)
def test_download_refusals_are_audited(
    hub: Hub,
    samples_client: TestClient,
    downloads: bool,
    scopes: frozenset[Scope],
    expected: str,
) -> None:
    vendor = member(hub, "Vendor", downloads=True)
    shared = upload(samples_client, vendor, apk())
    asker = member(hub, "Asker", downloads=downloads, scopes=scopes)
    response = samples_client.get(f"/api/v1/samples/{shared['id']}/download", headers=asker.auth)
    assert response.status_code == 403
    assert expected in response.json()["error"]
    refusals = _audit(hub, "sample.download_refused")
    assert [(entry.actor_org_id, entry.object_id) for entry in refusals] == [
        (asker.org_id, str(shared["id"]))
    ]
