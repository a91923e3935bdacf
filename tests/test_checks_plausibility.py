"""Plausibility checks (V191–V194, D191, S191): values no real filing can have."""

from __future__ import annotations

import pytest
from checks_support import Case, base, case_id, cases, ind, make, run, weighted

from evalkit.checks.plausibility import impossible_dates
from evalkit.model import Budget, FundRow


def _named(name: str, build) -> Case:
    def case() -> object:
        return build()

    case.__name__ = name
    return case


def _weight(value: float, field: str = "weight") -> Case:
    def build() -> object:
        f = weighted()
        setattr(f.indicators[0], field, value)
        return f

    return _named(f"{field}={value}", build)


def _budget(**values: float) -> Case:
    def build() -> object:
        b = Budget(planned=100.0, executed=95.0, basic=80.0, project=15.0, stated_rate=95.0)
        for k, v in values.items():
            setattr(b, k, v)
        return make(budget=b)

    return _named(",".join(f"{k}={v}" for k, v in values.items()), build)


def _fund(executed: float) -> Case:
    def build() -> object:
        b = Budget(planned=100.0, executed=95.0, funds=[FundRow("当年财政拨款", 100.0, None, executed)])
        return make(budget=b)

    return _named(f"fund={executed}", build)


def _row(target: str, actual: str) -> Case:
    return _named(f"{target}-{actual}", lambda: make([*make().indicators, ind("培训人次", target, actual)]))


def _filed(date: str) -> Case:
    def build() -> object:
        f = base()
        f.unit.filing_date = date
        return f

    return _named(date or "blank", build)


def _declared(total: float) -> Case:
    return _named(f"declared={total}", lambda: weighted(total=total))


FIRES: dict[str, list[Case]] = {
    "V191": [_weight(-15.0), _weight(-1.0, "self_score")],
    "V192": [_budget(planned=-100.0), _budget(executed=-5.0), _budget(stated_rate=-95.0), _fund(-1.0)],
    "V193": [_budget(executed=9500.0), _budget(executed=151.0)],
    "V194": [_row("≥100人", "-15人"), _row("-5次", "3次")],
    "D191": [
        _filed("2024.13.45"),
        _filed("二〇二四年十三月四十五日"),
        _filed("2025年2月30日"),
        _row("2024年13月底完成", "2024年12月完成"),
    ],
    "S191": [_declared(120.0), _declared(-3.0)],
}
QUIET: dict[str, list[Case]] = {
    "V191": [base, weighted, _weight(0.0)],
    "V192": [base, _budget(adjustment=-14.54), _fund(0.0)],
    "V193": [base, _budget(executed=100.0), _budget(executed=149.0), _budget(planned=0.0)],
    "V194": [base, _row("≥100人", "0人"), _row("≤-5℃", "达成")],
    "D191": [base, _filed("2025.3.10"), _filed("二〇二五年三月十日"), _filed("2024-02-29"), _filed("待定")],
    "S191": [base, _declared(100.0), _declared(0.0)],
}


@pytest.mark.parametrize(("code", "case"), cases(FIRES), ids=case_id)
def test_fires(code: str, case: Case) -> None:
    assert run(code, case())


@pytest.mark.parametrize(("code", "case"), cases(QUIET), ids=case_id)
def test_quiet(code: str, case: Case) -> None:
    assert run(code, case()) == []


def test_negative_weight_names_the_row_and_value() -> None:
    (f,) = run("V191", _weight(-15.0)())
    assert f.where.startswith("目标1 第1行") and "-15" in f.message and f.severity == "error"


def test_far_above_budget_says_how_far() -> None:
    (f,) = run("V193", _budget(executed=9500.0)())
    assert "95.0倍" in f.message and "150%" in f.message


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("2024.13.45", ["2024.13.45"]),
        ("二〇二四年十三月四十五日", ["二〇二四年十三月四十五日"]),
        ("二〇二四年二月二十九日", []),
        ("二〇二三年二月二十九日", ["二〇二三年二月二十九日"]),
        ("2024-04-31", ["2024-04-31"]),
        ("2024.4.15", []),
        ("1500人", []),
    ],
)
def test_impossible_dates(text: str, bad: list[str]) -> None:
    assert impossible_dates(text) == bad
