"""Fixtures for APK tests: the synthetic corpus, built once per session, and a builder.

``synthetic_apks`` maps package name -> APK path for every app of
tests/apk/builder/corpus.py; ``synthetic_expectations`` is tests/apk/cases/synthetic.yml;
``apk_builder`` builds one-off variants (``apk_builder.variant("com.thetruth", schemes=("v2",))``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.apk.builder.corpus import ApkBuilder, build_corpus
from tests.apk.builder.expectations import Expectation, load_expectations


@pytest.fixture(scope="session")
def synthetic_apks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_corpus(tmp_path_factory.mktemp("synthetic-apks"))


@pytest.fixture(scope="session")
def synthetic_expectations() -> dict[str, Expectation]:
    return load_expectations()


@pytest.fixture
def apk_builder(tmp_path: Path) -> ApkBuilder:
    return ApkBuilder(tmp_path / "apks")
