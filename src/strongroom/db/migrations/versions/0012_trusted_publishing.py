"""trusted publishing: publishers and their projects, pending publishers, the upload tokens
minted for CI runs, and the OIDC tokens already exchanged

New tables only.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

import strongroom.db.base


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def _identity() -> list[sa.Column[object]]:
    return [
        sa.Column('issuer', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('repository', sa.String(length=200), nullable=False),
        sa.Column('owner_id', sa.String(length=40), nullable=False),
        sa.Column('workflow', sa.String(length=255), nullable=False),
        sa.Column('environment', sa.String(length=255), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('extra', sa.Text(), nullable=False),
        sa.Column('lookup', sa.String(length=255), nullable=False),
        sa.Column('variant', sa.String(length=600), nullable=False),
        sa.Column('created', strongroom.db.base.UTCDateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table('trusted_publishers',
    sa.Column('id', sa.Integer(), nullable=False),
    *_identity(),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('issuer', 'lookup', 'variant')
    )
    op.create_table('trusted_publisher_projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('publisher_id', sa.Integer(), nullable=False),
    sa.Column('added', strongroom.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('added_by', sa.String(length=50), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id']),
    sa.ForeignKeyConstraint(['publisher_id'], ['trusted_publishers.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'publisher_id')
    )
    with op.batch_alter_table('trusted_publisher_projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trusted_publisher_projects_publisher_id'),
                              ['publisher_id'], unique=False)
    op.create_table('pending_publishers',
    sa.Column('id', sa.Integer(), nullable=False),
    *_identity(),
    sa.Column('project_name', sa.String(length=200), nullable=False),
    sa.Column('normalized_name', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('expires', strongroom.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('issuer', 'lookup', 'variant')
    )
    with op.batch_alter_table('pending_publishers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_publishers_normalized_name'),
                              ['normalized_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_publishers_user_id'), ['user_id'],
                              unique=False)
    op.create_table('publisher_tokens',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('publisher_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('projects', sa.Text(), nullable=False),
    sa.Column('created', strongroom.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires', strongroom.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('run', sa.Text(), nullable=False),
    sa.Column('used_for', sa.Text(), nullable=False),
    sa.Column('single_use', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('spent', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['publisher_id'], ['trusted_publishers.id']),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('publisher_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publisher_tokens_expires'), ['expires'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_publisher_tokens_publisher_id'), ['publisher_id'],
                              unique=False)
    op.create_table('oidc_used_tokens',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('expires', strongroom.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('oidc_used_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oidc_used_tokens_expires'), ['expires'],
                              unique=False)


def downgrade() -> None:
    op.drop_table('oidc_used_tokens')
    op.drop_table('publisher_tokens')
    op.drop_table('pending_publishers')
    op.drop_table('trusted_publisher_projects')
    op.drop_table('trusted_publishers')
