"""An audit's report as text for programs and pages: JSON, SARIF 2.1.0 and Markdown.

- JSON follows pip-audit's ``--format json`` layout (``dependencies``, each with ``vulns``
  of ``id``/``fix_versions``/``aliases``/``description``, or a ``skip_reason``; ``fixes``
  with ``--fix``), so that scripts written for it read ours, and adds what pip-audit lacks:
  where each dependency was read, each advisory's link and summary, the smallest upgrade
  (``fix``), what was ignored and what the source proposed that its record does not bear out.
- SARIF 2.1.0 (for code-scanning dashboards): one rule per advisory, one result per
  (dependency, advisory), located in the input file at the dependency's line.
- Markdown: a table of the findings, and of the upgrades with ``--fix``, and the skipped
  entries, for a pull request comment or a job summary.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from strongroom.audit.dependencies import Where
from strongroom.audit.matching import Finding, Report

COLUMNS = ("package", "version", "id", "aliases", "fix")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def summary(report: Report) -> str:
    """One sentence: how many vulnerabilities in how many packages, of how many audited."""
    audited = len(report.dependencies)
    counts = f"{audited} package{'s' if audited != 1 else ''} audited"
    if report.skipped:
        counts += f", {len(report.skipped)} skipped"
    if report.ignored:
        counts += f", {len(report.ignored)} finding{'s' if len(report.ignored) != 1 else ''} "
        counts += "ignored"
    if not report.findings:
        return f"No known vulnerabilities found ({counts})."
    found, packages = len(report.findings), len(report.vulnerable)
    return (f"Found {found} known vulnerabilit{'ies' if found != 1 else 'y'} in {packages} "
            f"package{'s' if packages != 1 else ''} ({counts}).")


def finding_row(finding: Finding) -> list[str]:
    """The cells of ``COLUMNS`` for ``finding``."""
    return [finding.dependency.name, finding.dependency.version, finding.advisory.id,
            ", ".join(finding.advisory.aliases), finding.fix or ""]


def _vuln(finding: Finding) -> dict[str, Any]:
    advisory = finding.advisory
    return {"id": advisory.id, "fix_versions": list(advisory.fixed_in(finding.dependency.key)),
            "fix": finding.fix, "aliases": list(advisory.aliases),
            "description": advisory.summary or advisory.details or "N/A",
            "summary": advisory.summary, "link": advisory.link or None}


def to_json(report: Report) -> str:
    """The report as a JSON document (pip-audit's layout, extended)."""
    by_dependency: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for finding in report.findings:
        key = (finding.dependency.key, finding.dependency.version)
        by_dependency.setdefault(key, []).append(_vuln(finding))
    dependencies: list[dict[str, Any]] = [
        {"name": d.key, "version": d.version, "where": str(d.where),
         "vulns": by_dependency.get((d.key, d.version), [])}
        for d in report.dependencies]
    dependencies += [{"name": s.what, "skip_reason": s.reason, "where": str(s.where)}
                     for s in report.skipped]
    document: dict[str, Any] = {
        "dependencies": dependencies,
        "ignored": [{"name": f.dependency.key, "version": f.dependency.version,
                     "id": f.advisory.id} for f in report.ignored],
        "disputed": [{"name": f.dependency.key, "version": f.dependency.version,
                      "id": f.advisory.id} for f in report.disputed],
    }
    if report.upgrades is not None:
        document["fixes"] = [
            {"name": u.dependency.key, "old_version": u.dependency.version,
             "new_version": u.target, "clears": list(u.clears)} if u.target is not None else
            {"name": u.dependency.key, "version": u.dependency.version, "clears": list(u.clears),
             "skip_reason": "no known fixed version clears every advisory"}
            for u in report.upgrades]
    return json.dumps(document, indent=2) + "\n"


def _uri(where: Where) -> str:
    """A SARIF artifact URI: a relative path as a relative reference, else a file: URI."""
    path = Path(where.path)
    return path.as_uri() if path.is_absolute() else quote(path.as_posix())


def _location(where: Where) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(where)}}
    if where.line is not None:
        physical["region"] = {"startLine": where.line}
    return {"physicalLocation": physical}


def _rule(finding: Finding) -> dict[str, Any]:
    advisory = finding.advisory
    short = advisory.summary or f"{advisory.id} affects {finding.dependency.key}"
    rule: dict[str, Any] = {
        "id": advisory.id,
        "shortDescription": {"text": short},
        "fullDescription": {"text": advisory.details or short},
        "help": {"text": f"{advisory.id}: {short}. See {advisory.link or advisory.id}."},
        "properties": {"tags": ["security", "vulnerability", *advisory.aliases]},
    }
    if advisory.link:
        rule["helpUri"] = advisory.link
    return rule


def to_sarif(report: Report, *, tool_version: str) -> str:
    """The report as a SARIF 2.1.0 log with one run."""
    rules: dict[str, int] = {}
    rule_objects: list[dict[str, Any]] = []
    results = []
    for finding in report.findings:
        advisory, dependency = finding.advisory, finding.dependency
        if advisory.id not in rules:
            rules[advisory.id] = len(rule_objects)
            rule_objects.append(_rule(finding))
        fix = (f" Upgrade to {finding.fix} or later." if finding.fix
               else " No fixed version is known.")
        results.append({
            "ruleId": advisory.id,
            "ruleIndex": rules[advisory.id],
            "level": "error",
            "message": {"text": f"{dependency.name} {dependency.version} is affected by "
                                f"{', '.join(finding.ids)}: "
                                f"{advisory.summary or 'a known vulnerability'}.{fix}"},
            "locations": [_location(dependency.where)],
            "partialFingerprints": {
                "package/v1": f"{dependency.key}=={dependency.version}:{advisory.id}"},
        })
    driver = {"name": "strongroom audit", "version": tool_version, "rules": rule_objects}
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0",
           "runs": [{"tool": {"driver": driver}, "results": results}]}
    return json.dumps(log, indent=2) + "\n"


def _cell(text: str) -> str:
    """A Markdown table cell: pipes escaped, lines joined."""
    return " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|") or "-"


def _table(columns: tuple[str, ...], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return lines


def to_markdown(report: Report) -> str:
    """The report as Markdown: a summary line, then tables."""
    lines = ["## strongroom audit", "", summary(report), ""]
    blank = [""]
    if report.findings:
        rows = [finding_row(f) for f in report.findings]
        for row, finding in zip(rows, report.findings, strict=True):
            if finding.advisory.link:
                row[2] = f"[{finding.advisory.id}]({finding.advisory.link})"
        lines += [*_table(COLUMNS, rows), *blank]
    if report.upgrades:
        lines += ["### Smallest upgrades", ""]
        upgrades = [[u.dependency.name, u.dependency.version,
                     u.target or "no known fixed version clears them all", ", ".join(u.clears)]
                    for u in report.upgrades]
        lines += [*_table(("package", "from", "to", "clears"), upgrades), *blank]
    if report.skipped:
        lines += ["### Not audited", ""]
        skipped = [[s.what, str(s.where), s.reason] for s in report.skipped]
        lines += [*_table(("requirement", "where", "reason"), skipped), *blank]
    return "\n".join(lines)
