"""Pages: the member organisations, and creating and changing them (coalition admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from unstalk.feed.model import TLP
from unstalk.hub.accounts import create_org, get_org, list_orgs, list_users, update_org
from unstalk.hub.principal import Principal
from unstalk.hub.roles import OrgKind, Role
from unstalk.hub.schemas import OrgIn, OrgPatch
from unstalk.hub.web import browser_user, form_user, hub_of, page, parse

router = APIRouter(include_in_schema=False)

CHOICES = {"kinds": list(OrgKind), "labels": list(TLP)}


@router.get("/orgs")
def orgs_page(request: Request, user: Annotated[Principal, Depends(browser_user)]) -> HTMLResponse:
    with hub_of(request).db.reader() as session:
        orgs = list_orgs(session, user)
        return page(
            request, "orgs.html", {"title": "Organisations", "orgs": orgs, **CHOICES}, user=user
        )


@router.post("/orgs")
def orgs_create(
    request: Request,
    user: Annotated[Principal, Depends(form_user)],
    name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    country: Annotated[str, Form()] = "",
    clearance: Annotated[str, Form()] = "",
    may_download_samples: Annotated[bool, Form()] = False,
    admin_email: Annotated[str, Form()] = "",
    admin_name: Annotated[str, Form()] = "",
    admin_password: Annotated[str, Form()] = "",
) -> Response:
    data = parse(
        OrgIn,
        {
            "name": name,
            "kind": kind,
            "country": country,
            "clearance": clearance or TLP.GREEN,
            "may_download_samples": may_download_samples,
            "admin": {
                "email": admin_email,
                "display_name": admin_name,
                "role": Role.ORG_ADMIN,
                "password": admin_password,
            },
        },
    )
    hub = hub_of(request)
    with hub.db.writer() as session:
        org, _ = create_org(session, user, data, hub.passwords)
    return RedirectResponse(f"/orgs/{org.id}", status_code=303)


@router.get("/orgs/{org_id}")
def org_page(
    request: Request, org_id: int, user: Annotated[Principal, Depends(browser_user)]
) -> HTMLResponse:
    with hub_of(request).db.reader() as session:
        org = get_org(session, user, org_id)
        manages = user.is_coalition_admin or (
            user.org_id == org_id and user.role.at_least(Role.ORG_ADMIN)
        )
        users = list_users(session, user, org_id) if manages else []
        context = {"title": org.name, "org": org, "users": users, **CHOICES}
        return page(request, "org.html", context, user=user)


@router.post("/orgs/{org_id}")
def org_update(
    request: Request,
    org_id: int,
    user: Annotated[Principal, Depends(form_user)],
    kind: Annotated[str, Form()] = "",
    country: Annotated[str, Form()] = "",
    clearance: Annotated[str, Form()] = "",
    may_download_samples: Annotated[bool, Form()] = False,
    active: Annotated[bool, Form()] = False,
) -> Response:
    changes = parse(
        OrgPatch,
        {
            "kind": kind or None,
            "country": country or None,
            "clearance": clearance or None,
            "may_download_samples": may_download_samples,
            "active": active,
        },
    )
    with hub_of(request).db.writer() as session:
        update_org(session, user, org_id, changes)
    return RedirectResponse(f"/orgs/{org_id}", status_code=303)
