"""Formula checks (F1xx): stated execution-rate formulas, in words and in numbers."""

from __future__ import annotations

import pytest
from checks_support import Case, base, case_id, cases, make, run


def _text(formula: str) -> Case:
    def case() -> object:
        return make(narrative=[f"1.预算执行情况分析。{formula}。"])

    case.__name__ = formula
    return case


def _in_notes() -> object:
    return make(closing={"notes": "1.预算执行率=预算数/执行数×100%。"})


def _recorded_by_importer() -> object:
    f = base()
    f.budget.formula_text = "预算执行率=预算数/全年执行数"
    return f


FIRES: dict[str, list[Case]] = {
    "F101": [
        _text("预算执行率=预算数/执行数=95/100=95%"),
        _text("执行率＝年初预算数÷全年执行数"),
        _in_notes,
        _recorded_by_importer,
    ],
    "F102": [_text("预算执行率=执行数/预算数=95/100=96%"), _text("预算执行率=执行数/预算数=100/95=95%")],
}
QUIET: dict[str, list[Case]] = {
    "F101": [
        base,
        _text("预算执行率=执行数/预算数=95/100=95%"),
        _text("预算执行率=全年执行数/全年预算数×100%"),
        _text("预算执行率=预算执行数/年初预算数"),
    ],
    "F102": [base, _text("预算执行率=执行数/预算数=95/100=95%"), _text("执行率=188.44/202.98=92.84%")],
}


@pytest.mark.parametrize(("code", "case"), cases(FIRES), ids=case_id)
def test_fires(code: str, case: Case) -> None:
    found = run(code, case())
    assert found and all(f.family == "formula" for f in found)


@pytest.mark.parametrize(("code", "case"), cases(QUIET), ids=case_id)
def test_quiet(code: str, case: Case) -> None:
    assert run(code, case()) == []


def test_inverted_words_with_right_numbers() -> None:
    (f,) = run("F101", _text("预算执行率=预算数/执行数=95/100=95%")())
    assert f.severity == "warning"
    assert "“预算执行率=预算数/执行数”" in f.message and "执行数/预算数" in f.message
    assert "计算无误" in f.message
    assert f.where == "报告正文第1段：“预算执行率=预算数/执行数”" and f.place == (3, 1)


def test_swapped_numbers_are_named() -> None:
    (f,) = run("F102", _text("预算执行率=执行数/预算数=100/95=95%")())
    assert "颠倒" in f.message and "105.26%" in f.message


def test_one_finding_per_formula() -> None:
    f = _text("预算执行率=预算数/执行数")()
    f.budget.formula_text = "预算执行率=预算数/执行数"  # what the importer found in the same paragraph
    assert len(run("F101", f)) == 1
