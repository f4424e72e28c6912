"""Core-metadata validation: packaging's checks, PyPI's extra rules, every problem collected."""

from __future__ import annotations

from typing import Any

import pytest
from packaging.version import Version

from strongroom.domain.metadata import check_metadata, header_name, unfold_description
from strongroom.domain.readme import render_description
from tests.builders import metadata_text


def check(*lines: str, **knobs: Any) -> list[tuple[str, str]]:
    version = str(knobs.pop("version", "1.0"))
    text = metadata_text("demo", version, extra_metadata_lines=lines, **knobs)
    return [(p.field, p.reason) for p in check_metadata(text.encode(), "METADATA").problems]


def test_good_metadata_has_no_problems() -> None:
    text = metadata_text(
        "Demo.Lib",
        "2.0rc1",
        deps=("idna>=3; python_version >= '3.8'",),
        requires_python=">=3.9",
        extra_metadata_lines=(
            "Classifier: Programming Language :: Python :: 3",
            "Author-email: Ann <ann@example.com>, bob@example.org",
            "Home-page: https://example.com",
            "Project-URL: Source, https://example.com/src",
            "X-Unknown-Header: ignored",
        ),
    )
    checked = check_metadata(text.encode(), "METADATA")
    assert checked.problems == []
    assert checked.name == "Demo.Lib"
    assert checked.version == Version("2.0rc1")
    assert checked.raw["requires_python"] == ">=3.9"


@pytest.mark.parametrize(
    ("lines", "knobs", "field", "message"),
    [
        ((), {"metadata_version": "9.9"}, "Metadata-Version", "not a valid metadata version"),
        ((), {"version": "1.0+local"}, "Version", "local versions"),
        ((), {"summary": "s" * 513}, "Summary", "512 characters or fewer"),
        (("Classifier: Nope",), {}, "Classifier", "'Nope' is not a valid classifier"),
        (("Classifier: Natural Language :: Ukranian",), {}, "Classifier",
         "Use 'Natural Language :: Ukrainian' instead"),
        (("Author-email: nobody",), {}, "Author-email", "not a valid email address"),
        (("Maintainer-email: M <m@>",), {}, "Maintainer-email", "not a valid email address"),
        (("Home-page: ftp://example.com",), {}, "Home-page", "http or https"),
        (("Download-URL: example.com/x",), {}, "Download-URL", "http or https"),
        ((f"Project-URL: {'x' * 33}, https://e.com",), {}, "Project-URL", "longer than 32"),
        (("Project-URL: Docs, file:///etc",), {}, "Project-URL", "http or https"),
        ((), {"deps": ("x @ https://e.com/x.whl",)}, "Requires-Dist", "direct URL references"),
        ((), {"deps": ("][",)}, "Requires-Dist", "is invalid for 'requires-dist'"),
        (("License: MIT", "License-Expression: MIT"), {"metadata_version": "2.4"}, "License",
         "together with License-Expression"),
        (("Dynamic: Summary",), {}, "Dynamic", "introduced in metadata version 2.2"),
        (("Name: again",), {}, "Name", "appears more than once"),
    ],
)  # fmt: skip
def test_each_rule(
    lines: tuple[str, ...], knobs: dict[str, object], field: str, message: str
) -> None:
    problems = check(*lines, **knobs)
    assert any(f == field and message in reason for f, reason in problems), problems


def test_metadata_version_problem_is_reported_once() -> None:
    problems = check(metadata_version="9.9")
    assert [field for field, _ in problems] == ["Metadata-Version"]


def test_every_problem_is_collected_in_order() -> None:
    problems = check(
        "Classifier: Nope",
        "Author-email: nobody",
        "Home-page: ftp://x",
        deps=("][",),
        requires_python=">>3",
    )
    fields = [field for field, _ in problems]
    assert set(fields) >= {"Requires-Dist", "Requires-Python", "Classifier", "Author-email"}
    assert fields.index("Classifier") < fields.index("Author-email") < fields.index("Home-page")


def test_legacy_license_file_is_tolerated_before_2_4() -> None:
    assert check("License-File: LICENSE") == []
    assert check("License-File: ../LICENSE", metadata_version="2.4") != []


def test_missing_required_fields_and_undecodable_body() -> None:
    checked = check_metadata(b"Metadata-Version: 2.1\n\n\xff\xfe", "PKG-INFO")
    fields = [p.field for p in checked.problems]
    assert "Description" in fields
    assert "Name" in fields
    assert checked.name is None
    assert checked.version is None


def test_header_names() -> None:
    assert header_name("requires-dist") == "Requires-Dist"
    assert header_name("home_page") == "Home-page"
    assert header_name("x-custom") == "x-custom"


# --- descriptions in the header (Metadata-Version 1.x, and setuptools up to 2021) ---------

_RST = "Title\n=====\n\n.. code:: python\n\n    import demo\n\nA *list*:\n\n- one\n- two\n"


def _header_form(description: str, indent: str) -> bytes:
    first, *rest = description.rstrip("\n").split("\n")
    folded = "\n".join([first, *(indent + line for line in rest)])
    return (f"Metadata-Version: 1.2\nName: demo\nVersion: 1.0\nSummary: s\n"
            f"Description: {folded}\n").encode()


@pytest.mark.parametrize("indent", [" " * 8, " " * 7 + "|"], ids=["setuptools", "pipe"])
def test_a_header_description_is_unfolded_as_its_author_wrote_it(indent: str) -> None:
    checked = check_metadata(_header_form(_RST, indent), "PKG-INFO")
    assert checked.raw["description"] == _RST.rstrip("\n")
    assert checked.problems == []
    assert render_description(checked.raw["description"], None).problem is None


def test_folded_blank_lines_become_blank_lines() -> None:
    # setuptools wrote an empty line as the indentation alone, the pipe style as a lone "|".
    data = b"Metadata-Version: 1.1\nName: demo\nVersion: 1\nDescription: a\n        \n        b\n"
    assert check_metadata(data, "PKG-INFO").raw["description"] == "a\n\nb"
    piped = b"Metadata-Version: 1.1\nName: demo\nVersion: 1\nDescription: a\n       |\n       |b\n"
    assert check_metadata(piped, "PKG-INFO").raw["description"] == "a\n\nb"


def test_a_body_description_keeps_its_indentation() -> None:
    body = "Title\n=====\n\n        indented block\n"
    data = f"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n\n{body}".encode()
    assert check_metadata(data, "METADATA").raw["description"] == body


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("one line", "one line"),
        ("first\n        second\n            indented", "first\nsecond\n    indented"),
        ("first\n    folded by four\n    again", "first\nfolded by four\nagain"),
        ("first\n       |second\n       |  kept", "first\nsecond\n  kept"),
    ],
)
def test_unfold_description(value: str, expected: str) -> None:
    assert unfold_description(value) == expected
