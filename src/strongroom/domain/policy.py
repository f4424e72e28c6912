"""Who may do what. Pure functions over plain values, so every rule is testable alone."""

from __future__ import annotations

# PEP 792: archived and quarantined projects take no uploads.
_CLOSED_STATUSES = {
    "archived": "is archived and accepts no new uploads",
    "quarantined": "is quarantined and accepts no new uploads",
}
UPLOAD_ROLES = frozenset({"Owner", "Maintainer"})


def accepts_uploads(status: str) -> bool:
    """Whether a project of this status takes uploads from those with the right to upload."""
    return status not in _CLOSED_STATUSES


def upload_denial(
    *, project: str, exists: bool, status: str, role: str | None, username: str
) -> str | None:
    """Why ``username`` may not upload to ``project``, or None when the upload is allowed.

    A project that does not exist yet may be created by any authenticated user, who becomes its
    owner; an existing one needs the Owner or Maintainer role and an open status.
    """
    if not exists:
        return None
    if status in _CLOSED_STATUSES:
        return f"Project '{project}' {_CLOSED_STATUSES[status]}."
    if role not in UPLOAD_ROLES:
        return f"The user '{username}' isn't allowed to upload to project '{project}'."
    return None
