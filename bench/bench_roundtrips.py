"""CPU per unit of one warm kernel, before and after sending a notebook's cells in fewer requests.

Each variant has a ``WarmExecutor`` of its own that runs the sample units of ``parameters/<year>/``
(cycled to N) and renders each as ``evalkit run`` does (papermill through evalkit's engine, then
nbconvert). The CPU counted for a unit is this process's (the worker's part: papermill, nbclient,
nbconvert) plus its kernel process's, from psutil; the kernel's start and a first unit run before
counting, so the figure is the marginal cost of a unit. Each round starts one kernel per variant
and alternates the units between them (the order rotating), so on a shared machine every variant
meets the same load; medians and ranges over the rounds are printed. The variants' HTML is
checked to be equal (the footer's date aside).

    python bench/bench_roundtrips.py --n 20 --rounds 3

Variants: ``before`` (a request per cell, as papermill's own engine sends them), ``after`` (runs
of code cells share a request: what ``evalkit run`` does). Both reset the kernel between units
with one silent request of its own.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = {"before": False, "after": True}  # batch_cells
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def cpu(proc: psutil.Process | None) -> float:
    if proc is None:
        return 0.0
    t = proc.cpu_times()
    return t.user + t.system + t.children_user + t.children_system


class Runner:
    """One variant's warm executor and its kernel; :meth:`unit` runs and renders one unit."""

    def __init__(self, variant: str, units: list[Path], out: Path, kernel_name: str) -> None:
        from evalkit.batch.executors import ExecutorSpec, WarmExecutor

        kind: Any = type(f"Warm_{variant}", (WarmExecutor,), {"batch_cells": VARIANTS[variant]})
        self.variant, self.units, self.out = variant, units, out
        self.executor = kind(ExecutorSpec("warm", kernel_name, restart_every=10_000))
        self.me = psutil.Process()
        self.kernel: psutil.Process | None = None
        self.unit(0)  # kernel start, first-unit caches: not counted
        self.kernel = psutil.Process(self.executor._kernel.pid)  # our own executor: its kernel

    def unit(self, i: int) -> tuple[float, float, str]:
        """(CPU seconds of this process and the kernel, wall seconds, the HTML) of unit ``i``."""
        from evalkit.batch.worker import unit_parameters
        from evalkit.report.render import notebook_to_html

        unit = self.units[i % len(self.units)]
        task = SimpleNamespace(filing=unit, profile="mof-2020", decisions=None)
        params = unit_parameters(task, self.out / f"{self.variant}-{i}.json")  # type: ignore[arg-type]
        c0, k0, w0 = cpu(self.me), cpu(self.kernel), time.perf_counter()
        nb = self.executor.execute(
            ROOT / "notebooks" / "review.ipynb",
            self.out / f"{self.variant}.ipynb",
            params,
            ROOT / "notebooks",
        )
        html = DATE.sub("DATE", notebook_to_html(nb, unit.stem))
        c1, k1, w1 = cpu(self.me), cpu(self.kernel), time.perf_counter()
        return (c1 - c0) + (k1 - k0), w1 - w0, html

    def close(self) -> None:
        kernels = self.executor.stats.kernels
        self.executor.close()
        assert kernels == 1, "the kernel was restarted: the count would include a start"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20, help="units per variant and round (default 20)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variants", default="before,after", help=f"of {', '.join(VARIANTS)}")
    parser.add_argument("--year", default="2024")
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    from evalkit.batch.kernels import ensure_kernel
    from evalkit.workbench.editor import units_in

    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    units = units_in(ROOT / "parameters" / args.year)
    kernel_name = ensure_kernel()
    results: dict[str, list[tuple[float, float]]] = {v: [] for v in variants}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            runners = [Runner(v, units, Path(tmp), kernel_name) for v in variants]
            totals = {v: [0.0, 0.0] for v in variants}
            try:
                for i in range(args.n):
                    shift = i % len(runners)
                    pages = set()
                    for runner in runners[shift:] + runners[:shift]:
                        c, w, page = runner.unit(i)
                        totals[runner.variant][0] += c
                        totals[runner.variant][1] += w
                        pages.add(page)
                    if len(pages) > 1:
                        print(f"unit {i}: the variants' HTML differ", file=sys.stderr)
                        return 1
            finally:
                for runner in runners:
                    runner.close()
            for v in variants:
                c, w = totals[v][0] / args.n, totals[v][1] / args.n
                results[v].append((c, w))
                print(
                    f"round {r + 1} {v:7s} cpu {c * 1000:6.1f} ms/unit  wall {w * 1000:6.1f} ms/unit",
                    flush=True,
                )
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nN={args.n} units × {args.rounds} rounds, load average {load} at the end; medians [min–max]")
    base = statistics.median(c for c, _ in results[variants[0]])
    for variant, runs in results.items():
        cs, ws = [c for c, _ in runs], [w for _, w in runs]
        med = statistics.median(cs)
        print(
            f"{variant:7s} cpu {med * 1000:6.1f} ms/unit [{min(cs) * 1000:.1f}–{max(cs) * 1000:.1f}]"
            f"  {(med / base - 1) * 100:+5.1f} %   wall {statistics.median(ws) * 1000:6.1f} ms/unit"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
