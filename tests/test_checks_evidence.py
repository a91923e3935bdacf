"""Evidence checks (E1xx): a satisfaction figure needs a survey mentioned beside it."""

from __future__ import annotations

import pytest
from checks_support import SURVEY, Case, base, case_id, cases, ind, make, run

METHOD = "（5）公众评判法。是指通过专家评估、公众问卷及抽样调查等对财政支出效果进行评判。"


def _no_survey() -> object:
    return make(
        narrative=[
            "读者满意度：社会群众对本单位工作十分认可，满意度100%。",
            "（五）其他佐证材料",
            "无其他资料。",
        ]
    )


def _only_method_text() -> object:
    return make(narrative=[METHOD, "读者满意度：满意度100%。"])


def _survey_in_evidence_section() -> object:
    return make(
        narrative=["（五）佐证材料", "附件：读者问卷调查统计表（收回问卷286份）。", "读者满意度96%。"]
    )


def _survey_in_satisfaction_section() -> object:
    return make(narrative=["（三）满意度指标完成情况", "年底组织电话回访读者150人次，结果见附表。"])


def _no_satisfaction_row() -> object:
    f = make(narrative=["全年工作顺利。"])
    f.goals[0].indicators = [i for i in f.goals[0].indicators if i.level1 != "满意度指标"]
    return f


FIRES: dict[str, list[Case]] = {"E101": [_no_survey, _only_method_text]}
QUIET: dict[str, list[Case]] = {
    "E101": [base, _survey_in_evidence_section, _survey_in_satisfaction_section, _no_satisfaction_row]
}


@pytest.mark.parametrize(("code", "case"), cases(FIRES), ids=case_id)
def test_fires(code: str, case: Case) -> None:
    found = run(code, case())
    assert found and all(f.family == "evidence" for f in found)


@pytest.mark.parametrize(("code", "case"), cases(QUIET), ids=case_id)
def test_quiet(code: str, case: Case) -> None:
    assert run(code, case()) == []


def test_one_finding_for_all_satisfaction_rows() -> None:
    f = _no_survey()
    extra = make(narrative=[SURVEY]).indicators[-1]
    extra.goal, extra.row = 2, 1
    f.goals.append(type(f.goals[0])(index=2, indicators=[extra]))
    (found,) = run("E101", f)
    assert "完成值96%（另有目标2 第1行）" in found.message
    assert found.place == (2, 1, 5)


def test_points_at_the_row_named_for_satisfaction() -> None:
    f = _no_survey()
    misfiled = ind("安全事件发生数", "0起", "0起", "满意度指标", "服务对象满意度指标", goal=1, row=9)
    f.goals[0].indicators.insert(0, misfiled)
    (found,) = run("E101", f)
    assert "读者满意度" in found.where
