"""Projects on the web: a user's projects and the invitations waiting for them (accept,
decline), and a project's roles, its users' and its teams' (with their members), and its
releases that known vulnerabilities affect (advisory, severity, first fixed version). For its
Owners: invite a user by mail, change or remove a user's role, transfer ownership, revoke an
invitation; give a team they belong to a role, change or remove a team's role; and the
project's security history.

Who may do what is the projects capability's to say (roles.py, teams.py); these pages pass the
signed-in user as the acting Principal and show its refusals. Changing roles is sensitive: it
asks for the password again after 30 minutes.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from strongroom.domain.names import normalize
from strongroom.errors import Conflict, Forbidden, InvalidInput, NotFound
from strongroom.history import iso_utc
from strongroom.projects import OWNER, Invitation
from strongroom.web.errors import status_for
from strongroom.web.pages.publishers import pending_publishers, project_publishers
from strongroom.web.pages.reauth import needs_password
from strongroom.web.pages.site import Site, guarded
from strongroom.web.pages.visits import Visit

_REFUSALS = (Conflict, Forbidden, InvalidInput, NotFound)


async def _mine(site: Site, visit: Visit, *, status: int = 200, error: str | None = None,
                notice: str | None = None) -> Response:
    principal = visit.principal
    held = await site.call(site.roles.held_by, visit.user_id or 0)
    invited = await site.call(site.invitations.invitations, username=principal.name)
    return site.page("projects.html", visit, status=status, held=held, invited=invited,
                     now=visit.now, error=error, notice=notice,
                     **await pending_publishers(site, visit))


@guarded
async def mine(site: Site, request: Request) -> Response:
    """GET: the user's projects and invitations. POST ``action`` accept or decline."""
    visit = await site.visit(request)
    if visit.user_id is None:
        return site.to_login(request, visit)
    if request.method == "GET":
        return await _mine(site, visit)
    form = await site.form(request, visit)
    project, action = form.get("project", ""), form.get("action", "")
    try:
        if action == "accept":
            await site.call(site.invitations.accept, project, by=visit.principal)
        elif action == "decline":
            await site.call(site.invitations.decline, project, by=visit.principal)
        else:
            raise InvalidInput(f"unknown action {action!r}")
    except _REFUSALS as error:
        return await _mine(site, visit, status=status_for(error), error=error.message)
    return await _mine(site, visit, notice=f"Invitation to {project} {action}ed.")


async def _project_page(site: Site, visit: Visit, name: str, *, status: int = 200,
                        error: str | None = None, notice: str | None = None) -> Response:
    roles = await site.call(site.roles.roles, name)
    owner = await site.call(site.roles.acting_role, name, by=visit.principal) == OWNER
    invited = await site.call(site.invitations.invitations, project=name) if owner else []
    events = (await site.call(site.history.for_project, name, limit=50)) if owner else []
    teams = await site.call(site.teams.teams, member_id=visit.user_id) if owner else []
    vulnerable = await site.call(site.vulnerable_releases, normalize(name))
    return site.page("project.html", visit, status=status, project=name, roles=roles,
                     owner=owner, invited=invited, events=events, teams=teams, now=visit.now,
                     error=error, notice=notice, vulnerable=vulnerable,
                     **await project_publishers(site, name, owner=owner))


@guarded
async def project(site: Site, request: Request) -> Response:
    """GET: the project's roles (and for Owners its invitations and history). POST
    ``action``: invite, set, remove, transfer, revoke (a user's); grant_team, revoke_team."""
    visit = await site.visit(request)
    if visit.user_id is None:
        return site.to_login(request, visit)
    name = request.path_params["name"]
    try:
        if request.method == "GET":
            return await _project_page(site, visit, name)
        form = await site.form(request, visit)
        if needs_password(visit):
            return site.redirect(f"/account/reauth?next=/account/projects/{name}", visit)
        notice = await _change(site, visit, name, form)
    except _REFUSALS as error:
        try:
            return await _project_page(site, visit, name, status=status_for(error),
                                       error=error.message)
        except NotFound:
            raise error from None
    return await _project_page(site, visit, name, notice=notice)


async def _change(site: Site, visit: Visit, name: str, form: dict[str, str]) -> str:
    """Do what the project's form asked; returns what to tell the user."""
    by, action = visit.principal, form.get("action", "")
    username, role = form.get("username", "").strip(), form.get("role", "")
    if action == "invite":
        invitation = await site.call(site.invitations.invite, name, username, role, by=by)
        if invitation.email is not None:
            await site.call(site.send, invitation.email,
                            f"Invitation to {invitation.project}", _invitation_text(
                                site, invitation))
        return f"{invitation.username} is invited as {invitation.role}."
    if action == "set":
        await site.call(site.roles.set_role, name, username, role, by=by)
        return f"{username} is now {role}."
    if action == "remove":
        await site.call(site.roles.remove_role, name, username, by=by)
        return f"{username} no longer has a role."
    if action == "transfer":
        await site.call(site.roles.transfer, name, username, by=by,
                        step_down=form.get("step_down") == "yes")
        return f"{username} is now an Owner."
    if action == "revoke":
        await site.call(site.invitations.revoke, name, username, by=by)
        return f"The invitation of {username} is revoked."
    return await _change_team(site, visit, name, form)


async def _change_team(site: Site, visit: Visit, name: str, form: dict[str, str]) -> str:
    """Give a team a role, change it or take it away, as the form asked."""
    by, action = visit.principal, form.get("action", "")
    team, role = form.get("team", "").strip(), form.get("role", "")
    if action == "grant_team":
        if await site.call(site.teams.grant, team, name, role, by=by) is None:
            return f"Team {team} was {role} already."
        return f"Team {team} is now {role}."
    if action == "revoke_team":
        await site.call(site.teams.revoke, team, name, by=by)
        return f"Team {team} no longer has a role."
    raise InvalidInput(f"unknown action {action!r}")


def _invitation_text(site: Site, invitation: Invitation) -> str:
    return (f"Hello {invitation.username},\n\n{invitation.invited_by} invited you to be "
            f"{invitation.role} of the project {invitation.project} on {site.base_url}.\n\n"
            f"Accept or decline it at {site.url('/account/projects')} before "
            f"{iso_utc(invitation.expires)} (UTC).\n")
