"""Every answer carries the security headers, and the policy's values win over an answer's own."""

from __future__ import annotations

from fastapi.testclient import TestClient
from starlette.types import Message

from unstalk.hub.security import _add_headers
from unstalk.web.security import SECURITY_HEADERS

from .conftest import Hub
from .helpers import api_key, bearer


def test_a_look_up_and_a_page_carry_every_security_header(hub: Hub, client: TestClient) -> None:
    secret = api_key(hub.db, hub.admin, now=hub.clock())
    for response in (
        client.get("/api/v1/lookup?value=a.example", headers=bearer(secret)),
        client.get("/login"),
    ):
        assert response.status_code == 200
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get_list(name) == [value]


def test_a_header_the_answer_set_itself_is_replaced_not_doubled() -> None:
    message: Message = {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"Cache-Control", b"max-age=3600"), (b"content-type", b"text/plain")],
    }
    _add_headers(message)
    names = [name.lower() for name, _ in message["headers"]]
    assert names.count(b"cache-control") == 1
    assert (b"cache-control", b"no-store") in message["headers"]
    assert (b"content-type", b"text/plain") in message["headers"]
    assert len(names) == len(SECURITY_HEADERS) + 1
