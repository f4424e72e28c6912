"""critical projects: downloads per project and day, and which projects are critical

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

import strongroom.db.base


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('project_downloads',
    sa.Column('project', sa.String(length=200), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('project', 'day')
    )
    with op.batch_alter_table('project_downloads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_downloads_day'), ['day'], unique=False)
    op.create_table('critical_projects',
    sa.Column('project', sa.String(length=200), nullable=False),
    sa.Column('since', strongroom.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=True),
    sa.Column('pinned', sa.String(length=3), nullable=True),
    sa.PrimaryKeyConstraint('project')
    )


def downgrade() -> None:
    op.drop_table('critical_projects')
    op.drop_table('project_downloads')
