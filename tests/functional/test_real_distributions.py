"""Real distributions from PyPI (tests/realdists/manifest.toml), as people migrating to
Strongroom bring them: the import policy takes every one, recording the upload rules each
breaks as warnings; pip installs them from the index; the upload policy refuses exactly the
files that break a rule, naming each rule (issue 14)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urljoin

import httpx
import pytest
from packaging.utils import canonicalize_name, parse_wheel_filename

from tests.databases import BACKENDS
from tests.functional.clients import client_env, pip_download, pip_install, twine_upload
from tests.functional.server import LiveIndex, running_index
from tests.realdists.corpus import RealDistribution, default_cache, load_manifest
from tests.realdists.fetch import fetch_corpus
from tests.realdists.install_plan import plan_wheels, rounds, wheel_rank

pytestmark = pytest.mark.functional

CORPUS = load_manifest()
SIMPLE_JSON = {"Accept": "application/vnd.pypi.simple.v1+json"}


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus, fetched into its cache if missing (a failure fails), linked into a
    directory that holds nothing else."""
    report = fetch_corpus(CORPUS, default_cache(), show_progress=False)
    directory = tmp_path_factory.mktemp("real-dists")
    for path in report.paths:
        try:
            os.link(path, directory / path.name)
        except OSError:  # the cache is on another file system
            shutil.copyfile(path, directory / path.name)
    return directory


@pytest.fixture(scope="module")
def imported(index: LiveIndex, corpus_dir: Path) -> subprocess.CompletedProcess[str]:
    """The whole corpus imported into ``index`` with the default (import) policy."""
    index.create_user("migrator")
    return index.cli("admin", "import", str(corpus_dir), "--user", "migrator", check=False)


@pytest.fixture(scope="module", params=BACKENDS)
def upload_policy_import(request: pytest.FixtureRequest, corpus_dir: Path,
                         tmp_path_factory: pytest.TempPathFactory
                         ) -> Iterator[tuple[LiveIndex, subprocess.CompletedProcess[str]]]:
    """The whole corpus imported into a fresh index with ``--policy upload``."""
    root = tmp_path_factory.mktemp(f"upload-policy-{request.param}")
    with running_index(request.param, root) as live:
        live.create_user("uploader")
        yield live, live.cli("admin", "import", str(corpus_dir), "--user", "uploader",
                             "--policy", "upload", check=False)


def projects() -> dict[str, list[RealDistribution]]:
    """The corpus's files by normalised project name."""
    grouped: dict[str, list[RealDistribution]] = {}
    for distribution in CORPUS:
        grouped.setdefault(canonicalize_name(distribution.project), []).append(distribution)
    return grouped


def simple_files(index: LiveIndex, project: str) -> dict[str, dict[str, object]]:
    """The PEP 691 file entries of ``project``'s simple page, by file name."""
    response = httpx.get(f"{index.url}/simple/{project}/", headers=SIMPLE_JSON,
                         follow_redirects=True)
    if response.status_code == 404:
        return {}
    response.raise_for_status()
    page = response.json()
    assert page["name"] == project
    return {entry["filename"]: entry for entry in page["files"]}


def policy_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (result.stdout + result.stderr).splitlines() if "policy" in line]
    assert lines, f"the import does not say which policy it used:\n{result.stderr}"
    return lines[0]


def refusals(output: str) -> dict[str, set[str]]:
    """File name → the rule ids its refusal lines name (``refused FILE [rule] message``, one
    line per problem when standard error is not a terminal)."""
    found: dict[str, set[str]] = {}
    for match in re.finditer(r"^refused (\S+) \[([a-z-]+)\] ", output, re.MULTILINE):
        found.setdefault(match[1], set()).add(match[2])
    return found


def installed_modules(target: Path, modules: list[str], tmp: Path) -> dict[str, str]:
    """Import each of ``modules`` from ``target`` in a fresh interpreter; module → its file."""
    code = ("import importlib, json, sys; "
            "print(json.dumps({m: importlib.import_module(m).__file__ for m in sys.argv[1:]}))")
    env = client_env(tmp) | {"PYTHONPATH": str(target)}
    result = subprocess.run([sys.executable, "-s", "-c", code, *modules], capture_output=True,
                            text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    files: dict[str, str] = json.loads(result.stdout)
    return files


def check_installed(report: Path, target: Path, expected: list[RealDistribution],
                    tmp: Path) -> None:
    """pip's report names exactly the ``expected`` files, and their modules import from
    ``target``."""
    installs = json.loads(report.read_text())["install"]
    downloaded = sorted(unquote(item["download_info"]["url"].split("#")[0].rsplit("/", 1)[-1])
                        for item in installs)
    assert downloaded == sorted(d.filename for d in expected)
    modules = [d.module for d in expected if d.module]
    for module, path in installed_modules(target, modules, tmp).items():
        assert Path(path).is_relative_to(target), f"{module} was imported from {path}"


def test_import_policy_takes_every_real_file(index: LiveIndex,
                                             imported: subprocess.CompletedProcess[str]
                                             ) -> None:
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "import" in policy_line(imported)
    warned = sum(bool(d.upload_rules) for d in CORPUS)
    assert (f"imported {len(CORPUS)} ({warned} with warnings), already present 0, refused 0"
            in imported.stderr)
    missing = []
    for project, files in projects().items():
        listed = simple_files(index, project)
        for distribution in files:
            entry = listed.get(distribution.filename)
            if entry is None:
                missing.append(distribution.filename)
            else:
                assert entry["hashes"] == {"sha256": distribution.sha256}
    assert not missing, f"not on their projects' simple pages: {missing}"


def test_json_api_records_the_upload_rules_each_file_breaks(
        index: LiveIndex, imported: subprocess.CompletedProcess[str]) -> None:
    wrong = {}
    for project, files in projects().items():
        document = httpx.get(f"{index.url}/pypi/{project}/json", follow_redirects=True).json()
        entries = [entry for release in document["releases"].values() for entry in release]
        recorded = {entry["filename"]: {w["rule"] for w in entry.get("warnings", [])}
                    for entry in entries}
        # A file that breaks no rule has no "warnings" key, as PyPI's documents have none.
        assert all(entry["warnings"] for entry in entries if "warnings" in entry)
        for distribution in files:
            got = recorded.get(distribution.filename)
            if got is None or got != set(distribution.upload_rules):
                wrong[distribution.filename] = (sorted(distribution.upload_rules), got)
    assert not wrong, "file: (expected rules, recorded warnings)\n" + "\n".join(
        f"{name}: {rules}" for name, rules in sorted(wrong.items()))


def test_pip_installs_every_wheel_that_fits_here(
        index: LiveIndex, imported: subprocess.CompletedProcess[str], tmp_path: Path) -> None:
    plan = plan_wheels(CORPUS)
    assert len(plan.by_requirement) >= 20
    for number, group in enumerate(rounds(plan.by_requirement)):
        target, report = tmp_path / f"wheels-{number}", tmp_path / f"wheels-{number}.json"
        pip_install(index.url, tmp_path, "--no-deps", "--only-binary", ":all:", "--target",
                    str(target), "--report", str(report),
                    *(f"{d.project}=={d.version}" for d in group))
        check_installed(report, target, group, tmp_path)
    for number, distribution in enumerate(plan.by_url):
        entry = simple_files(index, canonicalize_name(distribution.project))[
            distribution.filename]
        url = urljoin(f"{index.url}/simple/{canonicalize_name(distribution.project)}/",
                      str(entry["url"]))
        target, report = tmp_path / f"by-url-{number}", tmp_path / f"by-url-{number}.json"
        pip_install(index.url, tmp_path, "--no-deps", "--target", str(target), "--report",
                    str(report), url)
        check_installed(report, target, [distribution], tmp_path)


def test_pip_builds_and_installs_old_sdists(
        index: LiveIndex, imported: subprocess.CompletedProcess[str], tmp_path: Path) -> None:
    """pip builds each in an isolated environment whose setuptools also comes from the index
    (the corpus holds a setuptools wheel), so nothing is fetched from elsewhere."""
    sdists = [d for d in CORPUS if d.build]
    assert len(sdists) >= 5
    assert any(d.filename.endswith(".zip") for d in sdists)
    for number, group in enumerate(rounds(sdists)):
        target, report = tmp_path / f"sdists-{number}", tmp_path / f"sdists-{number}.json"
        pip_install(index.url, tmp_path, "--no-deps", "--no-binary",
                    ",".join(d.project for d in group), "--target", str(target), "--report",
                    str(report), *(f"{d.project}=={d.version}" for d in group))
        check_installed(report, target, group, tmp_path)


def test_upload_policy_refuses_exactly_the_files_that_break_a_rule(
        upload_policy_import: tuple[LiveIndex, subprocess.CompletedProcess[str]]) -> None:
    live, result = upload_policy_import
    output = result.stdout + result.stderr
    assert "upload" in policy_line(result)
    breaking = {d.filename: d.upload_rules for d in CORPUS if d.upload_rules}
    assert result.returncode != 0
    assert f"imported {len(CORPUS) - len(breaking)} (0 with warnings), already present 0, " \
           f"refused {len(breaking)}" in result.stderr
    named = refusals(output)
    assert set(named) == set(breaking), output
    wrong = {name: (sorted(rules), sorted(named[name]))
             for name, rules in breaking.items() if named[name] != rules}
    assert not wrong, "file: (expected rules, rules named)\n" + "\n".join(
        f"{name}: {rules}" for name, rules in sorted(wrong.items()))
    for project, files in projects().items():
        listed = set(simple_files(live, project))
        assert listed == {d.filename for d in files if not d.upload_rules}


def test_twine_uploads_every_real_file_the_upload_rules_accept(
        corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    """Among them six 1.16.0, whose Description header is indented by 8 spaces: twine sends
    the form's description unfolded (pkginfo), the index reads the file's and unfolds it too."""
    accepted = [corpus_dir / d.filename for d in CORPUS if not d.upload_rules]
    assert "six-1.16.0.tar.gz" in {path.name for path in accepted}
    with running_index(BACKENDS[0], tmp_path_factory.mktemp("twine")) as live:
        live.create_user("publisher")
        twine_upload(live.url, live.token("publisher"), accepted, tmp_path)
        for distribution in CORPUS:
            if not distribution.upload_rules:
                project = canonicalize_name(distribution.project)
                assert distribution.filename in simple_files(live, project)
        info = httpx.get(f"{live.url}/pypi/six/1.16.0/json").json()["info"]
    assert "\n.. image:: https://img.shields.io/badge/license-MIT-green.svg" in info["description"]
    assert "\n        .. image::" not in info["description"]


def test_pip_fetches_every_wheel_built_for_elsewhere(
        index: LiveIndex, imported: subprocess.CompletedProcess[str], tmp_path: Path) -> None:
    """Wheels for Windows or another Python cannot be installed here; pip asked for their
    platform and interpreter still finds each on the index and gets its exact bytes."""
    elsewhere = [d for d in CORPUS if d.is_wheel and wheel_rank(d) is None]
    assert len(elsewhere) >= 3
    for number, distribution in enumerate(elsewhere):
        tag = min(parse_wheel_filename(distribution.filename)[3], key=str)
        version = f"{tag.interpreter[2]}.{tag.interpreter[3:]}"
        target = tmp_path / f"elsewhere-{number}"
        pip_download(index.url, tmp_path, "--no-deps", "--only-binary", ":all:", "--dest",
                     str(target), "--platform", tag.platform, "--python-version", version,
                     "--implementation", tag.interpreter[:2], "--abi", tag.abi,
                     f"{distribution.project}=={distribution.version}")
        fetched = target / distribution.filename
        assert hashlib.sha256(fetched.read_bytes()).hexdigest() == distribution.sha256
