"""``strongroom audit`` run as a user runs it: offline against the real PyPA advisory database
(../shared/fixtures/osv/PyPI-all.zip), its findings held to the records read independently,
each output format, and the exit codes (1 found, 0 clean, 2 bad input)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from tests.functional.clients import run, said
from tests.functional.server import LiveIndex
from tests.staticindex import serving_static
from tests.unit.audit.records import REAL_ZIP

pytestmark = pytest.mark.functional

# Pinned requirements with known advisories in the real database, and two without.
PINNED = {"jinja2": "2.4", "Django": "3.2.0", "requests": "2.19.0", "PyYAML": "5.3",
          "urllib3": "1.24.1", "Pillow": "8.1.0", "Flask": "0.12", "cryptography": "3.2",
          "aiohttp": "3.8.0", "click": "8.1.7", "sampleproject": "4.0.0"}


def audit(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "strongroom", "audit", *args], tmp, check=False)


def _version(text: str) -> Version | str:
    try:
        return Version(text)
    except InvalidVersion:
        return text


def expected_from_records(pins: dict[str, str]) -> set[tuple[str, str, str]]:
    """(name, version, id) for each pin a record lists among its affected ``versions`` (osv.dev
    enumerates them): the records read without Strongroom's code."""
    wanted = {canonicalize_name(name): _version(version) for name, version in pins.items()}
    spelt = {canonicalize_name(name): version for name, version in pins.items()}
    found: set[tuple[str, str, str]] = set()
    with zipfile.ZipFile(REAL_ZIP) as archive:
        for member in archive.namelist():
            record = json.loads(archive.read(member))
            if record.get("withdrawn"):
                continue
            for entry in record.get("affected", []):
                name = canonicalize_name(entry["package"]["name"])
                if (entry["package"]["ecosystem"] == "PyPI" and name in wanted
                        and wanted[name] in {_version(v) for v in entry.get("versions", [])}):
                    found.add((name, spelt[name], record["id"]))
    return found


@pytest.fixture
def requirements(tmp_path: Path) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text("".join(f"{name}=={version}\n" for name, version in PINNED.items())
                    + "flask-login>=0.6  # not pinned\n")
    return path


def test_offline_audit_agrees_with_the_records(tmp_path: Path, requirements: Path) -> None:
    result = audit(tmp_path, "-r", str(requirements), "--db", str(REAL_ZIP), "--format", "json")
    assert result.returncode == 1, said(result)
    document = json.loads(result.stdout)
    found = {(d["name"], d["version"], v["id"]) for d in document["dependencies"]
             if "vulns" in d for v in d["vulns"]}
    expected = expected_from_records(PINNED)
    assert len(expected) > 40
    assert found == expected
    skipped = [d for d in document["dependencies"] if "skip_reason" in d]
    assert skipped == [{"name": "flask-login>=0.6", "where": f"{requirements}:12",
                        "skip_reason": "not pinned to one version (>=0.6); pin it with =="}]
    assert "not audited: flask-login>=0.6" in said(result)
    assert "1 advisory record refused" in said(result)  # PYSEC-2024-55's year-1 timestamp
    assert "PYSEC-2024-55.json: modified:" in said(result)


def test_ignore_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("jinja2==2.10\n")
    result = audit(tmp_path, "-r", str(path), "--db", str(REAL_ZIP), "--format", "json", "--fix")
    assert result.returncode == 1, said(result)
    document = json.loads(result.stdout)
    ids = {v["id"] for v in document["dependencies"][0]["vulns"]}
    aliases = {a for v in document["dependencies"][0]["vulns"] for a in v["aliases"]}
    (fix,) = document["fixes"]
    # The smallest upgrade clears every advisory of jinja2 the database has for 2.10.
    assert fix["old_version"] == "2.10"
    assert Version(fix["new_version"]) > Version("2.10")
    after = expected_from_records({"jinja2": fix["new_version"]})
    assert after == set()
    for v in document["dependencies"][0]["vulns"]:
        assert Version(v["fix"]) <= Version(fix["new_version"])
    ignored = audit(tmp_path, "-r", str(path), "--db", str(REAL_ZIP), "--format", "json",
                    *(f"--ignore={i}" for i in sorted(ids)[:-1]),
                    f"--ignore={sorted(aliases)[0] if aliases else sorted(ids)[-1]}")
    left = json.loads(ignored.stdout)["dependencies"][0]["vulns"]
    assert len(left) <= 1
    every = audit(tmp_path, "-r", str(path), "--db", str(REAL_ZIP),
                  *(f"--ignore={i}" for i in sorted(ids)))
    assert every.returncode == 0, said(every)
    assert "No known vulnerabilities found (1 package audited, " in every.stdout


def test_formats_to_a_file(tmp_path: Path, requirements: Path) -> None:
    sarif = tmp_path / "audit.sarif"
    result = audit(tmp_path, "-r", str(requirements), "--db", str(REAL_ZIP), "--format", "sarif",
                   "--output", str(sarif))
    assert result.returncode == 1, said(result)
    assert result.stdout == ""
    log = json.loads(sarif.read_text())
    (run_,) = log["runs"]
    assert log["version"] == "2.1.0"
    rules = [rule["id"] for rule in run_["tool"]["driver"]["rules"]]
    assert len(rules) == len(set(rules)) == len({r["ruleId"] for r in run_["results"]})
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in run_["results"]} == {requirements.as_uri()}
    markdown = audit(tmp_path, "-r", str(requirements), "--db", str(REAL_ZIP),
                     "--format", "markdown")
    assert markdown.stdout.startswith("## strongroom audit\n\nFound ")
    assert "| package | version | id | aliases | fix |" in markdown.stdout
    table = audit(tmp_path, "-r", str(requirements), "--db", str(REAL_ZIP))
    assert "Known vulnerabilities" in table.stdout
    assert "PYSEC-2019-217" in table.stdout  # jinja2 2.4's sandbox escape
    assert "error: Found " in table.stderr
    assert "Found " not in table.stdout  # the summary is said once, on stderr


def test_clean_inputs_exit_0(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\nversion = "1"\ndependencies = ["click==8.1.7"]\n')
    result = audit(tmp_path, str(path), "--db", str(REAL_ZIP))
    assert result.returncode == 0, said(result)
    assert "No known vulnerabilities found (1 package audited)." in result.stdout


def test_the_environment_is_the_default_input(tmp_path: Path) -> None:
    result = audit(tmp_path, "--db", str(REAL_ZIP), "--format", "json")
    assert result.returncode in (0, 1), said(result)
    names = {d["name"] for d in json.loads(result.stdout)["dependencies"]}
    assert {"packaging", "click", "strongroom"} <= names
    other = audit(tmp_path, "--python", sys.executable, "--db", str(REAL_ZIP), "--format", "json")
    assert {d["name"] for d in json.loads(other.stdout)["dependencies"]} == names


@pytest.mark.parametrize(("args", "message"), [
    (("--db", "REAL"), None),  # environment: fine
    (("-r", "missing.txt", "--db", "REAL"), "missing.txt: no such file"),
    (("-r", "requirements.txt"), "give one source of advisories: --index URL or --db FILE"),
    (("-r", "requirements.txt", "--db", "REAL", "--index", "http://127.0.0.1:9/"),
     "give one source of advisories"),
    (("-r", "requirements.txt", "--index", "ftp://example.org/"), "is not an http(s) URL"),
    (("-r", "requirements.txt", "--db", "requirements.txt"), "not a readable zip"),
    (("-r", "requirements.txt", "--db", "REAL", "--format", "xml"), "Invalid value for '--format'"),
    (("--python", "/nonexistent/python", "--db", "REAL"), "no such interpreter"),
])
def test_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...], message: str | None) -> None:
    (tmp_path / "requirements.txt").write_text("click==8.1.7\n")
    args = tuple(str(REAL_ZIP) if a == "REAL" else
                 str(tmp_path / a) if a.endswith(".txt") else a for a in args)
    result = audit(tmp_path, *args)
    if message is None:
        assert result.returncode in (0, 1), said(result)
        return
    assert result.returncode == 2, said(result)
    assert message in said(result)
    assert "Traceback" not in said(result)


def test_an_index_without_the_osv_api_is_a_usage_error(tmp_path: Path,
                                                        requirements: Path) -> None:
    with serving_static() as static:
        result = audit(tmp_path, "-r", str(requirements), "--index", static.url)
    assert result.returncode == 2, said(result)
    assert ": is the URL an index's base URL" in said(result)


@pytest.fixture(scope="module")
def seeded(index: LiveIndex) -> LiveIndex:
    """The module's live index with the real advisory database imported."""
    index.cli("admin", "vulns", "import", str(REAL_ZIP))
    return index


def _querybatches(index: LiveIndex) -> int:
    return index.log().count("POST /osv/v1/querybatch")


def test_a_live_index_agrees_with_the_offline_database_and_the_records(
        seeded: LiveIndex, tmp_path: Path, requirements: Path) -> None:
    before = _querybatches(seeded)
    online = audit(tmp_path, "-r", str(requirements), "--index", seeded.url, "--format", "json",
                   "--fix")
    assert online.returncode == 1, said(online)
    # One batched query for the pins, one for every record of the vulnerable packages (--fix).
    assert _querybatches(seeded) - before == 2
    offline = audit(tmp_path, "-r", str(requirements), "--db", str(REAL_ZIP), "--format",
                    "json", "--fix")
    document = json.loads(online.stdout)
    assert document == json.loads(offline.stdout)
    assert document["disputed"] == []
    found = {(d["name"], d["version"], v["id"]) for d in document["dependencies"]
             if "vulns" in d for v in d["vulns"]}
    assert found == expected_from_records(PINNED)
    assert "refused" not in online.stderr  # the index refused PYSEC-2024-55 when importing


def test_a_live_index_answers_the_simple_url_and_clean_pins(seeded: LiveIndex,
                                                            tmp_path: Path) -> None:
    path = tmp_path / "pylock.toml"
    path.write_text('lock-version = "1.0"\n[[packages]]\nname = "click"\nversion = "8.1.7"\n')
    result = audit(tmp_path, str(path), "--index", f"{seeded.url}/simple/")
    assert result.returncode == 0, said(result)
    assert "No known vulnerabilities found (1 package audited)." in result.stdout
