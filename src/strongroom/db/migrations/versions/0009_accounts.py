"""accounts: e-mail addresses, second factors, web sessions, mailed links, security history

A user's address moves from users.email to the emails table, as its primary address, not yet
verified (an administrator typed it; nobody proved they read it).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

import strongroom.db.base


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('normalized', sa.String(length=254), nullable=False),
    sa.Column('primary', sa.Boolean(), nullable=False),
    sa.Column('verified', sa.Boolean(), nullable=False),
    sa.Column('verified_at', strongroom.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('unverified_reason', sa.String(length=300), nullable=True),
    sa.Column('created', strongroom.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('normalized')
    )
    with op.batch_alter_table('emails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_emails_user_id'), ['user_id'], unique=False)
    op.execute(
        "INSERT INTO emails (user_id, address, normalized, \"primary\", verified, created) "
        "SELECT id, email, lower(email), true, false, created FROM users"
    )
    # Plain ALTER TABLE, on SQLite too (3.35 and newer): rebuilding ``users`` in a batch would
    # drop the table that tokens, roles and emails point at.
    op.drop_column('users', 'email')
    op.add_column('users', sa.Column('password_changed', strongroom.db.base.UTCDateTime(timezone=True), nullable=True))
    op.add_column('users', sa.Column('last_login', strongroom.db.base.UTCDateTime(timezone=True), nullable=True))
    op.add_column('users', sa.Column('totp_secret', sa.String(length=64), nullable=True))
    op.add_column('users', sa.Column('totp_last_step', sa.Integer(), nullable=True))

    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=200), nullable=False),
    sa.Column('created', strongroom.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used', strongroom.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)

    op.create_table('security_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('credential_id', sa.LargeBinary(length=1024), nullable=False),
    sa.Column('public_key', sa.LargeBinary(length=4096), nullable=False),
    sa.Column('sign_count', sa.Integer(), nullable=False),
    sa.Column('created', strongroom.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used', strongroom.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('credential_id')
    )
    with op.batch_alter_table('security_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_security_keys_user_id'), ['user_id'], unique=False)

    op.create_table('web_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('csrf', sa.String(length=64), nullable=False),
    sa.Column('created', strongroom.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen', strongroom.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires', strongroom.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('authenticated', strongroom.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('second_factor', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('challenge', sa.LargeBinary(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('account_links',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('email_id', sa.Integer(), nullable=True),
    sa.Column('created', strongroom.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires', strongroom.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used', strongroom.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['email_id'], ['emails.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('account_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_links_user_id'), ['user_id'], unique=False)

    op.create_table('security_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created', strongroom.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=50), nullable=True),
    sa.Column('project', sa.String(length=200), nullable=True),
    sa.Column('address', sa.String(length=45), nullable=True),
    sa.Column('user_agent', sa.String(length=300), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('security_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_security_events_created'), ['created'], unique=False)
        batch_op.create_index(batch_op.f('ix_security_events_project'), ['project'], unique=False)
        batch_op.create_index(batch_op.f('ix_security_events_user_id'), ['user_id'], unique=False)

    op.add_column('tokens', sa.Column('made_with_2fa', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    op.drop_column('tokens', 'made_with_2fa')
    op.drop_table('security_events')
    op.drop_table('account_links')
    op.drop_table('web_sessions')
    op.drop_table('security_keys')
    op.drop_table('recovery_codes')
    for column in ('password_changed', 'last_login', 'totp_secret', 'totp_last_step'):
        op.drop_column('users', column)
    op.add_column('users', sa.Column('email', sa.String(length=254), nullable=False,
                                     server_default=''))
    op.execute(
        "UPDATE users SET email = (SELECT address FROM emails WHERE emails.user_id = users.id "
        "AND emails.\"primary\" ORDER BY emails.id LIMIT 1) "
        "WHERE EXISTS (SELECT 1 FROM emails WHERE emails.user_id = users.id AND emails.\"primary\")"
    )
    op.drop_table('emails')
