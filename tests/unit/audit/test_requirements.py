"""Requirements files in pip's syntax (audit/requirements.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom.audit import Dependency, Where, read_requirements
from strongroom.errors import InvalidInput


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _pins(found: list[Dependency]) -> list[tuple[str, str, int | None]]:
    return [(d.name, d.version, d.where.line) for d in found]


def test_pins_with_comments_continuations_hashes_extras_and_options(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JINJA_VERSION", "2.4")
    path = _write(tmp_path / "requirements.txt", (
        "# a comment\n"
        "--index-url https://user:secret@example.org/simple/\n"
        "--extra-index-url=https://other.example.org/simple/\n"
        "--require-hashes\n"
        "\n"
        "Django==3.2.0 \\\n"
        "    --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000 \\\n"
        "    --hash=sha256:1111111111111111111111111111111111111111111111111111111111111111\n"
        "requests[socks,security] == 2.19.0  # pinned for now\n"
        "jinja2==${JINJA_VERSION}\n"
        "pyyaml===5.3\n"
        "urllib3==1.24.1; python_version >= '3'\n"
    ))
    inputs = read_requirements(path)
    assert _pins(inputs.dependencies) == [
        ("Django", "3.2.0", 6), ("requests", "2.19.0", 9), ("jinja2", "2.4", 10),
        ("pyyaml", "5.3", 11), ("urllib3", "1.24.1", 12)]
    assert inputs.skipped == []  # pip's options name no requirement, so nothing to report
    assert all(d.where.path == str(path) for d in inputs.dependencies)


def test_what_cannot_be_audited_is_skipped_with_its_reason(tmp_path: Path) -> None:
    path = _write(tmp_path / "requirements.txt", (
        "flask>=2.0\n"
        "click\n"
        "numpy==1.26.*\n"
        "-e ./local-project\n"
        "./wheels/demo-1.0-py3-none-any.whl\n"
        "demo @ https://example.org/demo-1.0.tar.gz\n"
        "pywin32==306; sys_platform == 'nonexistent-os'\n"
        "--some-future-option\n"
        "this is not a requirement\n"
    ))
    inputs = read_requirements(path)
    assert inputs.dependencies == []
    reasons = {s.what: s.reason for s in inputs.skipped}
    assert "not pinned to one version (>=2.0)" in reasons["flask>=2.0"]
    assert "not pinned to one version (any version)" in reasons["click"]
    assert "not pinned" in reasons["numpy==1.26.*"]
    assert "editable" in reasons["-e ./local-project"]
    assert "path or URL" in reasons["./wheels/demo-1.0-py3-none-any.whl"]
    assert "URL" in reasons["demo @ https://example.org/demo-1.0.tar.gz"]
    assert "false for this Python" in reasons["pywin32==306; sys_platform == 'nonexistent-os'"]
    assert "does not know" in reasons["--some-future-option"]
    assert reasons["this is not a requirement"].startswith("not a requirement")
    assert [s.where.line for s in inputs.skipped] == list(range(1, 10))


def test_nested_files_and_constraints_are_read_relative_to_the_file_naming_them(
        tmp_path: Path) -> None:
    _write(tmp_path / "reqs" / "base.txt", "click==8.0.0\n-c ../constraints/pins.txt\n")
    _write(tmp_path / "constraints" / "pins.txt", "flask==0.12\nrequests==2.19.0\n")
    top = _write(tmp_path / "requirements.txt",
                 "-r reqs/base.txt\nflask\n--requirement=reqs/extra.txt\n")
    _write(tmp_path / "reqs" / "extra.txt", "jinja2==2.4\n")
    inputs = read_requirements(top)
    # flask's pin comes from the constraint file; requests is only constrained, not required.
    assert [(d.name, d.version, str(d.where)) for d in inputs.dependencies] == [
        ("click", "8.0.0", f"{tmp_path / 'reqs' / 'base.txt'}:1"),
        ("flask", "0.12", f"{top}:2"),
        ("jinja2", "2.4", f"{tmp_path / 'reqs' / 'extra.txt'}:1"),
    ]
    assert inputs.skipped == []


def test_a_missing_nested_file_names_it_and_the_line_naming_it(tmp_path: Path) -> None:
    top = _write(tmp_path / "requirements.txt", "click==8.0.0\n-r missing.txt\n")
    with pytest.raises(InvalidInput) as raised:
        read_requirements(top)
    assert raised.value.message == (f"{tmp_path / 'missing.txt'} (named at {top}:2): "
                                    "no such file")


def test_a_loop_of_files_is_refused_not_followed(tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", "-r b.txt\n")
    _write(tmp_path / "b.txt", "-r a.txt\n")
    with pytest.raises(InvalidInput, match=r"b\.txt:1: --requirement a\.txt names a file "
                                           r"already being read"):
        read_requirements(tmp_path / "a.txt")


def test_unreadable_files_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        read_requirements(tmp_path / "nope.txt")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(InvalidInput, match="not UTF-8 text"):
        read_requirements(binary)
    bad = _write(tmp_path / "quotes.txt", "-r 'unclosed\n")
    with pytest.raises(InvalidInput, match=r"quotes\.txt:1: cannot split the options"):
        read_requirements(bad)


def test_a_requirement_file_at_a_url_is_reported_without_its_credentials(
        tmp_path: Path) -> None:
    path = _write(tmp_path / "r.txt", "-r https://user:secret@example.org/reqs.txt\n")
    inputs = read_requirements(path)
    assert [(s.what, s.where) for s in inputs.skipped] == [
        ("--requirement", Where(str(path), 1))]
    assert "secret" not in repr(inputs)
