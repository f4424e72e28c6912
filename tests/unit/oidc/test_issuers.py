"""The trusted issuers and the audience, from the settings."""

from __future__ import annotations

import pytest

from strongroom.config import load_settings
from strongroom.errors import InvalidInput
from strongroom.oidc.issuers import Issuers, Provider


def issuers(**env: str) -> Issuers:
    return Issuers.from_settings(load_settings(environ=env))


def test_defaults_trust_github_gitlab_and_google_and_name_the_host_as_audience() -> None:
    trusted = issuers()
    assert [(i.provider, i.url) for i in trusted.all()] == [
        (Provider.GITHUB, "https://token.actions.githubusercontent.com"),
        (Provider.GITLAB, "https://gitlab.com"),
        (Provider.GOOGLE, "https://accounts.google.com")]
    assert load_settings(environ={}).audience == "127.0.0.1"
    settings = load_settings(environ={"STRONGROOM_BASE_URL": "https://pypi.example.org/"})
    assert settings.audience == "pypi.example.org"
    assert load_settings(environ={"STRONGROOM_OIDC_AUDIENCE": "ours"}).audience == "ours"
    assert load_settings(environ={"STRONGROOM_TRUSTED_PUBLISHING": "off"}).trusted_publishing \
        is False


def test_kinds_turn_off_and_more_issuers_are_listed() -> None:
    trusted = issuers(STRONGROOM_OIDC_GOOGLE_ISSUERS="none",
                      STRONGROOM_OIDC_GITLAB_ISSUERS="https://gitlab.com, https://git.acme.org",
                      STRONGROOM_OIDC_OTHER_ISSUERS="Build farm=https://ci.acme.org/oidc")
    assert trusted.of(Provider.GOOGLE) == []
    assert [i.host for i in trusted.of(Provider.GITLAB)] == ["gitlab.com", "git.acme.org"]
    other = trusted.named("build FARM")
    assert other is not None
    assert (other.name, other.provider) == ("Build farm", Provider.OTHER)
    assert trusted.find("https://ci.acme.org/oidc") is other
    assert trusted.find("https://ci.acme.org/oidc/") is None


@pytest.mark.parametrize(("variable", "value", "words"), [
    ("STRONGROOM_OIDC_GITHUB_ISSUERS", "http://ghes.acme.org", "oidc_github_issuers"),
    ("STRONGROOM_OIDC_GITLAB_ISSUERS", "https://git.acme.org/?x=1", "not an issuer URL"),
    ("STRONGROOM_OIDC_GITLAB_ISSUERS", "gitlab.com", "not an issuer URL"),
    ("STRONGROOM_OIDC_OTHER_ISSUERS", "https://ci.acme.org", "not Name=URL"),
    ("STRONGROOM_OIDC_OTHER_ISSUERS", "GitHub=https://ci.acme.org", "not Name=URL"),
    ("STRONGROOM_OIDC_OTHER_ISSUERS", "Ci<script>=https://ci.acme.org", "not Name=URL"),
    ("STRONGROOM_OIDC_GITLAB_ISSUERS", "https://gitlab.com,https://gitlab.com", "twice"),
])
def test_bad_issuer_settings_are_named(variable: str, value: str, words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        issuers(**{variable: value})


def test_loopback_http_issuers_are_allowed() -> None:
    trusted = issuers(STRONGROOM_OIDC_GITHUB_ISSUERS="http://127.0.0.1:9999,http://[::1]:9")
    assert len(trusted.of(Provider.GITHUB)) == 2
