"""The narrative reader on report texts beyond the seed's phrasing (tests/data/prose/*.yaml).

Each file is a report text in the outline style of one province's filings, with its table rows,
the narrative findings a careful reviewer lists (all of them: any other narrative finding fails),
the figures the reader must tie to a row, and the figures that must stay quiet (year-on-year
deltas, questionnaire counts, figures no row counts): a figure tied to the wrong row is worse
than a miss.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from checks_support import ind, make, run

from evalkit.checks import catalogue
from evalkit.model import Filing
from evalkit.prose.reading import read_narrative
from evalkit.values import notation as nt

CORPUS = sorted((Path(__file__).parent / "data" / "prose").glob("*.yaml"))
NARRATIVE = sorted(c.code for c in catalogue() if c.family == "narrative")


def _load(path: Path) -> tuple[Filing, dict]:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    rows = [
        ind(
            r["name"],
            r["target"],
            r["actual"],
            r.get("level1", "产出指标"),
            r.get("level2", "数量指标"),
            goal=r.get("goal", 1),
        )
        for r in spec["rows"]
    ]
    paragraphs = [line.strip() for line in spec["narrative"].splitlines() if line.strip()]
    closing = {"overall_goal": spec["overall_goal"]} if spec.get("overall_goal") else None
    return make(rows, narrative=paragraphs, closing=closing), spec


def _row_of(message: str, filing: Filing) -> str | None:
    named = [i.name for i in filing.indicators if f"{i.name}（目标{i.goal}" in message]
    return named[0] if named else None


def test_corpus_is_there() -> None:
    assert len(CORPUS) >= 5


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_expected_findings_and_nothing_else(path: Path) -> None:
    filing, spec = _load(path)
    found = [f for code in NARRATIVE for f in run(code, filing)]
    got = sorted((f.code, _row_of(f.message, filing) or "") for f in found)
    want = sorted((e["code"], e.get("row", "")) for e in spec["expect"])
    assert got == want, [f.message for f in found]
    for e in spec["expect"]:
        hits = [
            f for f in found if f.code == e["code"] and (_row_of(f.message, filing) or "") == e.get("row", "")
        ]
        assert any(e["words"] in f.message + f.where for f in hits), (e, [f.message for f in hits])


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_figures_tied_to_their_rows(path: Path) -> None:
    filing, spec = _load(path)
    reading = read_narrative(filing)
    rows = {i.key: i.name for i in filing.indicators}
    for tie in spec.get("ties", []):
        tied = [s for s in reading.statements if s.figure.text == tie["figure"]]
        assert tied, f"{tie['figure']} not read"
        assert any(
            [rows[k] for k in s.keys] == [tie["row"]] and s.figure.role == tie["role"] for s in tied
        ), [(s.keys, s.figure.role) for s in tied]


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_quiet_figures_are_tied_to_no_row(path: Path) -> None:
    filing, spec = _load(path)
    reading = read_narrative(filing)
    by_key = {i.key: i for i in filing.indicators}
    found = [f for code in NARRATIVE for f in run(code, filing)]
    for quiet in spec["quiet"]:
        figure = quiet["figure"]
        assert not any(figure in f.message or figure in f.where for f in found), (quiet, found)
        for s in reading.statements:
            if s.figure.text != figure:
                continue
            for key in s.keys:
                row = by_key[key]
                counts = [v for v in (row.target, row.actual) if v.kind == nt.NUMBER]
                assert not any(nt.same_unit(v, s.figure.value) for v in counts), (quiet, row.name)
