"""The OIDC issuers an index trusts for trusted publishing, from its settings.

Each issuer is an OIDC provider's URL (exactly the ``iss`` its tokens carry) and the kind of CI
it is: GitHub Actions (github.com's issuer, or a GitHub Enterprise Server's), GitLab CI
(gitlab.com's, or a self-managed instance's), Google Cloud, or another provider an
administrator names, whose publishers are matched by their exact ``sub`` claim. The kind says
which claims a publisher of that issuer is checked against (claims.py).

An issuer's URL is an ``https`` URL, or ``http`` on a loopback address (a provider on this very
machine, as in tests): its keys are fetched from it, and whoever can answer for it can mint.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from strongroom.config import Settings
from strongroom.errors import InvalidInput

MAX_ISSUER_LENGTH = 200  # what the publishers' table holds
MAX_OTHER_NAME_LENGTH = 40
_OFF = frozenset({"", "none", "off"})


class Provider(StrEnum):
    """The kind of CI an issuer is, by its PEP 740 publisher kind."""

    GITHUB = "GitHub"
    GITLAB = "GitLab"
    GOOGLE = "Google"
    OTHER = "other"  # an administrator's issuer: exact ``sub``, and claims they list


@dataclass(frozen=True)
class Issuer:
    """One trusted issuer: its URL (the tokens' ``iss``), its kind of CI, and the name its
    publishers go by (``GitHub``, ``GitLab``, ``Google``, or the administrator's name for
    another issuer)."""

    url: str
    provider: Provider
    name: str

    @property
    def host(self) -> str:
        """The URL without its scheme or trailing slash (``gitlab.com``): how GitLab's
        ``ci_config_ref_uri`` claim begins."""
        return self.url.split("://", 1)[1].rstrip("/")


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (``localhost``, 127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def trustworthy_url(url: str) -> bool:
    """Whether ``url`` is ``https``, or ``http`` to a loopback address, with a host and no
    query, fragment or credentials."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    if not host or parts.query or parts.fragment or parts.username or parts.password:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and is_loopback(host))


def _issuer(url: str, provider: Provider, name: str, setting: str) -> Issuer:
    if len(url) > MAX_ISSUER_LENGTH or not url.isprintable() or not trustworthy_url(url):
        raise InvalidInput(f"setting {setting}: {url[:80]!r} is not an issuer URL: use https "
                           f"(http only on a loopback address), at most {MAX_ISSUER_LENGTH} "
                           "characters, no query")
    return Issuer(url, provider, name)


def _entries(value: str) -> Iterator[str]:
    if value.strip().lower() in _OFF:
        return
    for entry in value.split(","):
        if entry.strip():
            yield entry.strip()


class Issuers:
    """The issuers trusted, by URL. Raises InvalidInput, naming the setting, for a malformed
    URL or name, or an issuer listed twice."""

    def __init__(self, issuers: list[Issuer]) -> None:
        self._by_url: dict[str, Issuer] = {}
        for issuer in issuers:
            if issuer.url in self._by_url:
                raise InvalidInput(f"issuer {issuer.url!r} is listed twice in the oidc_*_issuers "
                                   "settings")
            self._by_url[issuer.url] = issuer

    @classmethod
    def from_settings(cls, settings: Settings) -> Issuers:
        """The issuers of the ``oidc_*_issuers`` settings."""
        issuers = [
            _issuer(url, provider, str(provider), f"oidc_{provider.lower()}_issuers")
            for provider, value in ((Provider.GITHUB, settings.oidc_github_issuers),
                                    (Provider.GITLAB, settings.oidc_gitlab_issuers),
                                    (Provider.GOOGLE, settings.oidc_google_issuers))
            for url in _entries(value)]
        for entry in _entries(settings.oidc_other_issuers):
            name, _, url = (part.strip() for part in entry.partition("="))
            reserved = {p.value.lower() for p in Provider}
            if (not url or not name or len(name) > MAX_OTHER_NAME_LENGTH
                    or not name.replace(" ", "").replace("-", "").isalnum()
                    or name.lower() in reserved):
                raise InvalidInput(
                    f"setting oidc_other_issuers: {entry[:80]!r} is not Name=URL (a name of "
                    f"letters, digits, spaces and '-', at most {MAX_OTHER_NAME_LENGTH} "
                    "characters, other than GitHub, GitLab, Google)")
            issuers.append(_issuer(url, Provider.OTHER, name, "oidc_other_issuers"))
        return cls(issuers)

    def find(self, url: str) -> Issuer | None:
        """The issuer whose URL is exactly ``url``, if trusted."""
        return self._by_url.get(url)

    def all(self) -> list[Issuer]:
        """Every trusted issuer, in the settings' order."""
        return list(self._by_url.values())

    def of(self, provider: Provider) -> list[Issuer]:
        """The trusted issuers of one kind."""
        return [i for i in self._by_url.values() if i.provider is provider]

    def named(self, name: str) -> Issuer | None:
        """The issuer of another kind the administrator named ``name`` (case aside)."""
        return next((i for i in self.of(Provider.OTHER) if i.name.lower() == name.lower()),
                    None)
