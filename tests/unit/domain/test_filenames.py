"""File-name rules: characters, extensions, wheel/sdist syntax, platform tags, metadata match."""

from __future__ import annotations

import pytest
from packaging.version import Version

from strongroom.domain import rules
from strongroom.domain.filenames import (
    ParsedFilename,
    archive_kind,
    check_against_metadata,
    is_allowed_platform_tag,
    parse_filename,
)


@pytest.mark.parametrize(
    "tag",
    [
        "any", "win32", "win_amd64", "win_arm64", "manylinux1_x86_64", "manylinux2010_i686",
        "manylinux2014_aarch64", "manylinux_2_28_x86_64", "manylinux_2_39_riscv64",
        "musllinux_1_2_aarch64", "macosx_10_9_x86_64", "macosx_11_0_arm64",
        "macosx_14_0_universal2", "linux_armv7l", "linux_armv6l",
        "ios_13_0_arm64_iphoneos", "android_21_arm64_v8a", "pyemscripten_2024_0_wasm32",
    ],
)  # fmt: skip
def test_allowed_platform_tags(tag: str) -> None:
    assert is_allowed_platform_tag(tag)


@pytest.mark.parametrize(
    "tag",
    ["linux_x86_64", "linux_i686", "manylinux2014_riscv64", "musllinux_1_2_ppc64",
     "macosx_11_3_arm64", "macosx_10_9_sparc", "cygwin_x86_64", "freebsd_13_amd64", "anyx"],
)  # fmt: skip
def test_refused_platform_tags(tag: str) -> None:
    assert not is_allowed_platform_tag(tag)


def test_good_wheel_name_parses() -> None:
    parsed, problems = parse_filename("six-1.17.0-py2.py3-none-any.whl", "bdist_wheel")
    assert problems == []
    assert parsed == ParsedFilename("bdist_wheel", "six", "1.17.0", "py2.py3")


def test_good_sdist_name_parses() -> None:
    parsed, problems = parse_filename("foo_bar-1.0.post1.tar.gz", "sdist")
    assert problems == []
    assert parsed == ParsedFilename("sdist", "foo_bar", "1.0.post1", "source")


def test_build_tag_wheel_keeps_python_tag() -> None:
    parsed, _ = parse_filename("demo-1.0-1-cp311-cp311-manylinux_2_17_x86_64.whl", "bdist_wheel")
    assert parsed is not None
    assert parsed.python_version == "cp311"


@pytest.mark.parametrize(
    ("filename", "filetype", "message"),
    [
        ("demo\x00-1.0.tar.gz", "sdist", "control characters"),
        ("demo\x7f-1.0.tar.gz", "sdist", "control characters"),
        ("a/demo-1.0.tar.gz", "sdist", "'/' or '\\'"),
        ("a\\demo-1.0.tar.gz", "sdist", "'/' or '\\'"),
        ("demo-1.0.tar.Z", "sdist", "must end in .tar.gz"),
        ("demo-1.0.whl", "sdist", "must end in .tar.gz"),
        ("demo-1.0.tar.gz", "bdist_wheel", "must end in .whl"),
        ("demo-1.0-py3.11.egg", "bdist_egg", "Invalid value for filetype"),
        ("demo-1.0.win32.exe", "bdist_wininst", "Invalid value for filetype"),
        ("demo-1.0.whl", "bdist_wheel", "Invalid wheel filename"),
        ("demo.tar.gz", "sdist", "Invalid source distribution filename"),
        ("demo-1.0-final.tar.gz", "sdist", "Invalid source distribution filename"),
        ("demo-1.0-final.zip", "sdist", "Invalid source distribution filename"),
    ],
)
def test_unusable_names_are_refused(filename: str, filetype: str, message: str) -> None:
    parsed, problems = parse_filename(filename, filetype)
    assert parsed is None
    assert any(message in problem.reason for problem in problems), problems
    assert rules.FILENAME in {problem.rule for problem in problems}


@pytest.mark.parametrize(
    ("filename", "filetype", "message", "rule", "name_part"),
    [
        ("demo-1.0.zip", "sdist", "PEP 625", rules.SDIST_FORMAT, "demo"),
        ("demo-1.0.tar.bz2", "sdist", "legacy formats", rules.SDIST_FORMAT, "demo"),
        ("demo-1.0.tgz", "sdist", "legacy formats", rules.SDIST_FORMAT, "demo"),
        ("Demo-1.0-py3-none-any.whl", "bdist_wheel", "normalized project name 'demo'",
         rules.FILENAME_NOT_NORMALIZED, "Demo"),
        ("demo.lib-1.0-py3-none-any.whl", "bdist_wheel", "normalized project name 'demo_lib'",
         rules.FILENAME_NOT_NORMALIZED, "demo.lib"),
        ("demo-01.0-py3-none-any.whl", "bdist_wheel", "normalized version '1.0'",
         rules.VERSION_NOT_NORMALIZED, "demo"),
        ("demo-1.0-py3-none-linux_x86_64.whl", "bdist_wheel", "unsupported platform tag",
         rules.PLATFORM_TAG, "demo"),
        ("Demo-1.0.tar.gz", "sdist", "normalized project name", rules.FILENAME_NOT_NORMALIZED,
         "Demo"),
        ("demo-lib-1.0.tar.gz", "sdist", "normalized project name 'demo_lib'",
         rules.FILENAME_NOT_NORMALIZED, "demo-lib"),
        ("zope.interface-7.1.1.zip", "sdist", "normalized project name 'zope_interface'",
         rules.FILENAME_NOT_NORMALIZED, "zope.interface"),
    ],
)  # fmt: skip
def test_historical_names_parse_and_name_the_rule_they_break(
    filename: str, filetype: str, message: str, rule: str, name_part: str
) -> None:
    """An upload refuses these (every problem refuses), an import only warns: either way the
    name must still be read, so the caller's policy can decide."""
    parsed, problems = parse_filename(filename, filetype)
    assert parsed is not None
    assert parsed.name_part == name_part
    assert any(message in problem.reason and problem.rule == rule for problem in problems), (
        problems)
    assert rules.FILENAME not in {problem.rule for problem in problems}


def test_archive_kind_guesses_from_extension_for_unknown_filetypes() -> None:
    assert archive_kind("x.whl", "bdist_egg") == "bdist_wheel"
    assert archive_kind("x.tar.gz", "bogus") == "sdist"
    assert archive_kind("x.egg", "bdist_egg") is None
    assert archive_kind("x.whl", "sdist") == "sdist"


def test_metadata_match() -> None:
    parsed = ParsedFilename("bdist_wheel", "demo_lib", "1.0", "py3")
    assert check_against_metadata(parsed, "Demo.Lib", Version("1.0")) == []
    problems = check_against_metadata(parsed, "other", Version("1.0.0"))
    assert [p.field for p in problems] == ["filename", "filename"]
    assert "Start filename with 'other'" in problems[0].reason
    assert "'1.0.0'" in problems[1].reason
    assert {p.rule for p in problems} == {rules.FILENAME_MISMATCH}


def test_a_historical_spelling_of_the_same_name_and_version_matches() -> None:
    """MarkupSafe-2.1.5 and zope.interface name their projects; a different spelling of the
    same version ("1.0.0-beta1") is the same version. Only another name or version is a
    mismatch, which no policy tolerates."""
    assert check_against_metadata(ParsedFilename("sdist", "MarkupSafe", "2.1.5", "source"),
                                  "MarkupSafe", Version("2.1.5")) == []
    assert check_against_metadata(ParsedFilename("sdist", "zope.interface", "7.1.1", "source"),
                                  "zope.interface", Version("7.1.1")) == []
    assert check_against_metadata(ParsedFilename("sdist", "demo", "1.0.0-beta1", "source"),
                                  "demo", Version("1.0.0b1")) == []
    assert check_against_metadata(ParsedFilename("sdist", "demo", "1.0.0", "source"),
                                  "demo", Version("1.0"))[0].rule == rules.FILENAME_MISMATCH
