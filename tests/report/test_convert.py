"""Turning what the checks write into reports, and refusing what is not a result."""

from __future__ import annotations

import json

import pytest

from unstalk.errors import ReportError
from unstalk.report.convert import report_from_bytes
from unstalk.report.model import Kind, Outcome, load_report, report_json

from .fixtures import CREATED, apk_json, network_json, report_of


def _convert(data: bytes) -> Outcome:
    return report_from_bytes(data, source="r.json", created_at=CREATED).outcome


def test_a_report_reads_back_as_itself() -> None:
    report = report_of("network")
    again = report_from_bytes(report_json(report).encode(), source="r.json", created_at=CREATED)
    assert again == report


def test_apk_json_lines_convert_like_the_json_array() -> None:
    lines = "\n".join(json.dumps(item) for item in json.loads(apk_json())).encode()
    from_lines = report_from_bytes(lines, source="r.jsonl", created_at=CREATED)
    from_array = report_from_bytes(apk_json(), source="r.json", created_at=CREATED)
    assert from_lines.findings == from_array.findings and from_lines.kind is Kind.APK


def test_a_single_network_result_converts() -> None:
    single = json.loads(network_json())["results"][0]
    report = report_from_bytes(json.dumps(single).encode(), source="r.json", created_at=CREATED)
    assert report.kind is Kind.NETWORK and report.subject == "phone.pcapng"


def test_a_capture_that_could_not_be_read_is_not_nothing_found() -> None:
    run = {
        "feed": None,
        "results": [
            {
                "schema": "unstalk.network-check/1",
                "path": "x.pcap",
                "status": "error",
                "error": "bad",
            }
        ],
    }
    report = report_from_bytes(json.dumps(run).encode(), source="r.json", created_at=CREATED)
    assert report.outcome is Outcome.INCOMPLETE
    assert report.not_checked[0].reason == "The check could not read this file: bad"
    assert "not complete" in report.headline


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "not JSON"),
        (b"\xff\xfe\x00garbage", "not a text file"),
        (b'{"schema": "unstalk.android-check/1", "apps": "many"', "not JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"schema": "something/else"}', "not a result unstalk can report on"),
        (b'{"schema": "unstalk.android-check/1", "apps": "many"}', "apps"),
        (b'{"schema": "unstalk.report/1", "kind": "toaster"}', "kind"),
        (b"42", "not a result"),
    ],
)
def test_what_is_not_a_result_is_refused_in_plain_words(data: bytes, says: str) -> None:
    with pytest.raises(ReportError) as caught:
        _convert(data)
    assert says in caught.value.diagnostics()


def test_load_report_names_the_bad_field() -> None:
    text = report_json(report_of("network")).replace('"outcome": "found"', '"outcome": "clean"')
    with pytest.raises(ReportError, match="outcome"):
        load_report(text, source="r.json")
