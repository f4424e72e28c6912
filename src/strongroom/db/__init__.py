"""Persistence every capability shares: the declarative base and column types, engine set-up,
migrations and the journal. The capabilities' own tables are in their packages."""
