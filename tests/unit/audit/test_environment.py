"""Installed distributions read for auditing (audit/environment.py)."""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from strongroom.audit import installed
from strongroom.errors import InvalidInput


def test_the_running_environment_lists_what_is_installed() -> None:
    inputs = installed()
    versions = {d.key: d.version for d in inputs.dependencies}
    assert versions["packaging"] == version("packaging")
    assert versions["click"] == version("click")
    assert {d.where.path for d in inputs.dependencies} == {sys.executable}


def test_another_interpreter_is_asked_for_its_own() -> None:
    inputs = installed(Path(sys.executable))
    assert {d.key: d.version for d in inputs.dependencies} == {
        d.key: d.version for d in installed().dependencies}


def test_an_interpreter_that_cannot_list_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such interpreter"):
        installed(tmp_path / "python")
    fake = tmp_path / "fake-python"
    fake.write_text("#!/bin/sh\necho not json\n")
    fake.chmod(0o755)
    with pytest.raises(InvalidInput, match="did not answer with a listing"):
        installed(fake)
    failing = tmp_path / "failing-python"
    failing.write_text("#!/bin/sh\necho broken >&2\nexit 3\n")
    failing.chmod(0o755)
    with pytest.raises(InvalidInput, match="exited with status 3 listing its distributions "
                                           "broken"):
        installed(failing)
