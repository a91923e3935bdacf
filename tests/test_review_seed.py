"""The seed filing, reviewed end to end: the figures RULES §6 gives, from the dump and from YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.pipeline import review
from evalkit.readers import read_filing
from evalkit.readers.yamlform import filing_to_yaml, read_yaml, write_yaml


def _assert_seed_card(data: dict) -> None:
    assert data["unit"] == "武汉市蔡甸区红十字会"
    assert data["year"] == 2024
    assert data["kind"] == "部门整体"
    b = data["budget"]
    assert (b["planned"], b["executed"], b["rate"], b["score"], b["max"]) == (
        202.98,
        188.44,
        0.9284,
        9.28,
        10,
    )
    assert len(data["indicators"]) == 16
    assert {i["goal"] for i in data["indicators"]} == {1, 2}
    assert data["total"] == 99.28
    assert data["grade"] == "优"
    assert data["declared"]["grade"] == "优"
    # The RULES §6 findings travel in the document with their stable keys (the full list is
    # tests/test_checks_seed.py's).
    assert all({"code", "family", "severity", "message", "where"} <= set(f) for f in data["findings"])
    assert {"F101", "N101", "T103", "D101"} <= {f["code"] for f in data["findings"]}


def test_seed_from_text(seed_path: Path) -> None:
    _assert_seed_card(review(seed_path).to_json())


def test_seed_weights_allocated_by_level(seed_path: Path) -> None:
    rv = review(seed_path)
    by_level: dict[str, list[float]] = {}
    for s in rv.card.indicators:
        by_level.setdefault(s.indicator.level1, []).append(s.weight)
    assert len(by_level["产出指标"]) == 11 and sum(by_level["产出指标"]) == pytest.approx(50)
    assert len(by_level["效益指标"]) == 3 and sum(by_level["效益指标"]) == pytest.approx(30)
    assert len(by_level["满意度指标"]) == 2 and sum(by_level["满意度指标"]) == pytest.approx(10)


def test_seed_other_basis_from_report_text(seed_path: Path) -> None:
    # The table gives only 预算数/执行数; the report states the cut and the adjusted budget.
    filing = read_filing(seed_path)
    assert (filing.budget.adjustment, filing.budget.adjusted) == (-14.54, 188.44)
    assert filing.budget.locs["adjusted"].line is not None
    data = review(filing).to_json()["budget"]
    assert data["basis"] == "planned" and data["rate"] == 0.9284
    assert data["other_basis"] == "adjusted" and data["other_rate"] == 1.0


def test_seed_yaml_round_trip_is_lossless(seed_path: Path, tmp_path: Path) -> None:
    filing = read_filing(seed_path)
    path = write_yaml(filing, tmp_path / "seed.yaml")
    again = read_yaml(path)
    again.source_format = filing.source_format
    assert again == filing
    assert filing_to_yaml(again) == filing_to_yaml(filing)
    _assert_seed_card(review(again).to_json())


def test_project_layout_self_scores_beside_recomputed(project_path: Path) -> None:
    rv = review(project_path)
    data = rv.to_json()
    assert data["kind"] == "项目"
    rows = data["indicators"]
    assert rows and all(r["self_score"] is not None for r in rows)
    assert all(r["weight"] == r2.weight for r, r2 in zip(rows, rv.filing.indicators, strict=True))
    assert any(r["self_score"] > r["score"] + 0.01 for r in rows)  # the fixture's inflated self-score
    assert data["declared"]["total"] is not None
