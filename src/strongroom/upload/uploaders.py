"""The upload's part in deleting an account (an ``AccountDependent`` of strongroom.accounts):
its releases stay, no longer linked to the account. Who published each release stays in the
journal, which names the submitter rather than pointing at the account."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.orm import Session

from strongroom.accounts import Released, User
from strongroom.upload.models import Release


def forget_uploader(session: Session, user: User, *, now: dt.datetime, actor: str) -> Released:
    """Unlink ``user``'s releases from their account, in the deletion's transaction."""
    releases = len(session.execute(
        update(Release).where(Release.uploader_id == user.id).values(uploader_id=None)
        .returning(Release.id)).all())
    return Released(f"{releases} release(s) kept, no longer linked to the account"
                    if releases else "")
