"""Managing organisations and their users, with the permission rules and the audit trail.

A coalition admin creates organisations (each with its first org admin) and
may manage anyone; an org admin manages the users of their own organisation
and may give roles up to their own. Nobody can lock themselves out by
deactivating or demoting their own account.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from unstalk.hub.audit import record
from unstalk.hub.auth import end_sessions_of
from unstalk.hub.db import Organisation, User
from unstalk.hub.errors import Conflict, Forbidden, NotFound
from unstalk.hub.passwords import Passwords
from unstalk.hub.principal import Principal
from unstalk.hub.roles import Role, Scope
from unstalk.hub.schemas import OrgIn, OrgPatch, UserIn, UserPatch


def list_orgs(session: Session, viewer: Principal) -> Sequence[Organisation]:
    """Every member organisation: membership of the coalition is not a secret among members."""
    viewer.require(Role.VIEWER, "list organisations", Scope.READ)
    return session.scalars(select(Organisation).order_by(Organisation.name)).all()


def get_org(session: Session, viewer: Principal, org_id: int) -> Organisation:
    viewer.require(Role.VIEWER, "see organisations", Scope.READ)
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound(f"There is no organisation number {org_id}.")
    return org


def create_org(
    session: Session, actor: Principal, data: OrgIn, passwords: Passwords
) -> tuple[Organisation, User]:
    actor.require(Role.COALITION_ADMIN, "create organisations", Scope.ADMIN)
    if session.scalars(select(Organisation).where(Organisation.name == data.name)).first():
        raise Conflict(f"An organisation called '{data.name}' already exists.")
    org = Organisation(
        name=data.name,
        kind=data.kind,
        country=data.country,
        clearance=data.clearance,
        may_download_samples=data.may_download_samples,
        active=True,
    )
    session.add(org)
    session.flush()
    record(session, actor, "org.created", org, data.model_dump(mode="json", exclude={"admin"}))
    admin = _add_user(
        session, actor, org, data.admin.model_copy(update={"role": Role.ORG_ADMIN}), passwords
    )
    return org, admin


def update_org(session: Session, actor: Principal, org_id: int, changes: OrgPatch) -> Organisation:
    actor.require(Role.COALITION_ADMIN, "change organisations", Scope.ADMIN)
    org = get_org(session, actor, org_id)
    updates = changes.model_dump(exclude_none=True)
    if org.id == actor.org_id and updates.get("active") is False:
        raise Forbidden("You cannot deactivate your own organisation.")
    before = {name: getattr(org, name) for name in updates}
    for name, value in updates.items():
        setattr(org, name, value)
    record(session, actor, "org.updated", org, _diff(before, updates))
    return org


def list_users(session: Session, viewer: Principal, org_id: int | None = None) -> Sequence[User]:
    """Users of ``org_id``; by default every user for a coalition admin, else their own org's."""
    viewer.require(Role.ORG_ADMIN, "list users", Scope.ADMIN)
    query = select(User).order_by(User.email)
    if org_id is None:
        if viewer.is_coalition_admin:
            return session.scalars(query).all()
        org_id = viewer.org_id
    _check_manages(viewer, org_id)
    return session.scalars(query.where(User.org_id == org_id)).all()


def create_user(
    session: Session, actor: Principal, org_id: int, data: UserIn, passwords: Passwords
) -> User:
    actor.require(Role.ORG_ADMIN, "add users", Scope.ADMIN)
    _check_manages(actor, org_id)
    _check_may_grant(actor, data.role)
    org = get_org(session, actor, org_id)
    return _add_user(session, actor, org, data, passwords)


def update_user(session: Session, actor: Principal, user_id: int, changes: UserPatch) -> User:
    actor.require(Role.ORG_ADMIN, "change users", Scope.ADMIN)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user number {user_id}.")
    _check_manages(actor, user.org_id)
    _check_may_grant(actor, user.role)
    if changes.role is not None:
        _check_may_grant(actor, changes.role)
    updates = changes.model_dump(exclude_none=True)
    if user.id == actor.user_id and updates:
        raise Forbidden("You cannot change your own role or deactivate yourself.")
    before = {name: getattr(user, name) for name in updates}
    for name, value in updates.items():
        setattr(user, name, value)
    if updates:
        end_sessions_of(session, user.id)
    record(session, actor, "user.updated", user, _diff(before, updates))
    return user


def _add_user(
    session: Session, actor: Principal, org: Organisation, data: UserIn, passwords: Passwords
) -> User:
    if session.scalars(select(User).where(User.email == data.email)).first():
        raise Conflict(f"There is already an account for {data.email}.")
    user = User(
        org_id=org.id,
        email=data.email,
        display_name=data.display_name,
        role=data.role,
        password_hash=passwords.hash(data.password),
        active=True,
        failed_logins=0,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as e:
        raise Conflict(f"There is already an account for {data.email}.") from e
    record(session, actor, "user.created", user, {"email": user.email, "role": user.role.value})
    return user


def _check_manages(actor: Principal, org_id: int) -> None:
    if actor.org_id != org_id and not actor.is_coalition_admin:
        raise Forbidden("You can only manage the users of your own organisation.")


def _check_may_grant(actor: Principal, role: Role) -> None:
    if not actor.role.at_least(role):
        raise Forbidden("You cannot manage an account with a higher role than your own.")


def _diff(before: dict[str, object], after: dict[str, object]) -> dict[str, object]:
    return {
        name: {"from": _plain(before[name]), "to": _plain(value)}
        for name, value in after.items()
        if before[name] != value
    }


def _plain(value: object) -> object:
    return value if isinstance(value, bool | int | str | None) else str(value)
