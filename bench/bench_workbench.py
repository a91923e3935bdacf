"""How long a widget change takes in the review workbench: ``python bench/bench_workbench.py [--n N]``.

Copies ``parameters/`` to a temporary folder, adds the largest real filing of ``tests/data/real/``
(most indicator rows, converted to the YAML form, as ``evalkit import`` would) beside the seed unit
in ``parameters/2024/``, and opens a :class:`~evalkit.workbench.editor.Workbench` with its charts on.
Then, ``N`` times on each of the two units, it makes the changes a reviewer makes — a tier change on
a row, a score typed inside the tier's range, a deduction, its reason, a comment, a finding's
disposition (采纳 / 不采纳) and its reason, the 复核意见 text, a profile switch — and switches unit
(back to the other one, whose unsaved edits the workbench keeps). Before that, every unit of
``parameters/2024/`` is opened once, timed as “unit, first open”.
Each change is timed from setting the widget's value to the observers returning (they run
synchronously, so the card, tables and charts are up to date when the assignment returns), in wall
time (``time.perf_counter``) and CPU time of this process (``time.process_time``).

It prints, per kind of change, the median and [min–max] in wall and CPU milliseconds, the overall
median, and the machine's load average before and after (a shared machine shows up in wall time,
much less in CPU). It is a benchmark, not a test: nothing is saved, nothing in the checkout changes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")

SEED = "武汉市蔡甸区红十字会"
PROFILES = ("mof-2020", "province-80-70-60")
KINDS = (
    "tier",
    "score",
    "deduction",
    "reason",
    "comment",
    "disposition",
    "disposition reason",
    "opinion",
    "profile",
    "unit",
    "unit, first open",
)


def _largest_real(dest: Path) -> Path:
    """The real filing with the most indicator rows, written as YAML into ``dest``."""
    from evalkit.errors import EvalkitError
    from evalkit.readers import read_filing
    from evalkit.readers.yamlform import unit_id, write_yaml

    best = None
    for path in sorted((ROOT / "tests" / "data" / "real").iterdir()):
        if path.suffix not in {".txt", ".docx", ".xlsx"}:
            continue
        try:
            filing = read_filing(path)
        except EvalkitError:
            continue
        rows = sum(len(g.indicators) for g in filing.goals)
        if best is None or rows > best[0]:
            best = (rows, filing)
    assert best is not None, "no readable filing in tests/data/real"
    return write_yaml(best[1], dest / f"{unit_id(best[1])}.yaml")


def _workspace(tmp: Path) -> tuple[Path, Path, Path]:
    params = tmp / "parameters"
    shutil.copytree(ROOT / "parameters", params, ignore=shutil.ignore_patterns("*.lock", "*.review.yaml"))
    year = params / "2024"
    return params, year / f"{SEED}.yaml", _largest_real(year)


class Timer:
    """Collects (wall, cpu) seconds per kind of change."""

    def __init__(self) -> None:
        self.times: dict[str, list[tuple[float, float]]] = defaultdict(list)

    def __call__(self, kind: str, change: Callable[[], object]) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        change()
        self.times[kind].append((time.perf_counter() - wall, time.process_time() - cpu))


def _sequence(wb, timer: Timer, i: int) -> None:
    """One reviewer's round of changes on the unit the workbench shows."""
    from evalkit.workbench.editor import parse_number

    editors = list(wb.editors.values())
    row = editors[i % len(editors)]
    other = editors[(i + 1) % len(editors)]

    def _set(widget, value):
        return lambda: setattr(widget, "value", value)

    tiers = ("partial", "achieved", "not_achieved", "rule")
    tier = next(t for k in range(4) if (t := tiers[(i + k) % 4]) != other.tier.value)  # a real change
    timer("tier", _set(other.tier, tier))
    if row.tier.value == "rule":
        row.tier.value = "partial"  # (untimed) so a score can be typed
    low, high = row.bounds()
    typed = f"{low + (high - low) * (0.25 if i % 2 else 0.75):.2f}"
    if parse_number(row.score.value) == parse_number(typed):
        typed = f"{low:.2f}"
    timer("score", _set(row.score, typed))
    timer("deduction", _set(row.deduction, "1.00" if i % 2 == 0 else "0.50"))
    timer("reason", _set(row.reason, f"完成值远高于目标值，按偏离度扣分（第{i}轮）"))
    timer("comment", _set(row.comment, f"复核备注：已核对佐证材料 {i}"))
    if wb.finding_editors:
        fe = wb.finding_editors[i % len(wb.finding_editors)]
        choice = "set_aside" if fe.choice.value != "set_aside" else "upheld"
        timer("disposition", _set(fe.choice, choice))
        timer("disposition reason", _set(fe.reason, f"已核实原始凭证，情况属实 {i}"))
    timer("opinion", _set(wb.opinion, f"总体情况良好，指标设置基本合理（第{i}轮）。"))
    profile = (
        PROFILES[(PROFILES.index(wb.profile.value) + 1) % 2] if wb.profile.value in PROFILES else PROFILES[0]
    )
    timer("profile", _set(wb.profile, profile))


def _summary(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"{statistics.median(ms):7.1f} [{min(ms):6.1f}–{max(ms):7.1f}]"


def main(argv: list[str] | None = None) -> int:
    """Run the workbench benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10, help="rounds of changes per unit (default 10)")
    parser.add_argument("--no-charts", action="store_true", help="open the workbench without charts")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-workbench-") as tmp:
        params, seed, large = _workspace(Path(tmp))
        from evalkit.workbench.editor import Workbench, units_in

        t0 = time.perf_counter()
        wb = Workbench(unit=seed, parameters=params, who="基准", charts=not args.no_charts)
        opened = time.perf_counter() - t0
        sizes = {}
        timer = Timer()
        others = [p for p in units_in(params / "2024") if p not in (seed, large)]
        for path in (*others, large):  # every other unit opened once (the seed is open already)
            timer("unit, first open", lambda p=path: setattr(wb.unit, "value", str(p)))
        for path in (large, seed):
            wb.unit.value = str(path)
            sizes[path.stem] = (len(wb.editors), len(wb.finding_editors))
        for i in range(args.n):
            for path in (seed, large):
                if wb.path != path:
                    timer("unit", lambda p=path: setattr(wb.unit, "value", str(p)))
                _sequence(wb, timer, i)
        assert wb.review is not None
    load_after = os.getloadavg()

    print(f"workbench update benchmark: {args.n} rounds per unit, charts {'off' if args.no_charts else 'on'}")
    for name, (rows, findings) in sizes.items():
        print(f"  unit {name}: {rows} indicator rows, {findings} findings")
    print(f"  first open (imports, fonts): {opened:.2f} s wall")
    print(f"  {'change':<20} {'n':>3}   {'wall ms median [min–max]':<28} {'CPU ms median [min–max]':<28}")
    walls: list[float] = []
    cpus: list[float] = []
    for kind in KINDS:
        if kind not in timer.times:
            continue
        wall = [t[0] for t in timer.times[kind]]
        cpu = [t[1] for t in timer.times[kind]]
        walls += wall
        cpus += cpu
        print(f"  {kind:<20} {len(wall):>3}   {_summary(wall):<28} {_summary(cpu):<28}")
    print(f"  {'all changes':<20} {len(walls):>3}   {_summary(walls):<28} {_summary(cpus):<28}")
    print(
        "  load average (1, 5, 15 min): before "
        + ", ".join(f"{x:.2f}" for x in load_before)
        + "; after "
        + ", ".join(f"{x:.2f}" for x in load_after)
        + f"; {os.cpu_count()} cores"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
