"""Tidy per-indicator and per-finding frames of one review: stable columns, reviewer decisions."""

from __future__ import annotations

from pathlib import Path

from evalkit.report import frames as tables
from evalkit.report.sections import load

CULTURE = (
    Path(__file__).resolve().parent.parent
    / "parameters"
    / "2024"
    / "示例_某区文化和旅游局_公共文化服务提升项目.yaml"
)


def test_indicator_frame() -> None:
    rv = load(CULTURE)  # with its .review.yaml
    df = tables.indicators(rv).set_index("key")
    assert list(tables.indicators(rv).columns) == tables.INDICATOR_COLUMNS
    assert len(df) == 8
    assert (
        df.loc["g1r5", "tier"] == "partial" and df.loc["g1r5", "score"] == 7.5 and df.loc["g1r5", "reviewer"]
    )
    assert (
        df.loc["g1r1", "deduction"] == 2.0
        and df.loc["g1r1", "final"] == 10.5
        and df.loc["g1r1", "over_target"]
    )
    assert round(rv.card.budget.score + df["final"].sum(), 2) == rv.total == 95.40
    assert list(tables.labelled(df.reset_index()).columns)[:3] == ["编号", "目标", "行"]


def test_findings_frame() -> None:
    rv = load(CULTURE)
    df = tables.findings(rv)
    assert list(df.columns) == tables.FINDING_COLUMNS
    assert len(df) == len(rv.findings)
    assert set(df["severity_label"]) <= {"错误", "警告", "提示"}
