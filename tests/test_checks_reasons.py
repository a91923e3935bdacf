"""Missing-reason checks (R1xx): an unmet target with no reason in the row or the closing text."""

from __future__ import annotations

import pytest
from checks_support import Case, base, case_id, cases, ind, make, run


def _unmet(reason: str = "", closing: str = "", actual: str = "18公里") -> Case:
    def case() -> object:
        rows = [ind("配套灌溉渠道长度", "≥20公里", actual, reason=reason), *make().indicators]
        return make(rows, closing={"deviation_analysis": closing} if closing else None)

    case.__name__ = f"reason={reason or '-'} closing={closing or '-'} actual={actual}"
    return case


def _partial_tier() -> object:
    rows = [ind("群众获得感", "达成预期指标", "部分达成预期指标并具有一定效果", "效益指标", "社会效益指标")]
    return make([*make().indicators, *rows])


FIRES: dict[str, list[Case]] = {
    "R101": [_unmet(), _unmet(closing="受益农户满意度略低于目标。"), _partial_tier],
}
QUIET: dict[str, list[Case]] = {
    "R101": [
        base,
        _unmet(reason="征地协调延迟"),
        _unmet(closing="配套灌溉渠道因征地协调延迟少建2公里。"),
        _unmet(actual="20公里"),
    ],
}


@pytest.mark.parametrize(("code", "case"), cases(FIRES), ids=case_id)
def test_fires(code: str, case: Case) -> None:
    found = run(code, case())
    assert found and all(f.family == "missing_reason" for f in found)


@pytest.mark.parametrize(("code", "case"), cases(QUIET), ids=case_id)
def test_quiet(code: str, case: Case) -> None:
    assert run(code, case()) == []


def test_message_names_target_and_actual() -> None:
    (f,) = run("R101", _unmet()())
    assert "≥20公里" in f.message and "18公里" in f.message
    assert f.place == (2, 1, 1)
