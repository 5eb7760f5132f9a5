"""Reading and changing the consensus rules kept in the ``settings`` table."""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from unstalk.hub.audit import record
from unstalk.hub.consensus.outcome import ConsensusRules
from unstalk.hub.db import HubSetting
from unstalk.hub.errors import HubError
from unstalk.hub.principal import Principal
from unstalk.hub.roles import Role, Scope

QUORUM = "consensus.min_organisations"
MAJORITY = "consensus.majority"
ABSTAIN = "consensus.abstain_counts_for_quorum"
DAYS = "consensus.voting_days"
NOTES = {
    QUORUM: "Votes from at least this many organisations (quorum).",
    MAJORITY: "Approvals needed, as a fraction of the votes cast.",
    ABSTAIN: "Whether abstentions count towards quorum.",
    DAYS: "How long a proposal stays open for votes.",
}


class RulesUnreadable(HubError):
    status = 500


def load_rules(session: Session) -> ConsensusRules:
    """The rules in force; a setting never written takes its default."""
    rows = session.scalars(select(HubSetting).where(HubSetting.key.in_(NOTES)))
    stored = {row.key: row.value for row in rows}
    fields: dict[str, object] = {}
    if QUORUM in stored:
        fields["quorum"] = stored[QUORUM]
    if ABSTAIN in stored:
        fields["abstentions_count_for_quorum"] = stored[ABSTAIN]
    if DAYS in stored:
        fields["voting_days"] = stored[DAYS]
    majority = stored.get(MAJORITY)
    if isinstance(majority, list) and len(majority) == 2:
        fields["majority_numerator"], fields["majority_denominator"] = majority
    elif majority is not None:
        fields["majority_numerator"] = majority
    try:
        return ConsensusRules.model_validate(fields)
    except ValidationError as e:
        raise RulesUnreadable(
            "The consensus rules stored in the hub's settings are not valid.",
            advice="A coalition admin should set them again on the consensus rules page.",
        ) from e


def save_rules(
    session: Session, actor: Principal, rules: ConsensusRules, *, now: datetime
) -> ConsensusRules:
    """Replace the rules (coalition admins only); open proposals keep the rules they opened with."""
    actor.require(Role.COALITION_ADMIN, "change the consensus rules", Scope.ADMIN)
    before = load_rules(session)
    values: dict[str, object] = {
        QUORUM: rules.quorum,
        MAJORITY: [rules.majority_numerator, rules.majority_denominator],
        ABSTAIN: rules.abstentions_count_for_quorum,
        DAYS: rules.voting_days,
    }
    for key, value in values.items():
        row = session.get(HubSetting, key)
        if row is None:
            session.add(HubSetting(key=key, value=value, note=NOTES[key], updated_at=now))
        elif row.value != value:
            row.value = value
            row.updated_at = now
    record(
        session,
        actor,
        "consensus.rules_changed",
        details={"before": before.model_dump(), "after": rules.model_dump()},
    )
    return rules
