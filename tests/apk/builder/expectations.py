"""What a correct analyser concludes about each synthetic app: tests/apk/cases/synthetic.yml.

The loader is strict (unknown keys, verdicts or capabilities are errors) so a typo in the
expectations fails the suite instead of silently weakening a test.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from unstalk.apk.capabilities import Capability

EXPECTATIONS_PATH = Path(__file__).resolve().parents[1] / "cases" / "synthetic.yml"
VERDICTS = ("stalkerware", "watchware", "suspicious", "no_evidence")
CAPABILITIES = tuple(c.value for c in Capability)
"""The analyser's own vocabulary, so expectations and results compare directly."""
FEED_KINDS = ("package", "domain", "certificate")
_APP_KEYS = {"verdict", "acceptable", "capabilities", "feed_matches", "with_test_feed"}


@dataclass(frozen=True, slots=True)
class FeedMatch:
    """An indicator of the bundled Echap feed that the app matches."""

    kind: str
    value: str
    family: str


@dataclass(frozen=True, slots=True)
class CertificateFeedCase:
    """The verdict once a test feed lists the certificate of test key ``key``."""

    key: str
    verdict: str


@dataclass(frozen=True, slots=True)
class Expectation:
    package: str
    verdict: str
    """The verdict a correct analyser gives with the bundled feed."""
    acceptable: frozenset[str]
    """Every verdict that is also right (always includes ``verdict``)."""
    capabilities: frozenset[str]
    feed_matches: tuple[FeedMatch, ...] = ()
    with_test_feed: CertificateFeedCase | None = None


def _strings(value: object, where: str, allowed: tuple[str, ...]) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: expected a list of strings")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise ValueError(f"{where}: unknown {', '.join(unknown)}; allowed: {', '.join(allowed)}")
    return frozenset(value)


def _verdict(value: object, where: str) -> str:
    if value not in VERDICTS:
        raise ValueError(f"{where}: verdict {value!r} is not one of {', '.join(VERDICTS)}")
    return str(value)


def _feed_match(value: object, where: str) -> FeedMatch:
    if not isinstance(value, dict) or set(value) != {"kind", "value", "family"}:
        raise ValueError(f"{where}: a feed match needs exactly kind, value and family")
    if value["kind"] not in FEED_KINDS:
        raise ValueError(f"{where}: feed match kind must be one of {', '.join(FEED_KINDS)}")
    return FeedMatch(str(value["kind"]), str(value["value"]), str(value["family"]))


def _certificate_case(value: object, where: str) -> CertificateFeedCase:
    if not isinstance(value, dict) or set(value) != {"certificate_of", "verdict"}:
        raise ValueError(f"{where}: with_test_feed needs exactly certificate_of and verdict")
    return CertificateFeedCase(str(value["certificate_of"]), _verdict(value["verdict"], where))


def _expectation(package: str, entry: object) -> Expectation:
    if not isinstance(entry, dict) or not set(entry) <= _APP_KEYS or "verdict" not in entry:
        raise ValueError(f"{package}: expected a mapping with a verdict and keys from {_APP_KEYS}")
    verdict = _verdict(entry["verdict"], package)
    acceptable = _strings(entry.get("acceptable", []), f"{package}.acceptable", VERDICTS)
    matches = entry.get("feed_matches", [])
    if not isinstance(matches, list):
        raise ValueError(f"{package}.feed_matches: expected a list")
    test_feed = entry.get("with_test_feed")
    return Expectation(
        package=package,
        verdict=verdict,
        acceptable=acceptable | {verdict},
        capabilities=_strings(entry.get("capabilities", []), package, CAPABILITIES),
        feed_matches=tuple(_feed_match(m, f"{package}.feed_matches") for m in matches),
        with_test_feed=_certificate_case(test_feed, package) if test_feed is not None else None,
    )


def load_expectations(path: Path = EXPECTATIONS_PATH) -> dict[str, Expectation]:
    """Read the expectations file into ``{package: Expectation}``."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of package names")
    return {str(package): _expectation(str(package), entry) for package, entry in data.items()}
