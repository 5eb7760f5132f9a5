"""JSON API: who am I, organisations, users."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from unstalk.hub.accounts import (
    create_org,
    create_user,
    get_org,
    list_orgs,
    list_users,
    update_org,
    update_user,
)
from unstalk.hub.principal import Principal
from unstalk.hub.schemas import MeOut, OrgIn, OrgOut, OrgPatch, UserIn, UserOut, UserPatch
from unstalk.hub.web import api_user, hub_of

router = APIRouter(prefix="/api/v1", tags=["accounts"])
ApiUser = Annotated[Principal, Depends(api_user)]


@router.get("/me")
def me(user: ApiUser) -> MeOut:
    """The key's owner, their organisation and clearance, and the key's scopes."""
    return MeOut(
        user_id=user.user_id,
        email=user.email,
        role=user.role,
        org_id=user.org_id,
        org_name=user.org_name,
        clearance=user.clearance,
        may_download_samples=user.may_download_samples,
        scopes=sorted(user.scopes),
    )


@router.get("/orgs")
def orgs(request: Request, user: ApiUser) -> list[OrgOut]:
    with hub_of(request).db.reader() as session:
        return [OrgOut.model_validate(org) for org in list_orgs(session, user)]


@router.post("/orgs", status_code=201)
def orgs_create(request: Request, user: ApiUser, body: OrgIn) -> OrgOut:
    """Create an organisation and its first org admin (coalition admins, ``admin`` scope)."""
    hub = hub_of(request)
    with hub.db.writer() as session:
        org, _ = create_org(session, user, body, hub.passwords)
        return OrgOut.model_validate(org)


@router.get("/orgs/{org_id}")
def org(request: Request, user: ApiUser, org_id: int) -> OrgOut:
    with hub_of(request).db.reader() as session:
        return OrgOut.model_validate(get_org(session, user, org_id))


@router.patch("/orgs/{org_id}")
def org_update(request: Request, user: ApiUser, org_id: int, body: OrgPatch) -> OrgOut:
    with hub_of(request).db.writer() as session:
        return OrgOut.model_validate(update_org(session, user, org_id, body))


@router.get("/users")
def users(request: Request, user: ApiUser, org_id: int | None = None) -> list[UserOut]:
    with hub_of(request).db.reader() as session:
        return [UserOut.model_validate(u) for u in list_users(session, user, org_id)]


@router.post("/orgs/{org_id}/users", status_code=201)
def users_create(request: Request, user: ApiUser, org_id: int, body: UserIn) -> UserOut:
    hub = hub_of(request)
    with hub.db.writer() as session:
        return UserOut.model_validate(create_user(session, user, org_id, body, hub.passwords))


@router.patch("/users/{user_id}")
def user_update(request: Request, user: ApiUser, user_id: int, body: UserPatch) -> UserOut:
    with hub_of(request).db.writer() as session:
        return UserOut.model_validate(update_user(session, user, user_id, body))
