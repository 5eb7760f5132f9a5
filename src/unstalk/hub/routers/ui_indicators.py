"""Pages: families and indicators (list, add, edit, revoke), value look-up, the Echap import."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from unstalk.feed.model import TLP, IndicatorKind, Platform
from unstalk.feed.model import Role as NetRole
from unstalk.feed.store import bundled_dir, load_folder
from unstalk.hub.accounts import list_orgs
from unstalk.hub.db.intel import RecordStatus
from unstalk.hub.errors import InvalidInput
from unstalk.hub.indicators import families as fam
from unstalk.hub.indicators import service as ind
from unstalk.hub.indicators.echap_import import import_echap
from unstalk.hub.indicators.schemas import (
    FamilyIn,
    FamilyPatch,
    IndicatorIn,
    IndicatorPatch,
    RevokeIn,
)
from unstalk.hub.principal import Principal
from unstalk.hub.roles import Role
from unstalk.hub.routers.api_indicators import index_for
from unstalk.hub.web import browser_user, form_user, hub_of, page, parse

router = APIRouter(include_in_schema=False)
Browser = Annotated[Principal, Depends(browser_user)]
Poster = Annotated[Principal, Depends(form_user)]
TextField = Annotated[str, Form()]
ListField = Annotated[list[str] | None, Form()]
CHOICES = {
    "labels": list(TLP),
    "kinds": list(IndicatorKind),
    "roles": list(NetRole),
    "platforms": list(Platform),
    "statuses": list(RecordStatus),
}
MAX_PAGE_VALUES = 100


def _lines(text: str) -> list[str]:
    return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]


def _date(text: str, label: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as e:
        raise InvalidInput(f"The {label} date must be written as YYYY-MM-DD.") from e


def _orgs(request: Request, user: Principal) -> dict[str, object]:
    with hub_of(request).db.reader() as session:
        return {"orgs": list_orgs(session, user), **CHOICES}


@router.get("/families")
def families_page(request: Request, user: Browser) -> HTMLResponse:
    with hub_of(request).db.reader() as session:
        rows = fam.describe_families(session, fam.list_families(session, user))
    context = {"title": "Families", "families": rows, **_orgs(request, user)}
    return page(request, "indicators_families.html", context, user=user)


@router.post("/families")
def families_create(
    request: Request,
    user: Poster,
    name: TextField = "",
    slug: TextField = "",
    aliases: TextField = "",
    websites: TextField = "",
    platforms: ListField = None,
    tlp: TextField = "green",
    shared_with: ListField = None,
) -> Response:
    data = parse(
        FamilyIn,
        {
            "name": name,
            "slug": slug.strip() or None,
            "aliases": _lines(aliases),
            "websites": _lines(websites),
            "platforms": platforms or [],
            "tlp": tlp,
            "shared_with": shared_with or [],
        },
    )
    with hub_of(request).db.writer() as session:
        family_id = fam.create_family(session, user, data).id
    return RedirectResponse(f"/families/{family_id}", status_code=303)


@router.get("/families/{family_id}")
def family_page(request: Request, user: Browser, family_id: int) -> HTMLResponse:
    with hub_of(request).db.reader() as session:
        family = fam.describe_families(session, [fam.get_family(session, user, family_id)])[0]
        found = ind.list_indicators(session, user, family_id=family_id, limit=1000)
        indicators = ind.describe_indicators(session, found)
    context = {
        "title": family.name,
        "family": family,
        "indicators": indicators,
        "owner": family.source_org_id == user.org_id and user.role.at_least(Role.ANALYST),
        **_orgs(request, user),
    }
    return page(request, "indicators_family.html", context, user=user)


@router.post("/families/{family_id}")
def family_update(
    request: Request,
    user: Poster,
    family_id: int,
    name: TextField = "",
    aliases: TextField = "",
    websites: TextField = "",
    platforms: ListField = None,
    tlp: TextField = "",
    shared_with: ListField = None,
) -> Response:
    data = parse(
        FamilyPatch,
        {
            "name": name,
            "aliases": _lines(aliases),
            "websites": _lines(websites),
            "platforms": platforms or [],
            "tlp": tlp,
            "shared_with": shared_with or [],
        },
    )
    with hub_of(request).db.writer() as session:
        fam.update_family(session, user, family_id, data)
    return RedirectResponse(f"/families/{family_id}", status_code=303)


@router.post("/families/{family_id}/revoke")
def family_revoke(
    request: Request, user: Poster, family_id: int, reason: TextField = ""
) -> Response:
    data = parse(RevokeIn, {"reason": reason})
    with hub_of(request).db.writer() as session:
        fam.revoke_family(session, user, family_id, data.reason)
    return RedirectResponse(f"/families/{family_id}", status_code=303)


@router.post("/imports/echap")
def families_import(request: Request, user: Poster) -> HTMLResponse:
    user.require(Role.COALITION_ADMIN, "import the Echap feed")
    feed = load_folder(bundled_dir())
    with hub_of(request).db.writer() as session:
        result = import_echap(session, user, feed, source="bundled")
    context = {"title": "Echap feed imported", "result": result}
    return page(request, "indicators_imported.html", context, user=user)


@router.get("/indicators")
def indicators_page(
    request: Request,
    user: Browser,
    kind: IndicatorKind | None = None,
    status: RecordStatus | None = None,
    after: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:
    with hub_of(request).db.reader() as session:
        found = ind.list_indicators(session, user, kind=kind, status=status, after_id=after)
        rows = ind.describe_indicators(session, found)
    context = {
        "title": "Indicators",
        "indicators": rows,
        "kind": kind,
        "status": status,
        "next_after": rows[-1].id if len(rows) == 100 else None,
        **CHOICES,
    }
    return page(request, "indicators_list.html", context, user=user)


@router.post("/indicators")
def indicators_create(
    request: Request,
    user: Poster,
    family_id: TextField = "",
    kind: TextField = "",
    value: TextField = "",
    role: TextField = "",
    name: TextField = "",
    confidence: TextField = "50",
    first_seen: TextField = "",
    last_seen: TextField = "",
    tlp: TextField = "green",
    shared_with: ListField = None,
) -> Response:
    data = parse(
        IndicatorIn,
        {
            "family_id": family_id,
            "kind": kind,
            "value": value,
            "role": role or None,
            "name": name.strip() or None,
            "confidence": confidence,
            "first_seen": _date(first_seen, "first-seen"),
            "last_seen": _date(last_seen, "last-seen"),
            "tlp": tlp,
            "shared_with": shared_with or [],
        },
    )
    with hub_of(request).db.writer() as session:
        indicator_id = ind.create_indicator(session, user, data).id
    return RedirectResponse(f"/indicators/{indicator_id}", status_code=303)


@router.get("/indicators/{indicator_id}")
def indicator_page(request: Request, user: Browser, indicator_id: int) -> HTMLResponse:
    with hub_of(request).db.reader() as session:
        found = ind.get_indicator(session, user, indicator_id)
        indicator = ind.describe_indicators(session, [found])[0]
    context = {
        "title": f"Indicator {indicator.id}",
        "indicator": indicator,
        "owner": indicator.source_org_id == user.org_id and user.role.at_least(Role.ANALYST),
        **_orgs(request, user),
    }
    return page(request, "indicators_detail.html", context, user=user)


@router.post("/indicators/{indicator_id}")
def indicator_update(
    request: Request,
    user: Poster,
    indicator_id: int,
    role: TextField = "",
    name: TextField = "",
    confidence: TextField = "50",
    first_seen: TextField = "",
    last_seen: TextField = "",
    tlp: TextField = "",
    shared_with: ListField = None,
) -> Response:
    data = parse(
        IndicatorPatch,
        {
            "role": role or None,
            "name": name.strip() or None,
            "confidence": confidence,
            "first_seen": _date(first_seen, "first-seen"),
            "last_seen": _date(last_seen, "last-seen"),
            "tlp": tlp,
            "shared_with": shared_with or [],
        },
    )
    with hub_of(request).db.writer() as session:
        ind.update_indicator(session, user, indicator_id, data)
    return RedirectResponse(f"/indicators/{indicator_id}", status_code=303)


@router.post("/indicators/{indicator_id}/revoke")
def indicator_revoke(
    request: Request, user: Poster, indicator_id: int, reason: TextField = ""
) -> Response:
    data = parse(RevokeIn, {"reason": reason})
    with hub_of(request).db.writer() as session:
        ind.revoke_indicator(session, user, indicator_id, data.reason)
    return RedirectResponse(f"/indicators/{indicator_id}", status_code=303)


@router.get("/lookup")
def lookup_page(request: Request, user: Browser, values: str = "") -> HTMLResponse:
    """Look values up, one per line: a GET form, as looking up changes nothing."""
    wanted = [line.strip() for line in values.splitlines() if line.strip()]
    if len(wanted) > MAX_PAGE_VALUES:
        raise InvalidInput(f"Look up at most {MAX_PAGE_VALUES} values at once on this page.")
    index = index_for(request, user) if wanted else None
    results = [index.lookup(value) for value in wanted] if index else []
    context = {"title": "Look up", "values": values, "results": results}
    return page(request, "indicators_lookup.html", context, user=user)
