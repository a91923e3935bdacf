"""Self-score checks (S1xx): the unit's own scores, total and grade against the rules."""

from __future__ import annotations

import pytest
from checks_support import Case, base, case_id, cases, ind, run, weighted

# weighted(): rows weighted 20/20/10/30/10, budget 9.5 of 10, declared 99.5 优.


def _row_inflated() -> object:
    f = weighted()
    row = f.goals[0].indicators[4]  # 读者满意度 ≥90%: 88% gives 10 × 88/90 = 9.78
    row.actual_text, row.self_score = "88%", 10.0
    f.unit.declared_total = 99.28
    return f


def _row_understated() -> object:
    return weighted(selfs=[18.0, 20.0, 10.0, 30.0, 10.0], total=97.5)


def _qualitative(self_score: float) -> Case:
    def case() -> object:
        f = weighted()
        row = f.goals[0].indicators[3]  # 全民阅读氛围提升, weight 30
        row.actual_text, row.self_score = "部分达成预期指标并具有一定效果", self_score
        f.unit.declared_total = 99.5 - 30 + self_score
        return f

    case.__name__ = f"qualitative-partial-{self_score}"
    return case


def _above_weight() -> object:
    return weighted(selfs=[22.0, 20.0, 10.0, 30.0, 10.0], total=101.5)


def _total_not_sum() -> object:
    return weighted(total=98.0)


def _grade_off() -> object:
    return weighted(grade="良")


def _inflated_total() -> object:
    f = weighted(total=99.5)
    f.goals[0].indicators[0].actual_text = "30场"  # 20 × 30/40 = 15: recomputed 94.5
    f.goals[0].indicators[0].self_score = 15.0
    return f


def _declared_only(total: float | None, grade: str) -> Case:
    def case() -> object:
        f = base()
        f.unit.declared_total, f.unit.declared_grade = total, grade
        rows = f.goals[0].indicators
        rows[0].actual_text = "10场"  # 16.67 × 10/40 = 4.17
        rows[3].actual_text = "部分达成预期指标并具有一定效果"  # 30 × 0.8 = 24: recomputed 81.00 (良)
        return f

    case.__name__ = f"declared-{total}-{grade}"
    return case


# No 分值 column, self-scores given: base() allocates 产出 50/3 each, 效益 30, 满意度 10.
def _unweighted(selfs: list[float]) -> Case:
    def case() -> object:
        f = base()
        for row, own in zip(f.goals[0].indicators, selfs, strict=True):
            row.self_score = own
        return f

    case.__name__ = "unweighted-" + "-".join(f"{x:g}" for x in selfs)
    return case


_ALLOCATED_RIGHT = [50 / 3, 50 / 3, 50 / 3, 30.0, 10.0]


def _unweighted_inflated() -> object:
    f = _unweighted(_ALLOCATED_RIGHT)()
    f.goals[0].indicators[0].actual_text = "30场"  # 16.67 × 30/40 = 12.5, self-scored 16.67
    return f


def _unweighted_above_allocated() -> object:
    return _unweighted([50 / 3, 50 / 3, 50 / 3, 30.0, 15.0])()  # 满意度 allocated 10, self 15


def _one_unscored() -> object:
    f = weighted()
    f.goals[0].indicators[2].self_score = None
    return f


FIRES: dict[str, list[Case]] = {
    "S101": [
        _row_inflated,
        _row_understated,
        _qualitative(9.0 * 3),
        _unweighted_inflated,
        _unweighted_above_allocated,  # no 分值: compared with the rule on the allocated weight too
    ],
    "S102": [_above_weight, _unweighted_above_allocated],
    "S103": [_total_not_sum],
    "S104": [_grade_off],
    "S105": [_inflated_total, _declared_only(95.0, "优")],
    "S106": [_declared_only(None, "优"), _declared_only(95.0, "优")],
    "S107": [lambda: weighted(selfs=[None, None, None, None, None]), _one_unscored],
}
QUIET: dict[str, list[Case]] = {
    "S101": [
        base,
        weighted,
        _qualitative(21.0),
        _qualitative(24.0),
        _above_weight,
        _unweighted(_ALLOCATED_RIGHT),
    ],
    "S102": [base, weighted, _unweighted(_ALLOCATED_RIGHT), _unweighted_inflated],
    "S103": [base, weighted, lambda: weighted(total=99.5)],
    "S104": [base, weighted, lambda: weighted(selfs=[20.0, 20.0, 10.0, 20.0, 10.0], total=89.5, grade="良")],
    "S105": [base, weighted, _declared_only(81.0, "良")],
    "S106": [base, weighted, _declared_only(81.0, "良"), _declared_only(None, "中")],
    "S107": [base, weighted, _unweighted(_ALLOCATED_RIGHT)],
}


@pytest.mark.parametrize(("code", "case"), cases(FIRES), ids=case_id)
def test_fires(code: str, case: Case) -> None:
    found = run(code, case())
    assert found and all(f.family == "self_score" for f in found)


@pytest.mark.parametrize(("code", "case"), cases(QUIET), ids=case_id)
def test_quiet(code: str, case: Case) -> None:
    assert run(code, case()) == []


def test_inflated_row_is_an_error_understated_a_warning() -> None:
    (up,) = run("S101", _row_inflated())
    assert up.severity == "error" and "10分" in up.message and "9.78" in up.message
    assert up.place == (2, 1, 5)
    (down,) = run("S101", _row_understated())
    assert down.severity == "warning" and "18分" in down.message and "偏低" in down.message


def test_inflated_total_names_both_figures() -> None:
    (f,) = run("S105", _inflated_total())
    assert "99.5" in f.message and "94.50" in f.message and f.where == "总分"


def test_no_row_checks_without_self_scores() -> None:
    f = base()
    f.goals[0].indicators.append(ind("新增馆藏", "≥5000册", "4000册"))
    assert run("S101", f) == [] and run("S102", f) == []


def test_unweighted_self_score_names_the_allocated_weight() -> None:
    (finding,) = run("S101", _unweighted_inflated())
    assert "表中未列分值，按分配分值16.67" in finding.message and "应得12.5" in finding.message
    (above,) = run("S102", _unweighted_above_allocated())
    assert "超过按评分方案分配的分值10分" in above.message


def test_unscored_table_is_one_finding() -> None:
    assert len(run("S107", weighted(selfs=[None, None, None, None, None]))) == 1
    (row,) = run("S107", _one_unscored())
    assert "图书上架及时率" in row.where and "未自评" in row.message
