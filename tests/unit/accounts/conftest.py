"""Accounts over the ``database`` fixture, with Argon2 made cheap (the parameters are real,
only smaller), and a user to work on."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import pytest
from argon2 import PasswordHasher

from strongroom.accounts import AccountService
from strongroom.db.engine import Database

PASSWORD = "a long enough password"
T = TypeVar("T")


def at_once(calls: list[Callable[[], T]]) -> list[T]:
    """Run each call in a thread of its own, all released together; their results in order."""
    start = threading.Barrier(len(calls))
    results: dict[int, T] = {}

    def run(index: int, call: Callable[[], T]) -> None:
        start.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [results[index] for index in range(len(calls))]


@pytest.fixture
def hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def accounts(database: Database, hasher: PasswordHasher) -> AccountService:
    return AccountService(database, hasher)


@pytest.fixture
def alice(accounts: AccountService) -> int:
    """The id of the user alice (alice@example.org), whose password is PASSWORD."""
    return accounts.create_user("alice", email="alice@example.org", password=PASSWORD).id
