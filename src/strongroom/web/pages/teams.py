"""The teams the signed-in user belongs to, each with its members and the roles it holds in
projects. Read-only: teams and their members are the index administrator's to manage
(``strongroom admin team``); a project's Owners give a team they belong to a role on the
project's page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from strongroom.web.pages.site import Site, guarded


@guarded
async def mine(site: Site, request: Request) -> Response:
    visit = await site.visit(request)
    if visit.user_id is None:
        return site.to_login(request, visit)
    teams = await site.call(site.teams.teams, member_id=visit.user_id)
    return site.page("teams.html", visit, teams=teams)
