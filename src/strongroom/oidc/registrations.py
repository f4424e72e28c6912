"""Reading a publisher's registration from what an Owner typed (web form, command line), and
from and into its table row. Every field is checked here, with a message naming it, so a
publisher that could never match (or a typo in a repository's name) is refused when it is
registered rather than when a release fails."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from strongroom.errors import InvalidInput
from strongroom.oidc.claims import Registration
from strongroom.oidc.issuers import Issuer, Issuers, Provider
from strongroom.oidc.models import _Identity

_GITHUB_OWNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}")
_GITHUB_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
_GITLAB_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}")
_WORKFLOW_FILE = re.compile(r"[^/\\\s@]{1,250}\.ya?ml")
_CI_FILE = re.compile(r"[^\\\s@]{1,250}\.ya?ml")
_OWNER_ID = re.compile(r"[0-9]{1,20}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
_CLAIM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")
_STANDARD_CLAIMS = frozenset({"iss", "aud", "exp", "iat", "nbf", "jti", "sub"})
MAX_EXTRA_CLAIMS = 10
MAX_TEXT = 255


@dataclass(frozen=True)
class PublisherInput:
    """A registration as typed: ``kind`` is github, gitlab, google or the name of another
    issuer the administrator trusts; ``issuer`` picks one of several of that kind (GitHub
    Enterprise, self-managed GitLab; default: the first listed); ``claims`` are another
    issuer's extra claims as ``name=value``."""

    kind: str
    issuer: str = ""
    repository: str = ""
    workflow: str = ""
    environment: str = ""
    owner_id: str = ""
    email: str = ""
    subject: str = ""
    claims: Sequence[str] = ()


def _text(field: str, value: str, *, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{field}: required")
    if len(value) > MAX_TEXT or not value.isprintable():
        raise InvalidInput(f"{field}: at most {MAX_TEXT} printable characters")
    return value


def _issuer(issuers: Issuers, typed: PublisherInput) -> Issuer:
    providers = {p.value.lower(): p for p in (Provider.GITHUB, Provider.GITLAB, Provider.GOOGLE)}
    provider = providers.get(typed.kind.strip().lower())
    if provider is None:
        other = issuers.named(typed.kind.strip())
        if other is None:
            names = ", ".join(["github", "gitlab", "google",
                               *(i.name for i in issuers.of(Provider.OTHER))])
            raise InvalidInput(f"kind: {typed.kind[:40]!r} is not an issuer this index trusts "
                               f"(one of {names})")
        return other
    trusted = issuers.of(provider)
    if not trusted:
        raise InvalidInput(f"kind: this index trusts no {provider} issuer "
                           f"(setting oidc_{provider.lower()}_issuers)")
    if not typed.issuer.strip():
        return trusted[0]
    chosen = next((i for i in trusted if i.url == typed.issuer.strip().rstrip("/")
                   or i.url == typed.issuer.strip()), None)
    if chosen is None:
        raise InvalidInput(f"issuer: {typed.issuer[:80]!r} is not a {provider} issuer this "
                           f"index trusts ({', '.join(i.url for i in trusted)})")
    return chosen


def parse_registration(issuers: Issuers, typed: PublisherInput) -> Registration:
    """The registration ``typed`` describes. Raises InvalidInput naming the field at fault."""
    issuer = _issuer(issuers, typed)
    environment = _text("environment", typed.environment)
    match issuer.provider:
        case Provider.GITHUB:
            repository = _text("repository", typed.repository, required=True)
            owner, _, name = repository.partition("/")
            if (not _GITHUB_OWNER.fullmatch(owner) or not _GITHUB_NAME.fullmatch(name)
                    or name in (".", "..")):
                raise InvalidInput(f"repository: {repository[:80]!r} is not a GitHub "
                                   "repository such as 'owner/name'")
            workflow = _text("workflow", typed.workflow, required=True)
            if not _WORKFLOW_FILE.fullmatch(workflow):
                raise InvalidInput(f"workflow: {workflow[:80]!r} is not a workflow file name "
                                   "such as 'release.yml' (the file in .github/workflows/)")
            owner_id = typed.owner_id.strip()
            if owner_id and not _OWNER_ID.fullmatch(owner_id):
                raise InvalidInput(f"owner id: {owner_id[:40]!r} is not a number (the "
                                   "owner's id, as api.github.com/users/OWNER gives it)")
            return Registration(issuer, repository=repository, owner_id=owner_id,
                                workflow=workflow, environment=environment)
        case Provider.GITLAB:
            repository = _text("repository", typed.repository, required=True)
            segments = repository.split("/")
            if len(segments) < 2 or not all(_GITLAB_SEGMENT.fullmatch(s) for s in segments):
                raise InvalidInput(f"repository: {repository[:80]!r} is not a GitLab project "
                                   "path such as 'namespace/project'")
            workflow = _text("workflow", typed.workflow, required=True)
            if (not _CI_FILE.fullmatch(workflow) or workflow.startswith("/")
                    or "//" in workflow or ".." in workflow.split("/")):
                raise InvalidInput(f"workflow: {workflow[:80]!r} is not the path of a CI file "
                                   "in the project, such as '.gitlab-ci.yml'")
            return Registration(issuer, repository=repository, workflow=workflow,
                                environment=environment)
        case Provider.GOOGLE:
            email = _text("email", typed.email, required=True)
            if len(email) > 254 or not _EMAIL.fullmatch(email):
                raise InvalidInput(f"email: {email[:80]!r} is not a service account's address")
            return Registration(issuer, email=email, subject=_text("subject", typed.subject))
    subject = _text("subject", typed.subject, required=True)
    return Registration(issuer, subject=subject, extra=_extra(typed.claims))


def _extra(claims: Sequence[str]) -> tuple[tuple[str, str], ...]:
    pairs: dict[str, str] = {}
    for entry in claims:
        name, equals, value = entry.partition("=")
        name = name.strip()
        if not equals or not _CLAIM_NAME.fullmatch(name) or name in _STANDARD_CLAIMS:
            raise InvalidInput(f"claim: {entry[:80]!r} is not name=value with a claim name "
                               "other than iss, aud, exp, iat, nbf, jti and sub")
        pairs[name] = _text(f"claim {name}", value, required=True)
    if len(pairs) > MAX_EXTRA_CLAIMS:
        raise InvalidInput(f"claims: at most {MAX_EXTRA_CLAIMS}")
    return tuple(sorted(pairs.items()))


def registration_of(row: _Identity) -> Registration:
    """The registration a publisher's row holds (its issuer need not be trusted any more)."""
    known = {p.value: p for p in (Provider.GITHUB, Provider.GITLAB, Provider.GOOGLE)}
    issuer = Issuer(row.issuer, known.get(row.kind, Provider.OTHER), row.kind)
    extra = tuple((str(k), str(v)) for k, v in json.loads(row.extra))
    return Registration(issuer, repository=row.repository, owner_id=row.owner_id,
                        workflow=row.workflow, environment=row.environment, email=row.email,
                        subject=row.subject, extra=extra)


def identity_columns(registration: Registration) -> dict[str, str]:
    """The row's identity columns for ``registration``."""
    return {"issuer": registration.issuer.url, "kind": registration.issuer.name,
            "repository": registration.repository, "owner_id": registration.owner_id,
            "workflow": registration.workflow, "environment": registration.environment,
            "email": registration.email, "subject": registration.subject,
            "extra": json.dumps([list(pair) for pair in registration.extra]),
            "lookup": registration.lookup, "variant": registration.variant}
