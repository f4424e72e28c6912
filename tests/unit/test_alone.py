"""The lock that lets ``alone`` tests run while no other test runs (tests/alone.py): each Turns
stands for one pytest-xdist worker."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.alone import Turns

WAIT = 0.3  # seconds a blocked taker is given to (wrongly) get through


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[Turns]]:
    turns = [Turns(tmp_path / "turns") for _ in range(3)]
    yield turns
    for each in turns:
        each.close()


def _taking(turns: Turns, *, alone: bool, order: list[str], name: str) -> threading.Thread:
    def take() -> None:
        turns.take(alone=alone)
        order.append(name)

    thread = threading.Thread(target=take, daemon=True)
    thread.start()
    return thread


def test_tests_beside_each_other_share_the_lock(workers: list[Turns]) -> None:
    order: list[str] = []
    workers[0].take(alone=False)
    _taking(workers[1], alone=False, order=order, name="second").join(WAIT)
    assert order == ["second"]


def test_an_alone_test_waits_for_the_running_ones_and_then_runs_alone(
        workers: list[Turns]) -> None:
    order: list[str] = []
    workers[0].take(alone=False)
    alone = _taking(workers[1], alone=True, order=order, name="alone")
    alone.join(WAIT)
    assert order == []
    workers[0].release()
    alone.join(5)
    assert order == ["alone"]
    beside = _taking(workers[2], alone=False, order=order, name="beside")
    beside.join(WAIT)
    assert order == ["alone"]
    workers[1].release()
    beside.join(5)
    assert order == ["alone", "beside"]


def test_a_waiting_alone_test_goes_before_tests_that_come_after_it(
        workers: list[Turns]) -> None:
    order: list[str] = []
    workers[0].take(alone=False)
    alone = _taking(workers[1], alone=True, order=order, name="alone")
    alone.join(WAIT)
    later = _taking(workers[2], alone=False, order=order, name="later")
    later.join(WAIT)
    assert order == []  # the later test did not slip in beside the first
    workers[0].release()
    alone.join(5)
    later.join(WAIT)
    assert order == ["alone"]
    workers[1].release()
    later.join(5)
    assert order == ["alone", "later"]


def test_an_alone_test_lets_the_others_in_when_it_takes_a_shared_turn(
        workers: list[Turns]) -> None:
    order: list[str] = []
    workers[0].take(alone=True)
    other = _taking(workers[1], alone=False, order=order, name="other")
    other.join(WAIT)
    assert order == []
    workers[0].take(alone=False)  # its teardown, beside other tests
    other.join(5)
    assert order == ["other"]
