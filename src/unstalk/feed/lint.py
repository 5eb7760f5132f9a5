"""``feed lint``: find problems in Echap's feed files before they reach users.

It runs the checks of Echap's own linter (``scripts/linter.py``, run by the upstream CI on
ioc.yaml and samples.csv): every app has a name, names are not reused, packages,
certificates and websites are lists, certificates are hex SHA-1s, websites and C2 domains
are host names, C2 IPs parse, no certificate or IP is given to two apps, and every sample
has a well-formed unique SHA-256, a well-formed certificate and an App that is a listed
name. The Rust linter that upstream CI also runs needs every ``c2.ips`` value to be a
single address. On top of those: unknown keys (which upstream tools silently ignore),
duplicates within a list and across files, packages shared by apps, public AOSP test-key
certificates listed as indicators, values invalid for their kind, empty entries, and
YARA rules that do not compile or match no listed app.

Every finding is a :class:`Note` with a stable ``code``, ``source`` ``"file:entry name"``
and the offending ``values``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path

from unstalk.errors import FeedFormatError
from unstalk.feed.formats.echap_files import (
    ECHAP_FILES,
    SAMPLES_HEADER,
    TEST_CERTIFICATES,
    load_yaml_entries,
    read_feed_files,
    sample_rows,
)
from unstalk.feed.formats.yara_rules import read_yara, rule_family, rule_source, yara_module
from unstalk.feed.lint_checks import (
    LintFeed,
    check_entries,
    check_lists,
    check_names,
    check_shared_values,
    check_values,
    items,
    lint_app,
    note,
)
from unstalk.feed.model import Note
from unstalk.feed.values import is_hex, squash

# samples.csv and rules.yar ------------------------------------------------------------------


def check_samples(feed: LintFeed) -> Iterator[Note]:
    """Hash, certificate and App of each sample, as Echap's linter checks them."""
    known = {n.lower() for app in feed.apps for n in (app.name, *items(app.data.get("names")))}
    seen: set[str] = set()
    signed: dict[str, list[str]] = {}
    for line, row in feed.samples or ():
        src = f"samples.csv:line {line}"
        if len(row) != len(SAMPLES_HEADER):
            yield note("bad-row", src, *row, key=",".join(SAMPLES_HEADER), why=5, count=len(row))
            continue
        sha, _, cert, _, app = row
        yield from _sample_hash(src, sha, seen)
        if cert and not is_hex(cert, 40):
            code = "wrong-case" if is_hex(cert.upper(), 40) else "invalid-certificate"
            yield note(code, src, cert, key="Certificate", why="upper-case hex")
        if cert.upper() in TEST_CERTIFICATES:
            signed.setdefault(cert.upper(), []).append(sha)
        if not app:
            yield note("missing-app", src, sha)
        elif app.lower() not in known:
            yield note("unknown-app", src, app, key=app)
    for cert, hashes in signed.items():
        why = TEST_CERTIFICATES[cert]
        yield note("sample-test-key", "samples.csv", cert, *hashes, count=len(hashes), why=why)


def _sample_hash(src: str, sha: str, seen: set[str]) -> Iterator[Note]:
    if not is_hex(sha.upper(), 64):
        yield note("invalid-sha256", src, sha)
    elif sha != sha.lower():
        yield note("wrong-case", src, sha, key="SHA256", why="lower-case hex")
    if sha.lower() in seen:
        yield note("duplicate-sample", src, sha)
    seen.add(sha.lower())


def check_rules(feed: LintFeed) -> Iterator[Note]:
    """Each rule compiles on its own, has a unique name and matches a listed app."""
    if feed.rules is None:
        return
    imports, rules = feed.rules
    yara = yara_module()
    names = Counter(rule.name for rule in rules)
    families = {
        squash(n): n for app in feed.apps for n in (app.name, *items(app.data.get("names")))
    }
    for rule in rules:
        src = f"rules.yar:{rule.name}"
        if yara is not None:
            try:
                yara.compile(source=rule_source(rule, imports))
            except yara.Error as e:
                yield note("invalid-yara", src, rule.name, why=str(e))
        if names.pop(rule.name, 1) > 1:
            yield note("duplicate-rule", src, rule.name, key=rule.name)
        if rule_family(rule.name, families) is None:
            yield note("rule-without-family", src, rule.name, key=rule.name)


CHECKS = (
    check_entries,
    check_lists,
    check_values,
    check_names,
    check_shared_values,
    check_samples,
    check_rules,
)


# Entry points -------------------------------------------------------------------------------


def _read_file(feed: LintFeed, name: str, data: bytes) -> None:
    if name == "samples.csv":
        feed.samples = sample_rows(data)
    elif name == "rules.yar":
        feed.rules = read_yara(data)
    else:
        entries, duplicate_keys = load_yaml_entries(name, data)
        feed.apps += [lint_app(name, entry) for entry in entries]
        for line, key in duplicate_keys:
            feed.notes.append(note("duplicate-key", f"{name}:line {line}", key, key=key))


def _read(files: Mapping[str, bytes]) -> LintFeed:
    feed = LintFeed()
    if "ioc.yaml" not in files:
        feed.notes.append(note("missing-file", "ioc.yaml", "ioc.yaml"))
    for name in ECHAP_FILES:
        try:
            if name in files:
                _read_file(feed, name, files[name])
        except FeedFormatError as e:
            feed.notes.append(note("unreadable-file", name, why=str(e)))
    return feed


def lint_echap(files: Mapping[str, bytes]) -> list[Note]:
    """Check Echap's files (keyed by file name) and return every finding, errors and warnings."""
    feed = _read(files)
    return feed.notes + [found for check in CHECKS for found in check(feed)]


def lint_echap_dir(path: Path) -> list[Note]:
    """Check the Echap files found in a folder."""
    if not path.is_dir():
        raise FeedFormatError("not a folder", source=str(path))
    return lint_echap(read_feed_files(path))
