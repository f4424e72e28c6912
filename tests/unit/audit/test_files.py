"""pyproject.toml, pylock.toml and uv.lock read for auditing (audit/files.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom.audit import read_file
from strongroom.errors import InvalidInput


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_pyproject_dependencies_extras_and_groups(tmp_path: Path) -> None:
    path = _write(tmp_path / "pyproject.toml", """\
[project]
name = "demo"
version = "1.0"
dependencies = [
    "Django==3.2.0",
    "click>=8",
    "urllib3==1.24.1 ; python_version >= '3'",
]

[project.optional-dependencies]
web = ["jinja2==2.4", "pywin32==306; sys_platform == 'nonexistent-os'"]

[dependency-groups]
test = ["pytest==7.0.0", {include-group = "lint"}]
lint = ["ruff"]
""")
    inputs = read_file(path)
    assert [(d.name, d.version, d.where.line) for d in inputs.dependencies] == [
        ("Django", "3.2.0", 5), ("urllib3", "1.24.1", 7), ("jinja2", "2.4", 11),
        ("pytest", "7.0.0", 14)]
    assert [(s.what, s.where.line) for s in inputs.skipped] == [
        ("click>=8", 6), ("pywin32==306; sys_platform == 'nonexistent-os'", 11), ("ruff", 15)]
    assert "not pinned" in inputs.skipped[0].reason
    assert "false for this Python" in inputs.skipped[1].reason


def test_pylock(tmp_path: Path) -> None:
    path = _write(tmp_path / "pylock.toml", """\
lock-version = "1.0"
created-by = "hand"

[[packages]]
name = "jinja2"
version = "2.4"

[[packages.wheels]]
name = "jinja2-2.4-py3-none-any.whl"
url = "https://example.org/jinja2-2.4-py3-none-any.whl"

[[packages]]
name = "local-thing"
directory = { path = "./local" }

[[packages]]
name = "pywin32"
version = "306"
marker = "sys_platform == 'nonexistent-os'"

[[packages]]
name = "Django"
version = "3.2.0"
""")
    inputs = read_file(path)
    assert [(d.name, d.version, d.where.line) for d in inputs.dependencies] == [
        ("jinja2", "2.4", 5), ("Django", "3.2.0", 22)]
    assert [(s.what, s.where.line) for s in inputs.skipped] == [
        ("local-thing", 13), ("pywin32", 17)]
    assert "without a version" in inputs.skipped[0].reason
    assert "false for this Python" in inputs.skipped[1].reason
    assert read_file(_write(tmp_path / "pylock.dev.toml", 'lock-version = "1.0"\n')
                     ).dependencies == []


def test_uv_lock_leaves_out_the_project_and_finds_each_entry_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "uv.lock", """\
version = 1
requires-python = ">=3.12"

[[package]]
name = "demo"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "jinja2" },
]

[[package]]
name = "jinja2"
version = "2.4"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "markupsafe" }]

[[package]]
name = "markupsafe"
version = "0.23"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "member"
version = "0.1.0"
source = { virtual = "packages/member" }
""")
    inputs = read_file(path)
    assert [(d.name, d.version, d.where.line) for d in inputs.dependencies] == [
        ("jinja2", "2.4", 13), ("markupsafe", "0.23", 19)]
    assert [(s.what, s.where.line) for s in inputs.skipped] == [("demo", 5), ("member", 24)]
    assert "editable" in inputs.skipped[0].reason
    assert "virtual" in inputs.skipped[1].reason


@pytest.mark.parametrize(("name", "text", "message"), [
    ("pyproject.toml", "[project\n", "not valid TOML"),
    ("pyproject.toml", "[project]\ndependencies = 'x'\n",
     "project.dependencies must be a list of strings"),
    ("pylock.toml", 'lock-version = "2.0"\n', "lock-version '2.0' is not 1.x"),
    ("pylock.toml", 'lock-version = "1.0"\n[[packages]]\nversion = "1"\n',
     r"packages\[0\].name must be a non-empty string"),
    ("uv.lock", "package = 3\n", r"\[\[package\]\] must be an array of tables"),
])
def test_malformed_files_are_input_errors_naming_the_file(tmp_path: Path, name: str,
                                                           text: str, message: str) -> None:
    path = _write(tmp_path / name, text)
    with pytest.raises(InvalidInput, match=message) as raised:
        read_file(path)
    assert raised.value.message.startswith(str(path))
