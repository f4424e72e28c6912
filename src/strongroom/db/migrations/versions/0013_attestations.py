"""attestations: each file's PEP 740 provenance and its provenance-change flag

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

import strongroom.db.base


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('file_provenance',
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('publisher', sa.Text(), nullable=True),
    sa.Column('provenance', sa.Text(), nullable=True),
    sa.Column('change', sa.String(length=10), nullable=True),
    sa.Column('previous_version', sa.String(length=100), nullable=True),
    sa.Column('created', strongroom.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['filename'], ['files.filename'], ),
    sa.ForeignKeyConstraint(['release_id'], ['releases.id'], ),
    sa.PrimaryKeyConstraint('filename')
    )
    with op.batch_alter_table('file_provenance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_file_provenance_release_id'), ['release_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('file_provenance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_file_provenance_release_id'))
    op.drop_table('file_provenance')
