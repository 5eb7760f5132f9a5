"""Echap's rules.yar: split into rules, compile them, and find the app each rule is about.

Each rule is kept as its own text so it can be stored as an indicator and compiled alone; the
splitter skips strings, regular expressions and comments, whose braces do not count.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from types import ModuleType
from typing import TypeVar

from unstalk.errors import FeedFormatError
from unstalk.feed.values import squash

_T = TypeVar("_T")
_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TOP_SKIP = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.S)
_IMPORT = re.compile(r'(?:import|include)\s+"[^"\n]*"')
_RULE_HEAD = re.compile(r"(?:(?:private|global)\s+)*rule\s+([A-Za-z_]\w*)\s*(?::([\w\s]*))?\{")
_BODY_STOP = re.compile(r'["/{}]')
_STRING_END = re.compile(r'(?:[^"\\\n]|\\.)*"')
_REGEX_END = re.compile(r"(?:[^/\\\n]|\\.)*/")


@dataclass(frozen=True, slots=True)
class YaraRule:
    name: str
    tags: tuple[str, ...]
    text: str
    line: int

    @property
    def location(self) -> str:
        return f"rule '{self.name}' (line {self.line})"


def _skip_blank(text: str, pos: int) -> int:
    m = _TOP_SKIP.match(text, pos)
    return m.end() if m else pos


def _rule_end(text: str, pos: int) -> int:
    """Index just past the ``}`` closing the body opened at ``pos``; -1 when cut short.

    Strings, regular expressions and comments are skipped whole: their braces do not count.
    """
    depth = 0
    while (m := _BODY_STOP.search(text, pos)) is not None:
        c, pos = m.group(), m.end()
        if c in "{}":
            depth += 1 if c == "{" else -1
            if depth == 0:
                return pos
        elif c == '"' or text[pos : pos + 1] not in ("/", "*"):
            end = (_STRING_END if c == '"' else _REGEX_END).match(text, pos)
            if end is None:
                return -1
            pos = end.end()
        else:
            close = "\n" if text[pos] == "/" else "*/"
            found = text.find(close, pos + 1)
            if found < 0:
                return -1
            pos = found + len(close)
    return -1


def split_yara(text: str) -> tuple[tuple[str, ...], list[YaraRule]]:
    """Split a YARA file into its ``import`` lines and its rules, each with its full text."""
    imports: list[str] = []
    rules: list[YaraRule] = []
    pos, line, counted = _skip_blank(text, 0), 1, 0
    while pos < len(text):
        line, counted = line + text.count("\n", counted, pos), pos
        if m := _IMPORT.match(text, pos):
            imports.append(m.group())
            pos = _skip_blank(text, m.end())
            continue
        head = _RULE_HEAD.match(text, pos)
        if head is None:
            raise FeedFormatError(
                "expected a rule here", source="rules.yar", location=f"line {line}"
            )
        rule = YaraRule(head.group(1), tuple((head.group(2) or "").split()), "", line)
        end = _rule_end(text, head.end() - 1)
        if end < 0:
            raise FeedFormatError(
                "the rule is not closed", source="rules.yar", location=rule.location
            )
        rules.append(replace(rule, text=text[pos:end]))
        pos = _skip_blank(text, end)
    return tuple(imports), rules


def read_yara(data: bytes) -> tuple[tuple[str, ...], list[YaraRule]]:
    """:func:`split_yara` on the bytes of rules.yar, which must be UTF-8."""
    try:
        return split_yara(data.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        raise FeedFormatError(f"not UTF-8 text: {e}", source="rules.yar") from e


def rule_source(rule: YaraRule, imports: tuple[str, ...]) -> str:
    """The rule's text, after the file's imports when it has some, so it compiles on its own."""
    return "\n".join((*imports, rule.text)) if imports else rule.text


def compile_rules(rules: list[YaraRule], sources: list[str], yara: ModuleType) -> None:
    """Compile each rule on its own; FeedFormatError naming the first that fails."""
    try:
        # One namespace per rule: a rule that needs another one fails, as it would alone.
        yara.compile(sources={str(i): source for i, source in enumerate(sources)})
    except yara.Error:
        for rule, source in zip(rules, sources, strict=True):
            try:
                yara.compile(source=source)
            except yara.Error as e:
                why = f"the rule does not compile: {e}"
                raise FeedFormatError(why, source="rules.yar", location=rule.location) from e
        raise


def yara_module() -> ModuleType | None:
    try:
        return importlib.import_module("yara")
    except ImportError:
        return None


def _family_keys(rule_name: str) -> Iterator[str]:
    """Squashed spellings under which a rule's family may be listed, best first."""
    for part in (rule_name, rule_name.split("_")[0]):
        key = squash(part)
        yield key
        for digit, word in enumerate(_WORDS):
            key = key.replace(word, str(digit))
        yield key


def rule_family(rule_name: str, families: Mapping[str, _T]) -> _T | None:
    """What ``families`` (keyed by squashed app name) holds for the app a rule is named after."""
    return next((families[key] for key in _family_keys(rule_name) if key in families), None)
