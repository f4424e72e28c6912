"""The security history as its people see it: a user's own events, newest first, a page at a
time (``?before=`` the last id shown)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from strongroom.web.pages.site import Site, guarded

PAGE_SIZE = 50


def _before(request: Request) -> int | None:
    value = request.query_params.get("before", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


@guarded
async def own(site: Site, request: Request) -> Response:
    visit = await site.visit(request)
    if visit.user_id is None:
        return site.to_login(request, visit)
    events = await site.call(site.history.for_user, visit.user_id, limit=PAGE_SIZE,
                             before_id=_before(request))
    older = events[-1].id if len(events) == PAGE_SIZE else None
    return site.page("history.html", visit, events=events, older=older)
