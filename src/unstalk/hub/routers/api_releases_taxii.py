"""TAXII 2.1 server under ``/taxii2/``: discovery, one API root, a collection per TLP label.

Clients sign in with a hub API key (``read`` scope), either as a Bearer token or
as the password of HTTP Basic authentication (the user name is ignored), which
is how ``taxii2-client`` and most TAXII tools send credentials. Errors are TAXII
error messages, never the hub's HTML pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from unstalk import __version__
from unstalk.errors import Error
from unstalk.hub.errors import HubError, RateLimited
from unstalk.hub.principal import Principal
from unstalk.hub.releases import taxii
from unstalk.hub.releases.keyauth import key_user
from unstalk.hub.web import hub_of

router = APIRouter(prefix="/taxii2", tags=["TAXII 2.1"])

API_ROOT = "api"
MAX_CONTENT_LENGTH = 10 * 1024 * 1024
_ACCEPTED = ("application/taxii+json", "application/*", "*/*")


def _json(body: object, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, media_type=taxii.MEDIA_TAXII, headers=headers)


def _error(error: Error) -> Response:
    status = error.status if isinstance(error, HubError) else 400
    headers: dict[str, str] = {}
    if status == 401:
        headers["www-authenticate"] = 'Basic realm="unstalk hub TAXII"'
    if isinstance(error, RateLimited):
        headers["retry-after"] = str(error.retry_after)
    body = {"title": error.message, "description": error.advice, "http_status": str(status)}
    return _json(body, status=status, headers=headers)


def _answer(request: Request, build: Callable[[Principal], Response]) -> Response:
    accept = request.headers.get("accept", "")
    if accept and not any(kind in accept for kind in _ACCEPTED):
        body = {"title": f"This server answers {taxii.MEDIA_TAXII} only.", "http_status": "406"}
        return _json(body, status=406)
    try:
        return build(key_user(request, "read TAXII collections"))
    except Error as e:
        return _error(e)


@router.get("/", response_class=Response)
def discovery(request: Request) -> Response:
    root = str(request.url_for("api_root"))
    body = {
        "title": "unstalk coalition hub",
        "description": "Stalkerware families and indicators shared by the coalition's members.",
        "default": root,
        "api_roots": [root],
    }
    return _answer(request, lambda _: _json(body))


@router.get(f"/{API_ROOT}/", response_class=Response, name="api_root")
def api_root(request: Request) -> Response:
    body = {
        "title": "Stalkerware indicators",
        "description": f"unstalk hub {__version__}: one collection per TLP label.",
        "versions": [taxii.MEDIA_TAXII],
        "max_content_length": MAX_CONTENT_LENGTH,
    }
    return _answer(request, lambda _: _json(body))


@router.get(f"/{API_ROOT}/collections/", response_class=Response)
def collections(request: Request) -> Response:
    return _answer(request, lambda user: _json({"collections": taxii.collections_for(user)}))


@router.get(f"/{API_ROOT}/collections/{{cid}}/", response_class=Response)
def collection(request: Request, cid: str) -> Response:
    def build(user: Principal) -> Response:
        return _json(taxii.collection_info(taxii.find_collection(user, cid)))

    return _answer(request, build)


def _page(request: Request, user: Principal, cid: str, query: _PageQuery) -> taxii.Page:
    label = taxii.find_collection(user, cid)
    hub = hub_of(request)
    with hub.db.reader() as session:
        return taxii.object_page(
            session,
            user,
            label,
            added_after=query.added_after,
            limit=query.limit,
            next_token=query.next,
            types=query.types,
            now=hub.clock(),
        )


class _PageQuery:
    def __init__(
        self,
        added_after: str | None,
        limit: int | None,
        next_token: str | None,
        types: str | None,
    ) -> None:
        self.added_after = added_after
        self.limit = limit
        self.next = next_token
        self.types = tuple(t for t in (types or "").split(",") if t)


def _headers(page: taxii.Page) -> dict[str, str]:
    if not page.items:
        return {}
    return {
        "X-TAXII-Date-Added-First": taxii.timestamp(page.items[0].added),
        "X-TAXII-Date-Added-Last": taxii.timestamp(page.items[-1].added),
    }


Limit = Annotated[int | None, Query(ge=1)]
Next = Annotated[str | None, Query(alias="next", max_length=20)]
Types = Annotated[str | None, Query(alias="match[type]", max_length=500)]


def _page_query(
    added_after: str | None = None,
    limit: Limit = None,
    next_token: Next = None,
    types: Types = None,
) -> _PageQuery:
    return _PageQuery(added_after, limit, next_token, types)


PageQuery = Annotated[_PageQuery, Depends(_page_query)]
"""The paging and filter parameters the objects and manifest endpoints share."""


@router.get(f"/{API_ROOT}/collections/{{cid}}/objects/", response_class=Response)
def objects(request: Request, cid: str, query: PageQuery) -> Response:
    """STIX 2.1 objects of one collection, oldest first, ``limit`` at a time."""
    return _paged(request, cid, query, taxii.envelope)


@router.get(f"/{API_ROOT}/collections/{{cid}}/manifest/", response_class=Response)
def manifest(request: Request, cid: str, query: PageQuery) -> Response:
    """What the objects endpoint would give, without the objects themselves."""
    return _paged(request, cid, query, taxii.manifest)


def _paged(
    request: Request, cid: str, query: _PageQuery, body: Callable[[taxii.Page], taxii.JsonObject]
) -> Response:
    def build(user: Principal) -> Response:
        page = _page(request, user, cid, query)
        return _json(body(page), headers=_headers(page))

    return _answer(request, build)
