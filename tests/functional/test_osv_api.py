"""The OSV API and the JSON API's vulnerabilities on a live server, with the real PyPA
advisory database imported whole, and a list of pinned requirements: ``strongroom audit
--index``, real ``pip-audit -s osv --osv-url <index>/osv/v1/query``, the JSON API and the
records (evaluated here, independently of Strongroom's matching) agree; and on a private
index pip-audit reads with a token."""

from __future__ import annotations

import json
import re
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from tests.advisories import fixed_range, osv_record
from tests.builders import make_wheel
from tests.databases import BACKENDS
from tests.functional.browsing import Visitor
from tests.functional.clients import run, twine_upload
from tests.functional.server import LiveIndex, running_index
from tests.unit.domain.test_osv import FIXTURE

pytestmark = pytest.mark.functional

PIP_AUDIT = Path(sys.executable).parent / "pip-audit"
# Pinned requirements with known advisories (and one without, one the index never heard of);
# names as people write them, not normalised.
REQUIREMENTS = {
    "Django": "3.2.0", "Jinja2": "2.10", "requests": "2.19.0", "urllib3": "1.24.1",
    "PyYAML": "5.3", "Flask": "0.12", "Pillow": "8.0.0", "cryptography": "3.2",
    "Werkzeug": "2.2.2", "lxml": "4.6.2", "attrs": "23.1.0", "no-such-package-here": "1.0",
}
PUBLISHED = ("Django", "PyYAML", "attrs")  # also uploaded, for their JSON API documents
CVSS = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
# A project of the index's own with an advisory that gives its severity (the PyPA database's
# records of PUBLISHED give none).
FROB = osv_record("PYSEC-9999-1", "frobnicator", fixed_range("0", "1.0.1"),
                  severity=[{"type": "CVSS_V3", "score": CVSS}])


def _records() -> list[dict[str, Any]]:
    """The advisory database's records that concern any of REQUIREMENTS' packages."""
    names = {canonicalize_name(name) for name in REQUIREMENTS}
    found = []
    with zipfile.ZipFile(FIXTURE) as archive:
        for member in archive.namelist():
            record = json.loads(archive.read(member))
            if any(canonicalize_name(entry["package"]["name"]) in names
                   for entry in record.get("affected", [])):
                found.append(record)
    return found


def _in_range(events: list[dict[str, str]], version: Version) -> bool:
    """Whether ``version`` lies in an ECOSYSTEM range, worked out as "the highest event at or
    below it opens the range": an ``introduced`` at or below it opens, a ``fixed`` at or below
    it or a ``last_affected`` below it closes (a close wins a tie), and a ``limit`` at or
    below it puts it outside."""
    passed: list[tuple[Version, int]] = []  # (where, 1 opens / 0 closes)
    for event in events:
        (kind, text), = event.items()
        at = Version("0") if (kind, text) == ("introduced", "0") else Version(text)
        if kind == "limit" and at <= version:
            return False
        if ((kind == "introduced" and at <= version) or (kind == "fixed" and at <= version)
                or (kind == "last_affected" and at < version)):
            passed.append((at, 1 if kind == "introduced" else 0))
    return bool(passed) and max(passed)[1] == 1 and not any(
        opens == 0 and at == max(passed)[0] for at, opens in passed)


def _expected(records: list[dict[str, Any]], name: str, version: str) -> set[str]:
    """The ids of the records that affect ``version`` of ``name``, read from the records."""
    wanted, parsed = canonicalize_name(name), Version(version)
    ids = set()
    for record in records:
        if record.get("withdrawn"):
            continue
        for entry in record["affected"]:
            package = entry["package"]
            if package["ecosystem"] != "PyPI" or canonicalize_name(package["name"]) != wanted:
                continue
            listed = version in entry.get("versions", [])
            try:
                ranged = any(_in_range(r["events"], parsed) for r in entry.get("ranges", [])
                             if r["type"] == "ECOSYSTEM")
            except InvalidVersion:
                ranged = False
            if listed or ranged:
                ids.add(record["id"])
    return ids


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return _records()


def _import(index: LiveIndex, tmp: Path, *records: dict[str, Any]) -> None:
    """``strongroom admin vulns import`` of the real advisory database, then of ``records``
    (each a file of its own), as an administrator does it."""
    index.cli("admin", "vulns", "import", str(FIXTURE))
    for record in records:
        path = tmp / f"{record['id']}.json"
        path.write_text(json.dumps(record))
        index.cli("admin", "vulns", "import", str(path))


@pytest.fixture(scope="module", params=BACKENDS)
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[LiveIndex]:
    """A public index holding PUBLISHED's releases, then the whole advisory database."""
    root = tmp_path_factory.mktemp(f"osv-{request.param}")
    with running_index(request.param, root) as index:
        index.create_user("alice")
        dist = root / "dist"
        dist.mkdir()
        wheels = [make_wheel(dist, name, REQUIREMENTS[name]) for name in PUBLISHED]
        wheels += [make_wheel(dist, "frobnicator", version) for version in ("0.9", "1.0",
                                                                            "1.0.1")]
        twine_upload(index.url, index.token("alice"), wheels, dist)
        # Read (and cached) before the advisories arrive: the import must invalidate it.
        before = httpx.get(f"{index.url}/pypi/Django/{REQUIREMENTS['Django']}/json")
        assert before.json()["vulnerabilities"] == []
        _import(index, root, FROB)
        yield index


def _requirements(tmp: Path) -> Path:
    requirements = tmp / "requirements.txt"
    requirements.write_text("".join(f"{n}=={v}\n" for n, v in REQUIREMENTS.items()))
    return requirements


def _strongroom_audit(index_url: str, tmp: Path) -> dict[str, set[str]]:
    """What ``strongroom audit --index`` finds for REQUIREMENTS: the ids by normalised name."""
    result = run([sys.executable, "-m", "strongroom", "audit", "-r", str(_requirements(tmp)),
                  "--index", index_url, "--format", "json"], tmp, check=False)
    assert result.returncode == 1, result.stderr  # 1: vulnerabilities found
    report = json.loads(result.stdout)
    return {canonicalize_name(dep["name"]): {vuln["id"] for vuln in dep.get("vulns", [])}
            for dep in report["dependencies"]}


def _pip_audit(osv_url: str, tmp: Path) -> dict[str, set[str]]:
    """What pip-audit finds for REQUIREMENTS asking ``osv_url``: the ids by normalised name."""
    result = run([str(PIP_AUDIT), "-s", "osv", "--osv-url", osv_url, "--no-deps",
                  "--disable-pip", "-r", str(_requirements(tmp)), "-f", "json",
                  "--progress-spinner", "off", "--cache-dir", str(tmp / "cache")],
                 tmp, check=False)
    assert result.returncode == 1, result.stderr  # 1: vulnerabilities found
    report = json.loads(result.stdout)
    return {canonicalize_name(dep["name"]): {vuln["id"] for vuln in dep.get("vulns", [])}
            for dep in report["dependencies"]}


def test_strongroom_audit_pip_audit_json_api_and_the_records_agree(
        live: LiveIndex, records: list[dict[str, Any]], tmp_path: Path) -> None:
    expected = {canonicalize_name(name): _expected(records, name, version)
                for name, version in REQUIREMENTS.items()}
    assert sum(map(len, expected.values())) > 50  # the list does exercise the database
    assert expected["attrs"] == expected["no-such-package-here"] == set()
    assert _pip_audit(f"{live.url}/osv/v1/query", tmp_path) == expected
    assert _strongroom_audit(live.url, tmp_path) == expected
    for name in PUBLISHED:
        document = httpx.get(f"{live.url}/pypi/{name}/{REQUIREMENTS[name]}/json").json()
        found = {vuln["id"] for vuln in document["vulnerabilities"]}
        assert found == expected[canonicalize_name(name)], name
        for vuln in document["vulnerabilities"]:
            assert vuln["source"] == "osv"
            assert vuln["withdrawn"] is None
            assert vuln["link"]


def test_querybatch_agrees_with_query(live: LiveIndex, records: list[dict[str, Any]]) -> None:
    queries = [{"package": {"name": name, "ecosystem": "PyPI"}, "version": version}
               for name, version in REQUIREMENTS.items()]
    answer = httpx.post(f"{live.url}/osv/v1/querybatch", json={"queries": queries})
    assert answer.status_code == 200
    results = answer.json()["results"]
    for (name, version), result in zip(REQUIREMENTS.items(), results, strict=True):
        assert {v["id"] for v in result.get("vulns", [])} == _expected(records, name, version)
    some = results[0]["vulns"][0]
    record = httpx.get(f"{live.url}/osv/v1/vulns/{some['id']}").json()
    assert record == next(r for r in records if r["id"] == some["id"])
    assert httpx.get(f"{live.url}/osv/v1/vulns/PYSEC-0000-0").status_code == 404


@pytest.mark.parametrize("body", [
    b"", b"{", b"null", b'{"package": []}', b'{"queries": 5}', "\u00e9".encode("latin-1"),
    b'{"package": {"name": "django", "ecosystem": "PyPI"}, "version": {"a": 1}}',
    b'{"package": {"purl": "pkg:pypi/django@3.2"}, "version": "3.2"}',
])
def test_bad_bodies_are_400_never_5xx(live: LiveIndex, body: bytes) -> None:
    for path in ("/osv/v1/query", "/osv/v1/querybatch"):
        answer = httpx.post(f"{live.url}{path}", content=body)
        assert answer.status_code == 400, (path, body, answer.text)
        assert answer.json()["code"] == 3
    assert "Traceback" not in live.log()


@pytest.fixture(scope="module", params=BACKENDS)
def private(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[LiveIndex]:
    root = tmp_path_factory.mktemp(f"osv-private-{request.param}")
    with running_index(request.param, root, extra_env={"STRONGROOM_PRIVATE": "true"}) as index:
        _import(index, root)
        index.create_user("alice")
        yield index


def test_a_private_index_answers_pip_audit_with_a_token_only(
        private: LiveIndex, records: list[dict[str, Any]], tmp_path: Path) -> None:
    query = {"package": {"name": "django", "ecosystem": "PyPI"}, "version": "3.2.0"}
    assert httpx.post(f"{private.url}/osv/v1/query", json=query).status_code == 401
    token = private.token("alice", "--read-only")
    host = private.url.removeprefix("http://")
    found = _pip_audit(f"http://__token__:{token}@{host}/osv/v1/query", tmp_path)
    assert found["django"] == _expected(records, "Django", "3.2.0")


def test_the_project_page_marks_vulnerable_releases(live: LiveIndex,
                                                    records: list[dict[str, Any]]) -> None:
    visitor = Visitor(live.url)
    try:
        visitor.login("alice", "a long enough password")
        page = visitor.get("/account/projects/Django")
        assert page.status_code == 200
        rows = _marks(page.text)
        assert {row[1] for row in rows} == _expected(records, "Django", "3.2.0")
        assert {row[0] for row in rows} == {"3.2.0"}
        for _version, _id, severity, fixed in rows:
            assert severity == "not given"  # the PyPA database gives Django's none
            assert fixed == "no fix yet" or Version(fixed) > Version("3.2.0")
        assert _marks(visitor.get("/account/projects/frobnicator").text) == [
            ("1.0", "PYSEC-9999-1", CVSS, "1.0.1"),
            ("0.9", "PYSEC-9999-1", CVSS, "1.0.1"),
        ]
        clean = visitor.get("/account/projects/attrs")
        assert 'id="no-vulnerabilities"' in clean.text
        assert _marks(clean.text) == []
    finally:
        visitor.close()


def _marks(page: str) -> list[tuple[str, str, str, str]]:
    """(release, advisory, severity, fixed in) of each row of a project page's table."""
    table = page.partition('<table id="vulnerabilities">')[2].partition("</table>")[0]
    rows = []
    release = ""
    for row in re.findall(r'<tr class="vulnerable">(.*?)</tr>', table, re.DOTALL):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
        if len(cells) == 4:
            release = cells.pop(0)
        advisory = re.sub(r"<[^>]+>", "", cells[0]).partition(":")[0]
        rows.append((release, advisory, cells[1], cells[2]))
    return rows
