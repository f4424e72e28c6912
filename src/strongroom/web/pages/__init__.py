"""The web UI's account pages, rendered on the server: ``account_routes`` gives their routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from strongroom.web.pages import (
    history,
    keys,
    passwords,
    profile,
    projects,
    publishers,
    reauth,
    signin,
    teams,
    tokens,
    twofactor,
)
from strongroom.web.pages.required import second_factor_gate
from strongroom.web.pages.site import AccountLimits, Handler, Site
from strongroom.web.pages.templates import TEMPLATES, Templates

__all__ = ["AccountLimits", "Site", "Templates", "account_routes"]

_FORMS = ["GET", "POST"]
_PAGES: list[tuple[str, Handler, list[str]]] = [
    ("/account/", profile.account, ["GET"]),
    ("/account/login", signin.login, _FORMS),
    ("/account/logout", signin.logout, _FORMS),
    ("/account/register", signin.register, _FORMS),
    ("/account/reauth", reauth.reauthenticate, _FORMS),
    ("/account/verify-email", profile.verify_email, _FORMS),
    ("/account/emails", profile.emails, ["POST"]),
    ("/account/password", passwords.change, _FORMS),
    ("/account/reset", passwords.ask_reset, _FORMS),
    ("/account/reset/confirm", passwords.reset, _FORMS),
    ("/account/two-factor", twofactor.second_step, _FORMS),
    ("/account/totp", twofactor.totp, _FORMS),
    ("/account/recovery-codes", twofactor.recovery_codes, _FORMS),
    ("/account/history", history.own, ["GET"]),
    ("/account/history.jsonl", history.own_download, ["GET"]),
    ("/account/projects", projects.mine, _FORMS),
    ("/account/projects/{name}", projects.project, _FORMS),
    ("/account/projects/{name}/history.jsonl", history.project_download, ["GET"]),
    ("/account/teams", teams.mine, ["GET"]),
    ("/account/projects/{name}/publishers", publishers.change, ["POST"]),
    ("/account/publishers/pending", publishers.pending, ["POST"]),
    ("/account/keys", keys.manage, _FORMS),
    ("/account/keys/options", keys.registration_options, ["POST"]),
    ("/account/keys/verify", keys.register, ["POST"]),
    ("/account/two-factor/key/options", keys.login_options, ["POST"]),
    ("/account/two-factor/key/verify", keys.log_in, ["POST"]),
    (tokens.TOKENS, tokens.tokens, ["GET"]),
    (tokens.NEW_TOKEN, tokens.new_token, _FORMS),
    ("/account/tokens/revoke", tokens.revoke, ["POST"]),
]


def _endpoint(site: Site, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await handler(site, request)
    return endpoint


def account_routes(site: Site) -> list[BaseRoute]:
    """The account pages, and the style sheet and scripts they load from /static/."""
    routes: list[BaseRoute] = [
        Route(path, _endpoint(site, second_factor_gate(site, path, handler)), methods=methods)
        for path, handler, methods in _PAGES]
    routes.append(Mount("/static", StaticFiles(directory=TEMPLATES.parent / "static"),
                        name="static"))
    return routes
