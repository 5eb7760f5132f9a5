"""The MISP feed under ``/misp/``: TLP:CLEAR for anyone, more with a hub API key.

Without credentials the feed holds TLP:CLEAR families and indicators only. With
a hub API key (Bearer header, or Basic password: set it in the MISP feed's
headers) it holds everything the key owner's organisation may see.
"""

from __future__ import annotations

import json
import re

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from unstalk.errors import Error
from unstalk.hub.errors import HubError, NotFound
from unstalk.hub.releases.keyauth import has_credentials, key_user
from unstalk.hub.releases.mispfeed import MispFeed, misp_feed
from unstalk.hub.releases.snapshot import PUBLIC
from unstalk.hub.visibility import Viewer
from unstalk.hub.web import hub_of

router = APIRouter(prefix="/misp", tags=["MISP feed"])

_EVENT_FILE = re.compile(r"^([0-9a-f-]{36})\.json$")


def _feed(request: Request) -> MispFeed:
    viewer: Viewer = PUBLIC
    if has_credentials(request):
        viewer = key_user(request, "read the MISP feed")
    hub = hub_of(request)
    with hub.db.reader() as session:
        return misp_feed(session, viewer, now=hub.clock())


def _error(error: Error) -> Response:
    status = error.status if isinstance(error, HubError) else 400
    return JSONResponse({"error": error.message, "advice": error.advice}, status_code=status)


def _json(value: object) -> Response:
    body = json.dumps(value, sort_keys=True, ensure_ascii=False).encode()
    return Response(body, media_type="application/json")


@router.get("/manifest.json", response_class=Response)
def manifest(request: Request) -> Response:
    """Every event: uuid -> its summary (info, date, tags, creator)."""
    try:
        return _json(_feed(request).manifest())
    except Error as e:
        return _error(e)


@router.get("/hashes.csv", response_class=Response)
def hashes(request: Request) -> Response:
    try:
        return Response(_feed(request).hashes_csv(), media_type="text/csv")
    except Error as e:
        return _error(e)


@router.get("/{name}", response_class=Response)
def event(request: Request, name: str) -> Response:
    """One event, ``<uuid>.json``."""
    try:
        found = _EVENT_FILE.match(name)
        doc = _feed(request).events.get(found.group(1)) if found else None
        if doc is None:
            raise NotFound(f"This MISP feed has no event {name!r}.")
        return _json(doc)
    except Error as e:
        return _error(e)
