"""The feed's YARA rules, compiled once and run over an APK's dex files.

Echap's rules check ``uint16(0) == 0x6564`` (the ``de`` of the dex magic), so they are meant
for dex bytes. Each rule is compiled in a namespace of its own, keyed so that a hit leads
back to the indicator, and so to the family, it came from.

yara-python is a dependency, but an install can lack it: :func:`compile_feed_rules` then
returns None, and the caller must report "YARA rules not checked", never "nothing found".
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Protocol, cast

from unstalk.errors import ApkError
from unstalk.feed.model import FamilyId, Feed, Indicator, IndicatorKind


class _StringMatch(Protocol):
    identifier: str


class _Match(Protocol):
    rule: str
    namespace: str
    strings: Sequence[object]


class _Rules(Protocol):
    def match(self, *, data: bytes, timeout: int) -> list[_Match]: ...


@dataclass(frozen=True, slots=True)
class YaraHit:
    """One rule that matched one dex file."""

    rule: str
    indicator: Indicator
    family: FamilyId
    strings: tuple[str, ...]
    """Identifiers of the rule's strings found (``$s1``, ``$s4`` ...), sorted."""


@dataclass(frozen=True, slots=True)
class CompiledRules:
    """The feed's active YARA rules, compiled; a rule that does not compile is set aside."""

    rules: _Rules | None
    """None when the feed has no rule that compiles."""
    by_namespace: Mapping[str, Indicator] = field(default_factory=dict)
    skipped: tuple[tuple[Indicator, str], ...] = ()
    """Rules left out, each with the compiler's reason."""

    @property
    def count(self) -> int:
        return len(self.by_namespace)


def yara_module() -> ModuleType | None:
    """yara-python, or None when it is not installed."""
    try:
        return importlib.import_module("yara")
    except ImportError:
        return None


def compile_feed_rules(feed: Feed) -> CompiledRules | None:
    """Compile every active YARA indicator of ``feed``; None when yara-python is missing."""
    yara = yara_module()
    if yara is None:
        return None
    indicators = [i for i in feed.active() if i.kind is IndicatorKind.YARA]
    sources = {f"rule{n}": i.value for n, i in enumerate(indicators)}
    skipped: list[tuple[Indicator, str]] = []
    try:
        compiled = yara.compile(sources=sources) if sources else None
    except yara.Error:
        # One bad rule must not cost the others: set it aside and compile the rest.
        compiled = _compile_good(yara, sources, indicators, skipped)
    by_namespace = {ns: indicators[int(ns.removeprefix("rule"))] for ns in sources}
    return CompiledRules(cast("_Rules | None", compiled), by_namespace, tuple(skipped))


def _compile_good(
    yara: ModuleType,
    sources: dict[str, str],
    indicators: list[Indicator],
    skipped: list[tuple[Indicator, str]],
) -> object:
    """Compile the rules of ``sources`` that compile alone; drop the others from it."""
    for namespace in list(sources):
        try:
            yara.compile(source=sources[namespace])
        except yara.Error as e:
            skipped.append((indicators[int(namespace.removeprefix("rule"))], str(e)))
            del sources[namespace]
    try:
        return yara.compile(sources=sources) if sources else None
    except yara.Error as e:
        skipped.extend((indicators[int(ns.removeprefix("rule"))], str(e)) for ns in sources)
        sources.clear()
        return None


def scan_dex(
    rules: CompiledRules, data: bytes, *, name: str, timeout: int = 10
) -> tuple[YaraHit, ...]:
    """Run the rules over one dex file's bytes; the hits sorted by family and rule.

    A scan that takes longer than ``timeout`` seconds raises :class:`ApkError`, so that the
    file is reported as not checked rather than clean.
    """
    if rules.rules is None:
        return ()
    yara = yara_module()
    if yara is None:  # compiled rules exist, so only a broken install gets here
        raise ApkError("yara-python could not be loaded to scan", path=name)
    try:
        matches = rules.rules.match(data=data, timeout=timeout)
    except yara.TimeoutError as e:
        raise ApkError(f"the YARA scan took longer than {timeout} s", path=name) from e
    except yara.Error as e:
        raise ApkError(f"the YARA scan failed: {e}", path=name) from e
    hits = [
        YaraHit(
            rule=m.rule,
            indicator=rules.by_namespace[m.namespace],
            family=rules.by_namespace[m.namespace].family,
            strings=tuple(sorted({_identifier(s) for s in m.strings})),
        )
        for m in matches
        if m.namespace in rules.by_namespace
    ]
    return tuple(sorted(hits, key=lambda h: (h.family, h.rule)))


def _identifier(string_match: object) -> str:
    """A matched string's identifier; yara-python before 4.3 gave (offset, id, data) tuples."""
    if isinstance(string_match, tuple):
        return str(string_match[1])
    return cast(_StringMatch, string_match).identifier
