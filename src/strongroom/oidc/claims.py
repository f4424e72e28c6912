"""Which publisher a verified token speaks for: each kind of CI's claims, checked against a
publisher's registration. Pure functions, so each rule is tested alone.

GitHub (as PyPI checks them): ``repository`` equals the publisher's ``owner/name`` without
regard to case (GitHub's names have none), so does ``repository_owner``; ``repository_owner_id``
equals the owner's numeric id, which a registration records at its first use when it was not
given (an account deleted and its name taken again gets a new id); ``sub`` names the
repository; ``job_workflow_ref`` is ``owner/name/.github/workflows/FILE@REF`` with the
publisher's FILE and REF the token's ``ref`` or ``sha``; ``event_name`` is not
``pull_request_target`` (which runs a base branch's workflow for anyone's pull request);
``environment``, when the publisher pins one, equals it without regard to case.

GitLab: ``sub`` begins ``project_path:NAMESPACE/PROJECT``, ``project_path`` equals the
publisher's without regard to case; ``ci_config_ref_uri`` is ``HOST/NAMESPACE/PROJECT//PATH@REF``
with the issuer's HOST, the publisher's PATH and REF the token's ``ref_path`` or ``sha``;
``environment``, when pinned, equals it exactly (GitLab's are case-sensitive).

Google: ``email`` equals the service account's, ``email_verified`` is true, and ``sub`` equals
the publisher's when it pins one. Another issuer's publisher: ``sub`` equals the publisher's
exactly, and so does each claim it lists.

A publisher pinned to an environment is preferred to one of the same workflow that is not.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from strongroom.domain.principals import PublisherIdentity
from strongroom.oidc.errors import ClaimMismatch
from strongroom.oidc.issuers import Issuer, Provider


@dataclass(frozen=True)
class Registration:
    """What a publisher was registered as. ``repository``: GitHub's ``owner/name`` or GitLab's
    ``namespace/project``; ``owner_id``: GitHub's numeric owner id ("" until known);
    ``workflow``: GitHub's workflow file name or GitLab's CI file path; ``environment``: the
    deployment environment it is pinned to ("" for any); ``email``: a Google service account;
    ``subject``: the exact ``sub`` (another issuer's; Google's, optionally); ``extra``: more
    claims another issuer's token must carry, as (name, value)."""

    issuer: Issuer
    repository: str = ""
    owner_id: str = ""
    workflow: str = ""
    environment: str = ""
    email: str = ""
    subject: str = ""
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def lookup(self) -> str:
        """The key the registration is found by from a token's claims (``lookup_key``)."""
        match self.issuer.provider:
            case Provider.GITHUB | Provider.GITLAB:
                return self.repository.lower()
            case Provider.GOOGLE:
                return self.email
        return self.subject

    @property
    def variant(self) -> str:
        """What tells registrations of the same ``lookup`` apart."""
        match self.issuer.provider:
            case Provider.GITHUB:
                return f"{self.workflow}\n{self.environment.lower()}"
            case Provider.GITLAB:
                return f"{self.workflow}\n{self.environment}"
            case Provider.GOOGLE:
                return self.subject
        return json.dumps(sorted(self.extra), separators=(",", ":")) if self.extra else ""

    @property
    def identity(self) -> PublisherIdentity:
        """The registration in PEP 740's publisher terms."""
        return PublisherIdentity(kind=self.issuer.name, issuer=self.issuer.url,
                                 repository=self.repository, workflow=self.workflow,
                                 environment=self.environment, email=self.email)

    @property
    def name(self) -> str:
        """How people are shown it: ``GitHub publisher owner/name (release.yml)``."""
        what = {Provider.GITHUB: self.repository, Provider.GITLAB: self.repository,
                Provider.GOOGLE: self.email}.get(self.issuer.provider, self.subject)
        where = f" ({self.workflow})" if self.workflow else ""
        pinned = f" [{self.environment}]" if self.environment else ""
        return f"{self.issuer.name} publisher {what}{where}{pinned}"


def lookup_key(issuer: Issuer, claims: Mapping[str, Any]) -> str:
    """The ``Registration.lookup`` of the registrations that may match ``claims``. Raises
    ClaimMismatch when the claim it comes from is missing."""
    claim = {Provider.GITHUB: "repository", Provider.GITLAB: "project_path",
             Provider.GOOGLE: "email"}.get(issuer.provider, "sub")
    value = _text(claims, claim)
    return value.lower() if issuer.provider in (Provider.GITHUB, Provider.GITLAB) else value


def check(registration: Registration, claims: Mapping[str, Any]) -> None:
    """Raise ClaimMismatch unless ``claims`` fit ``registration`` (module docstring)."""
    match registration.issuer.provider:
        case Provider.GITHUB:
            _github(registration, claims)
        case Provider.GITLAB:
            _gitlab(registration, claims)
        case Provider.GOOGLE:
            _google(registration, claims)
        case _:
            _other(registration, claims)


R = TypeVar("R", bound=Registration)


def choose(candidates: Sequence[R], claims: Mapping[str, Any]) -> R:
    """The candidate ``claims`` fit, one pinned to an environment first. Raises ClaimMismatch,
    saying why each was refused, when none fits."""
    fitting, reasons = [], []
    for candidate in candidates:
        try:
            check(candidate, claims)
        except ClaimMismatch as mismatch:
            reasons.append(mismatch.reason)
        else:
            fitting.append(candidate)
    if fitting:
        return next((c for c in fitting if c.environment), fitting[0])
    if not reasons:
        raise ClaimMismatch("Publisher with matching claims was not found")
    raise ClaimMismatch("; ".join(dict.fromkeys(reasons)))


def _text(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value:
        raise ClaimMismatch(f"the token has no {name} claim")
    return value


def _optional_text(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name, "")
    if not isinstance(value, str):
        raise ClaimMismatch(f"the token's {name} claim is not a string")
    return value


def _mismatch(name: str, value: str, expected: str) -> ClaimMismatch:
    return ClaimMismatch(f"the token's {name} is {value[:200]!r}, not {expected!r}")


def _ref_matches(value: str, prefix: str, workflow: str, refs: Sequence[str]) -> bool:
    """Whether ``value`` is ``prefix`` (any case) then ``workflow@REF`` for one of ``refs``."""
    head, rest = value[:len(prefix)], value[len(prefix):]
    return head.lower() == prefix.lower() and rest in {f"{workflow}@{ref}" for ref in refs if ref}


def _environment(registration: Registration, claims: Mapping[str, Any], *,
                 case_sensitive: bool) -> None:
    if not registration.environment:
        return
    environment = _optional_text(claims, "environment")
    same = (environment == registration.environment if case_sensitive
            else environment.lower() == registration.environment.lower())
    if not same:
        raise _mismatch("environment", environment, registration.environment)


def _github(registration: Registration, claims: Mapping[str, Any]) -> None:
    repository = registration.repository
    owner = repository.partition("/")[0]
    if (found := _text(claims, "repository")).lower() != repository.lower():
        raise _mismatch("repository", found, repository)
    if (found := _text(claims, "repository_owner")).lower() != owner.lower():
        raise _mismatch("repository_owner", found, owner)
    found = _text(claims, "repository_owner_id")
    if registration.owner_id and found != registration.owner_id:
        raise _mismatch("repository_owner_id", found, registration.owner_id)
    sub = _text(claims, "sub").split(":")
    if len(sub) < 2 or sub[0] != "repo" or sub[1].lower() != repository.lower():
        raise _mismatch("sub", ":".join(sub), f"repo:{repository}:...")
    refs = [_optional_text(claims, "ref"), _optional_text(claims, "sha")]
    if not any(refs):
        raise ClaimMismatch("the token has neither a ref nor a sha claim")
    workflow_ref = _text(claims, "job_workflow_ref")
    if not _ref_matches(workflow_ref, f"{repository}/.github/workflows/",
                        registration.workflow, refs):
        raise _mismatch("job_workflow_ref", workflow_ref,
                        f"{repository}/.github/workflows/{registration.workflow}@<ref or sha>")
    if claims.get("event_name") == "pull_request_target":
        raise ClaimMismatch("workflows run on pull_request_target may not publish: they run "
                            "for pull requests from anyone")
    _environment(registration, claims, case_sensitive=False)


def _gitlab(registration: Registration, claims: Mapping[str, Any]) -> None:
    path = registration.repository
    sub = _text(claims, "sub").split(":")
    if len(sub) < 2 or sub[0] != "project_path" or sub[1].lower() != path.lower():
        raise _mismatch("sub", ":".join(sub), f"project_path:{path}:...")
    if (found := _text(claims, "project_path")).lower() != path.lower():
        raise _mismatch("project_path", found, path)
    refs = [_text(claims, "ref_path"), _text(claims, "sha")]
    config_ref = _text(claims, "ci_config_ref_uri")
    prefix = f"{registration.issuer.host}/{path}//"
    if not _ref_matches(config_ref, prefix, registration.workflow, refs):
        raise _mismatch("ci_config_ref_uri", config_ref,
                        f"{prefix}{registration.workflow}@<ref_path or sha>")
    _environment(registration, claims, case_sensitive=True)


def _google(registration: Registration, claims: Mapping[str, Any]) -> None:
    if (found := _text(claims, "email")) != registration.email:
        raise _mismatch("email", found, registration.email)
    if claims.get("email_verified") is not True:
        raise ClaimMismatch("the token's email is not verified (email_verified)")
    if registration.subject and (found := _optional_text(claims, "sub")) != registration.subject:
        raise _mismatch("sub", found, registration.subject)


def _other(registration: Registration, claims: Mapping[str, Any]) -> None:
    if (found := _text(claims, "sub")) != registration.subject:
        raise _mismatch("sub", found, registration.subject)
    for name, expected in registration.extra:
        if (found := _optional_text(claims, name)) != expected:
            raise _mismatch(name, found, expected)
