"""Strongroom trusts the file, not the form: the form's claims must agree with the metadata
read from the artifact itself."""

from __future__ import annotations

from packaging.version import Version

from strongroom.domain.distributions import Distribution
from strongroom.domain.echo import brief
from strongroom.domain.names import normalize
from strongroom.errors import Problem
from strongroom.upload.form import UploadForm

_MISMATCH = "does not match the distribution's metadata"


def form_problems(form: UploadForm, dist: Distribution) -> list[Problem]:
    """Each form field that contradicts the artifact, as one Problem."""
    problems = []
    if normalize(form.name) != dist.name:
        problems.append(
            Problem("name", f"{brief(form.name)} {_MISMATCH} (Name: {dist.display_name})"))
    if Version(form.version) != dist.version:
        problems.append(
            Problem("version", f"{brief(form.version)} {_MISMATCH} (Version: {dist.version})")
        )
    if form.filetype != dist.packagetype:
        problems.append(Problem("filetype", f"{form.filetype!r} {_MISMATCH} ({dist.packagetype})"))
    claimed_md = form.metadata_version
    actual_md = dist.metadata.get("metadata_version")
    if claimed_md is not None and actual_md is not None and claimed_md != actual_md:
        problems.append(Problem("metadata_version", f"{claimed_md!r} {_MISMATCH} ({actual_md})"))
    actual_rp = dist.requires_python
    if form.requires_python is not None and actual_rp is not None and (
        form.requires_python.replace(" ", "") != actual_rp.replace(" ", "")
    ):
        problems.append(Problem("requires_python", f"{form.requires_python!r} {_MISMATCH} "
                                f"(Requires-Python: {actual_rp})"))
    return problems
