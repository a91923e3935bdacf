"""The batch benchmark runs end to end at a tiny N (a smoke test: its figures mean nothing here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_bench_prints_its_table(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "bench_batch.py"),
            "--n",
            "2",
            "--modes",
            "fresh,warm,floor",
            "--jobs",
            "2",
            "--keep",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert "N=2 units, jobs=2" in out
    for mode in ("fresh", "warm", "floor"):
        row = next(line for line in out.splitlines() if line.startswith(mode))
        assert row.split()[1:3] == ["2", "0"], row  # two units, none failed
    assert "c/d warm/floor" in out and "orch. peak MB" in out
    # Real reports came out of each mode.
    assert len(list((tmp_path / "n2" / "out-warm" / "2024").glob("*.html"))) == 3  # 2 units + index
    floor = tmp_path / "n2" / "out-floor"
    assert len(list(floor.glob("*.html"))) == 3  # 2 units + index, as evalkit run writes
    assert len(list((floor / "word").glob("*.docx"))) == 3 and (floor / "summary.xlsx").is_file()


def test_synthetic_units_cover_the_notations(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import bench_batch
    finally:
        sys.path.remove(str(ROOT / "bench"))
    from evalkit.readers import read_filing
    from evalkit.values.notation import parse_value

    bench_batch.make_project(tmp_path, 6)
    files = sorted((tmp_path / "parameters" / "2024").glob("*.yaml"))
    assert len(files) == 6
    kinds, comparators, sizes = set(), set(), []
    for f in files:
        filing = read_filing(f)
        sizes.append(len(filing.indicators))
        for ind in filing.indicators:
            for text in (ind.target_text, ind.actual_text):
                v = parse_value(text)
                kinds.add(v.kind)
                kinds.update(p.code for p in v.problems)
                comparators.add(v.comparator)
                if v.unit == "%":
                    kinds.add("percent")
                if v.tier:
                    kinds.add("tier")
    assert all(10 <= n <= 40 for n in sizes)
    assert {"number", "boolean", "deadline", "qualitative", "missing", "unreadable"} <= kinds
    assert {"approximate", "percent", "tier"} <= kinds
    assert {">=", ">", "<=", "<", "="} <= comparators
