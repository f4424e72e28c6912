"""A fresh index on disk with some users, for driving the CLI in-process."""

from __future__ import annotations

from pathlib import Path

from strongroom.accounts import AccountService
from strongroom.cli.state import open_index
from strongroom.config import Settings


def index_with_users(tmp_path: Path, *names: str) -> Path:
    """The data directory of a new index holding a user per name (address name@example.org)."""
    data = tmp_path / "data"
    db = open_index(Settings(data_dir=data), create=True)
    try:
        for name in names:
            AccountService(db).create_user(name, email=f"{name}@example.org",
                                           password="a long enough password")
    finally:
        db.dispose()
    return data
