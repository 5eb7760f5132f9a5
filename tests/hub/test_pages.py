"""The pages as each role sees them, the error pages, headers and the API description."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from unstalk.hub.accounts import create_user
from unstalk.hub.app import create_hub_app
from unstalk.hub.db import Organisation, User
from unstalk.hub.roles import Role
from unstalk.hub.schemas import UserIn

from .conftest import Hub
from .helpers import ADMIN_EMAIL, PASSWORD, add_org, principal, sign_in


def _member(hub: Hub, role: Role) -> str:
    """A user with ``role`` in a new organisation B; returns their e-mail address."""
    _, admin_b = add_org(hub.db, hub.passwords, hub.admin, "OrgB")
    email = f"{role.value}@orgb.example"
    org_admin = principal(hub.db, admin_b)
    with hub.db.writer() as session:
        data = UserIn(email=email, role=role, password=PASSWORD)
        create_user(session, org_admin, org_admin.org_id, data, hub.passwords)
    return email


def test_every_answer_carries_the_security_headers(hub: Hub, client: TestClient) -> None:
    for path in ("/login", "/api/v1/me", "/api/openapi.json", "/no-such-page", "/static/hub.css"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert "'unsafe-inline'" not in headers["content-security-policy"]
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-content-type-options"] == "nosniff"


def test_a_viewer_sees_no_admin_pages(hub: Hub, client: TestClient) -> None:
    sign_in(client, _member(hub, Role.VIEWER))
    home = client.get("/")
    assert 'href="/users"' not in home.text and 'href="/audit"' not in home.text
    for path in ("/users", "/audit"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "administrator" in response.text.lower()
    orgs = client.get("/orgs")
    assert orgs.status_code == 200 and "Add an organisation" not in orgs.text


def test_an_analyst_cannot_create_an_organisation_through_the_form(
    hub: Hub, client: TestClient
) -> None:
    csrf = sign_in(client, _member(hub, Role.ANALYST))
    response = client.post(
        "/orgs",
        data={
            "csrf_token": csrf,
            "name": "Sneaky",
            "kind": "ngo",
            "country": "FR",
            "admin_email": "s@sneaky.example",
            "admin_password": PASSWORD,
        },
    )
    assert response.status_code == 403
    with hub.db.reader() as session:
        assert (
            session.scalars(select(Organisation).where(Organisation.name == "Sneaky")).first()
            is None
        )


def test_an_org_admin_manages_only_their_own_users(hub: Hub, client: TestClient) -> None:
    _member(hub, Role.VIEWER)
    csrf = sign_in(client, "admin@orgb.example")
    page = client.get("/users")
    assert "viewer@orgb.example" in page.text and ADMIN_EMAIL not in page.text
    added = client.post(
        "/users",
        data={
            "csrf_token": csrf,
            "email": "new@orgb.example",
            "role": "analyst",
            "password": PASSWORD,
        },
    )
    assert added.status_code == 200 and "new@orgb.example" in added.text
    with hub.db.reader() as session:
        viewer = session.scalars(select(User).where(User.email == "viewer@orgb.example")).one()
    changed = client.post(f"/users/{viewer.id}", data={"csrf_token": csrf, "role": "analyst"})
    assert changed.status_code == 200
    with hub.db.reader() as session:
        viewer = session.scalars(select(User).where(User.email == "viewer@orgb.example")).one()
    assert viewer.role is Role.ANALYST and viewer.active is False


def test_invalid_form_input_gets_a_plain_explanation(hub: Hub, client: TestClient) -> None:
    csrf = sign_in(client, ADMIN_EMAIL)
    response = client.post(
        "/users", data={"csrf_token": csrf, "email": "short@example.org", "password": "short"}
    )
    assert response.status_code == 422
    assert "at least 12 characters" in response.text
    bad_email = client.post(
        "/users", data={"csrf_token": csrf, "email": "not an address", "password": PASSWORD}
    )
    assert bad_email.status_code == 422 and "email" in bad_email.text
    with hub.db.reader() as session:
        assert len(session.scalars(select(User)).all()) == 1


def test_a_coalition_admin_changes_an_organisations_clearance(hub: Hub, client: TestClient) -> None:
    org_id, _ = add_org(hub.db, hub.passwords, hub.admin, "OrgB")
    csrf = sign_in(client, ADMIN_EMAIL)
    response = client.post(
        f"/orgs/{org_id}",
        data={
            "csrf_token": csrf,
            "clearance": "amber+strict",
            "may_download_samples": "true",
            "active": "true",
        },
    )
    assert response.status_code == 200 and "TLP:amber+strict" in response.text
    with hub.db.reader() as session:
        org = session.get(Organisation, org_id)
    assert org is not None and org.may_download_samples and org.clearance.value == "amber+strict"


def test_the_api_is_described_by_openapi_and_a_plain_page(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    assert "/api/v1/keys" in schema["paths"] and "/login" not in schema["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "/api/v1/orgs/{org_id}" in docs.text
    assert "<script" not in docs.text


def test_unknown_objects_are_reported_plainly(hub: Hub, client: TestClient) -> None:
    sign_in(client, ADMIN_EMAIL)
    response = client.get("/orgs/999")
    assert response.status_code == 404 and "no organisation number 999" in response.text


def test_a_request_for_another_host_name_is_refused_when_hosts_are_set(hub: Hub) -> None:
    settings = hub.settings.model_copy(update={"allowed_hosts": ("hub.example",)})
    app = create_hub_app(settings, database=hub.db)
    with TestClient(app, base_url="http://evil.example") as other:
        assert other.get("/login").status_code == 400
    with TestClient(app, base_url="http://hub.example") as ours:
        assert ours.get("/login").status_code == 200
