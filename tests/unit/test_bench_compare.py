"""The A/B mode's small rules: which backends it takes, and whose turn comes first."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from benchmarks.builds import BASELINE, CANDIDATE, Build
from benchmarks.compare import backends, turns


def test_backends_keep_the_order_given_once_each() -> None:
    assert backends("sqlite") == ("sqlite",)
    assert backends(" postgres, sqlite,postgres ") == ("postgres", "sqlite")


@pytest.mark.parametrize("text", ["", ",", "mysql", "sqlite,postgresql"])
def test_unknown_or_no_backends_are_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="sqlite, postgres"):
        backends(text)


def test_the_builds_swap_who_goes_first_every_round() -> None:
    pair = (Build(BASELINE, "main", Path("a/src")), Build(CANDIDATE, "tree", Path("src")))
    firsts = [turns(pair, round_)[0].label for round_ in range(4)]
    assert firsts == [BASELINE, CANDIDATE, BASELINE, CANDIDATE]
    assert sorted(b.label for b in turns(pair, 1)) == [BASELINE, CANDIDATE]
