"""Pieces of the samples tests: synthetic APKs, a hub whose analyser runs inline, members."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import pytest
from fastapi.testclient import TestClient

from tests.apk.builder.apk import SyntheticApp, build_apk
from tests.apk.builder.components import launcher_activity, permissions
from unstalk.apk.analyse import Analyser
from unstalk.feed.model import TLP
from unstalk.hub.db import Family, Organisation
from unstalk.hub.db.intel import Classification, RecordStatus
from unstalk.hub.principal import Principal
from unstalk.hub.roles import Role, Scope
from unstalk.hub.samples.context import SamplesContext
from unstalk.hub.samples.runner import InlineRunner, bundled_analyser
from unstalk.hub.samples.store import SampleStore
from unstalk.hub.samples.worker import AnalysisWorker

from .conftest import Hub
from .helpers import BASE_URL, add_org, api_key, bearer, principal, scopes_for

C2 = "collect.tracker-example.net"
TRACKER = SyntheticApp(
    package="com.example.tracker",
    label="System Sync",
    version_code=3,
    version_name="1.2",
    permissions=permissions("ACCESS_FINE_LOCATION", "READ_SMS"),
    components=(launcher_activity("com.example.tracker.Main"),),
    dex_strings=(f"https://{C2}/upload", "Lcom/example/tracker/Main;"),
    models="A tracker that uploads to one server (for proposals from the analysis).",
)
OTHER_APP = SyntheticApp(
    package="com.example.notes",
    label="Notes",
    version_code=1,
    version_name="1.0",
    components=(launcher_activity("com.example.notes.Main"),),
    models="A harmless app, a second distinct sample.",
)
WAIT = 60.0


@cache
def apk(app: SyntheticApp = TRACKER) -> bytes:
    return build_apk(app)


@cache
def analyser() -> Analyser:
    return bundled_analyser()


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("AndroidManifest.xml", "w") as entry,
    ):
        for _ in range(32):
            entry.write(bytes(1 << 20))
    return buffer.getvalue()


def install_inline_worker(hub: Hub) -> SamplesContext:
    store = SampleStore(hub.settings.sample_store)
    context = SamplesContext(store, AnalysisWorker(hub.db, store, InlineRunner(analyser())))
    hub.app.state.samples = context
    return context


@dataclass
class Member:
    org_id: int
    user: Principal
    key: str

    @property
    def auth(self) -> dict[str, str]:
        return bearer(self.key)


def member(
    hub: Hub,
    name: str,
    *,
    clearance: TLP = TLP.GREEN,
    downloads: bool = False,
    scopes: frozenset[Scope] | None = None,
) -> Member:
    org_id, user_id = add_org(hub.db, hub.passwords, hub.admin, name, clearance=clearance)
    with hub.db.writer() as session:
        org = session.get(Organisation, org_id)
        assert org is not None
        org.may_download_samples = downloads
    user = principal(hub.db, user_id)
    chosen = scopes if scopes is not None else scopes_for(Role.ORG_ADMIN)
    return Member(org_id, user, api_key(hub.db, user, chosen, now=hub.clock()))


def coalition(hub: Hub) -> Member:
    """The coalition's own organisation (clearance RED, may download) and its admin."""
    key = api_key(hub.db, hub.admin, scopes_for(Role.COALITION_ADMIN), now=hub.clock())
    return Member(hub.admin.org_id, hub.admin, key)


def family(hub: Hub, org_id: int, slug: str = "tracker") -> int:
    with hub.db.writer() as session:
        row = Family(
            slug=slug,
            name=slug.title(),
            classification=Classification.STALKERWARE,
            status=RecordStatus.ACTIVE,
            tlp=TLP.GREEN,
            source_org_id=org_id,
        )
        session.add(row)
        session.flush()
        return row.id


def upload(
    client: TestClient, who: Member, data: bytes, **params: str | bool | list[int]
) -> dict[str, object]:
    response = client.post(
        "/api/v1/samples",
        content=data,
        params={"filename": "app.apk", **params},
        headers={**who.auth, "content-type": "application/vnd.android.package-archive"},
    )
    assert response.status_code in (200, 201), response.text
    body: dict[str, object] = response.json()
    return body


@pytest.fixture
def samples_client(hub: Hub) -> Iterator[TestClient]:
    """A client of a hub whose samples are analysed inline by a shared analyser."""
    install_inline_worker(hub)
    with TestClient(hub.app, base_url=BASE_URL) as client:
        yield client


def wait(hub: Hub) -> None:
    context: SamplesContext = hub.app.state.samples
    assert context.worker.wait_idle(WAIT), "the analysis did not finish"
