"""JSON API: families, indicators, look-ups, the full export and the Echap import."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel

from unstalk.feed.model import IndicatorKind
from unstalk.feed.store import bundled_dir, load_folder
from unstalk.hub.db.intel import RecordStatus
from unstalk.hub.indicators import families as fam
from unstalk.hub.indicators import service as ind
from unstalk.hub.indicators.echap_import import import_echap
from unstalk.hub.indicators.lookup import IndexCache, VisibleIndex
from unstalk.hub.indicators.schemas import (
    ExportOut,
    FamilyIn,
    FamilyOut,
    FamilyPatch,
    ImportOut,
    IndicatorIn,
    IndicatorOut,
    IndicatorPatch,
    LookupIn,
    LookupManyOut,
    LookupOut,
    RevokeIn,
)
from unstalk.hub.principal import Principal
from unstalk.hub.roles import Role, Scope
from unstalk.hub.web import api_user, hub_of

router = APIRouter(prefix="/api/v1", tags=["families and indicators"])
lookup_router = APIRouter(prefix="/api/v1", tags=["families and indicators"])
"""The look-ups alone: the app includes this router first, so the hub's hot path is matched
before the dozens of other routes are tried."""
ApiUser = Annotated[Principal, Depends(api_user)]


async def _lookup_user(request: Request) -> Principal:
    # Checking the key is one indexed query on a local database; doing it on the event loop
    # saves the hand-off to a worker thread, which cost more than the query on the hot path.
    return api_user(request)


LookupUser = Annotated[Principal, Depends(_lookup_user)]


def _cache(request: Request) -> IndexCache:
    state = request.app.state
    cache: IndexCache | None = getattr(state, "indicator_index", None)
    if cache is None:
        cache = state.indicator_index = IndexCache(hub_of(request).db)
    return cache


def index_for(request: Request, user: Principal) -> VisibleIndex:
    """The cached index of what ``user``'s organisation may see (one cache per app)."""
    user.require(Role.VIEWER, "read indicators", Scope.READ)
    return _cache(request).get(user)


async def _index_async(request: Request, user: Principal) -> VisibleIndex:
    """:func:`index_for` from the event loop: the database is asked off the loop, if at all."""
    user.require(Role.VIEWER, "read indicators", Scope.READ)
    cache = _cache(request)
    found = cache.fresh(user)
    return found if found is not None else await run_in_threadpool(cache.get, user)


def _json(model: BaseModel) -> Response:
    # Already validated: answered as is, rather than validated and serialised again.
    return Response(model.model_dump_json(), media_type="application/json")


def _reader(user: Principal) -> Principal:
    user.require(Role.VIEWER, "read indicators", Scope.READ)
    return user


@router.get("/families")
def families_list(request: Request, user: ApiUser) -> list[FamilyOut]:
    """Every family your organisation may see, revoked ones included."""
    with hub_of(request).db.reader() as session:
        return fam.describe_families(session, fam.list_families(session, _reader(user)))


@router.post("/families", status_code=201)
def families_create(request: Request, user: ApiUser, body: FamilyIn) -> FamilyOut:
    with hub_of(request).db.writer() as session:
        return fam.describe_families(session, [fam.create_family(session, user, body)])[0]


@router.get("/families/{family_id}")
def families_get(request: Request, user: ApiUser, family_id: int) -> FamilyOut:
    with hub_of(request).db.reader() as session:
        found = fam.get_family(session, _reader(user), family_id)
        return fam.describe_families(session, [found])[0]


@router.patch("/families/{family_id}")
def families_update(
    request: Request, user: ApiUser, family_id: int, body: FamilyPatch
) -> FamilyOut:
    with hub_of(request).db.writer() as session:
        changed = fam.update_family(session, user, family_id, body)
        return fam.describe_families(session, [changed])[0]


@router.post("/families/{family_id}/revoke")
def families_revoke(request: Request, user: ApiUser, family_id: int, body: RevokeIn) -> FamilyOut:
    """Revoke a family with a reason: it stays listed as revoked, its indicators stop matching."""
    with hub_of(request).db.writer() as session:
        revoked = fam.revoke_family(session, user, family_id, body.reason)
        return fam.describe_families(session, [revoked])[0]


@router.get("/indicators")
def indicators_list(
    request: Request,
    user: ApiUser,
    family_id: int | None = None,
    kind: IndicatorKind | None = None,
    status: RecordStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after: Annotated[int, Query(ge=0)] = 0,
) -> list[IndicatorOut]:
    """Indicators by id; page on with ``after`` set to the largest id received."""
    with hub_of(request).db.reader() as session:
        found = ind.list_indicators(
            session,
            _reader(user),
            family_id=family_id,
            kind=kind,
            status=status,
            limit=limit,
            after_id=after,
        )
        return ind.describe_indicators(session, found)


@router.get("/indicators/export", responses={200: {"model": ExportOut}})
def indicators_export(request: Request, user: ApiUser) -> Response:
    """Every active indicator your organisation may see, in one JSON document."""
    body = index_for(request, user).export_json()
    return Response(body, media_type="application/json")


@router.post("/indicators", status_code=201)
def indicators_create(request: Request, user: ApiUser, body: IndicatorIn) -> IndicatorOut:
    with hub_of(request).db.writer() as session:
        return ind.describe_indicators(session, [ind.create_indicator(session, user, body)])[0]


@router.get("/indicators/{indicator_id}")
def indicators_get(request: Request, user: ApiUser, indicator_id: int) -> IndicatorOut:
    with hub_of(request).db.reader() as session:
        found = ind.get_indicator(session, _reader(user), indicator_id)
        return ind.describe_indicators(session, [found])[0]


@router.patch("/indicators/{indicator_id}")
def indicators_update(
    request: Request, user: ApiUser, indicator_id: int, body: IndicatorPatch
) -> IndicatorOut:
    with hub_of(request).db.writer() as session:
        changed = ind.update_indicator(session, user, indicator_id, body)
        return ind.describe_indicators(session, [changed])[0]


@router.post("/indicators/{indicator_id}/revoke")
def indicators_revoke(
    request: Request, user: ApiUser, indicator_id: int, body: RevokeIn
) -> IndicatorOut:
    """Revoke an indicator with a reason: it stays listed as revoked and stops matching."""
    with hub_of(request).db.writer() as session:
        revoked = ind.revoke_indicator(session, user, indicator_id, body.reason)
        return ind.describe_indicators(session, [revoked])[0]


# The look-ups are the hub's hot path: they run on the event loop (no thread hand-off) and
# answer their own JSON.
@lookup_router.get("/lookup", response_model=LookupOut)
async def lookup_one(
    request: Request, user: LookupUser, value: Annotated[str, Query(min_length=1, max_length=4096)]
) -> Response:
    """Look a value up as ``unstalk feed match`` does: its kind is detected.

    No match does not mean the value is safe: the hub only knows what was shared.
    """
    return _json((await _index_async(request, user)).lookup(value))


@lookup_router.post("/lookup", response_model=LookupManyOut)
async def lookup_many(request: Request, user: LookupUser, body: LookupIn) -> Response:
    """Look up to 1,000 values up at once."""
    index = await _index_async(request, user)
    results = [index.lookup(value) for value in body.values]
    return _json(LookupManyOut(results=results, matched=sum(1 for r in results if r.matches)))


@router.post("/imports/echap")
def import_bundled_echap(request: Request, user: ApiUser) -> ImportOut:
    """Import the Echap snapshot bundled with unstalk (coalition admins)."""
    user.require(Role.COALITION_ADMIN, "import the Echap feed", Scope.ADMIN)
    feed = load_folder(bundled_dir())
    with hub_of(request).db.writer() as session:
        return import_echap(session, user, feed, source="bundled")
