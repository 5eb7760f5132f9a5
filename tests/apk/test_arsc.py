"""resources.arsc: references resolve to the default configuration's text or file path."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.apk.axml_craft import TYPE_INT_DEC, TYPE_REFERENCE, TYPE_STRING, arsc, string_pool
from unstalk.apk.parsers.arsc import ResourceTable, StringPool
from unstalk.errors import ApkError

DEFAULT = bytes(60)
FRENCH = b"\0\0\0\0fr" + bytes(54)
STRINGS = ["Mon appli", "My App", "res/xml/accessibility.xml", "Spy"]
STRING_TYPE = 0x02
XML_TYPE = 0x03
INT_TYPE = 0x04


def table(layout: str = "dense", *, compact: bool = False) -> ResourceTable:
    types = {
        STRING_TYPE: [
            (FRENCH, {0: (TYPE_STRING, 0)}),
            (DEFAULT, {0: (TYPE_STRING, 1), 2: (TYPE_REFERENCE, 0x7F020000), 5: (TYPE_STRING, 3)}),
        ],
        XML_TYPE: [(DEFAULT, {0: (TYPE_STRING, 2)})],
        INT_TYPE: [(DEFAULT, {0: (TYPE_INT_DEC, 7)})],
    }
    return ResourceTable(arsc(STRINGS, types, layout=layout, compact=compact))


@pytest.mark.parametrize("layout", ["dense", "offset16", "sparse"])
@pytest.mark.parametrize("compact", [False, True])
def test_label_resolves_to_the_default_configuration(layout: str, compact: bool) -> None:
    res = table(layout, compact=compact)
    assert res.resolve(0x7F020000) == "My App"
    assert res.resolve(0x7F020005) == "Spy"


def test_xml_reference_resolves_to_its_path_in_the_apk() -> None:
    assert table().resolve(0x7F030000) == "res/xml/accessibility.xml"


def test_reference_to_a_reference_is_followed() -> None:
    assert table().resolve(0x7F020002) == "My App"


def test_only_a_localised_value_is_still_found() -> None:
    res = ResourceTable(arsc(STRINGS, {STRING_TYPE: [(FRENCH, {0: (TYPE_STRING, 0)})]}))
    assert res.resolve(0x7F020000) == "Mon appli"


def test_reference_loops_end() -> None:
    loop = {STRING_TYPE: [(DEFAULT, {0: (TYPE_REFERENCE, 0x7F020001), 1: (1, 0x7F020000)})]}
    assert ResourceTable(arsc(STRINGS, loop)).resolve(0x7F020000) is None


@pytest.mark.parametrize("res_id", [0x7F020001, 0x7F090000, 0x01040000, 0x7F040000, 0x7F02FFFF])
def test_unknown_or_non_text_ids_resolve_to_none(res_id: int) -> None:
    assert table().resolve(res_id) is None


def test_not_a_resource_table_is_an_apk_error() -> None:
    with pytest.raises(ApkError, match="not a resource table"):
        ResourceTable(b"\x03\x00\x08\x00" + bytes(100))


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.binary(min_size=1, max_size=6))
def test_damaged_tables_give_apk_error_or_answers(position: int, junk: bytes) -> None:
    data = bytearray(
        arsc(STRINGS, {STRING_TYPE: [(DEFAULT, {0: (TYPE_STRING, 1), 1: (TYPE_STRING, 2)})]})
    )
    at = position % len(data)
    data[at : at + len(junk)] = junk
    with contextlib.suppress(ApkError):
        res = ResourceTable(bytes(data))
        for res_id in (0x7F020000, 0x7F020001, 0x7F020002):
            assert res.resolve(res_id) is None or isinstance(res.resolve(res_id), str)


def test_truncated_tables_give_apk_error_or_answers() -> None:
    data = arsc(STRINGS, {STRING_TYPE: [(DEFAULT, {0: (TYPE_STRING, 1)})]})
    for cut in range(len(data)):
        with contextlib.suppress(ApkError):
            ResourceTable(data[:cut]).resolve(0x7F020000)


POOL_STRINGS = ["manifest", "package", "com.example.app", "", "action", "android"]


def _pool(raw: bytes) -> StringPool:
    return StringPool.parse(raw, 0, len(raw), name="AndroidManifest.xml", path="")


@pytest.mark.parametrize("utf8", [True, False])
@pytest.mark.parametrize("odd_offset", [False, True])
def test_a_pool_decoded_whole_reads_as_one_decoded_string_by_string(
    utf8: bool, odd_offset: bool
) -> None:
    raw = bytearray(string_pool(POOL_STRINGS, utf8=utf8))
    if odd_offset:
        # The third string's offset made odd: UTF-16 strings are then no longer aligned.
        raw[28 + 8] += 1
    one_by_one = _pool(bytes(raw))
    whole = _pool(bytes(raw))
    whole.preload()
    expected = [one_by_one.get(i) for i in range(len(POOL_STRINGS) + 1)]
    assert [whole.get(i) for i in range(len(POOL_STRINGS) + 1)] == expected
    if not odd_offset:
        assert expected[: len(POOL_STRINGS)] == POOL_STRINGS
