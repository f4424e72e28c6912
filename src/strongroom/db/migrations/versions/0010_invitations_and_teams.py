"""invitations to a project role; teams, their members and their roles in projects

New tables only: nothing that other tables point at is rebuilt.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

import strongroom.db.base


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('role_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('invited_by', sa.String(length=50), nullable=False),
    sa.Column('created', strongroom.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires', strongroom.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id']),
    sa.ForeignKeyConstraint(['user_id'], ['users.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'user_id')
    )
    with op.batch_alter_table('role_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_invitations_user_id'), ['user_id'],
                              unique=False)

    op.create_table('teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('normalized_name', sa.String(length=50), nullable=False),
    sa.Column('created', strongroom.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('normalized_name')
    )

    op.create_table('team_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id']),
    sa.ForeignKeyConstraint(['user_id'], ['users.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'user_id')
    )
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_members_user_id'), ['user_id'], unique=False)

    op.create_table('team_roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id']),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'project_id')
    )
    with op.batch_alter_table('team_roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_roles_project_id'), ['project_id'],
                              unique=False)


def downgrade() -> None:
    op.drop_table('team_roles')
    op.drop_table('team_members')
    op.drop_table('teams')
    op.drop_table('role_invitations')
