"""The samples pages: upload with provenance, the analysis and proposals, all without JavaScript."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select

from unstalk.feed.model import TLP
from unstalk.hub.db import Indicator, Sample

from .conftest import Hub
from .helpers import ADMIN_EMAIL, csrf_of, sign_in
from .samples_helpers import apk, family, member, samples_client, wait

__all__ = ["samples_client"]

APK_TYPE = "application/vnd.android.package-archive"


def _upload(client: TestClient, token: str, **fields: str) -> Response:
    return client.post(
        "/samples",
        data={"csrf_token": token, **fields},
        files={"file": ("tracker.apk", apk(), APK_TYPE)},
    )


def test_share_a_sample_from_a_survivors_phone_and_accept_a_proposal(
    hub: Hub, samples_client: TestClient
) -> None:
    token = sign_in(samples_client, ADMIN_EMAIL)
    form = samples_client.get("/samples")
    assert 'enctype="multipart/form-data"' in form.text
    response = samples_client.post(
        "/samples",
        data={
            "csrf_token": csrf_of(form.text),
            "from_survivor_device": "yes",
            "consent": "no",
            "may_contain_personal_data": "yes",
        },
        files={"file": ("tracker.apk", apk(), APK_TYPE)},
    )
    assert response.status_code == 200, response.text
    sample_path = response.url.path
    assert re.fullmatch(r"/samples/\d+", sample_path)
    assert "From a survivor's device" in response.text
    assert "May contain personal data" in response.text
    assert "TLP:amber" in response.text
    wait(hub)
    family_id = family(hub, hub.admin.org_id)
    page = samples_client.get(sample_path)
    assert "Proposed indicators" in page.text and "com.example.tracker" in page.text
    accepted = samples_client.post(
        f"{sample_path}/proposals/1/accept", data={"csrf_token": token, "family_id": family_id}
    )
    assert accepted.status_code == 200
    assert "accepted" in accepted.text
    with hub.db.reader() as session:
        indicator = session.scalars(select(Indicator)).one()
    assert indicator.tlp is TLP.AMBER and indicator.family_id == family_id
    listing = samples_client.get("/samples")
    assert "tracker.apk" in listing.text and "com.example.tracker" in listing.text


def test_an_upload_without_the_form_token_stores_nothing(
    hub: Hub, samples_client: TestClient
) -> None:
    sign_in(samples_client, ADMIN_EMAIL)
    refused = _upload(samples_client, "forged")
    assert refused.status_code == 403
    with hub.db.reader() as session:
        assert session.scalars(select(Sample)).first() is None
    store = hub.settings.sample_store
    assert not list(store.glob("*/*.sample")) and not list(store.glob(".upload-*"))


def test_another_organisations_red_sample_page_is_not_found(
    hub: Hub, samples_client: TestClient
) -> None:
    token = sign_in(samples_client, ADMIN_EMAIL)
    shown = _upload(samples_client, token, tlp="red")
    assert shown.status_code == 200
    member(hub, "Stranger", clearance=TLP.RED, downloads=True)
    samples_client.cookies.clear()
    sign_in(samples_client, "admin@stranger.example")
    for path in (shown.url.path, f"{shown.url.path}/download"):
        assert samples_client.get(path).status_code == 404
    assert "tracker.apk" not in samples_client.get("/samples").text
