"""Rendering long descriptions as PyPI does."""

from __future__ import annotations

import pytest

from strongroom.domain.readme import render_description


def test_rst_is_the_default() -> None:
    rendered = render_description("Title\n=====\n\n*emphasis*\n", None)
    assert rendered.problem is None
    assert "<em>emphasis</em>" in str(rendered.html)


def test_markdown_is_sanitised() -> None:
    rendered = render_description("# Hi\n\n<script>alert(1)</script>\n", "text/markdown")
    assert rendered.problem is None
    assert "<script>" not in str(rendered.html)
    assert "<h1" in str(rendered.html)


def test_markdown_variant_and_charset_are_honoured() -> None:
    text = "| a |\n|---|\n| b |\n"
    rendered = render_description(text, "text/markdown; charset=UTF-8; variant=CommonMark")
    assert rendered.problem is None
    assert rendered.html is not None


def test_plain_text_is_escaped() -> None:
    rendered = render_description("a <b> c", "text/plain")
    assert rendered.html == "a &lt;b&gt; c"


@pytest.mark.parametrize("description", [None, ""])
def test_no_description_renders_nothing(description: str | None) -> None:
    assert render_description(description, "text/markdown").html is None


@pytest.mark.parametrize(
    ("description", "content_type"),
    [
        ("Title\n=====\n\n.. raw:: html\n\n   <b>x</b>\n", None),
        ("Broken\n===\n\n:unknownrole:`x`\n", "text/x-rst"),
        ("hello", "text/html"),
    ],
)
def test_failed_renders_are_problems(description: str, content_type: str | None) -> None:
    rendered = render_description(description, content_type)
    assert rendered.html is None
    assert rendered.problem is not None
    assert rendered.problem.field == "description"
    assert "could not be rendered" in rendered.problem.reason
    assert "https://pypi.org/help/#description-content-type" in rendered.problem.reason


def test_a_renderer_that_fails_is_a_problem_not_an_exception() -> None:
    deep = "".join(" " * i + "x\n\n" for i in range(200))  # docutils recurses past the limit
    rendered = render_description(deep, None)
    assert rendered.html is None
    assert rendered.problem is not None
    assert "its renderer failed with RecursionError" in rendered.problem.reason
