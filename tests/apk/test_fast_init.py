"""The faster ``__init__`` of the APK model keeps every behaviour of a frozen dataclass."""

from __future__ import annotations

import inspect
import pickle
from dataclasses import FrozenInstanceError, dataclass, field, fields, replace
from datetime import UTC, datetime

import pytest

from unstalk.apk.fast_init import fast_init
from unstalk.apk.model import Certificate, SignatureScheme, Signer
from unstalk.apk.result_json import plain


@dataclass(frozen=True, slots=True)
class _Reference:
    name: str
    size: int | None = None
    tags: tuple[str, ...] = ()


@fast_init
@dataclass(frozen=True, slots=True)
class _Fast:
    name: str
    size: int | None = None
    tags: tuple[str, ...] = ()


def _certificate(**changes: object) -> Certificate:
    values: dict[str, object] = {
        "sha1": "A" * 40,
        "sha256": "B" * 64,
        "subject": "CN=Android Debug,O=Android,C=US",
        "issuer": "CN=Android Debug,O=Android,C=US",
        "serial": "1f",
        "not_before": datetime(2020, 1, 1, tzinfo=UTC),
        "not_after": datetime(2050, 1, 1, tzinfo=UTC),
        "key_algorithm": "RSA 2048",
        "organization": "Android",
        "common_name": "Android Debug",
    }
    return Certificate(**{**values, **changes})  # type: ignore[arg-type]


def test_values_defaults_and_keywords_match_the_generated_init() -> None:
    for args, kwargs in [(("a",), {}), (("a", 3), {}), ((), {"name": "a", "tags": ("x",)})]:
        fast, reference = _Fast(*args, **kwargs), _Reference(*args, **kwargs)  # type: ignore[arg-type]
        assert repr(fast).replace("_Fast", "") == repr(reference).replace("_Reference", "")
    assert inspect.signature(_Fast) == inspect.signature(_Reference)
    with pytest.raises(TypeError):
        _Fast()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        _Fast("a", 1, (), "extra")  # type: ignore[call-arg]


def test_equality_hashing_and_immutability_hold() -> None:
    first, second = _certificate(), _certificate()
    assert first == second and hash(first) == hash(second)
    assert first != _certificate(serial="20")
    assert len({first, second, _certificate(serial="20")}) == 2
    with pytest.raises(FrozenInstanceError):
        first.serial = "20"  # type: ignore[misc]


def test_replace_pickle_and_json_see_the_same_fields() -> None:
    cert = _certificate()
    signer = Signer(SignatureScheme.V2, (cert,), min_sdk=24)
    assert replace(cert, serial="20").serial == "20"
    assert pickle.loads(pickle.dumps(signer)) == signer
    assert [f.name for f in fields(signer)] == ["scheme", "certificates", "min_sdk", "max_sdk"]
    assert plain(signer) == {
        "scheme": "v2",
        "certificates": [plain(cert)],
        "min_sdk": 24,
        "max_sdk": None,
    }
    dumped = plain(cert)
    assert isinstance(dumped, dict) and dumped["not_before"] == "2020-01-01T00:00:00+00:00"


def test_classes_it_cannot_serve_are_refused() -> None:
    @dataclass(frozen=True)
    class NoSlots:
        name: str

    @dataclass(slots=True)
    class NotFrozen:
        name: str

    @dataclass(frozen=True, slots=True)
    class Factory:
        names: list[str] = field(default_factory=list)

    for cls in (NoSlots, NotFrozen, Factory):
        with pytest.raises(TypeError):
            fast_init(cls)
