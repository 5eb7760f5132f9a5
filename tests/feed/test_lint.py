"""``feed lint`` on crafted bad feeds (one per kind of finding) and on the bundled feed."""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files as resource_files
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from unstalk.errors import FeedFormatError
from unstalk.feed.formats.echap import ECHAP_FILES, load_echap_dir
from unstalk.feed.formats.echap_files import TEST_CERTIFICATES
from unstalk.feed.lint import lint_echap, lint_echap_dir
from unstalk.feed.model import Note, NoteLevel

ASSETS = Path(__file__).parent / "assets" / "echap_bad"
BUNDLED = resource_files("unstalk.feed") / "data" / "echap"
E, W = NoteLevel.ERROR, NoteLevel.WARNING
TESTKEY = "61ED377E85D386A8DFEE6B864BD85B0BFAA5AF81"
SHA1 = "0123456789ABCDEF0123456789ABCDEF01234567"
HEADER = "SHA256,Package Name,Certificate,Version,App\n"
HASH = "ab" * 32


def app(name: str = "GoodSpy", body: str = "  packages:\n  - com.goodspy\n", kind: str = "") -> str:
    return f"- name: {name}\n  type: {kind or 'stalkerware'}\n{body}"


GOOD = app()


def lint(ioc: str | None = GOOD, **others: str) -> list[Note]:
    files = {name.replace("_", "."): text.encode() for name, text in others.items()}
    if ioc is not None:
        files["ioc.yaml"] = ioc.encode()
    return lint_echap(files)


def findings(notes: list[Note]) -> set[tuple[NoteLevel, str, tuple[str, ...]]]:
    return {(n.level, n.code, n.values) for n in notes}


Case = tuple[str, Callable[[], list[Note]], NoteLevel, tuple[str, ...]]
URL = "https://a.example/x"
SAMPLE = HEADER + f"{HASH},,,,GoodSpy\n"

CASES: list[Case] = [
    ("missing-file", lambda: lint(None, watchware_yaml=app(kind="watchware")), E, ("ioc.yaml",)),
    (
        "duplicate-key",
        lambda: lint(app(body="  packages: [a.b]\n  packages: [c.d]\n")),
        E,
        ("packages",),
    ),
    ("entry-not-mapping", lambda: lint(GOOD + "- just a name\n"), E, ()),
    ("missing-name", lambda: lint("- type: stalkerware\n  packages: [com.a]\n"), E, ()),
    ("missing-type", lambda: lint("- name: Spy\n  packages: [com.a]\n"), E, ()),
    ("invalid-type", lambda: lint(app(kind="spyware")), E, ("spyware",)),
    ("type-file-mismatch", lambda: lint(app(kind="watchware")), W, ("watchware", "ioc.yaml")),
    ("unknown-key", lambda: lint(GOOD + "  comment: seen on a forum\n"), W, ("comment",)),
    ("unknown-key", lambda: lint(GOOD + "  c2:\n    urls: [a.example]\n"), W, ("c2.urls",)),
    ("c2-ip-key", lambda: lint(GOOD + "  c2:\n    ip:\n    - 192.0.2.1\n"), W, ("192.0.2.1",)),
    ("not-a-list", lambda: lint(app(body="  packages: com.a\n")), E, ("com.a",)),
    ("not-a-mapping", lambda: lint(GOOD + "  c2:\n  - a.example\n"), E, ()),
    ("invalid-item", lambda: lint(GOOD + "  websites:\n  - [a.example]\n"), E, ("['a.example']",)),
    ("empty-value", lambda: lint(GOOD + "  websites:\n"), W, ("websites",)),
    ("empty-entry", lambda: lint(app(body="  names: [Spy]\n")), W, ()),
    ("duplicate-in-list", lambda: lint(app(body="  packages: [com.a, com.a]\n")), W, ("com.a",)),
    ("duplicate-in-list", lambda: lint(GOOD + "  names: [Spy2, spy2]\n"), W, ("spy2",)),
    ("invalid-package", lambda: lint(app(body="  packages: [1com.bad]\n")), E, ("1com.bad",)),
    ("invalid-bundle-id", lambda: lint(GOOD + "  ios_bundles: [com.b_d]\n"), E, ("com.b_d",)),
    ("invalid-certificate", lambda: lint(GOOD + "  certificates: [12AB]\n"), E, ("12AB",)),
    ("wrong-case", lambda: lint(GOOD + f"  certificates: [{SHA1.lower()}]\n"), W, (SHA1.lower(),)),
    ("invalid-regex", lambda: lint(GOOD + "  certificate_cname_re: ['(open']\n"), E, ("(open",)),
    (
        "invalid-domain",
        lambda: lint(GOOD + "  websites: [bad_host.example]\n"),
        E,
        ("bad_host.example",),
    ),
    ("wrong-case", lambda: lint(GOOD + "  websites: [Spy.Example]\n"), W, ("Spy.Example",)),
    ("invalid-domain", lambda: lint(GOOD + "  c2:\n    domains: [10.1.2]\n"), E, ("10.1.2",)),
    ("url-not-domain", lambda: lint(GOOD + f"  websites: [{URL}]\n"), E, (URL,)),
    ("url-in-distribution", lambda: lint(GOOD + f"  distribution: [{URL}]\n"), W, (URL,)),
    (
        "ip-in-domain-list",
        lambda: lint(GOOD + "  c2:\n    domains: [192.0.2.7]\n"),
        W,
        ("192.0.2.7",),
    ),
    ("invalid-ip", lambda: lint(GOOD + "  c2:\n    ips: [192.0.2.999]\n"), E, ("192.0.2.999",)),
    (
        "invalid-ip",
        lambda: lint(GOOD + "  c2:\n    ips: [198.51.100.0/24]\n"),
        E,
        ("198.51.100.0/24",),
    ),
    (
        "public-test-certificate",
        lambda: lint(GOOD + f"  certificates: [{TESTKEY}]\n"),
        E,
        (TESTKEY,),
    ),
    ("duplicate-name", lambda: lint(GOOD + app("Other", "  names: [goodspy]\n")), E, ("goodspy",)),
    ("family-in-two-files", lambda: lint(watchware_yaml=app(kind="watchware")), W, ("GoodSpy",)),
    (
        "name-in-two-files",
        lambda: lint(app(body="  names: [Kids]\n"), watchware_yaml=app("Kids", kind="watchware")),
        W,
        ("Kids",),
    ),
    (
        "value-in-two-families",
        lambda: lint(
            app(body=f"  certificates: [{SHA1}]\n") + app("Two", f"  certificates: [{SHA1}]\n")
        ),
        E,
        (SHA1,),
    ),
    ("value-in-two-families", lambda: lint(GOOD + app("Two")), W, ("com.goodspy",)),
    (
        "value-in-two-families",
        lambda: lint(GOOD, watchware_yaml=app("Kids", kind="watchware")),
        W,
        ("com.goodspy",),
    ),
    ("unreadable-file", lambda: lint("- name: [unclosed\n"), E, ()),
    ("unreadable-file", lambda: lint(samples_csv="sha,app\n"), E, ()),
    ("unreadable-file", lambda: lint(rules_yar="rule cut {\n"), E, ()),
    ("bad-row", lambda: lint(samples_csv=HEADER + f"{HASH},com.a\n"), E, (HASH, "com.a")),
    ("invalid-sha256", lambda: lint(samples_csv=HEADER + "abc,,,,GoodSpy\n"), E, ("abc",)),
    (
        "wrong-case",
        lambda: lint(samples_csv=SAMPLE.replace(HASH, HASH.upper())),
        W,
        (HASH.upper(),),
    ),
    ("duplicate-sample", lambda: lint(samples_csv=SAMPLE + SAMPLE[len(HEADER) :]), E, (HASH,)),
    ("invalid-certificate", lambda: lint(samples_csv=SAMPLE.replace(",,,", ",,XYZ,")), E, ("XYZ",)),
    ("missing-app", lambda: lint(samples_csv=SAMPLE.replace("GoodSpy", "")), E, (HASH,)),
    ("unknown-app", lambda: lint(samples_csv=SAMPLE.replace("Good", "Nobody")), E, ("NobodySpy",)),
    (
        "sample-test-key",
        lambda: lint(samples_csv=SAMPLE.replace(",,,", f",,{TESTKEY},")),
        W,
        (TESTKEY, HASH),
    ),
    (
        "invalid-yara",
        lambda: lint(rules_yar="rule goodspy { condition: nothing }\n"),
        E,
        ("goodspy",),
    ),
    (
        "duplicate-rule",
        lambda: lint(rules_yar="rule goodspy { condition: true }\n" * 2),
        E,
        ("goodspy",),
    ),
    (
        "rule-without-family",
        lambda: lint(rules_yar="rule otherspy { condition: true }\n"),
        W,
        ("otherspy",),
    ),
]


@pytest.mark.parametrize(("code", "notes", "level", "values"), CASES, ids=[c[0] for c in CASES])
def test_each_crafted_problem_is_found(
    code: str, notes: Callable[[], list[Note]], level: NoteLevel, values: tuple[str, ...]
) -> None:
    found = [n for n in notes() if n.code == code]
    assert (level, code, values) in findings(found), found
    assert all(n.message and n.source for n in found)


def test_a_clean_feed_has_no_findings() -> None:
    rules = 'rule goodspy : stalkerware { strings: $a = "x" condition: $a }\n'
    samples = HEADER + f"{HASH},com.goodspy,{SHA1},3,GoodSpy\n"
    assert (
        lint(
            samples_csv=samples,
            rules_yar=rules,
            watchware_yaml=app("Kid", "  packages: [com.kid]\n", "watchware"),
        )
        == []
    )


def test_findings_name_the_file_and_entry() -> None:
    notes = lint(GOOD + app("Other", "  packages: [1bad]\n"))
    assert [(n.source, n.code) for n in notes] == [("ioc.yaml:Other", "invalid-package")]
    notes = lint(samples_csv=HEADER + f"{HASH},,,,GoodSpy\nabc,,,,GoodSpy\n")
    assert [n.source for n in notes] == ["samples.csv:line 3"]


def test_the_crafted_folder_reports_each_of_its_problems() -> None:
    notes = lint_echap_dir(ASSETS / "mixed")
    assert [(n.level, n.code, n.source) for n in notes] == [
        (W, "c2-ip-key", "ioc.yaml:GoodSpy"),
        (E, "not-a-list", "ioc.yaml:CopySpy"),
        (E, "public-test-certificate", "ioc.yaml:CopySpy"),
        (E, "url-not-domain", "ioc.yaml:CopySpy"),
        (W, "family-in-two-files", "watchware.yaml:Kidwatch"),
        (E, "value-in-two-families", "ioc.yaml:GoodSpy"),
        (E, "duplicate-sample", "samples.csv:line 3"),
        (E, "unknown-app", "samples.csv:line 4"),
        (W, "rule-without-family", "rules.yar:mysteryspy"),
    ]
    # The loader still reads everything from it: lint problems are not load failures.
    feed = load_echap_dir(ASSETS / "mixed")
    assert len(feed.samples) == 3 and {n.code for n in feed.notes} >= {"c2-ip-key"}


def test_lint_dir_on_a_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "ioc.yaml").write_text(GOOD)
    with pytest.raises(FeedFormatError, match="not a folder"):
        lint_echap_dir(tmp_path / "ioc.yaml")


@pytest.mark.parametrize("pem", ["aosp_testkey.x509.pem", "aosp_platform.x509.pem"])
def test_public_aosp_certificates_are_known_by_both_fingerprints(pem: str) -> None:
    cert = x509.load_pem_x509_certificate((ASSETS / pem).read_bytes())
    assert cert.subject.rfc4514_string().endswith("O=Android,L=Mountain View,ST=California,C=US")
    for algorithm in (hashes.SHA1(), hashes.SHA256()):
        assert cert.fingerprint(algorithm).hex().upper() in TEST_CERTIFICATES


def test_real_feed_errors_are_only_its_real_problems() -> None:
    notes = lint_echap({name: (BUNDLED / name).read_bytes() for name in ECHAP_FILES})
    errors = {(n.code, n.source, n.values) for n in notes if n.level is E}
    assert errors == {
        (
            "value-in-two-families",
            "ioc.yaml:WiseMo",
            ("9B48840CBF93379410172B4B85989624D2B33D59",),
        ),
    }
    warnings = {(n.code, n.values[:1]) for n in notes if n.level is W}
    assert {
        ("c2-ip-key", ("72.167.46.196",)),
        ("c2-ip-key", ("85.10.199.40",)),
        ("family-in-two-files", ("WiseMo",)),
        ("family-in-two-files", ("FindMyKids",)),
        ("sample-test-key", ("61ED377E85D386A8DFEE6B864BD85B0BFAA5AF81",)),
        ("rule-without-family", ("italianstalkerware",)),
        ("url-in-distribution", ("https://github.com/karma9874/AndroRAT",)),
    } <= warnings
    test_key = next(n for n in notes if n.code == "sample-test-key")
    assert len(test_key.values) == 51  # the certificate, then the 50 samples it signed
    assert all(n.level in (E, W) for n in notes)
