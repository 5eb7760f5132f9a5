"""Who may see a TLP-labelled object: the one rule every query goes through.

An object is visible to a viewer's organisation when

- the organisation is the object's source (it shared it, so it already has it); or
- the label is at or below the organisation's clearance and is CLEAR, GREEN or AMBER; or
- the label is AMBER+STRICT or RED, at or below the clearance, and the
  organisation is named on the object (``object_shares``).

Roles do not widen this: a coalition admin sees what their organisation may
see and no more, so a RED object stays with the organisations it names.
"""

from __future__ import annotations

from typing import Protocol, TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_

from unstalk.feed.model import TLP
from unstalk.hub.db.intel import ObjectShare, SharedMixin

TLP_ORDER = (TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED)
"""TLP 2.0 labels from least to most restricted."""

NAMED_ONLY = frozenset({TLP.AMBER_STRICT, TLP.RED})
"""Labels that reach only the source and the organisations named on the object."""

Ts = TypeVarTuple("Ts")


class Viewer(Protocol):
    """Whoever is looking: what matters is their organisation and its clearance."""

    @property
    def org_id(self) -> int: ...

    @property
    def clearance(self) -> TLP: ...


def tlp_rank(label: TLP) -> int:
    return TLP_ORDER.index(label)


def labels_within(clearance: TLP) -> tuple[TLP, ...]:
    """Every label at or below ``clearance``."""
    return TLP_ORDER[: tlp_rank(clearance) + 1]


def visibility_clause(entity: type[SharedMixin], viewer: Viewer) -> ColumnElement[bool]:
    """The SQL condition under which ``viewer`` may see rows of ``entity``."""
    within = labels_within(viewer.clearance)
    open_labels = [label for label in within if label not in NAMED_ONLY]
    named_labels = [label for label in within if label in NAMED_ONLY]
    table = entity.__table__  # type: ignore[attr-defined]
    named = exists().where(
        ObjectShare.object_type == table.name,
        ObjectShare.object_id == table.c.id,
        ObjectShare.org_id == viewer.org_id,
    )
    return or_(
        entity.source_org_id == viewer.org_id,
        entity.tlp.in_(open_labels) if open_labels else false(),
        and_(entity.tlp.in_(named_labels), named) if named_labels else false(),
    )


def visible(statement: Select[*Ts], entity: type[SharedMixin], viewer: Viewer) -> Select[*Ts]:
    """``statement`` narrowed to the rows of ``entity`` that ``viewer`` may see."""
    return statement.where(visibility_clause(entity, viewer))
