"""A reader's findings as plain tuples, to send them from one process to another quickly.

Pickling tens of thousands of slotted dataclasses costs about ten times as much as
pickling the same values as tuples of strings and numbers: for a big capture read
by two processes, the difference is a tenth of the whole run. :func:`pack` and
:func:`unpack` are exact inverses (tests check that on every generated capture).
"""

from __future__ import annotations

from collections import Counter

from unstalk.netcap.dnsnames import Resolved
from unstalk.netcap.model import (
    DnsRecord,
    Flow,
    FlowKey,
    HttpRequest,
    NameSource,
    TlsHello,
    Transport,
)
from unstalk.netcap.parts import ExtractionPart
from unstalk.netcap.scan import Walked

__all__ = ["Packed", "pack", "unpack"]

_Key = tuple[str, str, int, str, int]
_FlowRow = tuple[_Key, float, float, int, int, str | None, str, list[float], int | None]
_DnsRow = tuple[int, float, str, str, str, str, tuple[str, ...], str, bool]
_TlsRow = tuple[int, float, _Key, str | None, tuple[str, ...], int | None]
_HttpRow = tuple[int, float, _Key, str, str | None, str, str | None]
_Found = tuple[
    list[_FlowRow],
    list[_DnsRow],
    list[_TlsRow],
    list[_HttpRow],
    list[tuple[int, _HttpRow]],
    dict[str, int],
    Resolved,
    int,
]
Packed = tuple[_Found, dict[str, int], tuple[int, float] | None, float, int, int]
"""A :class:`~unstalk.netcap.scan.Walked` as nested tuples and lists of plain values."""


def pack(walked: Walked) -> Packed:
    """``walked`` as plain values."""
    part = walked.part
    flows = [
        (
            _key(f.key),
            f.first_seen,
            f.last_seen,
            f.packets,
            f.bytes,
            f.name,
            f.name_source.value,
            f.timestamps,
            f.first_number,
        )
        for f in part.flows
    ]
    dns = [
        (
            r.number,
            r.timestamp,
            r.client,
            r.server,
            r.name,
            r.qtype,
            r.answers,
            r.transport.value,
            r.response,
        )
        for r in part.dns
    ]
    tls = [(h.number, h.timestamp, _key(h.flow), h.sni, h.alpn, h.quic_version) for h in part.tls]
    http = [_request(r) for r in part.http]
    late = [(opened, _request(r)) for opened, r in part.late_http]
    found = (flows, dns, tls, http, late, dict(part.malformed), part.resolved, part.peak_open)
    return (found, walked.skipped, walked.first, walked.last, walked.frames, walked.partial)


def unpack(packed: Packed) -> Walked:
    """The :class:`~unstalk.netcap.scan.Walked` that :func:`pack` was given."""
    found, skipped, first, last, frames, partial = packed
    flows, dns, tls, http, late, malformed, resolved, peak_open = found
    keys: dict[_Key, FlowKey] = {}

    def key(values: _Key) -> FlowKey:
        flow_key = keys.get(values)
        if flow_key is None:
            transport, client, client_port, server, server_port = values
            flow_key = FlowKey(Transport(transport), client, client_port, server, server_port)
            keys[values] = flow_key
        return flow_key

    def request(values: _HttpRow) -> HttpRequest:
        number, timestamp, flow, method, host, path, agent = values
        return HttpRequest(number, timestamp, key(flow), method, host, path, agent)

    part = ExtractionPart(
        flows=[
            Flow(key(k), first, last_seen, packets, size, name, NameSource(source), times, n)
            for k, first, last_seen, packets, size, name, source, times, n in flows
        ],
        dns=[
            DnsRecord(number, ts, client, server, name, qtype, answers, Transport(t), response)
            for number, ts, client, server, name, qtype, answers, t, response in dns
        ],
        tls=[TlsHello(n, ts, key(k), sni, alpn, quic) for n, ts, k, sni, alpn, quic in tls],
        http=[request(r) for r in http],
        late_http=[(opened, request(r)) for opened, r in late],
        malformed=Counter(malformed),
        resolved=resolved,
        peak_open=peak_open,
    )
    return Walked(part, skipped, first, last, frames, partial)


def _key(key: FlowKey) -> _Key:
    return (key.transport.value, key.client, key.client_port, key.server, key.server_port)


def _request(r: HttpRequest) -> _HttpRow:
    return (r.number, r.timestamp, _key(r.flow), r.method, r.host, r.path, r.user_agent)
