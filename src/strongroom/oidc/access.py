"""A publisher's right to upload, as the upload's one access query reads it."""

from __future__ import annotations

from sqlalchemy import ColumnElement, ScalarSelect, String, literal_column, select
from sqlalchemy.orm import InstrumentedAttribute

from strongroom.oidc.models import PublisherProject


def publisher_role(project_id: InstrumentedAttribute[int],
                   publisher_id: ColumnElement[int | None]) -> ScalarSelect[str | None]:
    """"Maintainer" when the publisher ``publisher_id`` may upload to the project
    ``project_id``, else NULL, as a scalar subquery: the upload's access check puts it where a
    user's role goes, so a publisher is checked by the same query, and again under the write
    lock, as a user is."""
    return (select(literal_column("'Maintainer'", String))
            .where(PublisherProject.project_id == project_id,
                   PublisherProject.publisher_id == publisher_id)
            .scalar_subquery())
