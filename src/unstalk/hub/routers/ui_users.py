"""Pages: the users an admin manages, adding them, changing their role or deactivating them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from unstalk.hub.accounts import create_user, list_orgs, list_users, update_user
from unstalk.hub.principal import Principal
from unstalk.hub.roles import Role
from unstalk.hub.schemas import UserIn, UserPatch
from unstalk.hub.web import browser_user, form_user, hub_of, page, parse

router = APIRouter(include_in_schema=False)


@router.get("/users")
def users_page(request: Request, user: Annotated[Principal, Depends(browser_user)]) -> HTMLResponse:
    with hub_of(request).db.reader() as session:
        users = list_users(session, user)
        orgs = list_orgs(session, user)
        grantable = [role for role in Role if user.role.at_least(role)]
        context = {
            "title": "Users",
            "users": users,
            "org_names": {org.id: org.name for org in orgs},
            "orgs": orgs if user.is_coalition_admin else [],
            "roles": grantable,
        }
        return page(request, "users.html", context, user=user)


@router.post("/users")
def users_create(
    request: Request,
    user: Annotated[Principal, Depends(form_user)],
    email: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    org_id: Annotated[int | None, Form()] = None,
) -> Response:
    data = parse(
        UserIn,
        {
            "email": email,
            "display_name": display_name,
            "role": role or "viewer",
            "password": password,
        },
    )
    hub = hub_of(request)
    with hub.db.writer() as session:
        create_user(session, user, org_id or user.org_id, data, hub.passwords)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{user_id}")
def users_update(
    request: Request,
    user_id: int,
    user: Annotated[Principal, Depends(form_user)],
    role: Annotated[str, Form()] = "",
    active: Annotated[bool, Form()] = False,
) -> Response:
    changes = parse(UserPatch, {"role": role or None, "active": active})
    with hub_of(request).db.writer() as session:
        update_user(session, user, user_id, changes)
    return RedirectResponse("/users", status_code=303)
