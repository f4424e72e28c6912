"""drop the indexes no query uses

Files are found by name (downloads, the upload's clash check), by blake2_256 (the clash check)
and by release (project pages); the journal by serial. The indexes on files' sha256 and
metadata_sha256 and on the journal's project served no query, and every upload paid for them:
three more index pages written per upload, one in four of the pages its transaction writes.

Revision ID: 0005
Revises: 0004
"""

from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_files_sha256'))
        batch_op.drop_index(batch_op.f('ix_files_metadata_sha256'))
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_project'))


def downgrade() -> None:
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_project'), ['project'], unique=False)
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_files_metadata_sha256'), ['metadata_sha256'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_files_sha256'), ['sha256'], unique=False)
