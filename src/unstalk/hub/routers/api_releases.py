"""Feed releases: publish and list them (API), their files at stable URLs (``/feed/``),
and the export of everything a member may see in any format."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response

from unstalk.feed.update import SIG_FILE, SUMS_FILE
from unstalk.hub.errors import NotFound
from unstalk.hub.principal import Principal
from unstalk.hub.releases.exports import EXPORT_MEDIA_TYPES, export_visible
from unstalk.hub.releases.publish import (
    SID_MAP_FILE,
    find_release,
    list_releases,
    publish_release,
    release_file,
)
from unstalk.hub.releases.schemas import ReleaseIndex, ReleaseKeyOut, ReleaseOut
from unstalk.hub.releases.signing import load_key, load_or_create_key
from unstalk.hub.roles import Role, Scope
from unstalk.hub.web import api_user, hub_of

router = APIRouter(tags=["feed releases"])
ApiUser = Annotated[Principal, Depends(api_user)]

_TEXT_FILES = (SUMS_FILE, SIG_FILE)


def release_index(request: Request) -> ReleaseIndex:
    with hub_of(request).db.reader() as session:
        releases = [ReleaseOut.of(r) for r in list_releases(session)]
    latest = releases[0] if releases else None
    return ReleaseIndex(
        latest=latest.version if latest else None,
        public_key=latest.public_key if latest else None,
        releases=releases,
    )


@router.get("/api/v1/releases")
def releases(request: Request, user: ApiUser) -> list[ReleaseOut]:
    """Every release, newest first."""
    return release_index(request).releases


@router.post("/api/v1/releases", status_code=201)
def releases_publish(request: Request, user: ApiUser) -> ReleaseOut:
    """Publish a new signed release of everything TLP:CLEAR (coalition admins, ``admin`` scope)."""
    hub = hub_of(request)
    user.require(Role.COALITION_ADMIN, "publish a feed release", Scope.ADMIN)
    key = load_or_create_key(hub.settings.release_key_path())
    with hub.db.writer() as session:
        release = publish_release(session, user, hub.settings.releases_dir(), key, now=hub.clock())
        return ReleaseOut.of(release)


@router.get("/api/v1/releases/key")
def releases_key(request: Request, user: ApiUser) -> ReleaseKeyOut:
    """The public half of the release signing key (made at the first release)."""
    path = hub_of(request).settings.release_key_path()
    if not path.is_file():
        raise NotFound("No release has been published yet, so there is no signing key.")
    key = load_key(path)
    return ReleaseKeyOut(public_key=key.public_base64, public_key_pem=key.public_pem)


@router.get(
    "/api/v1/export/{fmt}",
    response_class=Response,
    responses={200: {"description": "The feed in the format asked for."}},
)
def export(request: Request, user: ApiUser, fmt: str) -> Response:
    """Everything the caller's organisation may see, in one export format; audited."""
    hub = hub_of(request)
    with hub.db.writer() as session:
        content = export_visible(
            session, user, fmt, now=hub.clock(), sid_map=hub.settings.releases_dir() / SID_MAP_FILE
        )
    return Response(content, media_type=EXPORT_MEDIA_TYPES.get(fmt, "text/plain; charset=utf-8"))


@router.get("/feed/releases.json")
def feed_index(request: Request) -> ReleaseIndex:
    """Every release (public: releases hold TLP:CLEAR only)."""
    return release_index(request)


@router.get("/feed/{version}/{name}", response_class=FileResponse)
def feed_file(request: Request, version: str, name: str) -> FileResponse:
    """One file of a release; ``latest`` names the newest release."""
    hub = hub_of(request)
    with hub.db.reader() as session:
        release = find_release(session, version)
        path = release_file(hub.settings.releases_dir(), release, name)
    media = "text/plain; charset=utf-8" if name in _TEXT_FILES else None
    return FileResponse(path, media_type=media, filename=name, content_disposition_type="inline")
