"""index files by blake2_256

Every upload asks whether the same bytes are already stored under another name
(``blake2_256 = ...``); without this index that is a scan of every file.

Revision ID: 0003
Revises: 0002
"""

from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_files_blake2_256'), ['blake2_256'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_files_blake2_256'))
