"""Server-rendered pages: Jinja2 templates from web/templates, escaped by default, and the
headers every page carries.

Pages use no inline script or style, so the Content-Security-Policy allows only this site's own
files; no page may be framed; account pages are never cached, and send a Referer only to this
site (a link's secret in a URL must not travel to another). Not ``no-referrer``: under it a
browser sends ``Origin: null`` with the pages' own form posts, which the Origin check refuses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from strongroom.web.pages.visits import CSRF_FIELD, Visit

TEMPLATES = Path(__file__).parent.parent / "templates"
PAGE_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; frame-ancestors 'none'; "
                                "form-action 'self'; base-uri 'none'; object-src 'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class Templates:
    """Renders a template with the visit's context (the signed-in user, the CSRF field)."""

    def __init__(self, *, index_name: str) -> None:
        self._environment = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
            undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self._index_name = index_name

    def page(self, name: str, visit: Visit, *, status: int = 200,
             **context: Any) -> HTMLResponse:
        """The page ``name`` (a template file) with ``context``, as an answer."""
        body = self._environment.get_template(name).render(
            index_name=self._index_name, csrf_field=CSRF_FIELD, csrf=visit.csrf,
            username=visit.session.username if visit.session else None,
            error=context.pop("error", None), notice=context.pop("notice", None), **context)
        return HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)
