"""JSON API: upload samples, read their analysis, decide on proposals, download them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from unstalk.feed.model import TLP
from unstalk.hub.principal import Principal
from unstalk.hub.samples import service
from unstalk.hub.samples.context import finish_upload, lifespan, open_writer, samples_of
from unstalk.hub.samples.download import download
from unstalk.hub.samples.intake import receive_body
from unstalk.hub.samples.proposals import Proposal
from unstalk.hub.samples.schemas import AcceptIn, AnalysisOut, Consent, SampleMeta, SampleOut
from unstalk.hub.web import api_user, hub_of, parse

router = APIRouter(prefix="/api/v1", tags=["samples"], lifespan=lifespan)
ApiUser = Annotated[Principal, Depends(api_user)]

_APK_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/vnd.android.package-archive": {
                "schema": {"type": "string", "format": "binary"}
            }
        },
    }
}


@router.post("/samples", status_code=201, openapi_extra=_APK_BODY)
async def upload(
    request: Request,
    response: Response,
    user: ApiUser,
    filename: Annotated[str, Query(max_length=255)] = "",
    tlp: TLP | None = None,
    shared_with: Annotated[list[int] | None, Query()] = None,
    from_survivor_device: bool = False,
    consent: Consent = Consent.UNKNOWN,
    may_contain_personal_data: bool = False,
) -> SampleOut:
    """Upload an APK as the request body (``samples`` scope); it is analysed in the background.

    A file the hub already holds is not stored twice: the answer is the existing
    sample, with ``duplicate`` set and status 200.
    """
    service.check_may_upload(user)
    provenance = {
        "from_survivor_device": from_survivor_device,
        "consent": consent,
        "may_contain_personal_data": may_contain_personal_data,
    }
    meta = parse(
        SampleMeta,
        {
            "filename": filename,
            "tlp": tlp,
            "shared_with": shared_with or [],
            "provenance": provenance,
        },
    )
    service.sample_tlp(meta)
    with open_writer(request.app) as writer:
        await receive_body(request, writer)
        answer = await run_in_threadpool(finish_upload, request.app, user, writer, meta)
    if answer.duplicate:
        response.status_code = 200
    return answer


@router.get("/samples")
def samples(
    request: Request,
    user: ApiUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: int | None = None,
) -> list[SampleOut]:
    """The samples your organisation may see, newest first; page back with ``before``."""
    with hub_of(request).db.reader() as session:
        found = service.list_samples(session, user, limit=limit, before_id=before)
        return [service.sample_out(sample) for sample in found]


@router.get("/samples/{sample_id}")
def sample(request: Request, user: ApiUser, sample_id: int) -> SampleOut:
    with hub_of(request).db.reader() as session:
        return service.sample_out(service.get_sample(session, user, sample_id))


@router.get("/samples/{sample_id}/analysis")
def analysis(request: Request, user: ApiUser, sample_id: int) -> AnalysisOut:
    """The analyser's result (or why it failed) and the indicators it proposes."""
    with hub_of(request).db.reader() as session:
        return service.analysis_out(service.get_sample(session, user, sample_id))


@router.post("/samples/{sample_id}/proposals/{number}/accept")
def accept(
    request: Request, user: ApiUser, sample_id: int, number: int, body: AcceptIn
) -> Proposal:
    """Make the proposal an indicator with the sample's TLP and source (``write`` scope)."""
    with hub_of(request).db.writer() as session:
        return service.accept(session, user, sample_id, number, body)


@router.post("/samples/{sample_id}/proposals/{number}/dismiss")
def dismiss(request: Request, user: ApiUser, sample_id: int, number: int) -> Proposal:
    with hub_of(request).db.writer() as session:
        return service.dismiss(session, user, sample_id, number)


@router.get(
    "/samples/{sample_id}/download",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
def download_sample(request: Request, user: ApiUser, sample_id: int) -> Response:
    """The APK in a zip encrypted with AES-256, password ``infected`` (``samples`` scope)."""
    hub = hub_of(request)
    zipped = download(hub.db, samples_of(request.app).store, user, sample_id)
    return zip_response(zipped.name, zipped.data)


def zip_response(name: str, data: bytes) -> Response:
    return Response(
        data,
        media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )
