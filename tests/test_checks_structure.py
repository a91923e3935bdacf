"""Structure checks (T1xx): level names, dimensions, weights and duplicates."""

from __future__ import annotations

import pytest
from checks_support import Case, base, case_id, cases, ind, make, run, weighted

from evalkit.model import Budget


def _with(*rows: object) -> Case:
    def case() -> object:
        return make([*make().indicators, *rows])  # type: ignore[list-item]

    case.__name__ = "+".join(getattr(r, "name", "?") for r in rows)
    return case


def _level1_raw(raw: str) -> Case:
    def case() -> object:
        f = base()
        for row in f.indicators:
            if row.level1 == "效益指标":
                row.level1_raw = raw
        return f

    case.__name__ = f"level1={raw}"
    return case


def _satisfaction_under(raw: str) -> Case:
    def case() -> object:
        f = base()
        f.indicators[-1].level1_raw = raw
        return f

    case.__name__ = f"satisfaction-under-{raw}"
    return case


def _without(level1: str) -> object:
    f = base()
    f.goals[0].indicators = [i for i in f.indicators if i.level1 != level1]
    return f


def _weights(ws: list[float]) -> Case:
    def case() -> object:
        f = weighted()
        for row, w in zip(f.indicators, ws, strict=True):
            row.weight = row.self_score = w
        return f

    case.__name__ = "weights-" + "-".join(map(str, ws))
    return case


def _duplicate(goal2: bool) -> object:
    rows = make().indicators
    dup = ind("阅读推广 活动场次", "≥40场", "52场", goal=2 if goal2 else 1)
    return make([*rows, dup])


FIRES: dict[str, list[Case]] = {
    "T101": [_level1_raw("效果指标"), _level1_raw("社会影响")],
    "T102": [
        _with(ind("其他", "是", "是", "效益指标", "其他指标")),
        _with(ind("增收", "≥5万元", "6万元", "产出指标", "经济效益指标")),
        # a non-standard name the reader maps onto a standard one
        _with(ind("完成年度资料上报", "12月底前", "12月", "产出指标", "时效指标", level2_raw="进度指标")),
    ],
    "T103": [_satisfaction_under("效益指标"), _satisfaction_under("效果指标")],
    "T104": [lambda: _without("满意度指标"), lambda: _without("效益指标")],
    "T105": [_weights([20.0, 20.0, 10.0, 30.0, 20.0])],
    "T106": [_weights([20.0, 20.0, 20.0, 20.0, 10.0]), _weights([20.0, 20.0, 10.0, 20.0, 20.0])],
    "T107": [lambda: _duplicate(goal2=False)],
    "T108": [_weights([5.0, 5.0, 40.0, 30.0, 10.0])],
    "T109": [
        _with(ind("预算完成率", "≥90%", "96%", level2="数量指标")),
        _with(ind("年度资金支付完成率", "100%", "100%", level2="时效指标")),
        _with(ind("预算执行率", "100%", "95%", level2="质量指标")),
        _with(ind("资金支出进度", "≥90%", "95%")),
    ],
}
QUIET: dict[str, list[Case]] = {
    "T101": [base, _level1_raw("效益"), _level1_raw("效益指标（30分）"), _level1_raw("")],
    "T102": [base, _with(ind("增收", "≥5万元", "6万元", "效益指标", "经济效益指标", level2_raw="经济效益"))],
    "T103": [base, _satisfaction_under("满意度指标"), _satisfaction_under("")],
    "T104": [base, lambda: make([], budget=Budget(planned=1.0, executed=1.0))],
    "T105": [base, weighted],
    "T106": [base, weighted],
    "T107": [base, lambda: _duplicate(goal2=True)],
    "T108": [base, weighted, _weights([20.0, 20.0, 10.0, 30.0, 10.0])],
    "T109": [base, _with(ind("资金拨付及时性", "是", "是", level2="时效指标"))],
}


@pytest.mark.parametrize(("code", "case"), cases(FIRES), ids=case_id)
def test_fires(code: str, case: Case) -> None:
    found = run(code, case())
    assert found and all(f.family == "structure" for f in found)


@pytest.mark.parametrize(("code", "case"), cases(QUIET), ids=case_id)
def test_quiet(code: str, case: Case) -> None:
    assert run(code, case()) == []


def test_level1_named_once_per_goal() -> None:
    f = base()
    for row in f.indicators:
        row.level1_raw = "效果指标" if row.level1 == "效益指标" else row.level1_raw
    f.indicators[-1].level1_raw = "效果指标"  # the satisfaction row filed under it too
    (name,) = run("T101", f)
    assert "“效果指标”" in name.message and "效益指标" in name.message
    (moved,) = run("T103", f)
    assert "“效果指标”" in moved.message and moved.place == (2, 1, 5)


def test_weights_messages() -> None:
    (f,) = run("T105", _weights([20.0, 20.0, 10.0, 30.0, 20.0])())
    assert "100" in f.message and "90" in f.message
    output, benefit = run("T106", _weights([20.0, 20.0, 20.0, 20.0, 10.0])())
    assert "“产出指标”分值合计60分" in output.message and "50分" in output.message
    assert "“效益指标”分值合计20分" in benefit.message and "30分" in benefit.message
    (dominant,) = run("T108", _weights([5.0, 5.0, 40.0, 30.0, 10.0])())
    assert "44%" in dominant.message and dominant.place == (2, 1, 3)
