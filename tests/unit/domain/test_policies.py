"""The upload and import policies: which historical forms an import takes with a warning, and
what neither policy ever takes."""

from __future__ import annotations

import bz2
import io
import lzma
from pathlib import Path

import pytest

from strongroom.config import Limits
from strongroom.domain import rules
from strongroom.domain.distributions import Distribution, inspect_distribution
from strongroom.domain.readme import render_description
from strongroom.domain.rules import IMPORT_POLICY, UPLOAD_POLICY, Policy
from strongroom.errors import UploadRejected
from tests.builders import (
    TarMember,
    gzip_bytes,
    make_sdist,
    make_wheel,
    sdist_members,
    tar_bytes,
    wheel_members,
    zip_bytes,
)


def inspect(data: bytes, filename: str, policy: Policy, filetype: str | None = None
            ) -> Distribution:
    kind = filetype or ("bdist_wheel" if filename.endswith(".whl") else "sdist")
    return inspect_distribution(io.BytesIO(data), filename=filename, filetype=kind,
                                limits=Limits(), render=render_description, policy=policy)


def refused_rules(data: bytes, filename: str, policy: Policy) -> set[str]:
    with pytest.raises(UploadRejected) as caught:
        inspect(data, filename, policy)
    return {problem.rule for problem in caught.value.problems}


def _rst_breaking() -> str:
    return "Title\n=====\n\n.. unknown-directive:: boom\n\n`unclosed\n"


# (why, file name, bytes maker, the rules it breaks)
def _historical(tmp_path: Path) -> list[tuple[str, str, bytes, set[str]]]:
    def wheel(**knobs: object) -> bytes:
        return make_wheel(tmp_path / "w", **knobs).read_bytes()  # type: ignore[arg-type]

    mismatched = wheel_members(extra_files={"demo/data.txt": b"one"})
    mismatched["demo/data.txt"] = b"two"  # RECORD still has the first bytes' hash
    sdist = sdist_members()
    sdist_paths = [(m.name + ("/" if m.kind == b"5" else ""), m.data) for m in sdist]
    sdist_zip = zip_bytes(sdist_paths)
    return [
        ("capitalised wheel name", "Demo-1.0-py3-none-any.whl",
         wheel(name="Demo"), {rules.FILENAME_NOT_NORMALIZED}),
        ("dotted wheel name", "demo.lib-1.0-py3-none-any.whl",
         wheel(name="demo.lib"), {rules.FILENAME_NOT_NORMALIZED}),
        ("capitalised sdist name", "Demo-1.0.tar.gz",
         make_sdist(tmp_path / "s", "Demo").read_bytes(), {rules.FILENAME_NOT_NORMALIZED}),
        ("zip sdist", "demo-1.0.zip", sdist_zip, {rules.SDIST_FORMAT}),
        ("ZIP64 zip sdist", "demo-1.0.zip", zip_bytes(sdist_paths, force_zip64=True),
         {rules.SDIST_FORMAT}),
        ("bzip2 sdist", "demo-1.0.tar.bz2", bz2.compress(tar_bytes(sdist)), {rules.SDIST_FORMAT}),
        ("xz sdist", "demo-1.0.tar.xz", lzma.compress(tar_bytes(sdist)), {rules.SDIST_FORMAT}),
        ("Metadata-Version 2.0", "demo-1.0-py3-none-any.whl",
         wheel(metadata_version="2.0", description_content_type=None), {rules.METADATA_VERSION}),
        ("License-Expression under 2.1", "demo-1.0-py3-none-any.whl",
         wheel(extra_metadata_lines=["License-Expression: MIT"]),
         {rules.LICENSE_EXPRESSION_TOO_EARLY}),
        ("RECORD disagrees", "demo-1.0-py3-none-any.whl",
         zip_bytes(mismatched.items()), {rules.RECORD_MISMATCH}),
        ("UNKNOWN placeholders", "demo-1.0-py3-none-any.whl",
         wheel(extra_metadata_lines=["Home-page: UNKNOWN", "Author-email: UNKNOWN"]),
         {rules.URL, rules.EMAIL}),
        ("deprecated classifier", "demo-1.0-py3-none-any.whl",
         wheel(extra_metadata_lines=["Classifier: Natural Language :: Ukranian"]),
         {rules.CLASSIFIER}),
        ("description that does not render", "demo-1.0-py3-none-any.whl",
         wheel(description=_rst_breaking()), {rules.DESCRIPTION}),
        ("local build", "demo-1.0-py3-none-linux_x86_64.whl",
         wheel(tag="py3-none-linux_x86_64"), {rules.PLATFORM_TAG}),
        ("local version", "demo-1.0+cpu-py3-none-any.whl",
         wheel(version="1.0+cpu"), {rules.LOCAL_VERSION}),
        ("Classifier under 1.0", "demo-1.0-py3-none-any.whl",
         wheel(metadata_version="1.0", description_content_type=None,
               extra_metadata_lines=["Classifier: Programming Language :: Python"]),
         {rules.FIELD_TOO_EARLY}),
        ("setuptools' UNKNOWN placeholders", "demo-1.0.tar.gz",
         make_sdist(tmp_path / "u", metadata_version="1.2", description_content_type=None,
                    extra_metadata_lines=["Requires-Python: UNKNOWN"]).read_bytes(),
         {rules.PLACEHOLDER}),
        ("a hard link to an earlier file of the tree", "demo-1.0.tar.gz",
         gzip_bytes(tar_bytes([*sdist, TarMember("demo-1.0/copy.py", kind=b"1",
                                                 linkname="demo-1.0/demo/__init__.py")])),
         {rules.HARD_LINK}),
    ]  # fmt: skip


def test_each_historical_form_is_refused_on_upload_and_imported_with_its_warning(
    tmp_path: Path,
) -> None:
    for why, filename, data, broken in _historical(tmp_path):
        assert refused_rules(data, filename, UPLOAD_POLICY) == broken, why
        dist = inspect(data, filename, IMPORT_POLICY)
        assert {warning.rule for warning in dist.warnings} == broken, why
        assert all(warning.reason for warning in dist.warnings), why


def test_an_imported_legacy_sdist_keeps_its_real_file_name_and_normalised_project(
    tmp_path: Path,
) -> None:
    data = make_sdist(tmp_path, "Zope.Interface", "7.1.1").read_bytes()
    dist = inspect(data, "zope.interface-7.1.1.tar.gz", IMPORT_POLICY)
    assert dist.filename == "zope.interface-7.1.1.tar.gz"
    assert dist.name == "zope-interface"
    assert dist.display_name == "Zope.Interface"


def test_a_clean_file_has_no_warnings_under_either_policy(tmp_path: Path) -> None:
    data = make_wheel(tmp_path).read_bytes()
    for policy in (UPLOAD_POLICY, IMPORT_POLICY):
        assert inspect(data, "demo-1.0-py3-none-any.whl", policy).warnings == ()


def _zip_sdist_with(extra: list[tuple[str, bytes]]) -> bytes:
    members = [(m.name + ("/" if m.kind == b"5" else ""), m.data) for m in sdist_members()]
    return zip_bytes([*members, *extra])


@pytest.mark.parametrize(
    ("why", "filename", "make", "rule"),
    [
        ("another project's name", "other-1.0-py3-none-any.whl",
         lambda p: make_wheel(p, filename="other-1.0-py3-none-any.whl").read_bytes(),
         rules.FILENAME_MISMATCH),
        ("another version", "Demo-2.0.tar.gz",
         lambda p: make_sdist(p, "Demo", "1.0", top="Demo-2.0").read_bytes(),
         rules.FILENAME_MISMATCH),
        ("a path escape in a zip sdist", "demo-1.0.zip",
         lambda _p: _zip_sdist_with([("demo-1.0/../../evil", b"x")]), rules.ARCHIVE),
        ("a hard link out of the tree", "demo-1.0.tar.bz2",
         lambda _p: bz2.compress(tar_bytes([*sdist_members(), TarMember(
             "demo-1.0/link", kind=b"1", linkname="etc/passwd")])), rules.ARCHIVE),
        ("a hard link to a later member", "demo-1.0.tar.gz",
         lambda _p: gzip_bytes(tar_bytes([TarMember("demo-1.0/early", kind=b"1",
                                                    linkname="demo-1.0/PKG-INFO"),
                                          *sdist_members()])), rules.ARCHIVE),
        ("a symbolic link out of the tree", "demo-1.0.tar.gz",
         lambda _p: gzip_bytes(tar_bytes([*sdist_members(), TarMember(
             "demo-1.0/link", kind=b"2", linkname="../../etc/passwd")])), rules.ARCHIVE),
        ("a bzip2 bomb", "demo-1.0.tar.bz2",
         lambda _p: bz2.compress(tar_bytes([*sdist_members(), TarMember(
             "demo-1.0/zeros", b"\0" * (80 * 2**20))])), rules.ARCHIVE),
        ("a zip sdist that is no zip", "demo-1.0.zip",
         lambda p: make_sdist(p).read_bytes(), rules.ARCHIVE),
        ("a wheel RECORD missing", "demo-1.0-py3-none-any.whl",
         lambda _p: zip_bytes(wheel_members(omit=["demo-1.0.dist-info/RECORD"]).items()),
         rules.ARCHIVE),
        ("an unreadable format", "demo-1.0.tar.Z",
         lambda p: make_sdist(p).read_bytes(), rules.FILENAME),
    ],
)  # fmt: skip
def test_what_no_policy_takes(tmp_path: Path, why: str, filename: str,
                              make: object, rule: str) -> None:
    data = make(tmp_path)  # type: ignore[operator]
    for policy in (UPLOAD_POLICY, IMPORT_POLICY):
        assert rule in refused_rules(data, filename, policy), (why, policy.name)
