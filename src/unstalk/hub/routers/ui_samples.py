"""Pages: the samples list with the upload form, one sample with its analysis and proposals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from unstalk.feed.model import TLP
from unstalk.hub.auth import csrf_matches
from unstalk.hub.db import Family, Organisation
from unstalk.hub.principal import Principal
from unstalk.hub.routers.api_samples import zip_response
from unstalk.hub.samples import service
from unstalk.hub.samples.context import finish_upload, open_writer, samples_of
from unstalk.hub.samples.download import download
from unstalk.hub.samples.intake import receive_form
from unstalk.hub.samples.schemas import AcceptIn, Consent, SampleMeta
from unstalk.hub.visibility import visible
from unstalk.hub.web import browser_user, check_same_origin, form_user, hub_of, page, parse

router = APIRouter(include_in_schema=False)
BrowserUser = Annotated[Principal, Depends(browser_user)]
FormUser = Annotated[Principal, Depends(form_user)]


@router.get("/samples")
def samples_page(request: Request, user: BrowserUser, before: int | None = None) -> HTMLResponse:
    with hub_of(request).db.reader() as session:
        found = [
            service.sample_out(s) for s in service.list_samples(session, user, before_id=before)
        ]
        orgs = session.scalars(select(Organisation).order_by(Organisation.name)).all()
        context = {
            "title": "Samples",
            "samples": found,
            "orgs": [org for org in orgs if org.id != user.org_id],
            "labels": list(TLP),
            "consents": list(Consent),
        }
        return page(request, "samples.html", context, user=user)


@router.post("/samples")
async def samples_upload(request: Request) -> Response:
    check_same_origin(request)
    user = await run_in_threadpool(browser_user, request)
    service.check_may_upload(user)
    with open_writer(request.app) as writer:
        filename, fields = await receive_form(
            request, writer, lambda token: csrf_matches(user, token)
        )
        meta = parse(SampleMeta, _meta_data(filename, fields))
        answer = await run_in_threadpool(finish_upload, request.app, user, writer, meta)
    return RedirectResponse(f"/samples/{answer.id}", status_code=303)


def _meta_data(filename: str, fields: dict[str, list[str]]) -> dict[str, object]:
    def one(name: str, default: str = "") -> str:
        return fields.get(name, [default])[0]

    tlp = one("tlp")
    return {
        "filename": filename,
        "tlp": tlp or None,
        "shared_with": [value for value in fields.get("shared_with", []) if value],
        "provenance": {
            "from_survivor_device": one("from_survivor_device", "no") == "yes",
            "consent": one("consent", Consent.UNKNOWN.value),
            "may_contain_personal_data": one("may_contain_personal_data", "no") == "yes",
        },
    }


@router.get("/samples/{sample_id}")
def sample_page(request: Request, user: BrowserUser, sample_id: int) -> HTMLResponse:
    with hub_of(request).db.reader() as session:
        sample = service.get_sample(session, user, sample_id)
        families = session.scalars(
            visible(select(Family), Family, user).order_by(Family.name)
        ).all()
        context = {
            "title": f"Sample {sample.sha256[:12]}",
            "sample": service.sample_out(sample),
            "analysis": service.analysis_out(sample),
            "families": families,
            "decides": user.org_id == sample.source_org_id,
        }
        return page(request, "sample.html", context, user=user)


@router.post("/samples/{sample_id}/proposals/{number}/accept")
def accept(
    request: Request,
    user: FormUser,
    sample_id: int,
    number: int,
    family_id: Annotated[str, Form()] = "",
    confidence: Annotated[str, Form()] = "70",
) -> Response:
    body = parse(AcceptIn, {"family_id": family_id or None, "confidence": confidence})
    with hub_of(request).db.writer() as session:
        service.accept(session, user, sample_id, number, body)
    return RedirectResponse(f"/samples/{sample_id}#proposals", status_code=303)


@router.post("/samples/{sample_id}/proposals/{number}/dismiss")
def dismiss(request: Request, user: FormUser, sample_id: int, number: int) -> Response:
    with hub_of(request).db.writer() as session:
        service.dismiss(session, user, sample_id, number)
    return RedirectResponse(f"/samples/{sample_id}#proposals", status_code=303)


@router.get("/samples/{sample_id}/download")
def download_page(request: Request, user: BrowserUser, sample_id: int) -> Response:
    zipped = download(hub_of(request).db, samples_of(request.app).store, user, sample_id)
    return zip_response(zipped.name, zipped.data)
