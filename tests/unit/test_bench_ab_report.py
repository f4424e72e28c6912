"""The A/B report: ratio of medians, per-round ratios, the 5% verdict and its caution."""

from __future__ import annotations

import pytest
from benchmarks.ab_report import Paired, markdown, rows, verdict

PAGES = "project pages, HTML"


def test_ratio_is_of_the_medians_and_rounds_pair_by_index() -> None:
    paired = Paired(PAGES, "sqlite", baseline=(100.0, 90.0, 120.0),
                    candidate=(95.0, 110.0, 99.0))
    assert paired.ratio == pytest.approx(99.0 / 100.0)
    assert paired.round_ratios == pytest.approx([0.95, 110.0 / 90.0, 99.0 / 120.0])


def test_an_even_number_of_rounds_takes_the_mean_of_the_middle_two() -> None:
    paired = Paired(PAGES, "sqlite", baseline=(100.0, 200.0), candidate=(110.0, 190.0))
    assert paired.ratio == pytest.approx(150.0 / 150.0)


@pytest.mark.parametrize(("ratio", "words"), [
    (1.0, "within 5%"),
    (0.95, "within 5%"),
    (1.05, "within 5%"),
    (0.928, "slower by 7.2%"),
    (1.12, "faster by 12.0%"),
])
def test_verdict_from_the_ratio_of_medians(ratio: float, words: str) -> None:
    assert verdict(ratio, [ratio, ratio]) == words


def test_caution_when_the_rounds_fall_on_both_sides_of_095() -> None:
    assert verdict(0.97, [0.93, 0.97, 1.01]) == "within 5% (caution: the rounds straddle 0.95)"
    assert verdict(0.93, [0.90, 0.93, 0.96]) == (
        "slower by 7.0% (caution: the rounds straddle 0.95)")
    assert verdict(0.97, [0.95, 0.97, 0.99]) == "within 5%"
    assert verdict(0.9, [0.88, 0.9, 0.94]) == "slower by 10.0%"


def test_rows_show_medians_ratio_range_verdict_and_memory() -> None:
    paired = Paired("twine upload 200 files", "postgres", baseline=(40.0, 50.0, 45.0),
                    candidate=(42.0, 50.5, 46.0), unit="files/s",
                    rss_bytes=(100 * 2**20, 120 * 2**20))
    assert rows([paired]) == [[
        "twine upload 200 files", "postgres", "files/s", "45.0", "46.0", "1.022",
        "1.010-1.050", "within 5%", "100 / 120"]]


def test_an_unmeasured_scenario_says_why_and_claims_nothing() -> None:
    paired = Paired(".metadata files", "sqlite", (), (), note="baseline: no PEP 658")
    assert paired.ratio is None
    assert rows([paired]) == [[".metadata files", "sqlite", "req/s", "-", "-", "-", "-",
                               "baseline: no PEP 658", "- / -"]]


def test_a_single_round_has_a_single_ratio_and_says_so() -> None:
    (row,) = rows([Paired(PAGES, "sqlite", (100.0,), (90.0,))])
    assert row[5:8] == ["0.900", "0.900", "slower by 10.0% (caution: one round, no spread)"]


def test_rounds_must_pair_up() -> None:
    with pytest.raises(ValueError, match="2 baseline rounds against 1"):
        Paired(PAGES, "sqlite", (1.0, 2.0), (1.0,))


def test_markdown_has_the_table_and_every_round() -> None:
    text = markdown([Paired(PAGES, "sqlite", (1000.0, 1100.0), (1050.0, 990.0))],
                    ["# A/B"])
    lines = text.splitlines()
    assert lines[0] == "# A/B"
    assert lines[2].startswith("| scenario | backend | unit | baseline | candidate |")
    assert lines[4] == ("| project pages, HTML | sqlite | req/s | 1,050.0 | 1,020.0 | 0.971 | "
                        "0.900-1.050 | within 5% (caution: the rounds straddle 0.95) | - / - |")
    assert "- project pages, HTML, sqlite (req/s): 1,000.0, 1,100.0; 1,050.0, 990.0" in lines
