"""Rendering a release's long description to safe HTML, as PyPI does, with readme_renderer."""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from email.message import Message

import readme_renderer.markdown
import readme_renderer.rst
import readme_renderer.txt

from strongroom.errors import Problem

DEFAULT_CONTENT_TYPE = "text/x-rst"
HELP_URL = "https://pypi.org/help/#description-content-type"


@dataclass(frozen=True)
class RenderedDescription:
    """The HTML for a description (None when there is none or it failed) and any problem."""

    html: str | None
    problem: Problem | None


@functools.lru_cache(maxsize=128)
def render_description(description: str | None, content_type: str | None) -> RenderedDescription:
    """Render ``description`` according to its ``Description-Content-Type``.

    A missing content type means reStructuredText. A description that its renderer refuses
    (invalid reStructuredText, an unknown content type) is a problem, as on PyPI.
    Results are remembered: successive releases of a project usually share their README, and
    rendering reStructuredText costs milliseconds.
    """
    if not description:
        return RenderedDescription(None, None)
    mime, variant = _parse_content_type(content_type or DEFAULT_CONTENT_TYPE)
    html: str | None
    if mime == "text/plain":
        html = readme_renderer.txt.render(description)
    elif mime == "text/markdown":
        html = readme_renderer.markdown.render(description, variant=variant or "GFM")
    elif mime == "text/x-rst":
        # The stream collects docutils' warnings, which would otherwise go to stderr.
        html = readme_renderer.rst.render(description, stream=io.StringIO())
    else:
        html = None
    if html is None:
        return RenderedDescription(
            None,
            Problem(
                "description",
                f"The long description could not be rendered as {mime!r}; fix the markup or "
                f"declare the right Description-Content-Type. See {HELP_URL}",
            ),
        )
    return RenderedDescription(html, None)


def prepare() -> None:
    """Build docutils' parser tables now (tens of milliseconds, mostly regular expressions that
    docutils compiles on its first document), so that a server's first upload does not wait
    for them."""
    readme_renderer.rst.render("Prepared\n========\n\n*Ready*.", stream=io.StringIO())


def _parse_content_type(value: str) -> tuple[str, str | None]:
    message = Message()
    message["Content-Type"] = value
    variant = message.get_param("variant")
    return message.get_content_type(), variant if isinstance(variant, str) else None
