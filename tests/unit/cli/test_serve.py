"""``strongroom serve`` makes room for its connection cap in the open-file limit. Each case runs
in a child interpreter, since the limit belongs to the process."""

from __future__ import annotations

import subprocess
import sys

RAISE = """
import resource
from strongroom.cli.serve import allow_open_files
resource.setrlimit(resource.RLIMIT_NOFILE, ({soft}, {hard}))
allow_open_files(1024)
print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])
"""


def _soft_limit_after(soft: int, hard: int) -> tuple[int, str]:
    child = subprocess.run([sys.executable, "-c", RAISE.format(soft=soft, hard=hard)],
                           capture_output=True, text=True, check=True, timeout=60)
    return int(child.stdout), child.stderr


def test_the_soft_limit_is_raised_to_fit_the_cap_and_a_margin() -> None:
    soft, warning = _soft_limit_after(300, 4000)
    assert soft == 1024 + 256
    assert warning == ""


def test_a_soft_limit_with_room_already_is_left_alone() -> None:
    assert _soft_limit_after(2000, 4000) == (2000, "")


def test_a_hard_limit_too_low_is_reached_and_reported() -> None:
    soft, warning = _soft_limit_after(300, 600)
    assert soft == 600
    assert "open-file limit is 600, below the 1280 that max_connections = 1024 needs" in warning
