"""Damaged filings never crash a review: either a Filing with findings, or a FilingError that says where."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from evalkit.errors import FilingError
from evalkit.pipeline import review
from evalkit.readers.text import read_text
from evalkit.report.textcard import render

DATA = Path(__file__).resolve().parent / "data"
SOURCES = [
    Path(__file__).resolve().parent.parent / "samples" / "seed" / "000_e048286feab7bdae.txt",
    DATA / "project_sample.txt",
    DATA / "clean_department.txt",
    DATA / "clean_project.txt",
]
ODD_CELLS = ["abc", "", "100", "—", "≥", "年度目标3：", "一级指标", "12月底", "是", "-5", "1e400", "９９"]


def _mutate(lines: list[str], rng: random.Random) -> list[str]:
    lines = list(lines)
    for _ in range(rng.randint(1, 8)):
        op, j = rng.random(), rng.randrange(len(lines))
        if op < 0.3:
            del lines[j]
        elif op < 0.5:
            lines.insert(j, lines[rng.randrange(len(lines))])
        elif op < 0.7:
            lines[j] = lines[j][: rng.randrange(len(lines[j]) + 1)]
        elif op < 0.85:
            lines[j] = "\t" + rng.choice(ODD_CELLS)
        else:
            lines.insert(j, "")
    return lines


@pytest.mark.parametrize("seed", range(4))
def test_mutated_filings_review_or_fail_cleanly(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    read_ok = 0
    for i in range(40):
        src = rng.choice(SOURCES)
        path = tmp_path / f"case{i}.txt"
        path.write_text(
            "\n".join(_mutate(src.read_text(encoding="utf-8").split("\n"), rng)), encoding="utf-8"
        )
        try:
            filing = read_text(path)
        except FilingError as exc:
            assert str(path) in str(exc)  # the message names the file
            continue
        rv = review(filing)
        doc = rv.to_json()
        if doc["total"] > doc["max_total"] + 1e-9:
            # Only weights that do not add up (e.g. a duplicated row) can lift the total past full marks.
            assert {"T105", "T106"} & {f["code"] for f in doc["findings"]}
        assert render(rv)
        read_ok += 1
    assert read_ok > 20  # most small damages are read around, not refused
