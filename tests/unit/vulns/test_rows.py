"""The compact affected rows: what is written reads back into the same matching entry."""

from __future__ import annotations

import json

import pytest

from strongroom.domain.advisories import Affected, Event, Range
from strongroom.vulns.rows import CorruptRow, affected_from_row, affected_row, merged

ENTRY = Affected("jw-util", (
    Range((Event("introduced", "0"), Event("fixed", "1.2"))),
    Range((Event("introduced", "2.0rc1"), Event("last_affected", "2.3"), Event("limit", "3"))),
), ("0.9", "2.0.post1"))


def test_a_row_is_compact_json_in_the_documented_shape() -> None:
    text = affected_row(ENTRY)
    assert " " not in text
    assert json.loads(text) == {
        "ranges": [[["introduced", "0"], ["fixed", "1.2"]],
                   [["introduced", "2.0rc1"], ["last_affected", "2.3"], ["limit", "3"]]],
        "versions": ["0.9", "2.0.post1"]}


def test_a_row_reads_back_into_an_equal_entry() -> None:
    back = affected_from_row("jw-util", affected_row(ENTRY))
    assert back == ENTRY
    assert back.affects("2.0rc1")
    assert back.affects("2.3")
    assert not back.affects("2.3.post1")
    assert affected_from_row("x", affected_row(Affected("x"))) == Affected("x")


@pytest.mark.parametrize("text", [
    "not json", "[]", '{"ranges": []}', '{"ranges": [[["oops", "1"]]], "versions": []}',
    '{"ranges": [[["fixed", 1]]], "versions": []}', '{"ranges": [], "versions": [1]}',
])
def test_an_unreadable_row_is_a_clear_error(text: str) -> None:
    with pytest.raises(CorruptRow, match="package 'jw-util' is unreadable"):
        affected_from_row("jw-util", text)


def test_entries_of_one_package_merge_into_one_matching_both() -> None:
    first = Affected("a", (Range((Event("introduced", "0"), Event("fixed", "1.0"))),), ("5",))
    second = Affected("a", (Range((Event("introduced", "2.0"), Event("fixed", "2.1"))),),
                      ("5", "6"))
    both = merged([first, second])
    assert both.versions == ("5", "6")
    assert [both.affects(v) for v in ("0.5", "1.0", "2.0", "2.1", "6")] == [
        True, False, True, False, True]
    with pytest.raises(ValueError, match="one package"):
        merged([first, Affected("b")])
