"""The benchmark's verdict lines: the median's ratio, and the range every pairing of runs gives."""

from __future__ import annotations

from benchmarks.report import Measurement, Target, verdicts

PAGES = "project pages, HTML"


def test_verdict_gives_the_ratio_of_medians_and_the_range_of_runs() -> None:
    results = [
        Measurement(PAGES, "strongroom", 30_000.0, spread=(27_000.0, 33_000.0)),
        Measurement(PAGES, "nginx-static", 100_000.0, spread=(90_000.0, 110_000.0)),
    ]
    (line,) = verdicts(results, [Target(PAGES, "strongroom", "nginx-static", 0.3)])
    assert line == (f"{PAGES}: strongroom >= 0.3 x nginx-static: met "
                    "(0.3 x; runs give 0.245-0.367 x)")


def test_single_runs_and_missing_rows_say_no_more_than_they_know() -> None:
    results = [Measurement(PAGES, "strongroom", 20_000.0),
               Measurement(PAGES, "nginx-static", 100_000.0, spread=(90_000.0, 110_000.0))]
    targets = [Target(PAGES, "strongroom", "nginx-static", 0.3),
               Target(PAGES, "strongroom", "devpi", 50)]
    assert verdicts(results, targets) == [
        f"{PAGES}: strongroom >= 0.3 x nginx-static: NOT MET (0.2 x)",
        f"{PAGES}: strongroom >= 50 x devpi: not measured",
    ]
