"""Over-target checks (O1xx): actuals far above targets, the threshold itself not flagged."""

from __future__ import annotations

import pytest
from checks_support import PROFILE, Case, base, case_id, cases, ind, make, run


def _row(target: str, actual: str, name: str = "宣传方式多样性", level2: str = "数量指标") -> Case:
    def case() -> object:
        return make([ind(name, target, actual, level2=level2), *make().indicators])

    case.__name__ = f"{target}-{actual}"
    return case


FIRES: dict[str, list[Case]] = {
    "O101": [
        _row("2500人次", "9770人次"),
        _row("≥12篇", "30余篇"),
        _row("2种以上", "4种"),
        _row("≤100万元", "40万元", "项目成本", "成本指标"),
    ]
}
QUIET: dict[str, list[Case]] = {
    "O101": [
        base,
        _row("2种以上", "3种"),  # deviation exactly 0.5: not above the threshold
        _row("100人", "149人"),
        _row("≤100万元", "60万元", "项目成本", "成本指标"),
        _row("是", "是"),
    ]
}


@pytest.mark.parametrize(("code", "case"), cases(FIRES), ids=case_id)
def test_fires(code: str, case: Case) -> None:
    found = run(code, case())
    assert found and all(f.family == "over_target" for f in found)


@pytest.mark.parametrize(("code", "case"), cases(QUIET), ids=case_id)
def test_quiet(code: str, case: Case) -> None:
    assert run(code, case()) == []


def test_message_and_place() -> None:
    (f,) = run("O101", _row("2500人次", "9770人次")())
    assert "9770人次" in f.message and "2500人次" in f.message and "291%" in f.message
    assert f.where == "目标1 第1行（宣传方式多样性）" and f.place == (2, 1, 1)
    (f,) = run("O101", _row("≤100万元", "40万元", "项目成本", "成本指标")())
    assert "远低于目标上限" in f.message


def test_threshold_is_the_profile_s() -> None:
    strict = PROFILE.model_copy(
        update={"over_target": PROFILE.over_target.model_copy(update={"threshold": 0.2})}
    )
    assert run("O101", _row("100人", "149人")(), strict)
