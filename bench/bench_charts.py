"""CPU cost of the report charts: ``python bench/bench_charts.py [--rounds R] [--save DIR]``.

Reviews the sample units of ``parameters/2024`` and the real corpus once, then draws each unit's two
report charts (indicator scores, budget) ``R`` times and the index charts once per round, timing
with ``time.process_time`` (CPU of this process: the number that does not swing with the machine's
load). Each round starts with the text cache empty (:mod:`evalkit.report.textcache`), so a round
is what one warm kernel does over its first units; ``--no-text-cache`` draws with matplotlib's
plain Agg canvas, for comparison. Prints the median per chart and per unit (two unit charts plus the index charts' share at
the corpus size) over the rounds, with the range. ``--save`` writes one PNG of each chart to look at.
``--synthetic N`` also draws the indicator chart of N synthetic units of the batch benchmark
(``bench_batch.make_project``: 10–40 indicators each) and prints its cost per chart and per row.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _reviews() -> list:
    from evalkit.pipeline import filing_paths, review_many

    paths = filing_paths([ROOT / "parameters" / "2024", ROOT / "tests" / "data" / "real"])
    return [item.review for item in review_many(paths) if item.review is not None]


def _frame(reviews: list):
    import pandas as pd

    rows = [
        {
            "unit": rv.filing.unit.name or (rv.path.stem if rv.path else "?"),
            "status": "ok",
            "grade": rv.grade,
            "declared_grade": rv.filing.unit.declared_grade,
            "budget_rate": rv.card.budget.rate,
        }
        for rv in reviews
    ]
    return pd.DataFrame(rows)


def _synthetic_reviews(n: int) -> list:
    import tempfile

    sys.path.insert(0, str(ROOT / "bench"))
    from bench_batch import YEAR, make_project

    from evalkit.pipeline import filing_paths, review_many

    root = make_project(Path(tempfile.mkdtemp(prefix="bench-charts-")), n)
    paths = filing_paths([root / "parameters" / YEAR])
    return [item.review for item in review_many(paths) if item.review is not None]


def _synthetic(charts, textcache, n: int, rounds: int) -> None:
    reviews = _synthetic_reviews(n)
    rows = sum(min(len(rv.card.indicators), charts.ROWS_SHOWN) for rv in reviews)
    per_chart: list[float] = []
    for _ in range(rounds):
        textcache.clear()
        t = time.process_time()
        for rv in reviews:
            charts.indicator_scores_png(rv)
        per_chart.append((time.process_time() - t) / len(reviews))
    med = statistics.median(per_chart)
    print(
        f"  synthetic units ({len(reviews)}, {rows / len(reviews):.1f} indicator rows on average): "
        f"indicator chart {med * 1000:.1f} ms CPU median (range {min(per_chart) * 1000:.1f}–"
        f"{max(per_chart) * 1000:.1f}), {med * len(reviews) / rows * 1000:.2f} ms per row"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the chart benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--save", default=None, help="Folder for one PNG of each chart.")
    parser.add_argument("--no-text-cache", action="store_true", help="Draw with the plain Agg canvas.")
    parser.add_argument(
        "--synthetic", type=int, default=0, help="Also draw the indicator chart of N synthetic units."
    )
    args = parser.parse_args(argv)

    from evalkit.report import charts, textcache

    if args.no_text_cache:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        textcache.CachingCanvas = FigureCanvasAgg  # type: ignore[misc]

    reviews = _reviews()
    df = _frame(reviews)
    t0 = time.process_time()
    charts.to_png(charts.budget(reviews[0]))  # first chart: font setup, imports (fixed cost)
    first = time.process_time() - t0
    per: dict[str, list[float]] = {"indicator_scores": [], "budget": [], "index (both)": []}
    for _ in range(args.rounds):
        textcache.clear()
        t = time.process_time()
        for rv in reviews:
            charts.indicator_scores_png(rv)
        per["indicator_scores"].append((time.process_time() - t) / len(reviews))
        t = time.process_time()
        for rv in reviews:
            charts.budget_png(rv)
        per["budget"].append((time.process_time() - t) / len(reviews))
        t = time.process_time()
        charts.to_png(charts.grade_distribution(df))
        charts.to_png(charts.execution_rates(df))
        per["index (both)"].append(time.process_time() - t)
    print(
        f"{len(reviews)} units, {args.rounds} rounds; first chart (fonts, imports) {first * 1000:.0f} ms CPU"
    )
    counts = {"composed": 0, **textcache.stats()}  # (a textcache before composing: none)
    if not args.no_text_cache:
        print(
            "  text cache, last round: {hits} hits, {misses} misses (texts laid out), "
            "{composed} of them composed of cached glyphs".format(**counts)
        )
    for name, values in per.items():
        med = statistics.median(values) * 1000
        print(
            f"  {name:<18} {med:7.1f} ms CPU median (range {min(values) * 1000:.1f}–{max(values) * 1000:.1f})"
        )
    unit = [
        a + b + c / len(reviews)
        for a, b, c in zip(per["indicator_scores"], per["budget"], per["index (both)"], strict=True)
    ]
    print(
        f"  per unit (2 charts + index share at {len(reviews)} units): {statistics.median(unit) * 1000:.1f} ms CPU"
    )
    print(
        f"  per unit with the index charts counted whole: {statistics.median(per['indicator_scores']) * 1000 + statistics.median(per['budget']) * 1000 + statistics.median(per['index (both)']) * 1000:.1f} ms CPU"
    )
    if args.synthetic:
        _synthetic(charts, textcache, args.synthetic, args.rounds)
    if args.save:
        out = Path(args.save)
        out.mkdir(parents=True, exist_ok=True)
        seed = next((rv for rv in reviews if "红十字会" in (rv.filing.unit.name or "")), reviews[0])
        big = max(reviews, key=lambda rv: len(rv.card.indicators))
        (out / "indicators_seed.png").write_bytes(charts.to_png(charts.indicator_scores(seed)))
        (out / "indicators_big.png").write_bytes(charts.to_png(charts.indicator_scores(big)))
        (out / "budget_seed.png").write_bytes(charts.to_png(charts.budget(seed)))
        (out / "grades.png").write_bytes(charts.to_png(charts.grade_distribution(df)))
        (out / "rates.png").write_bytes(charts.to_png(charts.execution_rates(df)))
        print(f"  PNGs in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
