"""Opening the index a command works on. Only the commands that create an index (``serve``,
``admin user create``, ``admin import``) make one where there is none; the others refuse, so that
a mistyped ``--data-dir`` or database URL is not answered with a new, empty index."""

from __future__ import annotations

from strongroom.config import Settings
from strongroom.db.engine import Database
from strongroom.errors import NotFound

_CREATORS = "`strongroom serve` or `strongroom admin user create`"


class NoIndex(NotFound):
    """There is no index where the settings point."""


def open_index(settings: Settings, *, create: bool = False) -> Database:
    """The database of the index ``settings`` name, migrated to the newest schema.

    With ``create``, a missing index is made: the data directory, and the SQLite file or the
    schema in an empty PostgreSQL database. Without it, NoIndex (a NotFound) names where no index
    was found and what makes one. Either way NotFound when the PostgreSQL database itself does
    not exist, and Unavailable when it cannot be reached.
    """
    db = Database(settings.resolved_database_url)
    if create:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    elif not db.has_schema():
        db.dispose()
        if settings.database_url:
            raise NoIndex(f"no index in the database {db.display_url} (it has no Strongroom "
                          f"tables): {_CREATORS} with this database URL makes one")
        raise NoIndex(f"no index at {settings.data_dir} (no strongroom.sqlite3 there): "
                      f"{_CREATORS} makes one, or give --data-dir or STRONGROOM_DATA_DIR "
                      "to use another")
    db.migrate()
    return db
