"""Security keys on the web: the list at /account/keys (add one under a name, remove one), and
the login's second step with a key.

The browser talks to the key (web/static/webauthn.js), so each ceremony is two JSON calls
(pages/calls.py): ``.../options`` keeps a challenge in the session and gives the options,
``.../verify`` checks the key's answer against it. Managing keys asks for the password again
after 30 minutes, as the other second factors do; wrong answers at login count against the
same per-user limit as wrong codes.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from strongroom.errors import InvalidInput, NotFound
from strongroom.web.pages.calls import answer_json, json_call, read_json, refusal
from strongroom.web.pages.reauth import needs_password
from strongroom.web.pages.site import Site, guarded
from strongroom.web.pages.visits import Visit, safe_next

_PAGE = "/account/keys"
_REAUTH = f"/account/reauth?next={_PAGE}"
_NOTICES = {"added": "The security key was added.", "removed": "The security key was removed."}


def _credential(call: dict[str, object]) -> dict[str, object]:
    credential = call.get("credential")
    if not isinstance(credential, dict):
        raise InvalidInput("credential: send the key's answer as a JSON object")
    return credential


async def _list(site: Site, visit: Visit, *, status: int = 200, error: str | None = None,
                notice: str | None = None) -> Response:
    assert visit.user_id is not None  # noqa: S101 - callers checked
    keys = await site.call(site.keys.of, visit.user_id)
    return site.page("keys.html", visit, status=status, keys=keys, error=error, notice=notice)


@guarded
async def manage(site: Site, request: Request) -> Response:
    """GET lists the keys; POST ``action=remove`` with ``key`` (an id) removes one. Adding
    takes the calls below, which the page's script makes."""
    visit = await site.visit(request)
    if visit.user_id is None or visit.secret is None:
        return site.to_login(request, visit)
    if needs_password(visit):
        return site.redirect(_REAUTH, visit)
    if request.method == "GET":
        notice = next((t for k, t in _NOTICES.items() if k in request.query_params), None)
        return await _list(site, visit, notice=notice)
    form = await site.form(request, visit)
    if form.get("action") != "remove":
        return await _list(site, visit, status=400, error="Adding a key needs JavaScript: "
                           "the browser's script talks to the key.")
    try:
        key_id = int(form.get("key", ""))
        await site.call(site.keys.remove, visit.user_id, key_id, visit.client, now=visit.now)
    except (ValueError, NotFound):
        return await _list(site, visit, status=404, error="You have no such security key.")
    return site.redirect(f"{_PAGE}?removed=1", visit)


@dataclass(frozen=True)
class _Caller:
    """A JSON call's visit, its user and session secret, and what it sent."""

    visit: Visit
    user_id: int
    secret: str
    call: dict[str, object]


async def _managing(site: Site, request: Request) -> _Caller | Response:
    """A signed-in user who gave their password lately, or a refusal."""
    visit = await site.visit(request)
    if visit.user_id is None or visit.secret is None:
        return refusal("Log in first.", status=403, redirect="/account/login")
    call = await read_json(request, visit)
    if needs_password(visit):
        return refusal("Give your password again first.", status=403, redirect=_REAUTH)
    return _Caller(visit, visit.user_id, visit.secret, call)


@json_call
async def registration_options(site: Site, request: Request) -> Response:
    """``{"name": ...}`` → the options for ``navigator.credentials.create()``."""
    caller = await _managing(site, request)
    if isinstance(caller, Response):
        return caller
    options = await site.call(site.keys.registration_options, caller.user_id, caller.secret,
                              str(caller.call.get("name", "")))
    return answer_json(site, caller.visit, options)


@json_call
async def register(site: Site, request: Request) -> Response:
    """``{"name": ..., "credential": <the key's answer>}`` → ``{"redirect": ...}``."""
    caller = await _managing(site, request)
    if isinstance(caller, Response):
        return caller
    visit = caller.visit
    await site.call(site.keys.register, caller.user_id, caller.secret,
                    str(caller.call.get("name", "")), _credential(caller.call), visit.client,
                    now=visit.now)
    # A first second factor would leave this session owing one: it was just proven here.
    visit.signed_in_as(await site.call(site.sessions.second_factor_given, caller.secret,
                                       now=visit.now))
    return answer_json(site, visit, {"redirect": f"{_PAGE}?added=1"})


async def _pending(site: Site, request: Request) -> _Caller | Response:
    """A login that owes its second factor and is not over the limit, or a refusal."""
    visit = await site.visit(request)
    user_id = visit.pending_user_id
    if user_id is None or visit.secret is None:
        return refusal("No login is waiting for a second factor here.", status=403,
                       redirect="/account/login")
    call = await read_json(request, visit)
    await site.refuse_when_over(site.limits.two_factor, "two-factor", str(user_id))
    return _Caller(visit, user_id, visit.secret, call)


@json_call
async def login_options(site: Site, request: Request) -> Response:
    """The options for ``navigator.credentials.get()``, for the user who owes a factor."""
    caller = await _pending(site, request)
    if isinstance(caller, Response):
        return caller
    options = await site.call(site.keys.authentication_options, caller.user_id, caller.secret)
    return answer_json(site, caller.visit, options)


@json_call
async def log_in(site: Site, request: Request) -> Response:
    """``{"credential": <the key's answer>, "next": ...}`` → ``{"redirect": next}``, signed
    in; a wrong answer is a 401 and counts against the limit."""
    caller = await _pending(site, request)
    if isinstance(caller, Response):
        return caller
    visit, user = caller.visit, str(caller.user_id)
    try:
        accepted = await site.call(site.keys.authenticate, caller.user_id, caller.secret,
                                   _credential(caller.call), visit.client, now=visit.now)
    except InvalidInput as error:
        await site.count(site.limits.two_factor, "two-factor", user)
        return refusal(error)
    if not accepted:
        await site.count(site.limits.two_factor, "two-factor", user)
        return refusal("That key is not one of this account's, or its answer was not right.",
                       status=401)
    visit.signed_in_as(await site.call(site.sessions.second_factor_given, caller.secret,
                                       now=visit.now))
    return answer_json(site, visit, {"redirect": safe_next(str(caller.call.get("next", "")))})
