"""per-project upload limits

A project's own largest file and largest total size in bytes, raised (or lowered) by an admin
with ``strongroom admin project limits``; NULL, as every existing project gets, means the
index's default (settings ``max_file_size`` and ``max_project_size``).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('upload_limit', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('total_size_limit', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('total_size_limit')
        batch_op.drop_column('upload_limit')
