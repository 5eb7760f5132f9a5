"""Releases on SQLite and PostgreSQL, and two coalition admins publishing at the same moment."""

from __future__ import annotations

import base64
import hashlib
from concurrent.futures import ThreadPoolExecutor

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient

from unstalk.feed.update import parse_sums

from .conftest import Hub
from .helpers import BASE_URL, bearer
from .releases_world import build_world


def _verified(client: TestClient, version: str, public_key: str) -> dict[str, str]:
    sums = client.get(f"/feed/{version}/SHA256SUMS").content
    signature = base64.b64decode(client.get(f"/feed/{version}/SHA256SUMS.sig").content)
    Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key)).verify(signature, sums)
    listed = parse_sums(sums.decode())
    for name, digest in listed.items():
        assert hashlib.sha256(client.get(f"/feed/{version}/{name}").content).hexdigest() == digest
    return listed


def test_simultaneous_publications_never_share_a_version(any_hub: Hub) -> None:
    world = build_world(any_hub)
    key = world.keys["admin"]
    with TestClient(any_hub.app, base_url=BASE_URL) as client:

        def publish(_: int) -> tuple[int, dict[str, object]]:
            answer = client.post("/api/v1/releases", headers=bearer(key))
            return answer.status_code, answer.json()

        with ThreadPoolExecutor(max_workers=3) as pool:
            answers = list(pool.map(publish, range(3)))
        # Each either published or was told another publication got there first.
        assert {status for status, _ in answers} <= {201, 409}
        published = [body for status, body in answers if status == 201]
        assert published
        versions = [str(body["version"]) for body in published]
        assert len(set(versions)) == len(versions)
        for body in published:
            _verified(client, str(body["version"]), str(body["public_key"]))
        index = client.get("/feed/releases.json").json()
        assert sorted(r["version"] for r in index["releases"]) == sorted(versions)


def test_export_and_taxii_on_every_database(any_hub: Hub) -> None:
    world = build_world(any_hub)
    with TestClient(any_hub.app, base_url=BASE_URL) as client:
        stix = client.get("/api/v1/export/stix2", headers=bearer(world.keys["Named"]))
        assert stix.status_code == 200 and b"red.spy.example" in stix.content
        other = client.get("/api/v1/export/stix2", headers=bearer(world.keys["Other"]))
        assert b"amber.spy.example" in other.content
        assert b"red.spy.example" not in other.content
        assert b"amberstrict.spy.example" not in other.content
        auth = {"authorization": f"Bearer {world.keys['Other']}"}
        collections = client.get("/taxii2/api/collections/", headers=auth).json()["collections"]
        assert {c["alias"] for c in collections} == {
            "clear",
            "green",
            "amber",
            "amber-strict",
            "red",
        }
