"""The OSV API's requests and answers: queries, package URLs, page tokens, answer shapes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from strongroom.domain.advisories import Advisory, Affected, Event, Range
from strongroom.domain.osvapi import (
    MAX_QUERIES,
    PAGE_SIZE,
    BadQuery,
    Query,
    batch_answer,
    batch_result,
    error_body,
    page_of,
    page_token,
    parse_batch,
    parse_purl,
    parse_query,
    query_answer,
    release_marks,
    severity_of,
    timestamp,
)


def _package(name: str, ecosystem: str | None = "PyPI") -> dict[str, Any]:
    package: dict[str, Any] = {"name": name}
    if ecosystem is not None:
        package["ecosystem"] = ecosystem
    return package


def test_a_query_by_name_and_version_normalises_the_name() -> None:
    assert parse_query({"package": _package("Foo_Bar"), "version": "1.0"}) == Query(
        "foo-bar", "1.0")


def test_a_query_without_version_asks_for_every_advisory() -> None:
    assert parse_query({"package": _package("foo")}) == Query("foo", None)
    assert parse_query({"package": _package("foo"), "version": ""}) == Query("foo", None)


def test_a_name_without_ecosystem_is_read_as_pypi() -> None:
    assert parse_query({"package": _package("foo", None), "version": "1"}) == Query("foo", "1")


@pytest.mark.parametrize("body", [
    {"package": _package("foo", "npm"), "version": "1.0"},
    {"package": {"purl": "pkg:npm/left-pad@1.0"}},
    {"commit": "a" * 40},
    {"commit": "a" * 40, "package": _package("foo")},
    {"package": _package("not a valid name!"), "version": "1"},
])
def test_queries_nothing_here_can_match_are_valid(body: dict[str, Any]) -> None:
    assert parse_query(body).name is None


@pytest.mark.parametrize(("purl", "expected"), [
    ("pkg:pypi/Django@4.2.1", ("pypi", "django", "4.2.1")),
    ("pkg:pypi/foo_bar", ("pypi", "foo-bar", None)),
    ("pkg:PYPI/foo@1.0%2Blocal?arch=x86#sub/dir", ("pypi", "foo", "1.0+local")),
    ("pkg:/pypi/foo@2", ("pypi", "foo", "2")),
    ("pkg:npm/%40scope/name@1.0", ("npm", "name", "1.0")),
])
def test_package_urls(purl: str, expected: tuple[str, str, str | None]) -> None:
    assert parse_purl(purl) == expected


@pytest.mark.parametrize("purl", [
    "pypi/foo@1.0", "pkg:pypi", "pkg:pypi/", "pkg:/foo", "pkg:pypi/foo@", "pkg:pypi/@1.0",
    "pkg:pypi/ns/foo@1.0", "http://example.test/foo",
])
def test_malformed_package_urls_are_refused(purl: str) -> None:
    with pytest.raises(BadQuery) as caught:
        parse_query({"package": {"purl": purl}})
    assert caught.value.field == "package.purl"


def test_a_versioned_purl_gives_the_version() -> None:
    assert parse_query({"package": {"purl": "pkg:pypi/Foo@1.0"}}) == Query("foo", "1.0")


@pytest.mark.parametrize(("body", "field"), [
    ([], ""),
    ("query", ""),
    ({}, "package"),
    ({"package": None}, "package"),
    ({"package": "foo"}, "package"),
    ({"package": {}}, "package.name"),
    ({"package": {"ecosystem": "PyPI"}}, "package.name"),
    ({"package": {"name": 3, "ecosystem": "PyPI"}}, "package.name"),
    ({"package": {"name": "foo", "ecosystem": ["PyPI"]}}, "package.ecosystem"),
    ({"package": {"name": "foo", "colour": "red"}}, "package.colour"),
    ({"package": _package("foo"), "version": 1.0}, "version"),
    ({"package": _package("foo"), "versions": ["1.0"]}, "versions"),
    ({"package": _package("foo"), "page_token": 7}, "page_token"),
    ({"package": _package("foo"), "page_token": "not-a-token"}, "page_token"),
    ({"package": {"purl": "pkg:pypi/foo@1.0"}, "version": "1.0"}, "query"),
    ({"package": {"purl": "pkg:pypi/foo", "name": "foo"}}, "package"),
    ({"commit": "abc", "version": "1.0", "package": _package("foo")}, "query"),
])
def test_bad_queries_name_their_field(body: Any, field: str) -> None:
    with pytest.raises(BadQuery) as caught:
        parse_query(body)
    assert caught.value.field == field
    assert caught.value.message.startswith(field)


def test_batches() -> None:
    queries = [{"package": _package("a"), "version": "1"}, {"package": _package("b")}]
    assert parse_batch({"queries": queries}) == [Query("a", "1"), Query("b")]
    assert parse_batch({}) == []
    assert parse_batch({"queries": []}) == []
    assert len(parse_batch({"queries": queries[:1] * MAX_QUERIES})) == MAX_QUERIES


@pytest.mark.parametrize(("body", "field"), [
    ({"queries": queries}, "queries") for queries in ("a", {"a": 1}, [{}] * (MAX_QUERIES + 1))
] + [
    ({"queries": [{"package": _package("a")}, {"package": {"name": 3}}]},
     "queries[1].package.name"),
    ({"queries": [], "extra": 1}, "extra"),
    ([], ""),
])
def test_bad_batches_name_their_field(body: Any, field: str) -> None:
    with pytest.raises(BadQuery) as caught:
        parse_batch(body)
    assert caught.value.field == field


def test_page_tokens_carry_the_offset_and_belong_to_their_query() -> None:
    query = Query("foo", "1.0")
    token = page_token(query, PAGE_SIZE)
    body = {"package": _package("foo"), "version": "1.0", "page_token": token}
    assert parse_query(body) == Query("foo", "1.0", PAGE_SIZE)
    with pytest.raises(BadQuery):  # another query's token
        parse_query({**body, "version": "2.0"})
    with pytest.raises(BadQuery):  # cut short
        parse_query({**body, "page_token": token[:-2]})


def test_pages() -> None:
    found = list(range(2 * PAGE_SIZE + 5))
    first, token = page_of(Query("foo"), found)
    assert first == found[:PAGE_SIZE]
    assert token is not None
    body = {"package": _package("foo"), "page_token": token}
    second, token = page_of(parse_query(body), found)
    assert second == found[PAGE_SIZE:2 * PAGE_SIZE]
    assert token is not None
    last, token = page_of(parse_query({**body, "page_token": token}), found)
    assert (last, token) == (found[2 * PAGE_SIZE:], None)
    assert page_of(Query("foo"), found[:PAGE_SIZE]) == (found[:PAGE_SIZE], None)


def test_timestamps_are_utc_with_z() -> None:
    assert timestamp(dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)) == "2024-01-02T03:04:05Z"
    plus_two = dt.timezone(dt.timedelta(hours=2))
    assert (timestamp(dt.datetime(2024, 1, 2, 5, 4, 5, 120000, tzinfo=plus_two))
            == "2024-01-02T03:04:05.12Z")


def test_query_answers_splice_the_stored_records() -> None:
    records = ['{"id":"A-1","modified":"2024-01-01T00:00:00Z"}', '{"id":"B-2"}']
    assert json.loads(query_answer(records, None)) == {
        "vulns": [{"id": "A-1", "modified": "2024-01-01T00:00:00Z"}, {"id": "B-2"}]}
    assert json.loads(query_answer(records, "tok"))["next_page_token"] == "tok"
    assert query_answer([], None) == b"{}"


def test_batch_answers() -> None:
    when = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    results = [batch_result([("A-1", when)], None), batch_result([], None),
               batch_result([("B-2", when)], "tok")]
    assert json.loads(batch_answer(results)) == {"results": [
        {"vulns": [{"id": "A-1", "modified": "2024-01-02T03:04:05Z"}]},
        {},
        {"vulns": [{"id": "B-2", "modified": "2024-01-02T03:04:05Z"}], "next_page_token": "tok"},
    ]}


def test_error_bodies() -> None:
    assert json.loads(error_body(3, "Invalid query.")) == {"code": 3, "message": "Invalid query."}


V3 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
V4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"


@pytest.mark.parametrize(("record", "expected"), [
    ({"severity": [{"type": "CVSS_V3", "score": V3}]}, V3),
    ({"severity": [{"type": "CVSS_V3", "score": V3}, {"type": "CVSS_V4", "score": V4}]}, V4),
    ({"affected": [{"package": {"name": "Other"}, "severity": [{"type": "CVSS_V3",
                                                                "score": "x"}]},
                   {"package": {"name": "Foo_Bar"}, "severity": [{"type": "CVSS_V3",
                                                                  "score": V3}]}]}, V3),
    ({"database_specific": {"severity": "HIGH"}}, "HIGH"),
    ({"severity": [{"type": "Ubuntu", "score": "medium"}]}, "medium"),
    ({"severity": "HIGH", "affected": "x", "database_specific": []}, None),
    ({}, None),
])
def test_severity(record: dict[str, Any], expected: str | None) -> None:
    assert severity_of(record, "foo-bar") == expected


def test_release_marks() -> None:
    when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    ranges = (Range((Event("introduced", "0"), Event("fixed", "1.0.3"))),
              Range((Event("introduced", "1.1"), Event("fixed", "1.1.2"))))
    first = Advisory("PYSEC-1", when, summary="Overflow", link="https://osv.dev/PYSEC-1",
                     affected=(Affected("frob", ranges),))
    second = Advisory("EVIL-1", when, link="javascript:alert(1)",
                      affected=(Affected("frob", (), ("1.1",)),))
    record = json.dumps({"id": "PYSEC-1", "database_specific": {"severity": "HIGH"}})
    marks = release_marks("frob", ["1.2", "1.1", "1.0", "0.9"],
                          [(first, record), (second, "not json")])
    assert [(version, [(m.id, m.fixed_in) for m in found]) for version, found in marks] == [
        ("1.1", [("PYSEC-1", "1.1.2"), ("EVIL-1", None)]),
        ("1.0", [("PYSEC-1", "1.0.3")]),
        ("0.9", [("PYSEC-1", "1.0.3")]),
    ]
    pysec, evil = marks[0][1]
    assert (pysec.severity, pysec.summary, pysec.href) == ("HIGH", "Overflow",
                                                           "https://osv.dev/PYSEC-1")
    assert (evil.severity, evil.href) == (None, None)
