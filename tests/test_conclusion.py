"""The 复核结论 and the three opinion texts: generated drafts, and the reviewer's edited overrides
saved in the .review.yaml with their history."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from evalkit.errors import DecisionsError
from evalkit.scoring.decisions import Decisions, decisions_from_dict, load_decisions
from evalkit.workbench.store import save_decisions

WHEN = datetime(2025, 4, 1, 9, 0, tzinfo=timezone.utc)


def test_conclusion_and_opinions_round_trip_with_history(tmp_path: Path) -> None:
    path = tmp_path / "u.review.yaml"
    d = Decisions(conclusion="复核得分88分，等级良。", opinions={"completeness": "资料齐全。"})
    merged = save_decisions(path, d, who="张三", now=WHEN)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["conclusion"] == "复核得分88分，等级良。"
    assert data["opinions"] == {"completeness": "资料齐全。"}
    assert "修改复核结论" in merged.history[-1]["what"] and "内容完整性" in merged.history[-1]["what"]
    back = load_decisions(path)
    assert back.conclusion == d.conclusion and back.opinions == d.opinions


def test_a_concurrent_save_keeps_the_other_writers_opinion(tmp_path: Path) -> None:
    path = tmp_path / "u.review.yaml"
    save_decisions(path, Decisions(conclusion="原结论"), who="甲", now=WHEN)
    base_a, base_b = load_decisions(path), load_decisions(path)
    a = Decisions(conclusion="甲改的结论", opinions={})
    b = Decisions(conclusion="原结论", opinions={"objectivity": "乙写的客观性意见"})
    save_decisions(path, a, who="甲", base=base_a, now=WHEN)
    merged = save_decisions(path, b, who="乙", base=base_b, now=WHEN)
    assert merged.conclusion == "甲改的结论"  # 乙 did not touch it
    assert merged.opinions == {"objectivity": "乙写的客观性意见"}
    assert len(merged.history) == 3


def test_unknown_opinion_key_names_the_file() -> None:
    with pytest.raises(DecisionsError, match=r"u\.review\.yaml.*opinions.*未知字段"):
        decisions_from_dict({"opinions": {"完整性": "x"}}, "u.review.yaml")
