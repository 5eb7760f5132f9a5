"""A report from network checks (``unstalk check pcap --format json``), one for all captures.

The input is the run object the CLI writes (``feed``, ``allowlist``, ``results``)
or a single result (schema ``unstalk.network-check/1``). A capture that could not
be read is listed under what could not be checked, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Literal

from pydantic import Field

from unstalk import __version__
from unstalk.feed.model import Provenance, provenance_summary
from unstalk.models import Severity
from unstalk.netcap.check import NetworkCheckResult, result_dict
from unstalk.report.build import (
    FeedInput,
    Input,
    feed_info,
    finding,
    ordered,
    outcome,
    summarise,
    validated,
)
from unstalk.report.check_texts import CHECKED_CAPTURE, NETWORK_TITLES, UNREADABLE
from unstalk.report.i18n import translator
from unstalk.report.model import (
    Evidence,
    EvidenceKind,
    Kind,
    NotCheckedItem,
    Report,
    ReportFinding,
)
from unstalk.report.texts import headline

SCHEMA = "unstalk.network-check/1"


class _Indicator(Input):
    kind: str
    value: str
    role: str | None = None
    source: str = ""


class _Observation(Input):
    seen: str
    value: str
    frame: int | None = None
    time: datetime | None = None
    flow: str | None = None
    name: str | None = None


class _Finding(Input):
    check: str
    severity: Severity
    summary: str
    detail: str = ""
    allowlisted: bool = False
    family: str | None = None
    family_type: str | None = None
    indicator: _Indicator | None = None
    first: _Observation
    count: int = 1
    last_time: datetime | None = None


class _Capture(Input):
    packets: int = 0


class _Seen(Input):
    flows: int = 0
    dns: int = 0
    tls: int = 0
    http: int = 0


class _Result(Input):
    schema_id: Literal["unstalk.network-check/1"] = Field(alias="schema")
    path: str
    status: Literal["checked", "error"]
    error: str = ""
    capture: _Capture = Field(default_factory=_Capture)
    seen: _Seen = Field(default_factory=_Seen)
    findings: list[_Finding] = Field(default_factory=list)
    limits: list[str] = Field(default_factory=list)


class NetworkRunInput(Input):
    feed: FeedInput | None = None
    allowlist: str | None = None
    results: list[_Result]


def report_from_network_json(data: object, *, created_at: datetime) -> Report:
    """The report of ``unstalk check pcap``'s JSON (a run, or one result)."""
    if isinstance(data, dict) and data.get("schema") == SCHEMA:
        data = {"results": [data]}
    run = validated(NetworkRunInput, data, "network check")
    checked = [r for r in run.results if r.status == "checked"]
    findings = ordered(_finding(f, r.path) for r in checked for f in r.findings)
    not_checked = tuple(
        NotCheckedItem(
            part=r.path, reason=UNREADABLE.format(reason=r.error), source=r.path, complete_miss=True
        )
        for r in run.results
        if r.status == "error"
    )
    summary = summarise(
        findings,
        (f.params["family"] for f in findings if f.code == "network.feed-match"),
        (f.params["family"] for f in findings if f.code == "network.watchware-match"),
    )
    result = outcome(summary, not_checked)
    return Report(
        kind=Kind.NETWORK,
        subject=", ".join(r.path for r in run.results),
        created_at=created_at,
        tool_version=__version__,
        source_schema=SCHEMA,
        feed=feed_info(run.feed),
        outcome=result,
        headline=headline(result, summary, translator("en")),
        summary=summary,
        findings=findings,
        checked=tuple(_checked(r) for r in checked),
        not_checked=not_checked,
        limits=tuple(dict.fromkeys(limit for r in checked for limit in r.limits)),
    )


def report_from_network(
    results: list[NetworkCheckResult], *, created_at: datetime, feed: Provenance | None = None
) -> Report:
    """The report of typed capture results (what ``unstalk check pcap`` computes)."""
    data = {
        "feed": provenance_summary(feed),
        "results": [result_dict(r) for r in results],
    }
    return report_from_network_json(data, created_at=created_at)


def _checked(result: _Result) -> str:
    seen = result.seen
    return CHECKED_CAPTURE.format(
        packets=result.capture.packets,
        path=result.path,
        flows=seen.flows,
        dns=seen.dns,
        tls=seen.tls,
        http=seen.http,
    )


def _finding(found: _Finding, path: str) -> ReportFinding:
    check = found.check
    if check == "feed-match" and found.family_type == "watchware":
        check = "watchware-match"
    params = {"family": found.family} if found.family else {}
    template = NETWORK_TITLES.get(check)
    title = template.format(**params) if template else found.summary
    first = found.first
    return finding(
        f"network.{check}",
        found.severity,
        title,
        found.summary,
        _evidence(found, path),
        subject=first.name or first.value,
        time=first.time,
        params=params,
    )


def _evidence(found: _Finding, path: str) -> Iterator[Evidence]:
    first = found.first
    where = ", ".join(
        part
        for part in (
            f"frame {first.frame}" if first.frame is not None else "",
            first.flow or "",
            first.time.isoformat() if first.time else "",
        )
        if part
    )
    yield Evidence(
        kind=EvidenceKind.OBSERVATION,
        value=f"{first.seen} {first.value}"
        + (f" (seen {found.count} times)" if found.count > 1 else ""),
        source=path,
        location=where,
    )
    if found.indicator is not None:
        indicator = found.indicator
        yield Evidence(
            kind=EvidenceKind.INDICATOR,
            value=first.value,
            source=indicator.source,
            location=f"{indicator.kind} ({indicator.role or 'no role given'})",
            indicator=indicator.value,
            family=found.family,
        )
    if found.detail and found.indicator is None:
        yield Evidence(kind=EvidenceKind.OBSERVATION, value=found.detail, source=path)
    if found.allowlisted:
        yield Evidence(
            kind=EvidenceKind.OBSERVATION,
            value="on the allow-list: lowered to information",
            source=path,
        )
