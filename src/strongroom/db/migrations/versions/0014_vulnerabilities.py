"""vulnerabilities: OSV records, the packages each concerns, and the feeds synced from

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

import strongroom.db.base


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('vulnerability_records',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('modified', strongroom.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published', strongroom.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn', strongroom.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('aliases', sa.Text(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('details', sa.Text(), nullable=True),
    sa.Column('link', sa.Text(), nullable=False),
    sa.Column('record', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('imported', strongroom.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('vulnerability_packages',
    sa.Column('record_id', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('affected', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['vulnerability_records.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('record_id', 'name')
    )
    with op.batch_alter_table('vulnerability_packages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vulnerability_packages_name'), ['name'], unique=False)
    op.create_table('vulnerability_feeds',
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('etag', sa.Text(), nullable=True),
    sa.Column('last_modified', sa.Text(), nullable=True),
    sa.Column('checked', strongroom.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('imported', strongroom.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('url')
    )


def downgrade() -> None:
    op.drop_table('vulnerability_feeds')
    with op.batch_alter_table('vulnerability_packages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vulnerability_packages_name'))
    op.drop_table('vulnerability_packages')
    op.drop_table('vulnerability_records')
