"""Samples: upload, automatic analysis, proposed indicators, acceptance, provenance, duplicates."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from unstalk.feed.model import TLP, IndicatorKind
from unstalk.hub.db import AuditEntry, Indicator, ObjectShare, Sample
from unstalk.hub.db.intel import AnalysisStatus
from unstalk.hub.roles import Scope
from unstalk.hub.samples.context import SamplesContext
from unstalk.hub.samples.store import SampleStore, key_path
from unstalk.hub.samples.worker import AnalysisWorker

from .conftest import Hub
from .samples_helpers import (
    C2,
    OTHER_APP,
    WAIT,
    apk,
    coalition,
    family,
    install_inline_worker,
    member,
    samples_client,
    upload,
    wait,
    zip_bomb,
)

__all__ = ["samples_client"]


def _actions(hub: Hub) -> list[str]:
    with hub.db.reader() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def _proposals(
    client: TestClient, auth: dict[str, str], sample_id: object
) -> list[dict[str, object]]:
    response = client.get(f"/api/v1/samples/{sample_id}/analysis", headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "done", response.json()
    proposals: list[dict[str, object]] = response.json()["proposals"]
    return proposals


def test_upload_is_analysed_and_proposals_become_indicators(
    hub: Hub, samples_client: TestClient
) -> None:
    vendor = member(hub, "Vendor", clearance=TLP.AMBER)
    shared = upload(samples_client, vendor, apk())
    assert shared["analysis_status"] in ("pending", "running", "done")
    wait(hub)
    proposals = _proposals(samples_client, vendor.auth, shared["id"])
    by_kind = {(p["kind"], p["value"]) for p in proposals}
    assert ("package", "com.example.tracker") in by_kind
    assert ("domain", C2) in by_kind
    kinds = {p["kind"] for p in proposals}
    assert {"cert_sha256", "cert_sha1", "file_sha256"} <= kinds
    package = next(p for p in proposals if p["kind"] == "package")
    domain = next(p for p in proposals if p["kind"] == "domain")
    assert domain["role"] == "c2"

    family_id = family(hub, vendor.org_id)
    accepted = samples_client.post(
        f"/api/v1/samples/{shared['id']}/proposals/{package['number']}/accept",
        json={"family_id": family_id, "confidence": 90},
        headers=vendor.auth,
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["state"] == "accepted"
    dismissed = samples_client.post(
        f"/api/v1/samples/{shared['id']}/proposals/{domain['number']}/dismiss", headers=vendor.auth
    )
    assert dismissed.json()["state"] == "dismissed"
    again = samples_client.post(
        f"/api/v1/samples/{shared['id']}/proposals/{package['number']}/accept",
        json={"family_id": family_id},
        headers=vendor.auth,
    )
    assert again.status_code == 409

    with hub.db.reader() as session:
        indicator = session.get(Indicator, accepted.json()["indicator_id"])
        assert indicator is not None
        assert (indicator.kind, indicator.value) == (IndicatorKind.PACKAGE, "com.example.tracker")
        assert indicator.tlp is TLP.GREEN and indicator.source_org_id == vendor.org_id
        assert indicator.from_sample_id == shared["id"] and indicator.confidence == 90
    actions = _actions(hub)
    for action in ("sample.uploaded", "sample.analysed", "indicator.created_from_sample"):
        assert action in actions
    assert "sample.proposal_dismissed" in actions
    after = samples_client.get(f"/api/v1/samples/{shared['id']}", headers=vendor.auth).json()
    assert after["package"] == "com.example.tracker" and after["family_id"] == family_id


def test_only_the_source_decides_on_proposals(hub: Hub, samples_client: TestClient) -> None:
    vendor = member(hub, "Vendor")
    other = member(hub, "Other")
    shared = upload(samples_client, vendor, apk())
    wait(hub)
    number = _proposals(samples_client, other.auth, shared["id"])[0]["number"]
    refused = samples_client.post(
        f"/api/v1/samples/{shared['id']}/proposals/{number}/dismiss", headers=other.auth
    )
    assert refused.status_code == 403


def test_accepted_red_indicator_keeps_the_named_organisations(
    hub: Hub, samples_client: TestClient
) -> None:
    vendor = member(hub, "Vendor", clearance=TLP.RED)
    partner = member(hub, "Partner", clearance=TLP.RED)
    shared = upload(samples_client, vendor, apk(), tlp="red", shared_with=[partner.org_id])
    wait(hub)
    number = _proposals(samples_client, partner.auth, shared["id"])[0]["number"]
    accepted = samples_client.post(
        f"/api/v1/samples/{shared['id']}/proposals/{number}/accept",
        json={"family_id": family(hub, vendor.org_id)},
        headers=vendor.auth,
    ).json()
    with hub.db.reader() as session:
        indicator = session.get(Indicator, accepted["indicator_id"])
        assert indicator is not None and indicator.tlp is TLP.RED
        named = session.scalars(
            select(ObjectShare.org_id).where(
                ObjectShare.object_type == "indicators", ObjectShare.object_id == indicator.id
            )
        ).all()
    assert list(named) == [partner.org_id]


def test_zip_bomb_fails_with_a_reason_and_the_hub_goes_on(
    hub: Hub, samples_client: TestClient
) -> None:
    admin = coalition(hub)
    bomb = upload(samples_client, admin, zip_bomb())
    good = upload(samples_client, admin, apk(OTHER_APP))
    wait(hub)
    failed = samples_client.get(f"/api/v1/samples/{bomb['id']}", headers=admin.auth).json()
    assert failed["analysis_status"] == "failed"
    assert "zip bomb" in failed["analysis_error"]
    done = samples_client.get(f"/api/v1/samples/{good['id']}", headers=admin.auth).json()
    assert done["analysis_status"] == "done" and done["package"] == "com.example.notes"
    assert "sample.analysis_failed" in _actions(hub)


def test_provenance_is_kept_and_survivor_samples_default_to_amber(
    hub: Hub, samples_client: TestClient
) -> None:
    ngo = member(hub, "Shelter", clearance=TLP.AMBER)
    shared = upload(
        samples_client,
        ngo,
        apk(),
        from_survivor_device=True,
        consent="yes",
        may_contain_personal_data=True,
    )
    assert shared["tlp"] == "amber"
    assert shared["provenance"] == {
        "from_survivor_device": True,
        "consent": "yes",
        "may_contain_personal_data": True,
    }
    lowered = samples_client.post(
        "/api/v1/samples",
        content=apk(OTHER_APP),
        params={"from_survivor_device": True, "tlp": "green"},
        headers=ngo.auth,
    )
    assert lowered.status_code == 422
    assert "AMBER" in lowered.json()["error"]
    plain = upload(samples_client, ngo, apk(OTHER_APP))
    assert plain["tlp"] == "green"
    assert plain["provenance"] == {
        "from_survivor_device": False,
        "consent": "unknown",
        "may_contain_personal_data": False,
    }


def test_a_duplicate_upload_is_merged_not_stored_twice(
    hub: Hub, samples_client: TestClient
) -> None:
    vendor = member(hub, "Vendor")
    other = member(hub, "Other")
    first = upload(samples_client, vendor, apk())
    second = samples_client.post("/api/v1/samples", content=apk(), headers=other.auth)
    assert second.status_code == 200
    assert second.json()["id"] == first["id"] and second.json()["duplicate"] is True
    with hub.db.reader() as session:
        assert len(session.scalars(select(Sample)).all()) == 1
    store = hub.settings.sample_store
    assert len(list(store.glob("*/*.sample"))) == 1
    assert not list(store.glob(".upload-*"))


def test_a_duplicate_of_an_invisible_sample_is_refused(
    hub: Hub, samples_client: TestClient
) -> None:
    vendor = member(hub, "Vendor", clearance=TLP.RED)
    other = member(hub, "Other", clearance=TLP.RED)
    upload(samples_client, vendor, apk(), tlp="red")
    refused = samples_client.post("/api/v1/samples", content=apk(), headers=other.auth)
    assert refused.status_code == 409
    assert "sample.duplicate_refused" in _actions(hub)


def test_uploads_need_the_samples_scope(hub: Hub, samples_client: TestClient) -> None:
    reader = member(hub, "Reader", scopes=frozenset({Scope.READ}))
    refused = samples_client.post("/api/v1/samples", content=apk(), headers=reader.auth)
    assert refused.status_code == 403
    assert not list(hub.settings.sample_store.glob("*/*.sample"))


def test_an_upload_over_the_limit_is_cut_off(hub: Hub, samples_client: TestClient) -> None:
    current: SamplesContext = hub.app.state.samples
    hub.app.state.samples = SamplesContext(current.store, current.worker, max_bytes=4096)
    admin = coalition(hub)
    refused = samples_client.post("/api/v1/samples", content=apk(), headers=admin.auth)
    assert refused.status_code == 413
    assert "MB" in refused.json()["error"]
    store = hub.settings.sample_store
    assert not list(store.glob("*/*.sample")) and not list(store.glob(".upload-*"))


def test_a_missing_key_file_is_reported_on_download(hub: Hub, samples_client: TestClient) -> None:
    admin = coalition(hub)
    shared = upload(samples_client, admin, apk())
    wait(hub)
    key_path(hub.settings.sample_store).unlink()
    current: SamplesContext = hub.app.state.samples
    hub.app.state.samples = SamplesContext(SampleStore(current.store.root), current.worker)
    response = samples_client.get(f"/api/v1/samples/{shared['id']}/download", headers=admin.auth)
    assert response.status_code == 503
    assert "key file" in response.json()["error"] and "missing" in response.json()["error"]
    assert "backup" in response.json()["advice"]


def test_samples_left_unfinished_are_analysed_when_the_hub_starts(hub: Hub) -> None:
    context = install_inline_worker(hub)
    with TestClient(hub.app) as client:
        shared = upload(client, coalition(hub), apk())
        wait(hub)
    with hub.db.writer() as session:
        sample = session.get(Sample, shared["id"])
        assert sample is not None
        sample.analysis_status = AnalysisStatus.RUNNING
        sample.analysis = None
    restarted = AnalysisWorker(hub.db, context.store, context.worker.runner)
    restarted.start()
    try:
        assert restarted.wait_idle(WAIT)
    finally:
        restarted.stop()
    with hub.db.reader() as session:
        again = session.get(Sample, shared["id"])
        assert again is not None and again.analysis_status is AnalysisStatus.DONE
