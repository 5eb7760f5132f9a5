"""What an extractor found in its share of a capture, and how shares make the whole.

A capture can be read by several processes at once, each extracting from the
flows whose ports fall to it (:mod:`unstalk.netcap.shards`). Flows never share
state with each other, except through DNS: a connection is named after the
capture by the answers that resolved its server's address, wherever they came
from. So each process hands back an :class:`ExtractionPart` holding its flows and
observations in capture order and its DNS answers, and :func:`join` puts the parts
together into exactly the :class:`Extraction` that one extractor reading every
packet gives. An extractor reading everything is the one-part case.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Protocol, TypeVar

from unstalk.netcap.dnsnames import Resolved, join_resolved, name_for
from unstalk.netcap.model import DnsRecord, Flow, HttpRequest, NameSource, TlsHello

__all__ = ["Extraction", "ExtractionPart", "join"]


@dataclass(frozen=True, slots=True)
class Extraction:
    """Everything the extractor found in one capture."""

    flows: tuple[Flow, ...]
    dns: tuple[DnsRecord, ...]
    tls: tuple[TlsHello, ...]
    """ClientHellos over TCP and in QUIC Initials (``quic_version`` set)."""
    http: tuple[HttpRequest, ...]
    malformed: dict[str, int]
    """Payloads that could not be decoded, counted by ``protocol.reason``."""


@dataclass(frozen=True, slots=True)
class ExtractionPart:
    """One extractor's findings, before flows are named by DNS."""

    flows: list[Flow]
    """In the order they started (by first frame)."""
    dns: list[DnsRecord]
    tls: list[TlsHello]
    http: list[HttpRequest]
    """Requests found while reading, in frame order."""
    late_http: list[tuple[int, HttpRequest]]
    """Requests found when the capture ended, each with the frame its stream started
    being kept at (the order in which the extractor closes streams)."""
    malformed: Counter[str]
    resolved: Resolved
    peak_open: int
    """The most streams this extractor held bytes for at once."""


class _Numbered(Protocol):
    @property
    def number(self) -> int: ...


_N = TypeVar("_N", bound=_Numbered)


def join(parts: Sequence[ExtractionPart]) -> Extraction:
    """The extraction of the whole capture; flows are named by DNS here."""
    if len(parts) == 1:
        part = parts[0]
        flows: list[Flow] = part.flows
        http = [*part.http, *(request for _, request in part.late_http)]
        malformed = part.malformed
        dns, tls = part.dns, part.tls
    else:
        flows = list(heapq.merge(*(p.flows for p in parts), key=_first_number))
        late = sorted((r for p in parts for r in p.late_http), key=lambda item: item[0])
        http = [*_in_frame_order(p.http for p in parts), *(request for _, request in late)]
        malformed = Counter()
        for part in parts:
            malformed.update(part.malformed)
        dns = _in_frame_order(p.dns for p in parts)
        tls = _in_frame_order(p.tls for p in parts)
    _name_by_dns(flows, join_resolved([p.resolved for p in parts]))
    return Extraction(
        flows=tuple(flows),
        dns=tuple(dns),
        tls=tuple(tls),
        http=tuple(http),
        malformed=dict(malformed),
    )


def _first_number(flow: Flow) -> int:
    return flow.first_number or 0


def _in_frame_order(lists: Iterable[list[_N]]) -> list[_N]:
    """Observations of several parts, each in frame order, merged in frame order.

    One frame belongs to one flow, so to one part: ties keep their part's order.
    """
    return list(heapq.merge(*lists, key=attrgetter("number")))


def _name_by_dns(flows: list[Flow], resolved: Resolved) -> None:
    for flow in flows:
        if flow.name is None:
            flow.name = name_for(resolved, flow.key.server, flow.first_seen)
            if flow.name is not None:
                flow.name_source = NameSource.DNS
