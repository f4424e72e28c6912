"""Telling a project's owners that a new release's provenance broke with the release before.

Called after the upload committed, for the first file of a release flagged ``lost`` or
``changed``: a stolen token or a hijacked workflow publishing from elsewhere shows this way.
Each Owner (a user with the role itself) is mailed at their verified addresses. Mail is best
effort: the upload has already succeeded, so a mail server that refuses is logged, not raised.
Reads owners through the ORM: a rare event, off every hot path.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import select

from strongroom.accounts import User
from strongroom.attestations.stored import Change, ProvenanceChange
from strongroom.db.engine import Database
from strongroom.errors import StrongroomError
from strongroom.mail import Sender, compose
from strongroom.projects import OWNER, Project, Role

logger = logging.getLogger(__name__)


def _publisher_words(publisher: str | None) -> str:
    """A publisher object (compact JSON) as a reader knows it: kind, then its identity."""
    if publisher is None:
        return "no trusted publisher (no attestations)"
    fields = json.loads(publisher)
    identity = ", ".join(f"{key} {value}" for key, value in sorted(fields.items())
                         if key not in ("kind", "claims") and value)
    return f"{fields.get('kind')} publisher ({identity})"


def notice_text(change: ProvenanceChange, base_url: str, username: str) -> str:
    """The mail telling Owner ``username`` about ``change``."""
    was = "; ".join(_publisher_words(p) for p in sorted(change.previous_publishers))
    if change.change is Change.LOST:
        what = (f"{change.filename} was published without provenance, where the files of "
                f"{change.previous_version} were attested by {was}.")
    else:
        what = (f"{change.filename} was attested by {_publisher_words(change.publisher)}, "
                f"where the files of {change.previous_version} were attested by {was}.")
    return (f"Hello {username},\n\n{change.project} {change.version}, a project you own on "
            f"{base_url}, was published by {change.uploader}, and its provenance differs from "
            f"the release before:\n\n{what}\n\nIf you expected this (a new repository or "
            "workflow, a release made by hand), nothing needs doing. If not, the project's "
            "tokens or its trusted publisher may be in other hands: review its history at "
            f"{base_url}/account/projects/{change.project}, revoke what you do not recognise "
            "and yank the release.\n")


class ProvenanceNotices:
    """Mails the owners of projects whose provenance changed, from ``mail_from``."""

    def __init__(self, db: Database, sender: Sender, *, mail_from: str, base_url: str) -> None:
        self._db = db
        self._sender = sender
        self._mail_from = mail_from
        self._base_url = base_url

    def owners(self, project: str) -> list[tuple[str, list[str]]]:
        """The Owners of ``project`` (normalised name) with their verified addresses."""
        with self._db.read() as session:
            users = session.scalars(
                select(User).join(Role, Role.user_id == User.id)
                .join(Project, Project.id == Role.project_id)
                .where(Project.normalized_name == project, Role.role == OWNER)
                .order_by(User.username)).all()
            return [(user.username, [e.address for e in user.emails if e.verified])
                    for user in users]

    def tell(self, change: ProvenanceChange) -> int:
        """Mail the owners about ``change`` when it is the first of its kind in its release;
        how many messages went out."""
        if not change.first_in_release:
            return 0
        subject = f"Provenance of {change.project} {change.version} {change.change}"
        sent = 0
        for username, addresses in self.owners(change.project):
            for address in addresses:
                try:
                    self._sender.send(compose(sender=self._mail_from, to=address,
                                              subject=subject,
                                              text=notice_text(change, self._base_url,
                                                               username)))
                except StrongroomError as error:  # Unavailable, or an address compose refuses
                    logger.warning("provenance notice to %s not sent: %s", address,
                                   error.message)
                    continue
                sent += 1
        return sent
