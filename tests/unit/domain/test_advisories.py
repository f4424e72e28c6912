"""Which versions an advisory affects: OSV range evaluation in PEP 440 order."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from packaging.version import Version

from strongroom.domain.advisories import Advisory, Affected, Event, Range

WHEN = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def _range(*events: tuple[str, str]) -> Range:
    return Range(tuple(Event(kind, version) for kind, version in events))


@pytest.mark.parametrize(
    ("events", "version", "affected"),
    [
        ((("introduced", "0"), ("fixed", "2.0")), "1.9", True),
        ((("introduced", "0"), ("fixed", "2.0")), "2.0", False),
        # A pre-release of the fix comes before it, so it is still affected.
        ((("introduced", "0"), ("fixed", "2.0")), "2.0rc1", True),
        ((("introduced", "0"), ("fixed", "2.0")), "2.0.dev3", True),
        ((("introduced", "0"), ("fixed", "2.0")), "2.0.post1", False),
        ((("introduced", "1.0"), ("fixed", "2.0")), "1.0.dev1", False),
        ((("introduced", "1.0"), ("fixed", "2.0")), "1.0", True),
        ((("introduced", "1.0"), ("fixed", "2.0")), "1.0+local.7", True),
        ((("introduced", "1.0"), ("last_affected", "1.5")), "1.5", True),
        ((("introduced", "1.0"), ("last_affected", "1.5")), "1.5.post1", False),
        ((("introduced", "1.0"), ("last_affected", "1.5")), "1.5.1", False),
        ((("introduced", "0"), ("limit", "3.0")), "2.9", True),
        ((("introduced", "0"), ("limit", "3.0")), "3.0", False),
        ((("introduced", "0"),), "99!0.1", True),
        # An epoch sorts above every version without one.
        ((("introduced", "0"), ("fixed", "5.0")), "1!1.0", False),
        ((("introduced", "1!1.0"),), "9.0", False),
        # Events are taken in version order, whatever the record's order.
        ((("fixed", "2.0"), ("introduced", "1.0"), ("fixed", "4.0"), ("introduced", "3.0")),
         "3.5", True),
        ((("fixed", "2.0"), ("introduced", "1.0"), ("fixed", "4.0"), ("introduced", "3.0")),
         "2.5", False),
    ],
)
def test_a_range_holds_the_versions_pep440_puts_inside_it(
        events: tuple[tuple[str, str], ...], version: str, affected: bool) -> None:
    assert Affected("demo", (_range(*events),)).affects(version) is affected


def test_listed_versions_match_by_pep440_equality_or_exact_text() -> None:
    entry = Affected("demo", (), ("1.0", "0.3.2d"))
    assert entry.affects("1.0.0")
    assert entry.affects("0.3.2d")  # a legacy version: only the exact text
    assert not entry.affects("1.0.1")
    assert not entry.affects("0.3.2e")


def test_a_withdrawn_advisory_affects_nothing() -> None:
    entry = Affected("demo", (_range(("introduced", "0")),))
    live = Advisory("X-1", WHEN, affected=(entry,))
    assert live.affects("demo", "1.0")
    assert not live.affects("other", "1.0")
    assert not Advisory("X-1", WHEN, withdrawn=WHEN, affected=(entry,)).affects("demo", "1.0")


def test_the_first_fix_is_the_smallest_fixed_version_outside_every_range() -> None:
    entry = Affected("demo", (
        _range(("introduced", "0"), ("fixed", "1.2")),
        # 2.0 fixes the second range, but 2.0 falls inside the third one.
        _range(("introduced", "1.5"), ("fixed", "2.0")),
        _range(("introduced", "2.0"), ("fixed", "2.1")),
    ))
    assert entry.fixed_in == ("1.2", "2.0", "2.1")
    assert entry.first_fix_after("1.0") == "1.2"
    assert entry.first_fix_after("1.6") == "2.1"
    assert entry.first_fix_after("2.1") is None


versions = st.builds(
    lambda epoch, release, pre, post, dev: Version(
        (f"{epoch}!" if epoch else "") + ".".join(map(str, release))
        + (f"rc{pre}" if pre is not None else "") + (f".post{post}" if post is not None else "")
        + (f".dev{dev}" if dev is not None else "")),
    st.integers(0, 1), st.lists(st.integers(0, 5), min_size=1, max_size=3),
    st.none() | st.integers(0, 2), st.none() | st.integers(0, 2), st.none() | st.integers(0, 2),
)


@given(versions, versions, versions)
@example(Version("0"), Version("0.dev0"), Version("0"))  # fixed before 0, from the start
@example(Version("1"), Version("0.dev0"), Version("2"))  # a fix below the introduction
def test_introduced_fixed_is_the_half_open_interval(low: Version, high: Version,
                                                    probe: Version) -> None:
    if low == high:
        return  # one version opening and closing a range is no real advisory
    entry = Affected("demo", (_range(("introduced", str(low)), ("fixed", str(high))),))
    # "0" opens before every version, 0.dev0 too: then every fix comes after the opening.
    from_the_start = str(low) == "0"
    opened = from_the_start or probe >= low
    # A fix below the introduction closes nothing after it.
    expected = opened and (probe < high or (high < low and not from_the_start))
    assert entry.affects(str(probe)) is expected
