"""record the upload rules an imported file breaks

The import policy takes files an index has already published (capitalised file names,
Metadata-Version 2.0, a RECORD that disagrees ...) and records each rule a file breaks on the
file, for the JSON API to show.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("files") as batch:
        batch.add_column(sa.Column("warnings", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("files") as batch:
        batch.drop_column("warnings")
