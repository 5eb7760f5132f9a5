"""HTTP/1.x request heads (RFC 9112): method, target, Host and User-Agent.

Cleartext HTTP names its server in the Host header, or in the request target
when a client talks to a proxy (absolute form) or opens a tunnel (CONNECT).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "MAX_HEAD",
    "HttpFormatError",
    "RequestHead",
    "host_from_authority",
    "looks_like_http",
    "parse_request_head",
]

MAX_HEAD = 16 * 1024
"""Request heads beyond this are cut: real ones are a few hundred bytes."""

_METHODS = frozenset(
    {
        b"GET",
        b"POST",
        b"HEAD",
        b"PUT",
        b"DELETE",
        b"OPTIONS",
        b"CONNECT",
        b"PATCH",
        b"TRACE",
        b"PROPFIND",
    }
)
_LONGEST_METHOD = max(len(m) for m in _METHODS) + 1


class HttpFormatError(ValueError):
    """Not an HTTP/1 request head; ``reason`` is a short stable key."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"malformed HTTP request: {reason}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class RequestHead:
    method: str
    target: str
    host: str | None
    """Lower-cased, without port or brackets."""
    path: str
    user_agent: str | None
    end: int
    """Offset just past the blank line that ends the head."""
    body_length: int | None
    """Bytes of body that follow (0 when none); None when it cannot be known (chunked)."""


def looks_like_http(data: bytes) -> bool:
    """Whether a client stream starts like an HTTP/1 request line (``GET /...``)."""
    space = data.find(b" ", 0, _LONGEST_METHOD)
    return space > 0 and data[:space] in _METHODS


def parse_request_head(data: bytes, *, final: bool = False) -> RequestHead | None:
    """Parse the request head at the start of ``data``.

    Returns None while the blank line ending the head has not arrived and
    ``data`` is under :data:`MAX_HEAD`; with ``final`` (no more bytes will come)
    or past that size, the complete lines present are parsed instead.
    Raises :class:`HttpFormatError` when the request line is not HTTP.
    """
    end = data.find(b"\r\n\r\n", 0, MAX_HEAD)
    if end >= 0:
        end += 4
    else:
        end = data.find(b"\n\n", 0, MAX_HEAD)
        if end >= 0:
            end += 2
        elif final or len(data) >= MAX_HEAD:
            end = min(len(data), MAX_HEAD)
        else:
            return None
    head = data[:end].decode("latin-1")
    lines = head.split("\n")
    method, target = _request_line(lines[0].rstrip("\r"))
    headers = _headers(lines[1:])
    host, path = _host_and_path(method, target, headers.get("host"))
    return RequestHead(
        method=method,
        target=target,
        host=host,
        path=path,
        user_agent=headers.get("user-agent"),
        end=end,
        body_length=_body_length(headers),
    )


def _request_line(line: str) -> tuple[str, str]:
    parts = line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/") or not parts[1]:
        raise HttpFormatError("bad-request-line")
    if parts[0].encode("latin-1") not in _METHODS:
        raise HttpFormatError("unknown-method")
    return parts[0], parts[1]


def _headers(lines: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw in lines:
        line = raw.rstrip("\r")
        name, colon, value = line.partition(":")
        if not colon:
            continue
        # The first of repeated headers wins, as with Host in most servers.
        headers.setdefault(name.strip().lower(), value.strip())
    return headers


def _host_and_path(method: str, target: str, host_header: str | None) -> tuple[str | None, str]:
    if method == "CONNECT":
        return host_from_authority(target), ""
    scheme, sep, rest = target.partition("://")
    if sep and scheme.lower() in ("http", "https", "ws", "wss"):
        cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
        path = rest[cut:] or "/"
        return host_from_authority(rest[:cut]), path
    return (host_from_authority(host_header) if host_header else None), target


def host_from_authority(authority: str) -> str | None:
    """``user@Host.example:8080`` -> ``host.example``; ``[2001:db8::1]:80`` -> ``2001:db8::1``."""
    authority = authority.rpartition("@")[2].strip()
    if authority.startswith("["):
        host = authority[1:].partition("]")[0]
    elif authority.count(":") > 1:
        host = authority  # an IPv6 literal missing its brackets
    else:
        name, colon, port = authority.rpartition(":")
        host = name if colon and (port.isdigit() or not port) else authority
    host = host.rstrip(".").lower()
    return host or None


def _body_length(headers: dict[str, str]) -> int | None:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return None
    length = headers.get("content-length")
    if length is None:
        return 0
    return int(length) if length.isdigit() else None
