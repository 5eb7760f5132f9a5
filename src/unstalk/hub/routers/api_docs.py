"""The API's documentation as a plain page built from the OpenAPI document (no scripts)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from unstalk.hub.web import page, signed_in_user

router = APIRouter(include_in_schema=False)

_METHODS = ("get", "post", "put", "patch", "delete")


@router.get("/api/docs")
def api_docs(request: Request) -> HTMLResponse:
    schema = request.app.openapi()
    operations = [
        {
            "method": method.upper(),
            "path": path,
            "summary": operation.get("summary", ""),
            "description": operation.get("description", ""),
        }
        for path, item in sorted(schema.get("paths", {}).items())
        for method, operation in item.items()
        if method in _METHODS
    ]
    context = {"title": "API", "operations": operations, "openapi_url": request.app.openapi_url}
    return page(request, "api_docs.html", context, user=signed_in_user(request))
