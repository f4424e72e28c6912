"""The projects package's public API, which web/ and cli/ (and uploads and tokens) build on: its
names are pinned here so that a change to them is deliberate."""

from __future__ import annotations

import strongroom.projects

PUBLIC = [
    "INVITATION_LIFETIME", "Invitation", "InvitationService", "KEEP", "Keep", "MAINTAINER",
    "OWNER", "Project", "ProjectService", "ProjectSummary", "ROLES", "Role", "RoleHolder",
    "RoleService", "TeamService", "TeamSummary", "journal_changes", "leave_projects",
    "new_project", "project_named", "require_owner", "sole_owner_of", "team_role",
]


def test_the_public_names_are_these() -> None:
    assert sorted(strongroom.projects.__all__) == sorted(PUBLIC)
    assert all(hasattr(strongroom.projects, name) for name in strongroom.projects.__all__)
