"""Each kind of CI's claim rules: a token fitting a registration passes, and each rule, broken
alone, refuses it with a reason naming the claim."""

from __future__ import annotations

from typing import Any

import pytest

from strongroom.oidc.claims import Registration, check, choose, lookup_key
from strongroom.oidc.errors import ClaimMismatch
from strongroom.oidc.issuers import Issuer, Provider

GITHUB = Issuer("https://token.actions.githubusercontent.com", Provider.GITHUB, "GitHub")
GITLAB = Issuer("https://gitlab.example.org", Provider.GITLAB, "GitLab")
GOOGLE = Issuer("https://accounts.google.com", Provider.GOOGLE, "Google")
OTHER = Issuer("https://ci.example.org/oidc", Provider.OTHER, "Buildfarm")

GH = Registration(GITHUB, repository="Acme/Tool", owner_id="1234", workflow="release.yml")
GL = Registration(GITLAB, repository="group/sub/tool", workflow="ci/release.yml")
GOO = Registration(GOOGLE, email="ci@acme.iam.gserviceaccount.com")
OTH = Registration(OTHER, subject="pipeline:acme/tool", extra=(("team", "release"),))


def github_claims(**changes: Any) -> dict[str, Any]:
    claims = {"sub": "repo:acme/tool:ref:refs/tags/v1", "repository": "acme/tool",
              "repository_owner": "acme", "repository_owner_id": "1234",
              "job_workflow_ref": "acme/tool/.github/workflows/release.yml@refs/tags/v1",
              "ref": "refs/tags/v1", "sha": "f" * 40, "event_name": "push"}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def gitlab_claims(**changes: Any) -> dict[str, Any]:
    claims = {"sub": "project_path:group/sub/tool:ref_type:branch:ref:main",
              "project_path": "group/sub/tool",
              "ci_config_ref_uri": "gitlab.example.org/group/sub/tool//ci/release.yml"
                                   "@refs/heads/main",
              "ref_path": "refs/heads/main", "sha": "e" * 40}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def refused(registration: Registration, claims: dict[str, Any], words: str) -> None:
    with pytest.raises(ClaimMismatch) as caught:
        check(registration, claims)
    assert words in caught.value.reason


def test_github_token_fits_its_publisher_whatever_the_case_of_names() -> None:
    check(GH, github_claims())
    check(GH, github_claims(repository="ACME/TOOL", repository_owner="ACME",
                            sub="repo:ACME/Tool:environment:pypi"))
    # job_workflow_ref may name the commit instead of the ref
    check(GH, github_claims(job_workflow_ref=f"acme/tool/.github/workflows/release.yml@{'f' * 40}"))
    assert lookup_key(GITHUB, github_claims(repository="ACME/Tool")) == GH.lookup == "acme/tool"


@pytest.mark.parametrize(("changes", "words"), [
    ({"repository": "acme/other"}, "repository is 'acme/other'"),
    ({"repository": None}, "no repository claim"),
    ({"repository_owner": "evil"}, "repository_owner is 'evil'"),
    ({"repository_owner_id": "999"}, "repository_owner_id is '999'"),
    ({"repository_owner_id": None}, "no repository_owner_id"),
    ({"sub": "repo:acme/other:ref:main"}, "sub is"),
    ({"sub": "acme/tool"}, "sub is"),
    ({"ref": None, "sha": None}, "neither a ref nor a sha"),
    ({"job_workflow_ref": "acme/tool/.github/workflows/other.yml@refs/tags/v1"},
     "job_workflow_ref"),
    ({"job_workflow_ref": "evil/shared/.github/workflows/release.yml@refs/tags/v1"},
     "job_workflow_ref"),
    ({"job_workflow_ref": "acme/tool/.github/workflows/release.yml@refs/heads/other"},
     "job_workflow_ref"),
    ({"job_workflow_ref": None}, "no job_workflow_ref"),
    ({"event_name": "pull_request_target"}, "pull_request_target"),
])
def test_each_github_rule_broken_refuses(changes: dict[str, Any], words: str) -> None:
    refused(GH, github_claims(**changes), words)


def test_github_owner_id_is_not_checked_until_it_is_known() -> None:
    check(Registration(GITHUB, repository="acme/tool", workflow="release.yml"),
          github_claims(repository_owner_id="777"))


def test_github_environment_when_pinned_matches_without_case() -> None:
    pinned = Registration(GITHUB, repository="acme/tool", owner_id="1234",
                          workflow="release.yml", environment="PyPI")
    check(pinned, github_claims(environment="pypi"))
    refused(pinned, github_claims(environment="staging"), "environment is 'staging'")
    refused(pinned, github_claims(), "environment is ''")
    check(GH, github_claims(environment="anything"))  # not pinned: any environment


def test_a_publisher_pinned_to_the_environment_is_preferred() -> None:
    pinned = Registration(GITHUB, repository="acme/tool", workflow="release.yml",
                          environment="pypi")
    assert choose([GH, pinned], github_claims(environment="PYPI")) is pinned
    assert choose([GH, pinned], github_claims(environment="other")) is GH
    with pytest.raises(ClaimMismatch, match="environment"):
        choose([pinned], github_claims())
    with pytest.raises(ClaimMismatch, match="not found"):
        choose([], github_claims())


def test_gitlab_token_fits_its_publisher() -> None:
    check(GL, gitlab_claims())
    check(GL, gitlab_claims(project_path="Group/Sub/Tool",
                            ci_config_ref_uri=f"gitlab.example.org/group/sub/tool//ci/"
                                              f"release.yml@{'e' * 40}"))
    assert lookup_key(GITLAB, gitlab_claims()) == GL.lookup


@pytest.mark.parametrize(("changes", "words"), [
    ({"sub": "project_path:group/other:ref_type:branch"}, "sub is"),
    ({"sub": "group/sub/tool"}, "sub is"),
    ({"project_path": "group/other"}, "project_path is 'group/other'"),
    ({"ref_path": None}, "no ref_path"),
    ({"sha": None}, "no sha"),
    ({"ci_config_ref_uri": "gitlab.example.org/group/sub/tool//.gitlab-ci.yml@refs/heads/main"},
     "ci_config_ref_uri"),
    ({"ci_config_ref_uri": "gitlab.com/group/sub/tool//ci/release.yml@refs/heads/main"},
     "ci_config_ref_uri"),
    ({"ci_config_ref_uri": "gitlab.example.org/group/sub/tool//ci/release.yml@refs/heads/x"},
     "ci_config_ref_uri"),
])
def test_each_gitlab_rule_broken_refuses(changes: dict[str, Any], words: str) -> None:
    refused(GL, gitlab_claims(**changes), words)


def test_gitlab_environment_is_case_sensitive() -> None:
    pinned = Registration(GITLAB, repository="group/sub/tool", workflow="ci/release.yml",
                          environment="Production")
    check(pinned, gitlab_claims(environment="Production"))
    refused(pinned, gitlab_claims(environment="production"), "environment")


def test_google_rules() -> None:
    claims = {"email": GOO.email, "email_verified": True, "sub": "42"}
    check(GOO, claims)
    refused(GOO, claims | {"email": "other@acme.iam.gserviceaccount.com"}, "email is")
    refused(GOO, claims | {"email_verified": False}, "not verified")
    refused(GOO, claims | {"email_verified": "true"}, "not verified")
    with_sub = Registration(GOOGLE, email=GOO.email, subject="42")
    check(with_sub, claims)
    refused(with_sub, claims | {"sub": "43"}, "sub is '43'")


def test_other_issuer_rules() -> None:
    claims = {"sub": "pipeline:acme/tool", "team": "release"}
    check(OTH, claims)
    refused(OTH, claims | {"sub": "pipeline:acme/other"}, "sub is")
    refused(OTH, claims | {"team": "everyone"}, "team is 'everyone'")
    refused(OTH, {"sub": "pipeline:acme/tool"}, "team is ''")
    refused(OTH, claims | {"team": ["release"]}, "not a string")
    assert lookup_key(OTHER, claims) == OTH.lookup


def test_registrations_tell_identities_apart() -> None:
    assert GH.name == "GitHub publisher Acme/Tool (release.yml)"
    assert GH.identity.repository == "Acme/Tool"
    pinned = Registration(GITHUB, repository="acme/tool", workflow="release.yml",
                          environment="PyPI")
    assert pinned.variant == Registration(GITHUB, repository="ACME/tool", workflow="release.yml",
                                          environment="pypi").variant
    assert pinned.variant != GH.variant
    assert OTH.variant != Registration(OTHER, subject=OTH.subject).variant
