"""index files by release

A project page loads its releases' files with ``release_id IN (...)``; without this index that is
a scan of every file.

Revision ID: 0002
Revises: 0001
"""

from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_files_release_id'), ['release_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_files_release_id'))
