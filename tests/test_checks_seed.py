"""The seed reviewed: every finding RULES §6 lists, at its place, and nothing else of weight."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from evalkit.pipeline import review

# (code, family, place, words the message or place must contain), in RULES §6 order.
EXPECTED = [
    ("F101", "formula", (3, 53), "预算执行率=预算数/执行数"),
    ("D101", "date", (0,), "2024.4.15"),
    ("N101", "narrative", (3, 59), "表中目标值2500人次，报告正文为7500人次"),
    ("N102", "narrative", (3, 32), "表中目标值2500人次，绩效目标为“2000人次以上”"),
    ("N101", "narrative", (3, 61), "表中目标值100，报告正文为300人"),
    ("N102", "narrative", (3, 31), "表中目标值12期，绩效目标为“不少于14次”"),
    ("N105", "narrative", (3, 30), "师资培训10人以上"),
    ("N105", "narrative", (3, 33), "博爱校医室1个、心理活动室2个"),
    ("N105", "narrative", (3, 34), "不少于7所"),
    ("O101", "over_target", (2, 1, 2), "9770人次"),
    ("O101", "over_target", (2, 1, 3), "24期"),
    ("O101", "over_target", (2, 1, 4), "1314名"),
    ("O101", "over_target", (2, 2, 1), "40篇"),
    ("O101", "over_target", (2, 2, 2), "30余篇"),
    ("V103", "value", (2, 2, 2), "30余篇"),
    ("N104", "narrative", (3, 12), "40余篇"),
    ("T101", "structure", (2, 2, 5), "效果指标"),
    ("T103", "structure", (2, 2, 6), "效果指标"),
    ("E101", "evidence", (2, 1, 10), "100%"),
]
# True and minor: the target "100" of 新增志愿者人数 has no unit.
ALSO = [("V104", "value", (2, 1, 4), "100")]


@pytest.fixture(scope="module")
def findings(request: pytest.FixtureRequest) -> list:
    seed = Path(__file__).resolve().parent.parent / "samples" / "seed" / "000_e048286feab7bdae.txt"
    return review(seed).findings


@pytest.mark.parametrize(("code", "family", "place", "words"), EXPECTED, ids=lambda x: str(x))
def test_expected_finding(findings: list, code: str, family: str, place: tuple, words: str) -> None:
    hits = [f for f in findings if f.code == code and f.place == place]
    assert len(hits) == 1, (code, place, [(f.code, f.place) for f in findings])
    (f,) = hits
    assert f.family == family
    assert words in f.message + f.where


def test_nothing_else(findings: list) -> None:
    got = Counter((f.code, f.place) for f in findings)
    want = Counter((code, place) for code, _, place, _ in EXPECTED + ALSO)
    assert got == want


def test_no_errors(findings: list) -> None:
    # None of the seed's findings is an error: its numbers add up, its problems are of wording,
    # consistency and evidence.
    assert [f for f in findings if f.severity == "error"] == []


def test_what_must_not_fire(findings: list) -> None:
    codes = {f.code for f in findings}
    assert not codes & {"A101", "A102", "A103", "A104", "F102", "N103", "N106", "S105", "S106"}
    # 宣传方式多样性 3 vs 2 is a deviation of exactly 0.5: not above the threshold.
    assert not [f for f in findings if f.code == "O101" and f.place == (2, 2, 4)]


def test_places_read_like_the_review(findings: list) -> None:
    by_code = {(f.code, f.place): f for f in findings}
    assert by_code[("N101", (3, 59))].where == "报告正文第59段：“完成目标值7500人次。”"
    assert by_code[("F101", (3, 53))].where == "报告正文第53段：“预算执行率=预算数/执行数”"
    assert by_code[("T103", (2, 2, 6))].where == "目标2 第6行（社会公众对开展此项工作的满意度）"
    assert by_code[("D101", (0,))].where == "表头 填报日期"
