"""``strongroom audit``'s command (cli/audit.py), in-process: the outcomes cli/main.py turns
into exit codes (VulnerabilitiesFound: 1; usage errors and InvalidInput: 2)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from strongroom.cli.audit import VulnerabilitiesFound, audit_command
from strongroom.cli.main import exit_code
from strongroom.errors import InvalidInput
from tests.unit.audit.records import record, write_zip


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    db = write_zip(tmp_path / "db.zip", [
        record("TEST-1", "demo", {"introduced": "0"}, {"fixed": "1.2"}, aliases=("CVE-1",))])
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("demo==1.0\nclean==2.0\n")
    return db, requirements


def test_findings_end_the_command_with_exit_1(tmp_path: Path) -> None:
    db, requirements = _setup(tmp_path)
    result = CliRunner().invoke(audit_command, ["-r", str(requirements), "--db", str(db),
                                                "--format", "json"])
    assert isinstance(result.exception, VulnerabilitiesFound)
    assert exit_code(result.exception) == 1
    assert result.exception.message == ("Found 1 known vulnerability in 1 package "
                                        "(2 packages audited).")
    document = json.loads(result.stdout)
    assert [v["id"] for v in document["dependencies"][0]["vulns"]] == ["TEST-1"]


def test_ignoring_the_only_finding_exits_0(tmp_path: Path) -> None:
    db, requirements = _setup(tmp_path)
    result = CliRunner().invoke(audit_command, ["-r", str(requirements), "--db", str(db),
                                                "--ignore", "CVE-1"])
    assert result.exit_code == 0, result.output
    assert "No known vulnerabilities found (2 packages audited, 1 finding ignored)." in (
        result.stdout)


def test_usage_errors(tmp_path: Path) -> None:
    db, requirements = _setup(tmp_path)
    runner = CliRunner()
    no_source = runner.invoke(audit_command, ["-r", str(requirements)])
    assert no_source.exit_code == 2
    assert "give one source of advisories: --index URL or --db FILE" in no_source.output
    both = runner.invoke(audit_command, ["--python", "python3", "-r", str(requirements),
                                         "--db", str(db)])
    assert both.exit_code == 2
    assert "--python audits an environment; give it without files" in both.output
    unreadable = runner.invoke(audit_command, [str(tmp_path / "uv.lock"), "--db", str(db)])
    assert isinstance(unreadable.exception, InvalidInput)
    assert unreadable.exception.message == f"{tmp_path / 'uv.lock'}: no such file"
    unwritable = runner.invoke(audit_command, ["-r", str(requirements), "--db", str(db),
                                               "--output", str(tmp_path / "no" / "dir.json")])
    assert unwritable.exit_code == 2
    assert "cannot be written" in unwritable.output
