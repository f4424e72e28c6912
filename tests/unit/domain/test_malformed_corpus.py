"""Every artifact-level case of the malformed-upload corpus is refused by inspect_distribution."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from strongroom.config import Limits
from strongroom.domain.distributions import inspect_distribution
from strongroom.domain.readme import render_description
from strongroom.errors import UploadRejected
from tests.malformed import CASES, FORM_CASES, MalformedCase, default_fields

ARTIFACT_CASES = [case for case in CASES if case not in FORM_CASES]


def test_corpus_is_large_and_ids_are_unique() -> None:
    assert len(CASES) >= 45
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", ARTIFACT_CASES, ids=lambda case: case.id)
def test_artifact_case_is_rejected_with_its_message(case: MalformedCase, tmp_path: Path) -> None:
    filename, data, fields = case.build(tmp_path)
    with pytest.raises(UploadRejected) as caught:
        inspect_distribution(
            io.BytesIO(data), filename=filename, filetype=str(fields["filetype"]),
            limits=Limits(), render=render_description,
        )
    assert case.message in str(caught.value)
    assert case.status == 400


@pytest.mark.parametrize("case", FORM_CASES, ids=lambda case: case.id)
def test_form_case_changes_the_default_form(case: MalformedCase, tmp_path: Path) -> None:
    filename, data, fields = case.build(tmp_path)
    defaults = default_fields(filename, data, case.name, case.version, case.filetype)
    assert fields != defaults or case.filetype not in ("sdist", "bdist_wheel")
