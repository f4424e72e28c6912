"""Rendering a release's long description to safe HTML, as PyPI does, with readme_renderer.

``render_description`` runs the renderers in the calling process and is bounded by nothing but
its input: docutils and the Markdown renderer take time that grows faster than the text (nested
block quotes, deep indentation), and docutils can exhaust the stack. Uploads therefore render
through ``strongroom.upload``'s sandbox, which calls this function in worker processes under a
deadline; anything taking a ``DescriptionRenderer`` accepts either.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message

import readme_renderer.markdown
import readme_renderer.rst
import readme_renderer.txt

from strongroom.domain import rules
from strongroom.errors import Problem

DEFAULT_CONTENT_TYPE = "text/x-rst"
HELP_URL = "https://pypi.org/help/#description-content-type"


@dataclass(frozen=True)
class RenderedDescription:
    """The HTML for a description (None when there is none or it failed) and any problem."""

    html: str | None
    problem: Problem | None


# (description, Description-Content-Type) -> the rendering
DescriptionRenderer = Callable[[str | None, str | None], RenderedDescription]


def render_description(description: str | None, content_type: str | None) -> RenderedDescription:
    """Render ``description`` according to its ``Description-Content-Type``.

    A missing content type means reStructuredText. A description that its renderer refuses
    (invalid reStructuredText, an unknown content type) is a problem, as on PyPI, and so is one
    that makes the renderer itself fail (a RecursionError in docutils): never an exception.
    """
    if not description:
        return RenderedDescription(None, None)
    mime, variant = parse_content_type(content_type)
    try:
        html = _render(description, mime, variant)
    except Exception as exc:  # any failure of a third-party renderer is the input's problem
        why = f"its renderer failed with {type(exc).__name__}"
        return RenderedDescription(None, not_rendered(mime, why))
    if html is None:
        return RenderedDescription(None, not_rendered(mime))
    return RenderedDescription(html, None)


def _render(description: str, mime: str, variant: str | None) -> str | None:
    if mime == "text/plain":
        return readme_renderer.txt.render(description)
    if mime == "text/markdown":
        return readme_renderer.markdown.render(description, variant=variant or "GFM")
    if mime == "text/x-rst":
        # The stream collects docutils' warnings, which would otherwise go to stderr.
        return readme_renderer.rst.render(description, stream=io.StringIO())
    return None


def not_rendered(mime: str, why: str = "") -> Problem:
    """The problem of a description that did not render as ``mime``; ``why`` adds the cause."""
    cause = f" ({why})" if why else ""
    return Problem(
        "description",
        f"The long description could not be rendered as {mime!r}{cause}; fix the markup or "
        f"declare the right Description-Content-Type. See {HELP_URL}",
        rules.DESCRIPTION,
    )


def prepare() -> None:
    """Build docutils' parser tables now (tens of milliseconds, mostly regular expressions that
    docutils compiles on its first document), so that the first description does not wait."""
    readme_renderer.rst.render("Prepared\n========\n\n*Ready*.", stream=io.StringIO())


def parse_content_type(value: str | None) -> tuple[str, str | None]:
    """The media type (default reStructuredText) and Markdown ``variant`` of a content type."""
    message = Message()
    message["Content-Type"] = value or DEFAULT_CONTENT_TYPE
    variant = message.get_param("variant")
    return message.get_content_type(), variant if isinstance(variant, str) else None
