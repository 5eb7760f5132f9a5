"""Pages: the feed releases, their changelogs and files, and publishing a new one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from unstalk.hub.principal import Principal
from unstalk.hub.releases.exports import FORMATS
from unstalk.hub.releases.publish import list_releases, publish_release
from unstalk.hub.releases.schemas import ReleaseOut
from unstalk.hub.releases.signing import load_key, load_or_create_key
from unstalk.hub.roles import Role, Scope
from unstalk.hub.web import browser_user, form_user, hub_of, page

router = APIRouter(include_in_schema=False)


@router.get("/releases")
def releases_page(
    request: Request, user: Annotated[Principal, Depends(browser_user)]
) -> HTMLResponse:
    hub = hub_of(request)
    with hub.db.reader() as session:
        releases = [ReleaseOut.of(r) for r in list_releases(session)]
    key_path = hub.settings.release_key_path()
    key = load_key(key_path) if key_path.is_file() else None
    context = {
        "title": "Feed releases",
        "releases": releases,
        "public_key": key.public_base64 if key else "",
        "public_key_pem": key.public_pem if key else "",
        "base_url": str(request.base_url).rstrip("/"),
        "formats": FORMATS,
    }
    return page(request, "releases.html", context, user=user)


@router.post("/releases")
def releases_publish(request: Request, user: Annotated[Principal, Depends(form_user)]) -> Response:
    hub = hub_of(request)
    user.require(Role.COALITION_ADMIN, "publish a feed release", Scope.ADMIN)
    key = load_or_create_key(hub.settings.release_key_path())
    with hub.db.writer() as session:
        publish_release(session, user, hub.settings.releases_dir(), key, now=hub.clock())
    return RedirectResponse("/releases", status_code=303)
