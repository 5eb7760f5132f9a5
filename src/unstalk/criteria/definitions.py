"""Reading the versioned criteria files.

The bundled versions live in ``unstalk/criteria/data/criteria-<version>.yaml``;
:func:`load_criteria` reads one (once per process), :func:`parse_criteria`
reads any criteria document, e.g. a draft a coalition working group is
discussing.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

import yaml
from pydantic import ValidationError

from unstalk.criteria.model import CriteriaSet
from unstalk.errors import Error, UsageError

DEFAULT_VERSION = "1.0"
MAX_CRITERIA_BYTES = 1024 * 1024
_FILE = re.compile(r"^criteria-(?P<version>[0-9][0-9A-Za-z.\-]*)\.yaml$")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CriteriaError(Error):
    """A criteria file cannot be read or does not follow the expected layout."""

    def __init__(self, message: str, *, source: str = "", advice: str = "") -> None:
        super().__init__(f"{source}: {message}" if source else message, advice=advice)
        self.source = source


def _data_files() -> dict[str, str]:
    folder = resources.files("unstalk.criteria") / "data"
    found = {}
    for entry in folder.iterdir():
        match = _FILE.match(entry.name)
        if match:
            found[match["version"]] = entry.name
    return found


def available_versions() -> tuple[str, ...]:
    """The criteria versions bundled with unstalk, oldest first."""
    return tuple(sorted(_data_files(), key=_version_key))


def _version_key(version: str) -> tuple[int | str, ...]:
    return tuple(int(part) if part.isdigit() else part for part in version.split("."))


def parse_criteria(data: bytes | str, *, source: str) -> CriteriaSet:
    """Read and check one criteria document (YAML, the layout of ``criteria-1.0.yaml``)."""
    if len(data) > MAX_CRITERIA_BYTES:
        raise CriteriaError(
            f"the file is larger than {MAX_CRITERIA_BYTES // 1024} KiB", source=source
        )
    try:
        document = yaml.load(data, Loader=_Loader)
    except yaml.YAMLError as e:
        raise CriteriaError(f"this is not valid YAML ({e})", source=source) from e
    if not isinstance(document, dict):
        raise CriteriaError("expected a YAML mapping with a list of criteria", source=source)
    try:
        return CriteriaSet.model_validate(document)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'top level'}: {err['msg']}"
            for err in e.errors()[:5]
        )
        raise CriteriaError(
            f"the criteria do not follow the expected layout ({problems})",
            source=source,
            advice="Compare the file with unstalk's bundled criteria-1.0.yaml.",
        ) from e


@functools.cache
def load_criteria(version: str = DEFAULT_VERSION) -> CriteriaSet:
    """The bundled criteria of this version (:class:`~unstalk.errors.UsageError` if unknown)."""
    files = _data_files()
    if version not in files:
        known = ", ".join(available_versions()) or "none"
        raise UsageError(
            f"criteria version {version!r} is not known to this unstalk",
            advice=f"Known versions: {known}.",
        )
    name = files[version]
    data = (resources.files("unstalk.criteria") / "data" / name).read_bytes()
    criteria = parse_criteria(data, source=name)
    if criteria.version != version:
        raise CriteriaError(
            f"the file says it holds version {criteria.version!r}, not {version!r}", source=name
        )
    return criteria
