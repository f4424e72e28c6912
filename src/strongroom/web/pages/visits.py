"""One browser's visit to a page: who it is (from the session cookie), the CSRF secret its
forms must carry back, and the cookies the answer sets.

Signed-in pages keep their CSRF secret in the session (accounts/sessions.py); anonymous pages
(login, register, reset) keep none, so a visitor is given a random secret in a cookie of its
own and each form must carry the same value back (double submit). Both cookies are
``HttpOnly`` and ``SameSite=Lax``, and ``Secure`` when the index is served over HTTPS. A form
posted from another origin (its ``Origin`` header names a different host) is refused whatever
it carries.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from strongroom.accounts import Client, SessionView
from strongroom.domain.principals import Principal, PrincipalKind
from strongroom.errors import Forbidden

SESSION_COOKIE = "strongroom_session"
CSRF_COOKIE = "strongroom_csrf"
CSRF_FIELD = "csrf_token"
_SECRET_LENGTH = 43  # secrets.token_urlsafe(32)
_DEFAULT_NEXT = "/account/"


@dataclass
class Visit:
    """What a page knows of the browser asking for it."""

    secret: str | None  # the session cookie's value, when it names a live session
    session: SessionView | None
    csrf: str
    address: str
    user_agent: str
    now: dt.datetime
    # Cookies to set (name → value; "" deletes) on the answer.
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def client(self) -> Client:
        """Where the visit comes from, for the security history."""
        return Client(self.address, self.user_agent)

    @property
    def user_id(self) -> int | None:
        """The signed-in user (second factor given, if they have one), else None."""
        return self.session.user_id if self.session else None

    @property
    def principal(self) -> Principal:
        """The signed-in user as the acting Principal of what the page asks a service to do.
        Callers check ``user_id`` first."""
        assert self.session is not None  # noqa: S101 - callers checked
        assert self.user_id is not None  # noqa: S101
        return Principal(PrincipalKind.USER, self.session.username or "", user_id=self.user_id)

    @property
    def pending_user_id(self) -> int | None:
        """A user who gave their password and still owes their second factor."""
        return self.session.pending_user_id if self.session else None

    def signed_in_as(self, secret: str) -> None:
        """The session's secret changed (login, second factor): the cookie follows."""
        self.secret = secret
        self.cookies[SESSION_COOKIE] = secret

    def signed_out(self) -> None:
        self.secret = None
        self.session = None
        self.cookies[SESSION_COOKIE] = ""


def cookie_value(request: Request, name: str) -> str | None:
    """A cookie of ours, when it has the shape of one (anything else is ignored)."""
    value = request.cookies.get(name)
    return value if value is not None and len(value) == _SECRET_LENGTH else None


def anonymous_csrf(request: Request, cookies: dict[str, str]) -> str:
    """The CSRF secret of an anonymous visitor: their cookie's, or a new one to set."""
    value = cookie_value(request, CSRF_COOKIE)
    if value is None:
        value = secrets.token_urlsafe(32)
        cookies[CSRF_COOKIE] = value
    return value


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def check_form(request: Request, visit: Visit, form: dict[str, str]) -> None:
    """Refuse a form posted from another origin or without this visit's CSRF secret.
    Raises Forbidden."""
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        if urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower():
            raise Forbidden("this form was sent from another site; nothing was changed")
    elif origin == "null":
        raise Forbidden("this form was sent from an opaque origin; nothing was changed")
    sent = form.get(CSRF_FIELD, "")
    if not hmac.compare_digest(sent.encode(), visit.csrf.encode()):
        raise Forbidden("this form is out of date or was not sent from this site; reload the "
                        "page and try again. Nothing was changed.")


def safe_next(value: str | None) -> str:
    """Where to go after a form: a path on this site, never another site (``//host``,
    ``/\\host``, ``https://...``, control characters), else the account page."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return _DEFAULT_NEXT
    if any(ord(c) < 0x21 or c == "\\" for c in value):
        return _DEFAULT_NEXT
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return _DEFAULT_NEXT
    return value


def set_cookies(response: Response, visit: Visit, *, secure: bool) -> None:
    """Write the visit's cookie changes onto ``response``."""
    for name, value in visit.cookies.items():
        if value:
            response.set_cookie(name, value, httponly=True, samesite="lax", secure=secure,
                                path="/")
        else:
            response.delete_cookie(name, httponly=True, samesite="lax", secure=secure, path="/")
