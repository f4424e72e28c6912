"""A scripted visitor of the account pages: an httpx client that keeps cookies, reads each
form's CSRF field from the page that shows it, and posts it back as a browser would."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.smtp import SmtpServer

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_LINK = re.compile(r"(https?://\S+/account/\S+\?token=\S+)")


def link_in(text: str) -> str:
    """The account link (verification, reset) in a mail's text."""
    match = _LINK.search(text)
    assert match, f"no link in:\n{text}"
    return match.group(1)


class Visitor:
    """One browser: its cookies, and the CSRF secret of the last page it read."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)
        self.csrf = ""

    def close(self) -> None:
        self.client.close()

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = self.client.get(path, **kwargs)
        match = _CSRF.search(response.text)
        if match:
            self.csrf = match.group(1)
        return response

    def post(self, path: str, data: dict[str, str], *, csrf: bool = True,
             **kwargs: Any) -> httpx.Response:
        """Post ``data`` as a form, with the CSRF field of the last page read."""
        form = {"csrf_token": self.csrf, **data} if csrf else data
        response = self.client.post(path, data=form, **kwargs)
        match = _CSRF.search(response.text)
        if match:
            self.csrf = match.group(1)
        return response

    def submit(self, path: str, data: dict[str, str], **kwargs: Any) -> httpx.Response:
        """Read the form's page, then post it: what a person does."""
        self.get(path)
        return self.post(path, data, **kwargs)

    def login(self, username: str, password: str) -> httpx.Response:
        return self.submit("/account/login", {"username": username, "password": password})

    @property
    def signed_in_as(self) -> str | None:
        """The user name the account page greets, or None when it sends us to log in."""
        page = self.get("/account/")
        if page.status_code != 200:
            return None
        match = re.search(r'<a href="/account/">([^<]+)</a>', page.text)
        return match.group(1) if match else None


def verified_member(base_url: str, smtp: SmtpServer, username: str, password: str) -> Visitor:
    """A visitor who registered ``username`` and verified its address from the mailed link,
    still signed in."""
    visitor = Visitor(base_url)
    before = len(smtp.messages)
    visitor.submit("/account/register", {
        "username": username, "email": f"{username}@example.org", "password": password,
        "password_confirm": password})
    link = link_in(smtp.wait_for(before + 1)[-1].get_content()).removeprefix(base_url)
    visitor.get(link)
    verified = visitor.post("/account/verify-email", {"token": link.partition("=")[2]})
    assert "is verified" in verified.text
    return visitor
