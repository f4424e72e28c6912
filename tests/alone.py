"""Tests marked ``alone`` run while no other test runs, when pytest-xdist spreads the suite
over several workers: their bounds on time are about the server under test, not about a busy
machine. Every test holds a shared lock on a file of the run from its setup to its teardown;
an ``alone`` test holds it exclusively while it is called (its fixtures, a server started for
its module say, are set up beside other tests). A gate in front of the lock makes a waiting
``alone`` test stop new shared takers, so that it is not starved by the others' tests
following one another.
"""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import IO


class Turns:
    """One worker's side of the lock: ``take(alone)`` before a test, ``release()`` after."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._gate: IO[bytes] = (directory / "gate").open("ab")
        self._lock: IO[bytes] = (directory / "lock").open("ab")

    def take(self, *, alone: bool) -> None:
        """Give up what this worker holds, then wait for the lock: shared, or to itself when
        ``alone``."""
        self.release()
        fcntl.flock(self._gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        finally:
            fcntl.flock(self._gate, fcntl.LOCK_UN)

    def release(self) -> None:
        fcntl.flock(self._lock, fcntl.LOCK_UN)

    def close(self) -> None:
        self.release()
        self._gate.close()
        self._lock.close()
