"""The kinds of event the security history records: the ``kind`` column's words."""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    """What happened to an account, a token or a project. The value is what the table stores
    and what an export shows; each fits the column (40 characters)."""

    # Signing in and out of the web UI.
    LOGIN = "login"
    LOGIN_FAILED = "login.failed"
    LOGOUT = "logout"
    # Passwords and e-mail addresses.
    PASSWORD_CHANGED = "password.changed"  # noqa: S105 - an event's name, not a secret
    PASSWORD_RESET = "password.reset"  # noqa: S105
    EMAIL_ADDED = "email.added"
    EMAIL_VERIFIED = "email.verified"
    EMAIL_UNVERIFIED = "email.unverified"
    EMAIL_REMOVED = "email.removed"
    EMAIL_PRIMARY = "email.primary"
    # Second factors: TOTP, security keys (WebAuthn), recovery codes.
    TOTP_ADDED = "2fa.totp.added"
    TOTP_REMOVED = "2fa.totp.removed"
    SECURITY_KEY_ADDED = "2fa.key.added"
    SECURITY_KEY_REMOVED = "2fa.key.removed"
    SECOND_FACTOR_USED = "2fa.used"
    SECOND_FACTOR_FAILED = "2fa.failed"
    RECOVERY_CODES_GENERATED = "recovery.codes.generated"
    RECOVERY_CODE_USED = "recovery.code.used"
    # API tokens. ``token.used`` is recorded at most once per token per clock hour (UTC).
    TOKEN_CREATED = "token.created"  # noqa: S105
    TOKEN_USED = "token.used"  # noqa: S105
    TOKEN_REVOKED = "token.revoked"  # noqa: S105
    # Roles in projects (a team's: ``user`` empty, ``details.team`` its name), invitations to
    # them, teams' members, and a project's standing.
    ROLE_ADDED = "role.added"
    ROLE_CHANGED = "role.changed"
    ROLE_REMOVED = "role.removed"
    ROLE_INVITED = "role.invited"
    ROLE_INVITATION_DECLINED = "role.invitation.declined"
    ROLE_INVITATION_REVOKED = "role.invitation.revoked"
    TEAM_CHANGED = "team.changed"
    PROJECT_CRITICAL = "project.critical"
    PROJECT_NOT_CRITICAL = "project.not-critical"
    # A new file's provenance (PEP 740) breaks with the release uploaded before its own: it
    # has none where that release had some, or another publisher's.
    PROVENANCE_LOST = "provenance.lost"
    PROVENANCE_CHANGED = "provenance.changed"
    # Trusted publishers (``details.publisher`` names one): registered for a project or, pending,
    # for a project to be made by its first use; a 15-minute token minted for a CI run
    # (``details.run``); its first use for each project.
    PUBLISHER_ADDED = "publisher.added"
    PUBLISHER_REMOVED = "publisher.removed"
    PUBLISHER_PENDING_ADDED = "publisher.pending.added"
    PUBLISHER_PENDING_REMOVED = "publisher.pending.removed"
    PUBLISHER_MINTED = "publisher.minted"
    PUBLISHER_USED = "publisher.used"
    # An account made (``details.by``: "registration" on the web UI, or "admin"), and an
    # administrator's actions on one.
    ACCOUNT_CREATED = "account.created"
    ACCOUNT_DISABLED = "account.disabled"
    ACCOUNT_ENABLED = "account.enabled"
    ACCOUNT_DELETED = "account.deleted"
    SECOND_FACTORS_RESET = "2fa.reset"
