"""Any result unstalk writes, as a report: the report itself, or a check's JSON converted.

:func:`report_from_bytes` reads JSON (or JSON lines, as ``scan apk --format
jsonl`` writes) and picks the adapter by the ``schema`` the data names.
"""

from __future__ import annotations

import json
from datetime import datetime

from unstalk.errors import ReportError
from unstalk.report.build import validated
from unstalk.report.from_android import SCHEMA as ANDROID_SCHEMA
from unstalk.report.from_android import report_from_android_json
from unstalk.report.from_apk import SCHEMA as APK_SCHEMA
from unstalk.report.from_apk import report_from_apk_json
from unstalk.report.from_ios import SCHEMA as IOS_SCHEMA
from unstalk.report.from_ios import report_from_ios_json
from unstalk.report.from_network import SCHEMA as NETWORK_SCHEMA
from unstalk.report.from_network import report_from_network_json
from unstalk.report.model import SCHEMA, Report

KNOWN = (SCHEMA, ANDROID_SCHEMA, IOS_SCHEMA, NETWORK_SCHEMA, APK_SCHEMA)


def report_from_bytes(data: bytes, *, source: str, created_at: datetime) -> Report:
    """The report in ``data`` (a report, or a check's result); :class:`ReportError` otherwise."""
    value = _parse(data, source)
    schema = _schema(value)
    if schema == SCHEMA:
        return validated(Report, value, "report")
    if schema == ANDROID_SCHEMA:
        return report_from_android_json(value, created_at=created_at)
    if schema == IOS_SCHEMA:
        return report_from_ios_json(value, created_at=created_at)
    if schema == NETWORK_SCHEMA:
        return report_from_network_json(value, created_at=created_at)
    if schema == APK_SCHEMA:
        return report_from_apk_json(value, created_at=created_at)
    return _not_result(source)


def _parse(data: bytes, source: str) -> object:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ReportError(f"{source} is not a text file.", advice=_ADVICE) from e
    try:
        return json.loads(text)
    except json.JSONDecodeError as whole:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) < 2:
            raise ReportError(f"{source} is not JSON ({whole.msg}).", advice=_ADVICE) from whole
        try:
            return [json.loads(line) for line in lines]
        except json.JSONDecodeError as e:
            raise ReportError(f"{source} is not JSON ({e.msg}).", advice=_ADVICE) from e
    except RecursionError as e:
        raise ReportError(f"{source} is nested too deeply to be a result.", advice=_ADVICE) from e


def _schema(value: object) -> str | None:
    if isinstance(value, list):
        return _schema(value[0]) if value else None
    if not isinstance(value, dict):
        return None
    schema = value.get("schema")
    if isinstance(schema, str):
        return schema
    results = value.get("results")
    return _schema(results) if isinstance(results, list) else None


def _not_result(source: str) -> Report:
    raise ReportError(
        f"{source} is not a result unstalk can report on.",
        advice=_ADVICE,
    )


_ADVICE = (
    "Give the JSON file a check wrote: unstalk check android|ios|pcap --format json -o FILE, or "
    "unstalk scan apk --format json."
)
