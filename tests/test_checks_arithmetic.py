"""Arithmetic checks (A1xx): budget figures against each other, in the table and the report."""

from __future__ import annotations

import pytest
from checks_support import Case, base, case_id, cases, ind, make, run, weighted

from evalkit.model import Budget, FundRow


def _basic_off() -> object:
    f = base()
    f.budget.project = 10.0  # 80 + 10 ≠ 95
    return f


def _basic_off_in_text() -> object:
    return make(narrative=["全年支出95万元，其中：基本支出80万元，项目支出10万元。"])


def _basic_ok_in_text() -> object:
    return make(narrative=["全年支出95万元，其中：基本支出80万元，项目支出15万元。"])


def _adjusted_off() -> object:
    f = base()
    f.budget.adjustment, f.budget.adjusted = -10.0, 95.0  # 100 − 10 ≠ 95
    return f


def _adjusted_ok() -> object:
    f = base()
    f.budget.adjustment, f.budget.adjusted = -10.0, 90.0
    return f


def _adjusted_off_in_text() -> object:
    return make(narrative=["年初预算100万元，预算调减数为10万元，调减后预算数95万元。"])


def _adjusted_ok_in_text() -> object:
    return make(narrative=["年初预算100万元，预算调减数为10万元，调减后预算数90万元。"])


def _adjusted_neutral_word() -> object:
    # "调整数" does not say which way: 100 − 10 = 90 adds up.
    return make(narrative=["年初预算100万元，调整数10万元，调整后预算数90万元。"])


def _rate_off() -> object:
    f = base()
    f.budget.stated_rate = 96.0
    return f


def _rate_off_in_text() -> object:
    return make(narrative=["年初预算100万元，全年支出95万元，预算执行率97%。"])


def _rate_rounded() -> object:
    f = base()
    f.budget.planned, f.budget.executed, f.budget.basic, f.budget.project = 202.98, 188.44, 179.96, 8.48
    f.budget.stated_rate = 92.8  # 92.836… written with one decimal
    return f


def _rate_other_basis() -> object:
    f = base()
    f.budget.adjusted, f.budget.stated_rate = 95.0, 100.0  # 95 / 95 on the adjusted basis
    return f


def _rate_as_fraction() -> object:
    f = base()
    f.budget.stated_rate = 0.95
    return f


def _score_off() -> object:
    f = weighted()
    f.budget.stated_score = 9.0
    return f


def _points_off() -> object:
    f = weighted()
    f.budget.max_points = 20.0
    return f


def _funds_off() -> object:
    f = weighted()
    f.budget.funds = [FundRow("当年财政拨款", 90.0, 90.0, 80.0), FundRow("上年结转资金", 10.0, 10.0, 10.0)]
    return f


def _total_cost(actual: str) -> object:
    rows = [ind("项目总成本", "≤100万元", actual, level2="成本指标"), *make().indicators]
    return make(rows)


def _cost_row(name: str, target: str, actual: str) -> object:
    return make([ind(name, target, actual, level2="成本指标"), *make().indicators])


def _no_budget() -> object:
    return make(budget=Budget(executed=95.0))


def _zero_budget() -> object:
    return make(budget=Budget(planned=0.0, executed=95.0))


FIRES: dict[str, list[Case]] = {
    "A101": [_basic_off, _basic_off_in_text],
    "A102": [_adjusted_off, _adjusted_off_in_text],
    "A103": [_rate_off, _rate_off_in_text],
    "A104": [_score_off],
    "A105": [_points_off],
    "A106": [_funds_off],
    "A107": [
        lambda: _total_cost("100万元"),
        lambda: _total_cost("90"),  # a bare figure in the target's unit (≤100万元)
        lambda: _cost_row("运行维护费", "150万", "150万"),  # the only cost row, 150万 against 95
    ],
    "A108": [_no_budget, _zero_budget],
}
QUIET: dict[str, list[Case]] = {
    "A101": [base, _basic_ok_in_text],
    "A102": [base, _adjusted_ok, _adjusted_ok_in_text, _adjusted_neutral_word],
    "A103": [base, _rate_rounded, _rate_other_basis, _rate_as_fraction],
    "A104": [weighted],
    "A105": [weighted],
    "A106": [base, weighted],
    "A107": [
        lambda: _total_cost("95万元"),
        lambda: _total_cost("950000元"),
        lambda: _cost_row("运行维护费", "≤100万元", "950000元"),
        lambda: _cost_row("人均培训成本", "≤500元", "480元"),  # per unit: not the whole cost
        lambda: _cost_row("耗材成本", "≤20万元", "18万元"),  # a part of the budget, not the whole
    ],
    "A108": [base],
}


@pytest.mark.parametrize(("code", "case"), cases(FIRES), ids=case_id)
def test_fires(code: str, case: Case) -> None:
    found = run(code, case())
    assert found and all(f.family == "arithmetic" for f in found)


@pytest.mark.parametrize(("code", "case"), cases(QUIET), ids=case_id)
def test_quiet(code: str, case: Case) -> None:
    assert run(code, case()) == []


def test_messages_name_the_figures() -> None:
    (f,) = run("A101", _basic_off())
    assert "80" in f.message and "10" in f.message and "95" in f.message
    assert f.where == "预算执行情况" and f.place == (1,)
    (f,) = run("A103", _rate_off())
    assert "96" in f.message and "95%" in f.message
    (f,) = run("A106", _funds_off())
    assert "当年财政拨款80" in f.message and "90" in f.message and "95" in f.message


def test_text_findings_point_at_the_paragraph() -> None:
    (f,) = run("A102", _adjusted_off_in_text())
    assert f.where.startswith("报告正文第1段：“") and f.place == (3, 1)
    assert "95万元" in f.message and "90" in f.message
