"""make files' blake2_256 unique

The same bytes are never published under a second name (PyPI's rule, and its constraint). The
upload's last transaction relies on the database to refuse a clash that another upload created
after the checks, instead of querying for it again.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from strongroom.errors import Conflict


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    shared = op.get_bind().execute(sa.text(
        "SELECT blake2_256 FROM files GROUP BY blake2_256 HAVING count(*) > 1 LIMIT 3"
    )).scalars().all()
    if shared:
        raise Conflict(
            "Cannot upgrade the database: files with the same bytes are stored under more "
            f"than one name (blake2_256 {', '.join(shared)}); remove the extra files first."
        )
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_files_blake2_256'))
        batch_op.create_index(batch_op.f('ix_files_blake2_256'), ['blake2_256'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_files_blake2_256'))
        batch_op.create_index(batch_op.f('ix_files_blake2_256'), ['blake2_256'], unique=False)
