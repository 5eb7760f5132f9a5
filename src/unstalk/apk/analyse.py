"""Analyse one APK: profile, feed matches, capabilities and a verdict.

:class:`Analyser` holds what is shared by every APK of a batch (the feed index
and the compiled YARA rules) and turns bytes into an :class:`ApkAnalysis`.
Nothing here prints, and nothing is executed: the APK is only read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from unstalk.apk.capabilities import CapabilityFinding, detect_capabilities
from unstalk.apk.endpoints import find_endpoints, plain_url_host
from unstalk.apk.manifest import read_manifest
from unstalk.apk.model import AppProfile, DexInfo, FileHashes, Sha256, Signing
from unstalk.apk.parsers.dex import dex_names, other_dex_names, read_dex_strings
from unstalk.apk.parsers.signing import read_signing
from unstalk.apk.parsers.zip import ApkZip
from unstalk.apk.yara_scan import CompiledRules, compile_feed_rules, scan_dex
from unstalk.criteria.engine import evaluate
from unstalk.criteria.model import Verdict
from unstalk.errors import ApkError, ApkLimitError
from unstalk.feed.detect import url_parts
from unstalk.feed.index import FeedIndex, Match
from unstalk.feed.model import Feed, IndicatorKind

MAX_APK_BYTES = 2 * 1024 * 1024 * 1024
"""Larger files are refused before reading: no real APK comes near 2 GiB."""
UNVERIFIED = (
    "The APK's signatures were not verified (verification was switched off): its signing "
    "certificates are shown as the file states them, and a forged signature or a file "
    "changed after signing would go unnoticed."
)


@dataclass(frozen=True, slots=True)
class ApkAnalysis:
    """Everything unstalk concluded about one APK, with the evidence for it."""

    profile: AppProfile
    matches: tuple[Match, ...]
    capabilities: tuple[CapabilityFinding, ...]
    verdict: Verdict
    not_checked: tuple[str, ...] = ()
    """Checks that could not run on this file, each a plain sentence (never 'nothing found')."""


@dataclass(frozen=True, slots=True)
class _DexResult:
    infos: tuple[DexInfo, ...]
    strings: dict[str, tuple[str, ...]]
    yara_matches: tuple[Match, ...]
    problems: tuple[str, ...]


class Analyser:
    """Analyses APKs against one feed; build it once per process and reuse it.

    ``verify_signatures=False`` reads who signed each APK without verifying any
    signature (for fast triage; each result then says so in ``not_checked``).
    ``index``, when given, must be ``feed``'s own index (built once, shared).
    """

    def __init__(
        self, feed: Feed, *, index: FeedIndex | None = None, verify_signatures: bool = True
    ) -> None:
        self.index = index if index is not None else FeedIndex.build(feed)
        self.rules: CompiledRules | None = compile_feed_rules(feed)
        self._url_hosts = _url_indicator_hosts(feed)
        self.verify_signatures = verify_signatures

    def analyse_path(self, path: Path) -> ApkAnalysis:
        """Read and analyse the APK at ``path``; :class:`ApkError` when it cannot be read."""
        try:
            size = path.stat().st_size
            if size > MAX_APK_BYTES:
                raise ApkLimitError(
                    f"the file is {size} bytes, too large for an APK", path=str(path)
                )
            data = path.read_bytes()
        except OSError as e:
            raise ApkError(f"cannot be read ({e.strerror})", path=str(path)) from e
        return self.analyse_bytes(data, path=str(path))

    def analyse_bytes(self, data: bytes, *, path: str) -> ApkAnalysis:
        """Analyse the APK held in ``data``; ``path`` only labels the result and its errors.

        :class:`ApkError` (or :class:`ApkLimitError`) when the file is not an APK, has no
        readable manifest, or breaks a safety limit; anything less (a damaged signature,
        unreadable code) is listed in the profile's ``problems`` and the rest is analysed.
        """
        archive = ApkZip.from_bytes(data, path=path)
        manifest_result = read_manifest(archive)
        manifest = manifest_result.manifest
        # Code first: the JAR digest check then finds the dex files inflated already, and
        # an APK whose entries spend the read budget loses digest checks, never its code.
        dex = self._read_dex(archive)
        signing = read_signing(archive, verify_signatures=self.verify_signatures)
        profile = AppProfile(
            path=path,
            hashes=_hashes(data),
            manifest=manifest,
            signing=signing,
            dex=dex.infos,
            problems=(*archive.problems, *manifest_result.problems, *dex.problems),
        )
        matches = _dedupe(
            (
                *self._identity_matches(profile),
                *self._endpoint_matches(dex.infos),
                *dex.yara_matches,
            )
        )
        capabilities = detect_capabilities(manifest, dex.strings, dex.infos)
        verdict = evaluate(capabilities=capabilities, feed_matches=matches, manifest=manifest)
        return ApkAnalysis(
            profile=profile,
            matches=matches,
            capabilities=capabilities,
            verdict=verdict,
            not_checked=self._not_checked(dex),
        )

    def _not_checked(self, dex: _DexResult) -> tuple[str, ...]:
        missing = [] if self.verify_signatures else [UNVERIFIED]
        if self.rules is None:
            missing.append(
                "The feed's YARA rules were not run: yara-python is not installed or the feed "
                "has no rules."
            )
        if not dex.infos:
            missing.append(
                "The app's code (classes.dex) could not be read, so capabilities and servers "
                "found only in code were not checked."
            )
        return tuple(missing)

    def _read_dex(self, archive: ApkZip) -> _DexResult:
        infos: list[DexInfo] = []
        strings: dict[str, tuple[str, ...]] = {}
        yara_matches: list[Match] = []
        problems: list[str] = [
            f"{name} looks like code hidden outside the usual place; it was not analysed."
            for name in other_dex_names(archive.names)
        ]
        for name in dex_names(archive.names):
            try:
                raw = archive.read(name)
                table = read_dex_strings(raw, name=name)
            except ApkError as e:
                problems.append(f"{name} could not be read: {error_reason(e)}")
                continue
            endpoints = find_endpoints(table.strings)
            infos.append(
                DexInfo(
                    name=name,
                    sha256=Sha256(hashlib.sha256(raw).hexdigest()),
                    string_count=table.string_count,
                    urls=endpoints.urls,
                    domains=endpoints.domains,
                    ips=endpoints.ips,
                )
            )
            strings[name] = table.strings
            problems.extend(f"{name}: {p}" for p in table.problems)
            if self.rules is not None:
                for hit in scan_dex(self.rules, raw, name=name):
                    yara_matches.extend(self.index.yara_rule(hit.rule))
        return _DexResult(tuple(infos), strings, tuple(yara_matches), tuple(problems))

    def _identity_matches(self, profile: AppProfile) -> Iterator[Match]:
        index = self.index
        yield from index.package(profile.manifest.package)
        yield from index.file_hash(profile.hashes.sha256)
        yield from _certificate_matches(index, profile.signing)

    def _endpoint_matches(self, dex: Iterable[DexInfo]) -> Iterator[Match]:
        index = self.index
        listed: dict[str, bool] = {}
        for info in dex:
            for url in info.urls:
                # A URL matches only by a URL indicator of its host or by its host: when
                # neither can be, the index's full URL parsing is spared (apps name
                # thousands of URLs). What this skips finds nothing, so results are the same.
                host = plain_url_host(url)
                if host is not None and host not in self._url_hosts:
                    known = listed.get(host)
                    if known is None:
                        known = listed[host] = bool(index.domain(host))
                    if not known:
                        continue
                yield from index.url(url)
            for host in info.domains:
                yield from index.domain(host)
            for address in info.ips:
                yield from index.ip(address)


def error_reason(error: ApkError) -> str:
    """The error's reason without the file name in front, for places that show the name apart."""
    message = error.message.removeprefix(f"{error.path}: ") if error.path else error.message
    return f"{message} {error.advice}" if error.advice else message


def _certificate_matches(index: FeedIndex, signing: Signing) -> Iterator[Match]:
    for cert in signing.certificates:
        yield from index.cert(cert.sha1)
        yield from index.cert(cert.sha256)
        yield from index.cert_subject(cert.organization, cert.common_name)


def _url_indicator_hosts(feed: Feed) -> frozenset[str]:
    """The hosts of the feed's URL indicators, as the index normalises them."""
    hosts = set()
    for indicator in feed.active():
        if indicator.kind is IndicatorKind.URL and (parts := url_parts(indicator.value)):
            hosts.add(parts[0])
    return frozenset(hosts)


def _hashes(data: bytes) -> FileHashes:
    return FileHashes(
        sha256=Sha256(hashlib.sha256(data).hexdigest()),
        sha1=hashlib.sha1(data).hexdigest(),  # noqa: S324 - an identifier peers use, not security
        md5=hashlib.md5(data).hexdigest(),  # noqa: S324
        size=len(data),
    )


def _dedupe(matches: Iterable[Match]) -> tuple[Match, ...]:
    seen: dict[tuple[str, str, str], Match] = {}
    for match in matches:
        key = (match.indicator.kind.value, match.indicator.value, match.family.id)
        seen.setdefault(key, match)
    return tuple(sorted(seen.values(), key=lambda m: (m.severity.rank, m.family.name)))
