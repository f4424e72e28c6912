"""Alembic environment: runs on the connection Database.migrate() hands over.

The migrations are written by hand, so no target metadata is given here: db/ cannot see the
capabilities' tables (each package keeps its own in its models.py), and the test that the newest
revision builds exactly their schema gathers them all (tests/databases.py, every_table).
"""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
