"""inspect_distribution: real files pass, bad ones list every problem, nothing else escapes."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from strongroom.config import Limits
from strongroom.domain.distributions import Distribution, inspect_distribution
from strongroom.domain.readme import render_description
from strongroom.domain.rules import IMPORT_POLICY, UPLOAD_POLICY, Policy
from strongroom.domain.wheels import wheel_metadata
from strongroom.errors import Problem, UploadRejected
from tests.builders import gzip_bytes, make_sdist, make_wheel, sdist_members, tar_bytes

DATA = Path(__file__).parents[2] / "data"
REAL_FILES = [
    ("six-1.17.0-py2.py3-none-any.whl", "bdist_wheel", "six", "py2.py3"),
    ("six-1.17.0.tar.gz", "sdist", "six", "source"),
    ("packaging-24.2-py3-none-any.whl", "bdist_wheel", "packaging", "py3"),
    ("idna-3.10-py3-none-any.whl", "bdist_wheel", "idna", "py3"),
]


def inspect(path: Path, filetype: str, filename: str | None = None) -> Distribution:
    with path.open("rb") as content:
        return inspect_distribution(
            content, filename=filename or path.name, filetype=filetype, limits=Limits(),
            render=render_description,
        )


@pytest.mark.parametrize(("filename", "filetype", "name", "pyversion"), REAL_FILES)
def test_real_world_files_pass(filename: str, filetype: str, name: str, pyversion: str) -> None:
    path = DATA / filename
    dist = inspect(path, filetype)
    assert dist.name == name
    assert dist.packagetype == filetype
    assert dist.python_version == pyversion
    assert dist.description_html
    assert dist.metadata["name"] == dist.display_name
    if filetype == "bdist_wheel":
        with zipfile.ZipFile(path) as archive:
            inside = archive.read(f"{name}-{dist.version}.dist-info/METADATA")
        assert dist.metadata_bytes == inside
        assert dist.metadata_file == inside
    else:
        assert dist.metadata_file is None


def test_built_wheel_fields(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path,
        "Demo.Lib",
        "2.0",
        deps=("idna>=3",),
        requires_python=">=3.9",
        description="# Hello\n",
        description_content_type="text/markdown",
    )
    dist = inspect(wheel, "bdist_wheel")
    assert dist.filename == "demo_lib-2.0-py3-none-any.whl"
    assert (dist.name, dist.display_name, dist.version) == ("demo-lib", "Demo.Lib", Version("2.0"))
    assert dist.requires_python == ">=3.9"
    assert dist.metadata["requires_dist"] == ["idna>=3"]
    assert dist.metadata_file == dist.metadata_bytes
    assert dist.metadata_bytes.startswith(b"Metadata-Version: 2.1\nName: Demo.Lib\n")
    assert "<h1" in str(dist.description_html)


@pytest.mark.parametrize("policy", [UPLOAD_POLICY, IMPORT_POLICY], ids=lambda p: p.name)
def test_zip64_wheel_passes_under_either_policy(tmp_path: Path, policy: Policy) -> None:
    wheel = make_wheel(tmp_path, force_zip64=True)
    assert b"\1\0\x10\0" in wheel.read_bytes()  # ZIP64 extra fields in its local headers
    with wheel.open("rb") as content:
        dist = inspect_distribution(
            content, filename=wheel.name, filetype="bdist_wheel", limits=Limits(),
            render=render_description, policy=policy,
        )
        assert wheel_metadata(content) == dist.metadata_file
    assert dist.warnings == ()
    with zipfile.ZipFile(wheel) as archive:
        assert dist.metadata_file == archive.read("demo-1.0.dist-info/METADATA")


def test_built_sdist_fields(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, "demo-lib", "1.0.post1")
    dist = inspect(sdist, "sdist")
    assert (dist.filename, dist.python_version) == ("demo_lib-1.0.post1.tar.gz", "source")
    assert dist.metadata_file is None


def test_problems_from_every_stage_in_order(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path,
        filename="demo-2.0-py3-none-linux_x86_64.whl",
        extra_metadata_lines=("Classifier: Nope",),
        description="Bad\n===\n\n.. raw:: html\n\n   <b>\n",
        record=b"demo-1.0.dist-info/RECORD,,\n",
    )
    with pytest.raises(UploadRejected) as caught:
        inspect(wheel, "bdist_wheel")
    fields = [problem.field for problem in caught.value.problems]
    assert fields[0] == "filename"
    assert fields.index("RECORD") < fields.index("Classifier") < fields.index("description")
    assert "unsupported platform tag" in caught.value.problems[0].reason


def test_name_and_version_compared_with_metadata(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, "demo", "1.0", filename="other-2.0.tar.gz")
    with pytest.raises(UploadRejected) as caught:
        inspect(sdist, "sdist")
    reasons = [problem.reason for problem in caught.value.problems]
    assert len(reasons) == 2
    assert "Start filename with 'demo'" in reasons[0]
    assert "'2.0' in the file name does not match the version '1.0'" in reasons[1]


def test_bad_filename_still_reports_archive_and_metadata(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, extra_metadata_lines=("Classifier: Nope",))
    with pytest.raises(UploadRejected) as caught:
        inspect(wheel, "bdist_wheel", filename="demo-1.0-py3-none-any\x01.whl")
    fields = [problem.field for problem in caught.value.problems]
    assert fields == ["filename", "Classifier"]


def test_unknown_filetype_without_extension_reports_filetype(tmp_path: Path) -> None:
    path = tmp_path / "demo.egg"
    path.write_bytes(b"")
    with pytest.raises(UploadRejected) as caught:
        inspect(path, "bdist_egg")
    assert [p.field for p in caught.value.problems] == ["filetype"]


def assert_nonempty(problems: list[Problem]) -> None:
    assert problems, "UploadRejected must name at least one problem"


def _check_only_rejections(data: bytes, filename: str, filetype: str) -> None:
    try:
        inspect_distribution(io.BytesIO(data), filename=filename, filetype=filetype,
                             limits=Limits(), render=render_description)
    except UploadRejected as exc:
        assert_nonempty(exc.problems)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000), st.sampled_from(["bdist_wheel", "sdist"]))
def test_random_bytes_are_only_ever_rejected(data: bytes, filetype: str) -> None:
    filename = "demo-1.0-py3-none-any.whl" if filetype == "bdist_wheel" else "demo-1.0.tar.gz"
    _check_only_rejections(data, filename, filetype)


def _valid_archives() -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as directory:
        wheel = make_wheel(Path(directory), description=None)
        sdist = make_sdist(Path(directory), description=None)
        return {"bdist_wheel": wheel.read_bytes(), "sdist": sdist.read_bytes()}


VALID = _valid_archives()


@settings(max_examples=300)
@given(
    st.sampled_from(["bdist_wheel", "sdist"]),
    st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=4),
    st.integers(min_value=0),
)
def test_mutated_valid_archives_are_accepted_or_rejected_cleanly(
    filetype: str, edits: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(VALID[filetype])
    for position, value in edits:
        data[position % len(data)] = value
    truncated = bytes(data[: len(data) - cut % 40])
    filename = "demo-1.0-py3-none-any.whl" if filetype == "bdist_wheel" else "demo-1.0.tar.gz"
    _check_only_rejections(truncated, filename, filetype)


PLAIN_TAR = tar_bytes(sdist_members(description=None))


@settings(max_examples=200)
@given(st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=3))
def test_mutated_tar_inside_valid_gzip_is_handled_cleanly(edits: list[tuple[int, int]]) -> None:
    data = bytearray(PLAIN_TAR)
    for position, value in edits:
        data[position % len(data)] = value
    _check_only_rejections(gzip_bytes(bytes(data)), "demo-1.0.tar.gz", "sdist")
