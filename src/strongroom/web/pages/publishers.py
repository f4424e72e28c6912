"""Trusted publishers on the web: a project's Owners list, add and remove its publishers on the
project's page; a user registers pending publishers (for a project their first use makes) on
their projects page. The oidc capability says who may (publishers.py); these pages pass the
signed-in user as the acting Principal and show its refusals. Changing publishers is
sensitive: it asks for the password again after 30 minutes, as changing roles does.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from strongroom.accounts import Client
from strongroom.domain.principals import Principal, PrincipalKind
from strongroom.errors import Conflict, Forbidden, InvalidInput, NotFound
from strongroom.oidc import Provider, PublisherInput, parse_registration
from strongroom.web.errors import status_for
from strongroom.web.pages.reauth import needs_password
from strongroom.web.pages.site import Site, guarded
from strongroom.web.pages.visits import Visit

_REFUSALS = (Conflict, Forbidden, InvalidInput, NotFound)


def kinds(site: Site) -> list[str]:
    """The kinds of publisher this index trusts, as the forms offer them."""
    built_in = [p.value for p in (Provider.GITHUB, Provider.GITLAB, Provider.GOOGLE)
                if site.issuers.of(p)]
    return built_in + [i.name for i in site.issuers.of(Provider.OTHER)]


async def project_publishers(site: Site, name: str, *, owner: bool) -> dict[str, Any]:
    """What the project page shows of its publishers (to its Owners only)."""
    if not owner:
        return {"publishers": [], "publisher_kinds": []}
    return {"publishers": await site.call(site.publishers.for_project, name),
            "publisher_kinds": kinds(site)}


async def pending_publishers(site: Site, visit: Visit) -> dict[str, Any]:
    """What the projects page shows of the user's pending publishers."""
    return {"pending": await site.call(site.publishers.pending, user_id=visit.user_id),
            "publisher_kinds": kinds(site)}


def _typed(form: dict[str, str]) -> PublisherInput:
    return PublisherInput(form.get("kind", ""), repository=form.get("repository", ""),
                          workflow=form.get("workflow", ""),
                          environment=form.get("environment", ""),
                          owner_id=form.get("owner_id", ""), email=form.get("email", ""),
                          subject=form.get("subject", ""))


def _principal_and_client(visit: Visit) -> tuple[Principal, Client]:
    assert visit.user_id is not None  # noqa: S101 - callers checked
    assert visit.session is not None  # noqa: S101
    by = Principal(PrincipalKind.USER, visit.session.username or "", user_id=visit.user_id)
    return by, Client(visit.address, visit.user_agent)


@guarded
async def change(site: Site, request: Request) -> Response:
    """POST ``action`` add or remove on /account/projects/{name}/publishers; back to the
    project's page, saying what happened or what was refused."""
    visit = await site.visit(request)
    if visit.user_id is None:
        return site.to_login(request, visit)
    name = request.path_params["name"]
    form = await site.form(request, visit)
    page = f"/account/projects/{name}"
    if needs_password(visit):
        return site.redirect(f"/account/reauth?next={page}", visit)
    by, client = _principal_and_client(visit)
    try:
        if form.get("action") == "add":
            registration = parse_registration(site.issuers, _typed(form))
            added = await site.call(site.publishers.add, name, registration, by=by,
                                    client=client)
            notice = f"{added.name} may now publish {name}."
        elif form.get("action") == "remove":
            publisher_id = form.get("publisher", "")
            if not publisher_id.isdigit():
                raise InvalidInput("publisher: not a publisher's number")
            gone = await site.call(site.publishers.remove, name, int(publisher_id), by=by,
                                   client=client)
            notice = f"{gone.name} may no longer publish {name}."
        else:
            raise InvalidInput(f"unknown action {form.get('action', '')[:40]!r}")
    except _REFUSALS as error:
        return site.page("error.html", visit, status=status_for(error), error=error.message)
    return site.page("notice.html", visit, notice=notice, back=page)


@guarded
async def pending(site: Site, request: Request) -> Response:
    """POST ``action`` add (``project`` and the publisher) or remove (``pending``) on
    /account/publishers/pending; back to the projects page."""
    visit = await site.visit(request)
    if visit.user_id is None:
        return site.to_login(request, visit)
    form = await site.form(request, visit)
    if needs_password(visit):
        return site.redirect("/account/reauth?next=/account/projects", visit)
    by, client = _principal_and_client(visit)
    try:
        if form.get("action") == "add":
            registration = parse_registration(site.issuers, _typed(form))
            added = await site.call(site.publishers.add_pending, form.get("project", "").strip(),
                                    registration, owner=by.name, by=by, client=client)
            notice = (f"{added.name} may make the project {added.project} until "
                      f"{added.expires:%Y-%m-%d} (UTC).")
        elif form.get("action") == "remove":
            pending_id = form.get("pending", "")
            if not pending_id.isdigit():
                raise InvalidInput("pending: not a pending publisher's number")
            gone = await site.call(site.publishers.remove_pending, int(pending_id), by=by,
                                   client=client)
            notice = f"The pending publisher {gone.name} is removed."
        else:
            raise InvalidInput(f"unknown action {form.get('action', '')[:40]!r}")
    except _REFUSALS as error:
        return site.page("error.html", visit, status=status_for(error), error=error.message)
    return site.page("notice.html", visit, notice=notice, back="/account/projects")
