"""The report model and its committed JSON Schema.

After changing the model, regenerate the schema (with the golden reports) and review the
diff::

    python -m tests.report.fixtures
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources

import pytest
from pydantic import ValidationError

from unstalk.report.model import SCHEMA, Kind, Outcome, Report, json_schema, report_dict


def _committed() -> object:
    path = resources.files("unstalk.report") / "schema" / "report-1.json"
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_committed_schema_is_the_models() -> None:
    assert _committed() == json.loads(json.dumps(json_schema()))


def test_the_schema_has_no_outcome_called_clean() -> None:
    schema = _committed()
    assert isinstance(schema, dict)
    assert schema["$defs"]["Outcome"]["enum"] == ["found", "nothing-found", "incomplete"]
    assert {o.value for o in Outcome} == {"found", "nothing-found", "incomplete"}


def _minimal(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "schema": SCHEMA,
        "kind": "ios",
        "subject": "iPhone 12",
        "created_at": datetime(2026, 1, 1, tzinfo=UTC).isoformat(),
        "tool_version": "1",
        "outcome": "nothing-found",
        "headline": "No known stalkerware found by these checks.",
    }
    data.update(changes)
    return data


def test_a_minimal_report_is_valid_and_dumps_its_schema_name() -> None:
    report = Report.model_validate(_minimal())
    assert report.kind is Kind.IOS
    assert report_dict(report)["schema"] == SCHEMA


@pytest.mark.parametrize(
    "changes",
    [{"schema": "unstalk.report/2"}, {"outcome": "clean"}, {"surprise": 1}, {"kind": "laptop"}],
)
def test_other_versions_unknown_fields_and_values_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Report.model_validate(_minimal(**changes))


def test_reports_cannot_be_changed_after_they_are_made() -> None:
    report = Report.model_validate(_minimal())
    with pytest.raises(ValidationError):
        report.headline = "Changed."
