"""The OSV API (``/osv/v1/``) and the JSON API's vulnerabilities over a real database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Dialect
from tests.advisories import fixed_range, osv_record, store_advisory
from tests.readside import Index, sql_statements
from tests.unit.web.test_reads import AppClient

from strongroom.accounts import AccountService
from strongroom.db.engine import Database
from strongroom.db.statements import Prepared
from strongroom.domain.osvapi import PAGE_SIZE
from strongroom.web.osv import MAX_BODY, OsvApi

FIXED = osv_record("PYSEC-2024-1", "Alpha", fixed_range("0", "1.1"), aliases=("CVE-2024-1",),
                   summary="Alpha overflows",
                   severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/"
                                                       "C:H/I:H/A:H"}])
LISTED = osv_record("GHSA-aaaa-bbbb-cccc", "alpha", versions=("1.0",),
                    database_specific={"severity": "HIGH"})
WITHDRAWN = osv_record("PYSEC-2024-9", "alpha", fixed_range("0", "9"),
                       withdrawn="2024-02-01T00:00:00Z")
OTHER = osv_record("PYSEC-2024-2", "beta", fixed_range("2.0rc1", "2.0.post1"))


@pytest.fixture
def prepared(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL of every prepared statement run from here on (they bypass the engine's
    events): ``Prepared.compiled``, which each execution calls once, still does its work."""
    seen: list[str] = []
    compiled = Prepared.compiled

    def counted(self: Prepared, dialect: Dialect) -> Any:
        found = compiled(self, dialect)
        seen.append(found.sql)
        return found

    monkeypatch.setattr(Prepared, "compiled", counted)
    return seen


@pytest.fixture
def index(database: Database, tmp_path: Path) -> Index:
    built = Index(database, tmp_path)
    built.release("Alpha", "1.0")
    built.release("Alpha", "1.1")
    for record in (FIXED, LISTED, WITHDRAWN, OTHER):
        store_advisory(database, record)
    return built


@pytest.fixture
def client(index: Index) -> AppClient:
    return AppClient(OsvApi(index.app(), index.db))


def _query(client: AppClient, body: Any) -> Any:
    answer = client.request("POST", "/osv/v1/query", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    return answer.json()


def _ids(found: Any) -> list[str]:
    return [vuln["id"] for vuln in found.get("vulns", [])]


def test_query_by_name_and_version(client: AppClient) -> None:
    found = _query(client, {"package": {"name": "ALPHA", "ecosystem": "PyPI"},
                            "version": "1.0"})
    assert _ids(found) == ["GHSA-aaaa-bbbb-cccc", "PYSEC-2024-1"]
    assert found["vulns"][1] == FIXED  # the record as stored, whole
    assert _query(client, {"package": {"name": "alpha", "ecosystem": "PyPI"},
                           "version": "1.1"}) == {}
    assert _ids(_query(client, {"package": {"name": "beta"}, "version": "2.0"})) == [
        "PYSEC-2024-2"]
    assert _query(client, {"package": {"name": "beta"}, "version": "2.0.post1"}) == {}


def test_query_by_purl_and_without_version(client: AppClient) -> None:
    assert _ids(_query(client, {"package": {"purl": "pkg:pypi/alpha@0.5"}})) == [
        "PYSEC-2024-1"]
    assert _ids(_query(client, {"package": {"purl": "pkg:pypi/Alpha"}})) == [
        "GHSA-aaaa-bbbb-cccc", "PYSEC-2024-1"]  # every record but the withdrawn one


@pytest.mark.parametrize("body", [
    {"package": {"name": "unknown", "ecosystem": "PyPI"}, "version": "1.0"},
    {"package": {"name": "alpha", "ecosystem": "npm"}, "version": "1.0"},
    {"package": {"purl": "pkg:npm/alpha@1.0"}},
    {"commit": "0" * 40},
])
def test_queries_that_match_nothing_get_an_empty_object(client: AppClient,
                                                        body: dict[str, Any]) -> None:
    assert _query(client, body) == {}


@pytest.mark.parametrize(("body", "named"), [
    (b"not json", "not JSON"),
    (b"\xff\xfe", "not JSON"),
    (b"[" * 100_000, "not JSON"),
    (b"[]", "JSON object"),
    (b'{"package": {"name": 3}}', "package.name"),
    (b'{"version": "1.0"}', "package"),
    (b'{"package": {"purl": "pkg:pypi/alpha@1.0"}, "version": "1.0"}', "not both"),
    (b'{"package": {"name": "alpha"}, "page_token": "AAAA"}', "page_token"),
    (b'{"package": {"name": "alpha"}, "colour": 1}', "colour"),
])
def test_bad_bodies_get_osv_400s(client: AppClient, body: bytes, named: str) -> None:
    answer = client.request("POST", "/osv/v1/query", content=body)
    assert answer.status_code == 400
    error = answer.json()
    assert error["code"] == 3
    assert named in error["message"]


def test_bodies_are_bounded(client: AppClient) -> None:
    answer = client.request("POST", "/osv/v1/query", content=b" " * (MAX_BODY + 1))
    assert answer.status_code == 413
    assert answer.json()["code"] == 3


def test_methods_and_unknown_paths(client: AppClient) -> None:
    assert client.get("/osv/v1/query").status_code == 405
    assert client.request("DELETE", "/osv/v1/vulns/PYSEC-2024-1").status_code == 405
    assert client.get("/osv/v1/nothing").json()["code"] == 5
    assert client.get("/osv/v1/vulns/").status_code == 404


def test_querybatch_answers_in_order(client: AppClient, prepared: list[str]) -> None:
    queries = [
        {"package": {"name": "alpha", "ecosystem": "PyPI"}, "version": "1.0"},
        {"package": {"name": "unknown", "ecosystem": "PyPI"}, "version": "1.0"},
        {"package": {"purl": "pkg:pypi/beta@2.0rc1"}},
        {"package": {"name": "Alpha", "ecosystem": "PyPI"}, "version": "1.1"},
        {"package": {"name": "alpha"}},
    ]
    answer = client.request("POST", "/osv/v1/querybatch", json={"queries": queries})
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [_ids(result) for result in results] == [
        ["GHSA-aaaa-bbbb-cccc", "PYSEC-2024-1"], [], ["PYSEC-2024-2"], [],
        ["GHSA-aaaa-bbbb-cccc", "PYSEC-2024-1"]]
    assert results[0]["vulns"][1] == {"id": "PYSEC-2024-1", "modified": "2024-01-02T03:04:05Z"}
    assert results[1] == {}
    # One statement per distinct name (alpha, beta, unknown), none per query.
    assert len(prepared) == 3


def test_querybatch_bounds_and_errors(client: AppClient) -> None:
    query = {"package": {"name": "alpha"}, "version": "1.0"}
    answer = client.request("POST", "/osv/v1/querybatch", json={"queries": [query] * 1000})
    assert answer.status_code == 200
    assert len(answer.json()["results"]) == 1000
    answer = client.request("POST", "/osv/v1/querybatch", json={"queries": [query] * 1001})
    assert answer.status_code == 400
    assert "at most 1000" in answer.json()["message"]
    answer = client.request("POST", "/osv/v1/querybatch",
                            json={"queries": [query, {"package": {"name": ["x"]}}]})
    assert answer.status_code == 400
    assert "queries[1].package.name" in answer.json()["message"]


def test_vulns_by_id(client: AppClient) -> None:
    answer = client.get("/osv/v1/vulns/PYSEC-2024-1")
    assert answer.status_code == 200
    assert answer.json() == FIXED
    assert answer.headers["cache-control"] == "max-age=300, public"
    assert client.get("/osv/v1/vulns/PYSEC-2024-9").json()["withdrawn"]  # served, as osv.dev
    missing = client.get("/osv/v1/vulns/PYSEC-0000-0")
    assert missing.status_code == 404
    assert missing.json() == {"code": 5, "message": "Bug not found."}
    assert client.head("/osv/v1/vulns/PYSEC-2024-1").content == b""


def test_pages_of_a_package_with_many_advisories(index: Index, client: AppClient) -> None:
    for number in range(PAGE_SIZE + 2):
        store_advisory(index.db, osv_record(f"MANY-{number:05d}", "gamma",
                                            fixed_range("0", "5")))
    first = _query(client, {"package": {"name": "gamma"}, "version": "1.0"})
    assert len(first["vulns"]) == PAGE_SIZE
    second = _query(client, {"package": {"name": "gamma"}, "version": "1.0",
                             "page_token": first["next_page_token"]})
    assert _ids(second) == ["MANY-01000", "MANY-01001"]
    assert "next_page_token" not in second
    batch = client.request("POST", "/osv/v1/querybatch", json={"queries": [
        {"package": {"name": "gamma"}}]}).json()["results"][0]
    assert len(batch["vulns"]) == PAGE_SIZE
    assert batch["next_page_token"]


def test_other_paths_pass_through(client: AppClient) -> None:
    assert client.get("/simple/alpha/").status_code == 200
    assert client.get("/osvx").status_code == 404


def test_a_private_index_asks_for_the_same_credentials_as_simple(index: Index) -> None:
    AccountService(index.db).create_user("reader", email="reader@example.org",
                                         password="a long enough password")
    reads, token = index.private_app()
    client = AppClient(OsvApi(reads, index.db))
    body = {"package": {"name": "alpha"}, "version": "1.0"}
    assert client.request("POST", "/osv/v1/query", json=body).status_code == 401
    assert client.get("/osv/v1/vulns/PYSEC-2024-1").status_code == 401
    assert client.request("POST", "/osv/v1/query", json=body,
                          auth=("__token__", "wrong")).status_code == 401
    answer = client.request("POST", "/osv/v1/query", json=body, auth=("__token__", token))
    assert _ids(answer.json()) == ["GHSA-aaaa-bbbb-cccc", "PYSEC-2024-1"]
    record = client.get("/osv/v1/vulns/PYSEC-2024-1", auth=("__token__", token))
    assert record.headers["cache-control"] == "max-age=300, private"


def test_json_api_lists_each_releases_vulnerabilities(client: AppClient, index: Index) -> None:
    release = client.get("/pypi/alpha/1.0/json").json()
    assert [v["id"] for v in release["vulnerabilities"]] == [
        "GHSA-aaaa-bbbb-cccc", "PYSEC-2024-1"]
    assert release["vulnerabilities"][1] == {
        "id": "PYSEC-2024-1", "source": "osv",
        "link": "https://osv.dev/vulnerability/PYSEC-2024-1", "aliases": ["CVE-2024-1"],
        "details": "Bad things.", "summary": "Alpha overflows", "fixed_in": ["1.1"],
        "withdrawn": None}
    latest = client.get("/pypi/alpha/json").json()
    assert latest["info"]["version"] == "1.1"
    assert latest["vulnerabilities"] == []


def test_a_cold_document_costs_one_query_more_and_a_warm_one_none(
        index: Index, prepared: list[str]) -> None:
    client = AppClient(index.app())
    assert client.get("/pypi/alpha/1.0/json").status_code == 200
    assert sum("vulnerability_packages" in sql for sql in prepared) == 1
    prepared.clear()
    with sql_statements(index.db) as warm:
        assert client.get("/pypi/alpha/1.0/json").status_code == 200
        assert client.get("/simple/alpha/").status_code == 200  # cold: no advisories
        assert client.get("/simple/alpha/").status_code == 200
    assert not any("vulnerability" in sql for sql in warm + prepared)
    assert warm  # the simple page's cold render was seen
