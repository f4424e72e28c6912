"""Why a token request failed, in the codes of PyPI's mint endpoint (which the PyPA's publish
action reports to the workflow's log)."""

from __future__ import annotations

from enum import StrEnum

from strongroom.errors import StrongroomError


class Code(StrEnum):
    """PyPI's error codes for a failed token request."""

    # Not {"token": "<JWT>"}, a malformed JWT, or a JWT of an issuer not trusted.
    INVALID_PAYLOAD = "invalid-payload"
    NOT_ENABLED = "not-enabled"  # trusted publishing is off on this index
    # The JWT does not verify (signature, audience, expiry ...). Codes, not secrets:
    INVALID_TOKEN = "invalid-token"  # noqa: S105
    INVALID_PENDING_PUBLISHER = "invalid-pending-publisher"  # its project exists meanwhile
    INVALID_REUSE_TOKEN = "invalid-reuse-token"  # noqa: S105 - the JWT was used before
    INVALID_PUBLISHER = "invalid-publisher"  # no registered publisher matches its claims


class TokenRequestFailed(StrongroomError):
    """A request for an upload token refused: ``code`` (a Code) and ``message``, the
    description for the token's holder."""

    def __init__(self, code: Code, description: str, *, project: str | None = None) -> None:
        super().__init__(description, project=project)
        self.code = code


class ClaimMismatch(Exception):
    """A token's claims do not fit one publisher: ``reason`` says which claim and how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
