"""A trusted publisher's identity in the two forms attestations need: the pypi-attestations
publisher model whose Sigstore policy a certificate must satisfy, and the JSON publisher object
a provenance object names (PEP 740: ``kind`` and ``claims``, then the publisher's own keys).

GitHub, GitLab and Google publishers sign with Sigstore certificates whose identity these
models check; other issuers an administrator configures have no such identity, so their
uploads carry no attestations (as on PyPI, where ActiveState's do not either).

pypi-attestations (with pydantic and sigstore, some 27 MB per process) is imported on the
first use of an attestation, never by a process that only reads.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TypeAlias, TypeGuard

from strongroom.domain.principals import PublisherIdentity

if TYPE_CHECKING:
    from pypi_attestations import GitHubPublisher, GitLabPublisher, GooglePublisher

PublisherModel: TypeAlias = "GitHubPublisher | GitLabPublisher | GooglePublisher"
SUPPORTED_KINDS = ("GitHub", "GitLab", "Google")


def supports_attestations(identity: PublisherIdentity) -> bool:
    """Whether uploads by this publisher may carry attestations."""
    return identity.kind in SUPPORTED_KINDS


def publisher_model(identity: PublisherIdentity) -> PublisherModel:
    """The pypi-attestations publisher for ``identity`` (a kind in SUPPORTED_KINDS; ValueError
    otherwise). GitHub's ``workflow`` is the workflow's file name, GitLab's the CI file's path;
    an environment of "" is none."""
    from pypi_attestations import GitHubPublisher, GitLabPublisher, GooglePublisher  # noqa: PLC0415 - see the module's docstring

    environment = identity.environment or None
    if identity.kind == "GitHub":
        return GitHubPublisher(repository=identity.repository, workflow=identity.workflow,
                               environment=environment)
    if identity.kind == "GitLab":
        return GitLabPublisher(repository=identity.repository,
                               workflow_filepath=identity.workflow, environment=environment)
    if identity.kind == "Google":
        return GooglePublisher(email=identity.email)
    raise ValueError(f"publisher kind {identity.kind!r} has no attestation identity")


def is_supported(model: object) -> TypeGuard[PublisherModel]:
    """Whether ``model`` (a provenance bundle's publisher) is of a kind this index verifies."""
    from pypi_attestations import GitHubPublisher, GitLabPublisher, GooglePublisher  # noqa: PLC0415 - see the module's docstring

    return isinstance(model, GitHubPublisher | GitLabPublisher | GooglePublisher)


def publisher_object(model: PublisherModel) -> dict[str, Any]:
    """The provenance object's ``publisher``: the model's fields (what PyPI serves, so that
    pypi-attestations reads it back) and ``claims``, which PEP 740 requires; this index keeps
    no claims of the token beyond the identity, so it is null."""
    return {**model.model_dump(mode="json"), "claims": None}


def publisher_key(publisher: dict[str, Any]) -> str:
    """A publisher object as compact JSON with sorted keys: the text two publishers are
    compared by (the same identity always gives the same text)."""
    return json.dumps(publisher, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
