"""Every stalkerware package and certificate of the bundled feed is found on a generated phone.

The phones come from ``tests/android/gen_acquisition.py`` (the recorded Pixel 7 with apps
planted into each output in its true format) and are read back by the importer, so this
covers writing, parsing and detection together.
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import pytest

from tests.android.folder_loader import bundled_feed, bundled_index
from tests.android.gen_acquisition import (
    family_phones,
    planted_from_feed,
    stalkerware_packages,
    store_apps,
    write_acquisition,
)
from tests.android.gen_outputs import PlantedApp
from unstalk.android.check import AndroidCheckResult, check_acquisition
from unstalk.android.importers import load_acquisition
from unstalk.android.model import Acquisition
from unstalk.criteria.model import VerdictKind
from unstalk.feed.model import FamilyType, IndicatorKind
from unstalk.models import Severity


def _watchware_values(kinds: tuple[IndicatorKind, ...]) -> set[str]:
    feed = bundled_feed()
    return {
        i.value.lower()
        for i in feed.active()
        if i.kind in kinds and feed.family(i.family).type is FamilyType.WATCHWARE
    }


@pytest.fixture(scope="module")
def everything(tmp_path_factory: pytest.TempPathFactory) -> AndroidCheckResult:
    folder = tmp_path_factory.mktemp("feed") / "phone"
    write_acquisition(folder, planted_from_feed(bundled_feed()))
    return check_acquisition(load_acquisition(folder), bundled_index())


def test_every_stalkerware_package_is_found(everything: AndroidCheckResult) -> None:
    listed = stalkerware_packages(bundled_feed())
    by_name = {a.facts.name: a for a in everything.apps}
    assert set(listed) <= set(by_name)
    missed = [
        name
        for name in listed
        if not any(
            f.id == "android.app.feed-match" and f.severity in (Severity.CRITICAL, Severity.HIGH)
            for f in by_name[name].findings
        )
    ]
    assert missed == []


def test_every_undisputed_stalkerware_package_gets_the_stalkerware_verdict(
    everything: AndroidCheckResult,
) -> None:
    disputed = _watchware_values((IndicatorKind.PACKAGE,))
    listed = stalkerware_packages(bundled_feed())
    verdicts = {a.facts.name: a.verdict.verdict for a in everything.apps}
    wrong = {
        name: verdicts[name].value
        for name in listed
        if name.lower() not in disputed and verdicts[name] is not VerdictKind.STALKERWARE
    }
    assert wrong == {}
    # A package the feed also lists as watchware is reported, never silently dropped.
    for name in listed:
        if name.lower() in disputed:
            assert verdicts[name] is VerdictKind.WATCHWARE


def test_the_base_phone_apps_stay_unharmed_by_many_planted_ones(
    everything: AndroidCheckResult,
) -> None:
    whatsapp = next(a for a in everything.apps if a.facts.name == "com.whatsapp")
    assert whatsapp.verdict.verdict is VerdictKind.NO_EVIDENCE
    assert everything.found and not everything.incomplete


def _with_certificates(acquisition: Acquisition, digests: list[str]) -> Acquisition:
    """The phone's planted apps renamed and carrying these signing-certificate digests."""
    apps = list(acquisition.packages.value or ())
    planted = [i for i, a in enumerate(apps) if a.name.startswith("org.example.signed")]
    for index, digest in zip(planted, digests, strict=True):
        apps[index] = dataclasses.replace(apps[index], cert_sha256=(digest,))
    return dataclasses.replace(
        acquisition, packages=dataclasses.replace(acquisition.packages, value=tuple(apps))
    )


def test_every_stalkerware_certificate_is_found_when_the_import_carries_digests(
    tmp_path: Path,
) -> None:
    feed = bundled_feed()
    certs = sorted(
        {
            i.value
            for i in feed.active()
            if i.kind in (IndicatorKind.CERT_SHA1, IndicatorKind.CERT_SHA256)
            and feed.family(i.family).type is FamilyType.STALKERWARE
        }
    )
    disputed = {
        v.upper() for v in _watchware_values((IndicatorKind.CERT_SHA1, IndicatorKind.CERT_SHA256))
    }
    apps = [PlantedApp(f"org.example.signed{n:04d}", 10300 + n) for n in range(len(certs))]
    acquisition = load_acquisition(write_acquisition(tmp_path / "phone", apps))
    result = check_acquisition(_with_certificates(acquisition, certs), bundled_index())
    by_cert = {a.facts.app.cert_sha256[0]: a for a in result.apps if a.facts.app.cert_sha256}
    assert len(by_cert) == len(certs)
    wrong = [
        cert
        for cert, judged in by_cert.items()
        if cert not in disputed
        and (
            judged.verdict.verdict is not VerdictKind.STALKERWARE
            or "signing certificate" not in judged.verdict.summary
        )
    ]
    assert wrong == []


def test_one_phone_per_family_names_that_family(tmp_path: Path) -> None:
    phones = sorted(family_phones(bundled_feed()), key=lambda item: -len(item[1]))
    for family, apps in itertools.islice(phones, 4):
        folder = write_acquisition(tmp_path / family.id.replace("/", "_"), apps)
        result = check_acquisition(load_acquisition(folder), bundled_index())
        names = {fm.family.name for a in result.stalkerware for fm in a.verdict.families}
        assert family.name in names
        assert {a.facts.name for a in result.stalkerware} <= {a.package for a in apps}


def test_a_busy_phone_of_store_apps_raises_nothing_urgent(tmp_path: Path) -> None:
    folder = write_acquisition(tmp_path / "phone", store_apps(374, first_uid=10300))
    result = check_acquisition(load_acquisition(folder), bundled_index())
    assert len(result.apps) == 400
    assert not result.stalkerware and not result.found
    assert result.headline.startswith("No known stalkerware found by these checks.")
