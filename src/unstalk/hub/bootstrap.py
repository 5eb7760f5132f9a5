"""``unstalk hub init``: create the schema, the coalition's organisation and its first admin."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from unstalk.feed.model import TLP
from unstalk.hub import migrate
from unstalk.hub.audit import SYSTEM, record
from unstalk.hub.db import Database, HubSetting, Organisation, User
from unstalk.hub.errors import Conflict
from unstalk.hub.passwords import Passwords
from unstalk.hub.roles import OrgKind, Role
from unstalk.hub.schemas import UserIn

DEFAULT_SETTINGS: dict[str, tuple[object, str]] = {
    "consensus.min_organisations": (3, "Votes from at least this many organisations (quorum)."),
    "consensus.majority": ([2, 3], "Approvals needed, as a fraction of the votes cast."),
    "consensus.abstain_counts_for_quorum": (True, "Whether abstentions count towards quorum."),
    "consensus.voting_days": (14, "How long a proposal stays open for votes."),
}
"""Coalition rules written at ``init``, changed later by coalition admins."""


def init_hub(
    database: Database,
    passwords: Passwords,
    *,
    org_name: str,
    country: str,
    admin: UserIn,
) -> User:
    """Migrate the database to the newest schema and create the first coalition admin.

    Refused when a coalition admin exists already, so running it twice never
    creates a second way in.
    """
    migrate.upgrade(database)
    with database.writer() as session:
        if _has_coalition_admin(session):
            raise Conflict(
                "This hub is already set up: it has a coalition admin.",
                advice="Sign in with that account, or add admins from the Users page.",
            )
        if session.scalars(select(User.id).where(User.email == admin.email)).first():
            raise Conflict(f"There is already an account for {admin.email}.")
        org = session.scalars(select(Organisation).where(Organisation.name == org_name)).first()
        if org is None:
            org = Organisation(
                name=org_name,
                kind=OrgKind.COALITION,
                country=country,
                clearance=TLP.RED,
                may_download_samples=True,
                active=True,
            )
            session.add(org)
            session.flush()
        user = User(
            org_id=org.id,
            email=admin.email,
            display_name=admin.display_name,
            role=Role.COALITION_ADMIN,
            password_hash=passwords.hash(admin.password),
            active=True,
            failed_logins=0,
        )
        session.add(user)
        _write_default_settings(session)
        record(session, SYSTEM, "hub.initialised", user, {"organisation": org.name})
    return user


def _has_coalition_admin(session: Session) -> bool:
    query = select(User.id).where(User.role == Role.COALITION_ADMIN).limit(1)
    return session.scalars(query).first() is not None


def _write_default_settings(session: Session) -> None:
    for key, (value, note) in DEFAULT_SETTINGS.items():
        if session.get(HubSetting, key) is None:
            session.add(HubSetting(key=key, value=value, note=note))
