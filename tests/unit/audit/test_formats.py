"""An audit's report as JSON, SARIF 2.1.0 and Markdown (audit/formats.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from strongroom.audit import (
    Dependency,
    OfflineDatabase,
    Report,
    Skipped,
    Where,
    audit,
    summary,
    to_json,
    to_markdown,
    to_sarif,
)
from tests.unit.audit.records import record, write_zip


@pytest.fixture
def report(tmp_path: Path) -> Report:
    database = OfflineDatabase(write_zip(tmp_path / "db.zip", [
        record("TEST-1", "demo", {"introduced": "0"}, {"fixed": "1.2"}, aliases=("CVE-1",),
               summary="Pipes | and\nnewlines", details="Long words.",
               references=[{"type": "ADVISORY", "url": "https://example.org/TEST-1"}]),
        record("TEST-2", "demo", {"introduced": "0"}, {"fixed": "1.5"}),
        record("TEST-3", "other", {"introduced": "0"}),
    ]))
    deps = [Dependency("Demo", "1.0", Where("requirements.txt", 3)),
            Dependency("other", "2.0", Where("/abs/pyproject.toml")),
            Dependency("clean", "1.0", Where("requirements.txt", 4))]
    skipped = [Skipped("flask>=2", "not pinned to one version (>=2)", Where("requirements.txt", 5))]
    return audit(deps, skipped, database, fix=True, ignore=["TEST-3"])


def test_summary(report: Report) -> None:
    assert summary(report) == ("Found 2 known vulnerabilities in 1 package (3 packages "
                               "audited, 1 skipped, 1 finding ignored).")
    assert summary(Report([], [])) == "No known vulnerabilities found (0 packages audited)."


def test_json_has_pip_audits_layout(report: Report) -> None:
    document = json.loads(to_json(report))
    assert document["dependencies"][0] == {
        "name": "demo", "version": "1.0", "where": "requirements.txt:3", "vulns": [
            {"id": "TEST-1", "fix_versions": ["1.2"], "fix": "1.2", "aliases": ["CVE-1"],
             "description": "Pipes | and\nnewlines", "summary": "Pipes | and\nnewlines",
             "link": "https://example.org/TEST-1"},
            {"id": "TEST-2", "fix_versions": ["1.5"], "fix": "1.5", "aliases": [],
             "description": "N/A", "summary": None, "link": None}]}
    assert document["dependencies"][1]["vulns"] == []  # other's only finding is ignored
    assert document["dependencies"][3] == {"name": "flask>=2", "where": "requirements.txt:5",
                                           "skip_reason": "not pinned to one version (>=2)"}
    assert document["ignored"] == [{"name": "other", "version": "2.0", "id": "TEST-3"}]
    assert document["fixes"] == [{"name": "demo", "old_version": "1.0", "new_version": "1.5",
                                  "clears": ["TEST-1", "TEST-2"]}]


def test_sarif_has_the_fields_the_schema_requires(report: Report) -> None:
    log = json.loads(to_sarif(report, tool_version="0.1.0"))
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("strongroom audit", "0.1.0")
    assert [rule["id"] for rule in driver["rules"]] == ["TEST-1", "TEST-2"]
    assert driver["rules"][0]["helpUri"] == "https://example.org/TEST-1"
    assert all(rule["shortDescription"]["text"] for rule in driver["rules"])
    results = run["results"]
    assert [(r["ruleId"], driver["rules"][r["ruleIndex"]]["id"]) for r in results] == [
        ("TEST-1", "TEST-1"), ("TEST-2", "TEST-2")]
    assert results[0]["message"]["text"] == (
        "Demo 1.0 is affected by TEST-1, CVE-1: Pipes | and\nnewlines. Upgrade to 1.2 or later.")
    assert results[0]["locations"] == [{"physicalLocation": {
        "artifactLocation": {"uri": "requirements.txt"}, "region": {"startLine": 3}}}]
    assert all(r["level"] == "error" for r in results)


def test_sarif_locates_absolute_paths_by_file_uri(tmp_path: Path) -> None:
    database = OfflineDatabase(write_zip(tmp_path / "db.zip", [
        record("TEST-3", "other", {"introduced": "0"})]))
    found = audit([Dependency("other", "2.0", Where("/abs/my project/pyproject.toml"))], [],
                  database)
    (result,) = json.loads(to_sarif(found, tool_version="0"))["runs"][0]["results"]
    assert result["locations"] == [{"physicalLocation": {
        "artifactLocation": {"uri": "file:///abs/my%20project/pyproject.toml"}}}]


def test_markdown_lists_findings_upgrades_and_skipped(report: Report) -> None:
    text = to_markdown(report)
    assert "| Demo | 1.0 | [TEST-1](https://example.org/TEST-1) | CVE-1 | 1.2 |" in text
    assert "| Demo | 1.0 | TEST-2 | - | 1.5 |" in text
    assert "### Smallest upgrades" in text
    assert "| Demo | 1.0 | 1.5 | TEST-1, TEST-2 |" in text
    assert "| flask>=2 | requirements.txt:5 | not pinned to one version (>=2) |" in text
