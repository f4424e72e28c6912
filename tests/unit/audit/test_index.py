"""The audit's client of an index's OSV API (audit/index.py), against a loopback server
speaking the API's shapes (osvserver.py)."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from strongroom.audit import Dependency, IndexSource, Where, audit
from strongroom.errors import InvalidInput, NotAuthenticated, Unavailable
from tests.unit.audit.osvserver import OsvTables, osv_server
from tests.unit.audit.records import record

HERE = Where("requirements.txt", 1)


def _deps(*pairs: tuple[str, str]) -> list[Dependency]:
    return [Dependency(name, version, HERE) for name, version in pairs]


def _tables() -> OsvTables:
    return OsvTables(
        ids={("demo", "1.0"): ["TEST-1", "TEST-2"], ("other", "2.0"): ["TEST-2"],
             ("demo", None): ["TEST-1", "TEST-2", "TEST-3"], ("other", None): ["TEST-2"]},
        records={
            "TEST-1": record("TEST-1", "demo", {"introduced": "0"}, {"fixed": "1.1"}),
            # Affects other 2.0, but not demo 1.0: the server's word is checked.
            "TEST-2": record("TEST-2", "other", {"introduced": "0"}, {"fixed": "3.0"}),
            "TEST-3": record("TEST-3", "demo", {"introduced": "1.1"}, {"fixed": "1.2"}),
        })


def _posts(tables: OsvTables) -> list[Any]:
    return [body for method, _path, body in tables.requests if method == "POST"]


def test_one_batched_query_then_each_record_once() -> None:
    tables = _tables()
    with osv_server(tables) as url, IndexSource(url) as index:
        report = audit(_deps(("demo", "1.0"), ("Other", "2.0"), ("clean", "1.0")), [], index)
    assert _posts(tables) == [{"queries": [
        {"package": {"name": "demo", "ecosystem": "PyPI"}, "version": "1.0"},
        {"package": {"name": "other", "ecosystem": "PyPI"}, "version": "2.0"},
        {"package": {"name": "clean", "ecosystem": "PyPI"}, "version": "1.0"}]}]
    gets = sorted(path for method, path, _ in tables.requests if method == "GET")
    assert gets == ["/osv/v1/vulns/TEST-1", "/osv/v1/vulns/TEST-2"]
    assert [(f.dependency.name, f.advisory.id) for f in report.findings] == [
        ("demo", "TEST-1"), ("Other", "TEST-2")]
    assert [(f.dependency.name, f.advisory.id) for f in report.disputed] == [("demo", "TEST-2")]


def test_fix_asks_for_every_record_of_the_vulnerable_packages() -> None:
    tables = _tables()
    with osv_server(tables) as url, IndexSource(url) as index:
        report = audit(_deps(("demo", "1.0")), [], index, fix=True)
    assert _posts(tables)[1] == {"queries": [{"package": {"name": "demo", "ecosystem": "PyPI"}}]}
    assert report.upgrades is not None
    # 1.1 clears TEST-1 but TEST-3 affects it; 1.2 clears both.
    assert [(u.target, u.clears) for u in report.upgrades] == [("1.2", ("TEST-1",))]


def test_above_a_thousand_queries_go_in_batches_of_a_thousand() -> None:
    tables = OsvTables(ids={("pkg-2400", "1.0"): ["TEST-1"]},
                       records={"TEST-1": record("TEST-1", "pkg-2400", {"introduced": "0"})})
    with osv_server(tables) as url, IndexSource(url) as index:
        report = audit(_deps(*((f"pkg-{i}", "1.0") for i in range(2500))), [], index)
    assert [len(body["queries"]) for body in _posts(tables)] == [1000, 1000, 500]
    assert [f.dependency.name for f in report.findings] == ["pkg-2400"]


def test_next_page_tokens_are_followed() -> None:
    ids = [f"TEST-{i}" for i in range(5)]
    tables = OsvTables(ids={("demo", "1.0"): ids}, page=2,
                       records={i: record(i, "demo", {"introduced": "0"}) for i in ids})
    with osv_server(tables) as url, IndexSource(url) as index:
        report = audit(_deps(("demo", "1.0"), ("clean", "1.0")), [], index)
    assert [f.advisory.id for f in report.findings] == ids
    assert [len(body["queries"]) for body in _posts(tables)] == [2, 1, 1]
    assert [body["queries"][0].get("page_token") for body in _posts(tables)] == [None, "2", "4"]


def test_credentials_from_the_url_or_a_token() -> None:
    tables = _tables()
    tables.credentials = ("__token__", "pypi-secret")
    with osv_server(tables) as url:
        with IndexSource(url) as index, pytest.raises(NotAuthenticated,
                                                       match="wants credentials"):
            audit(_deps(("demo", "1.0")), [], index)
        with IndexSource(url, token="wrong") as index, pytest.raises(
                NotAuthenticated, match="refused the credentials"):
            audit(_deps(("demo", "1.0")), [], index)
        with IndexSource(url, token="pypi-secret") as index:
            assert len(audit(_deps(("demo", "1.0")), [], index).findings) == 1
        with_userinfo = url.replace("http://", "http://__token__:pypi-secret@") + "simple/"
        with IndexSource(with_userinfo) as index:
            assert index.index_url == url  # the simple URL's base, shown without credentials
            assert len(audit(_deps(("demo", "1.0")), [], index).findings) == 1


def test_records_that_cannot_be_used_are_refused_and_the_rest_used() -> None:
    tables = OsvTables(
        ids={("demo", "1.0"): ["TEST-1", "GONE-1", "BAD-1", "ODD-1"]},
        records={"TEST-1": record("TEST-1", "demo", {"introduced": "0"}),
                 "BAD-1": {"id": "BAD-1"},
                 "ODD-1": record("OTHER-1", "demo", {"introduced": "0"})})
    with osv_server(tables) as url, IndexSource(url) as index:
        report = audit(_deps(("demo", "1.0")), [], index)
    assert [f.advisory.id for f in report.findings] == ["TEST-1"]
    said = sorted((error.record_id, error.message.removeprefix(url)) for error in index.refused)
    assert said == [
        ("BAD-1", "osv/v1/vulns/BAD-1: modified: None is not an RFC 3339 timestamp with a time "
                  "zone (such as 2024-01-31T12:00:00Z)"),
        ("GONE-1", "osv/v1/vulns/GONE-1: the index lists it in its answer but has no such "
                   "record"),
        ("ODD-1", "osv/v1/vulns/ODD-1: id: is 'OTHER-1', not the 'ODD-1' asked for")]


@pytest.mark.parametrize(("answer", "message"), [
    ({"results": []}, "0 results for 1 queries"),
    ({"nothing": 1}, "no results list"),
    ({"results": [{"vulns": [{"modified": "x"}]}]}, r"results\[0\].vulns is not a list"),
    (b"<html>", "did not answer with JSON"),
])
def test_answers_that_are_not_the_osv_apis_are_input_errors(answer: Any, message: str) -> None:
    tables = OsvTables(broken_batch=answer)
    with osv_server(tables) as url, IndexSource(url) as index, pytest.raises(
            InvalidInput, match=message):
        audit(_deps(("demo", "1.0")), [], index)


def test_urls_that_are_not_an_index_with_the_osv_api() -> None:
    with pytest.raises(InvalidInput, match="is not an http"):
        IndexSource("ftp://example.org/")
    with osv_server(OsvTables()) as url, IndexSource(url + "elsewhere/") as index, \
            pytest.raises(InvalidInput, match="answered HTTP 404: is the URL an index's base"):
        audit(_deps(("demo", "1.0")), [], index)
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with IndexSource(f"http://127.0.0.1:{port}/") as index, pytest.raises(
            Unavailable, match="could not reach the index"):
        audit(_deps(("demo", "1.0")), [], index)
