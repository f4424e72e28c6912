"""PEP 691 content negotiation."""

from __future__ import annotations

import pytest

from strongroom.domain.negotiation import TEXT_HTML, V1_HTML, V1_JSON, is_json, negotiate

PIP_ACCEPT = f"{V1_JSON}, {V1_HTML};q=0.2, {TEXT_HTML};q=0.01"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, TEXT_HTML),
        ("", TEXT_HTML),
        ("*/*", TEXT_HTML),
        (PIP_ACCEPT, V1_JSON),
        ("text/html", TEXT_HTML),
        ("text/*", TEXT_HTML),
        (V1_HTML, V1_HTML),
        ("application/vnd.pypi.simple.latest+json", V1_JSON),
        ("application/vnd.pypi.simple.latest+html", V1_HTML),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", TEXT_HTML),
        (f"{V1_JSON};q=0.5, {V1_HTML};q=0.9", V1_HTML),
        (f"{V1_JSON};q=0, */*", TEXT_HTML),
        (f"{TEXT_HTML};q=0, */*", V1_HTML),
        ("*/*;q=0.1, text/html;q=0", V1_HTML),
        ("application/*;q=0.5, text/html;q=0.4", V1_HTML),
        (f"{V1_HTML};q=0.5, application/*;q=0.5", V1_HTML),
        (f"{V1_HTML};q=0.4, application/*;q=0.5", V1_JSON),
        ("TEXT/HTML", TEXT_HTML),
    ],
)
def test_accept_header(accept: str | None, expected: str) -> None:
    assert negotiate(accept) == expected


@pytest.mark.parametrize(
    "accept",
    ["application/json", "image/png", f"{V1_JSON};q=0, {V1_HTML};q=0, text/html;q=0", "*/*;q=0",
     "garbage", f"{V1_JSON};q=oops"],
)
def test_nothing_acceptable(accept: str) -> None:
    assert negotiate(accept) is None


def test_malformed_members_are_skipped() -> None:
    assert negotiate(f"nonsense, {V1_HTML};q=2, text/html;q=0.3") == TEXT_HTML


def test_format_parameter_overrides_accept() -> None:
    assert negotiate("text/html", V1_JSON) == V1_JSON
    assert negotiate(V1_JSON, "application/vnd.pypi.simple.latest+html") == V1_HTML
    assert negotiate(V1_JSON, "text/html") == TEXT_HTML


def test_unknown_format_parameter_is_not_acceptable() -> None:
    assert negotiate("*/*", "application/json") is None


def test_is_json() -> None:
    assert is_json(V1_JSON)
    assert not is_json(V1_HTML)
    assert not is_json(TEXT_HTML)
