"""Value checks (V1xx): how target and actual cells are written."""

from __future__ import annotations

import pytest
from checks_support import Case, base, case_id, cases, ind, make, run


def _row(target: str, actual: str, name: str = "培训人数", level2: str = "数量指标") -> Case:
    def case() -> object:
        return make([ind(name, target, actual, level2=level2), *make().indicators])

    case.__name__ = f"{name}:{target}→{actual}"
    return case


FIRES: dict[str, list[Case]] = {
    "V101": [
        _row("1500人", "abc"),
        _row("13月底完成", "10月完成", "完成时间", "时效指标"),
        _row("到0次", "43次", "组织宣传活动次数"),  # a number written wrongly, not words
    ],
    "V102": [_row("1500人", "—"), _row("", "1500人")],
    "V103": [_row("≥12篇", "30余篇"), _row("约100人", "120人")],
    "V104": [_row("100", "1314名"), _row("≥100百分比", "100%"), _row("≥266米", "≥266米")],
    "V105": [_row("≥90%", "120%")],
    "V106": [_row("≥30万元", "32万元", "项目成本", "成本指标"), _row("≥5万元", "6万元", "培训费用")],
    "V107": [_row("1500人", "1800人次"), _row("≥90%", "95人"), _row("10万元", "100000人")],
    "V108": [_row("1500人", "完成"), _row("≥95%", "达标")],
}
QUIET: dict[str, list[Case]] = {
    "V101": [base, _row("1500人", "1849人"), _row("达成预期指标", "100%完成")],
    "V102": [base, _row("1500人", "1849人")],
    "V103": [base, _row("≥12篇", "30篇")],
    "V104": [base, _row("1500人", "1849名")],
    "V105": [base, _row("≥90%", "100%")],
    "V106": [
        base,
        _row("≤30万元", "28万元", "项目成本", "成本指标"),
        _row("≥95%", "98%", "投诉处理率", "质量指标"),  # a cost word, but no money and no 成本 level
    ],
    "V107": [
        base,
        _row("1500人", "1849名"),
        _row("1.5万人次", "16000人次"),
        _row("≥30万元", "320000元"),
        _row("100", "120人"),
    ],
    "V108": [base, _row("达成预期指标", "完成"), _row("1500人", "1849人")],
}


@pytest.mark.parametrize(("code", "case"), cases(FIRES), ids=case_id)
def test_fires(code: str, case: Case) -> None:
    found = run(code, case())
    assert found and all(f.family == "value" for f in found)


@pytest.mark.parametrize(("code", "case"), cases(QUIET), ids=case_id)
def test_quiet(code: str, case: Case) -> None:
    assert run(code, case()) == []


def test_unit_mismatch_names_both_units() -> None:
    (f,) = run("V107", _row("1500人", "1800人次")())
    assert "“人”" in f.message and "“人次”" in f.message and f.place == (2, 1, 1)
