"""The feed's YARA rules over dex bytes: the bundled Echap rules must name the right family.

Each rule is exercised with a synthetic dex whose string table holds what the rule looks
for (no real sample is needed, nor committed).
"""

from __future__ import annotations

import re
import sys
from functools import cache

import pytest

from tests.apk.dex_fixtures import build_dex, dex_order
from unstalk.apk.yara_scan import CompiledRules, YaraHit, compile_feed_rules, scan_dex
from unstalk.errors import ApkError
from unstalk.feed.formats.echap import load_echap_dir
from unstalk.feed.model import (
    Family,
    FamilyId,
    FamilyType,
    Feed,
    Indicator,
    IndicatorKind,
    Status,
)
from unstalk.feed.store import bundled_dir

_LITERAL = re.compile(r'^\s*(\$\w+)\s*=\s*"((?:[^"\\]|\\.)*)"', re.M)
_N_OF_THEM = re.compile(r"uint16\(0\) == 0x6564 and (\d+) of them\s*$", re.M)


@cache
def bundled() -> tuple[Feed, CompiledRules]:
    feed = load_echap_dir(bundled_dir())
    rules = compile_feed_rules(feed)
    assert rules is not None
    return feed, rules


def yara_indicators() -> list[Indicator]:
    return [i for i in bundled()[0].indicators if i.kind is IndicatorKind.YARA]


def literal_rules() -> list[Indicator]:
    """Rules that ask for N of their plain strings in a dex."""
    return [i for i in yara_indicators() if _N_OF_THEM.search(i.value)]


def literals(indicator: Indicator) -> dict[str, str]:
    return {
        ident: text.encode().decode("unicode_escape")
        for ident, text in _LITERAL.findall(indicator.value)
    }


def scan(strings: list[str], extra: bytes = b"") -> tuple[YaraHit, ...]:
    return scan_dex(bundled()[1], build_dex(dex_order(strings)) + extra, name="classes.dex")


def test_every_bundled_rule_compiles() -> None:
    _, rules = bundled()
    assert rules.skipped == ()
    assert rules.count == len(yara_indicators()) >= 12


@pytest.mark.parametrize("indicator", literal_rules(), ids=lambda i: i.name)
def test_a_dex_with_a_rules_strings_names_its_family(indicator: Indicator) -> None:
    strings = literals(indicator)
    hits = scan([*strings.values(), "Landroid/app/Activity;"])
    assert [(h.rule, h.family) for h in hits] == [(indicator.name, indicator.family)]
    assert hits[0].indicator == indicator
    assert hits[0].strings == tuple(sorted(strings))


@pytest.mark.parametrize("indicator", literal_rules(), ids=lambda i: i.name)
def test_one_string_short_of_the_threshold_is_no_hit(indicator: Indicator) -> None:
    match = _N_OF_THEM.search(indicator.value)
    assert match is not None
    needed = int(match.group(1))
    assert scan(list(literals(indicator).values())[: needed - 1]) == ()


def test_an_ordinary_dex_has_no_hit() -> None:
    assert scan(["Landroid/app/Activity;", "onCreate", "https://example.com/"]) == ()


def test_rules_for_native_libraries_do_not_fire_on_dex() -> None:
    elf_rules = [i for i in yara_indicators() if "0x457f" in i.value]
    assert elf_rules
    for indicator in elf_rules:
        assert scan(list(literals(indicator).values())) == ()


def test_a_byte_pattern_rule_matches_code_bytes() -> None:
    (tispy,) = [i for i in yara_indicators() if i.name == "tispy"]
    pattern = re.search(r"\{([0-9A-F?\s]+)\}", tispy.value)
    assert pattern is not None
    hex_text = pattern.group(1).replace("?", "0")
    hits = scan(["a"], extra=bytes.fromhex(hex_text))
    assert [(h.rule, h.family, h.strings) for h in hits] == [("tispy", tispy.family, ("$func",))]


def test_a_counting_rule_counts_every_occurrence() -> None:
    (rule,) = [i for i in yara_indicators() if i.name == "viptelefonprogrami"]
    classes = [f"Lcom/abcdefgh/ijklmnop/{part}/a;" for part in ("protocol", "registration", "util")]
    keys = [f"{n:08d}" + "A" * 62 + "==" for n in range(1001)]
    assert [h.rule for h in scan(classes + keys)] == [rule.name]
    assert scan(classes + keys[:100]) == ()
    assert scan(classes[:2] + keys) == ()


def _feed_with_rules(*rules: tuple[str, str, Status]) -> Feed:
    family = Family(FamilyId("stalkerware/test"), "Test", FamilyType.STALKERWARE)
    indicators = tuple(
        Indicator(IndicatorKind.YARA, text, family.id, name=name, status=status)
        for name, text, status in rules
    )
    return Feed(families=(family,), indicators=indicators)


GOOD = 'rule good { strings: $a = "evil-marker" condition: uint16(0) == 0x6564 and $a }'
BROKEN = "rule broken { condition: undefined_identifier }"


def test_a_rule_that_does_not_compile_is_set_aside_with_its_reason() -> None:
    rules = compile_feed_rules(
        _feed_with_rules(("broken", BROKEN, Status.ACTIVE), ("good", GOOD, Status.ACTIVE))
    )
    assert rules is not None
    assert rules.count == 1
    assert [(i.name, "undefined_identifier" in why) for i, why in rules.skipped] == [
        ("broken", True)
    ]
    hits = scan_dex(rules, build_dex(["evil-marker"]), name="classes.dex")
    assert [h.rule for h in hits] == ["good"]


def test_revoked_rules_are_not_run() -> None:
    rules = compile_feed_rules(_feed_with_rules(("good", GOOD, Status.REVOKED)))
    assert rules is not None
    assert rules.count == 0
    assert scan_dex(rules, build_dex(["evil-marker"]), name="classes.dex") == ()


def test_without_yara_python_rules_are_reported_unchecked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "yara", None)
    assert compile_feed_rules(_feed_with_rules(("good", GOOD, Status.ACTIVE))) is None


class _SlowRules:
    def match(self, *, data: bytes, timeout: int) -> list[object]:
        import yara

        raise yara.TimeoutError("timed out")


def test_a_scan_that_times_out_is_an_error_not_a_clean_result() -> None:
    rules = CompiledRules(_SlowRules(), {})  # type: ignore[arg-type]
    with pytest.raises(ApkError, match="took longer than 3 s"):
        scan_dex(rules, b"dex\n035\0", name="classes2.dex", timeout=3)
