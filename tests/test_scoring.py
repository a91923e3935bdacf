"""Scoring rules of RULES §4, on hand-made indicator rows."""

from __future__ import annotations

import pytest

from evalkit.model import Budget, Filing, Goal, Indicator
from evalkit.scoring.decisions import Decision, Decisions
from evalkit.scoring.profiles import load_profile
from evalkit.scoring.rules import (
    BOOLEAN,
    DEADLINE,
    EQUAL,
    POSITIVE,
    QUALITATIVE,
    REVERSE,
    UNSCORABLE,
    ZERO_TARGET,
    score_budget,
    score_filing,
    score_indicator,
)

MOF = load_profile("mof-2020")
PROV = load_profile("province-80-70-60")


def ind(
    target: str, actual: str, name: str = "指标", level1: str = "产出指标", level2: str = "数量指标"
) -> Indicator:
    return Indicator(
        goal=1, row=1, name=name, level1=level1, level2=level2, target_text=target, actual_text=actual
    )


@pytest.mark.parametrize(
    ("target", "actual", "name", "level2", "rule", "score"),
    [
        ("1500人", "1849人", "救护员培训人数", "数量指标", POSITIVE, 10),
        ("1500人", "750人", "救护员培训人数", "数量指标", POSITIVE, 5),
        ("＞90%", "100%", "合格率", "质量指标", POSITIVE, 10),
        ("≥95%", "76%", "合格率", "质量指标", POSITIVE, 8),
        ("≤100万元", "90万元", "项目成本", "成本指标", REVERSE, 10),
        ("≤100万元", "150万元", "项目成本", "成本指标", REVERSE, 5),
        ("≤100万元", "200万元", "项目成本", "成本指标", REVERSE, 0),
        ("≤100万元", "250万元", "项目成本", "成本指标", REVERSE, 0),
        (
            "100万元",
            "120万元",
            "建设成本",
            "成本指标",
            REVERSE,
            8,
        ),  # bare target of a cost indicator is a ceiling
        ("=100%", "100%", "完成率", "质量指标", EQUAL, 10),
        ("=100%", "80%", "完成率", "质量指标", EQUAL, 8),
        ("=0", "0", "安全事故", "质量指标", ZERO_TARGET, 10),
        ("=0", "2", "安全事故", "质量指标", ZERO_TARGET, 0),
        ("是", "是", "是否完成", "质量指标", BOOLEAN, 10),
        ("是", "否", "是否完成", "质量指标", BOOLEAN, 0),
        ("12月底完成", "10月完成", "完成时间", "时效指标", DEADLINE, 10),
        ("10月底完成", "12月完成", "完成时间", "时效指标", DEADLINE, 8),  # late: partial tier's top
        ("达成预期指标", "达成预期指标", "社会效益", "社会效益指标", QUALITATIVE, 10),
        ("达成预期指标", "部分达成预期指标并具有一定效果", "社会效益", "社会效益指标", QUALITATIVE, 8),
        ("达成预期指标", "未达成预期指标且效果较差", "社会效益", "社会效益指标", QUALITATIVE, 6),
        ("1500人", "abc", "培训人数", "数量指标", UNSCORABLE, 0),
        ("1500人", "—", "培训人数", "数量指标", UNSCORABLE, 0),
        ("1500人", "-5人", "培训人数", "数量指标", POSITIVE, 0),  # a negative actual counts as 0
    ],
)
def test_rules(target: str, actual: str, name: str, level2: str, rule: str, score: float) -> None:
    s = score_indicator(ind(target, actual, name, level2=level2), 10.0, MOF)
    assert s.rule == rule
    assert s.score == pytest.approx(score)
    assert s.score <= s.weight


def test_reverse_ratio_variant() -> None:
    s = score_indicator(ind("≤100万元", "125万元", "项目成本", level2="成本指标"), 10.0, PROV)
    assert s.rule == REVERSE
    assert s.score == pytest.approx(8.0)  # w·A/B


def test_deviation_and_over_target_flag() -> None:
    s = score_indicator(ind("2500人次", "9770人次"), 10.0, MOF)
    assert s.deviation == pytest.approx((9770 - 2500) / 2500)
    assert s.over_target
    exactly = score_indicator(ind("2种以上", "3种"), 10.0, MOF)
    assert exactly.deviation == pytest.approx(0.5)
    assert not exactly.over_target  # flag only when deviation > threshold
    assert s.deduction == 0  # by default nothing is deducted: the reviewer decides


def test_reviewer_decisions_enter_as_data() -> None:
    row = ind("达成预期指标", "达成预期指标", level1="效益指标", level2="社会效益指标")
    tiered = score_indicator(row, 10.0, MOF, Decision(tier="partial"))
    assert tiered.score == pytest.approx(8.0)
    assert tiered.reviewer
    chosen = score_indicator(row, 10.0, MOF, Decision(tier="partial", score=7.1))
    assert chosen.score == pytest.approx(7.1)
    capped = score_indicator(row, 10.0, MOF, Decision(score=12))
    assert capped.score == 10  # 得分不能大于分值
    deducted = score_indicator(
        ind("2500人次", "9770人次"), 10.0, MOF, Decision(deduction=2, reason="目标值设置偏低")
    )
    assert deducted.deduction == 2
    corrected = score_indicator(ind("2500人次", "9770人次"), 10.0, MOF, Decision(target="7500人次"))
    assert corrected.deviation == pytest.approx((9770 - 7500) / 7500)


def test_budget_basis_and_other_basis() -> None:
    b = Budget(planned=202.98, adjusted=188.44, executed=188.44, rate_basis="planned")
    s = score_budget(b, MOF)
    assert s.basis == "planned"
    assert s.rate == pytest.approx(0.92837, abs=1e-5)
    assert s.score == pytest.approx(9.2837, abs=1e-4)
    assert s.other_basis == "adjusted"
    assert s.other_rate == pytest.approx(1.0)
    over = score_budget(Budget(planned=100, executed=120), MOF)
    assert over.score == 10  # capped at the points
    zero = score_budget(Budget(planned=0, executed=10), MOF)
    assert zero.rate is None and zero.score == 0 and zero.problem


def test_weight_allocation_and_total() -> None:
    inds = [ind("1人", "1人") for _ in range(4)]
    inds += [ind("是", "是", level1="效益指标", level2="社会效益指标") for _ in range(2)]
    inds += [ind("≥90%", "95%", level1="满意度指标", level2="服务对象满意度指标")]
    for i, row in enumerate(inds, 1):
        row.row = i
    filing = Filing(budget=Budget(planned=100, executed=95), goals=[Goal(index=1, indicators=inds)])
    card = score_filing(filing, MOF)
    weights = [s.weight for s in card.indicators]
    assert weights == pytest.approx([12.5] * 4 + [15, 15] + [10])
    assert card.total == pytest.approx(99.5)
    assert card.grade == "优"


def test_deductions_lower_total_and_grade() -> None:
    inds = [ind("10篇", "40篇")]
    filing = Filing(budget=Budget(planned=100, executed=100), goals=[Goal(index=1, indicators=inds)])
    decisions = Decisions(items={"g1r1": Decision(deduction=15, reason="目标值设置偏低")})
    card = score_filing(filing, MOF, decisions)
    assert card.deductions == 15
    assert card.total == pytest.approx(10 + 50 - 15)


@pytest.mark.parametrize(
    ("total", "mof", "prov"),
    [(90, "优", "优"), (89.99, "良", "优"), (80, "良", "优"), (75, "中", "良"), (59.99, "差", "差")],
)
def test_grades(total: float, mof: str, prov: str) -> None:
    assert MOF.grade(total) == mof
    assert PROV.grade(total) == prov


# Target and actual on one scale (issue 10): every rule with mixed magnitudes, money scales,
# Chinese numerals and percent words. (target, actual, name, level2, profile, rule, score of 10)
MIXED_SCALES = [
    # positive
    ("8000人", "1万人", "培训人数", "数量指标", MOF, POSITIVE, 10),
    ("1万人", "8000人", "培训人数", "数量指标", MOF, POSITIVE, 8),
    ("1.5万人次", "16000人次", "培训人次", "数量指标", MOF, POSITIVE, 10),
    ("1.5万人次", "12000人次", "培训人次", "数量指标", MOF, POSITIVE, 8),
    ("16000人次", "1.5万人次", "培训人次", "数量指标", MOF, POSITIVE, 9.375),
    ("百分之九十五", "96%", "合格率", "质量指标", MOF, POSITIVE, 10),
    ("≥百分之九十五", "76%", "合格率", "质量指标", MOF, POSITIVE, 8),
    ("95%", "百分之七十六", "合格率", "质量指标", MOF, POSITIVE, 8),
    ("≥95百分比", "76%", "合格率", "质量指标", MOF, POSITIVE, 8),
    ("≥50万元", "400000元", "资金到位金额", "数量指标", MOF, POSITIVE, 8),
    ("1.2亿元", "9600万元", "带动投资", "经济效益指标", MOF, POSITIVE, 8),
    ("三千五百人次", "2800人次", "培训人次", "数量指标", MOF, POSITIVE, 8),
    ("≥2公里", "1500米", "道路长度", "数量指标", MOF, POSITIVE, 7.5),
    ("150亩", "10公顷", "绿化面积", "数量指标", MOF, POSITIVE, 10),
    ("1,849人", "1849人", "培训人数", "数量指标", MOF, POSITIVE, 10),
    ("１２００名", "９６０人", "培训人数", "数量指标", MOF, POSITIVE, 8),
    ("100", "80人", "新增志愿者", "数量指标", MOF, POSITIVE, 8),
    ("1万", "8000人", "培训人数", "数量指标", MOF, POSITIVE, 8),
    ("壹拾万元", "8万元", "资金到位金额", "数量指标", MOF, POSITIVE, 8),
    ("两千人", "1,600人", "培训人数", "数量指标", MOF, POSITIVE, 8),
    ("1，000户", "800户", "受益户数", "数量指标", MOF, POSITIVE, 8),
    # reverse, linear (mof-2020)
    ("≤50万元", "480000元", "项目成本", "成本指标", MOF, REVERSE, 10),
    ("≤50万元", "600000元", "项目成本", "成本指标", MOF, REVERSE, 8),
    ("≤50万元", "1000000元", "项目成本", "成本指标", MOF, REVERSE, 0),
    ("≤50万元", "75万", "项目成本", "成本指标", MOF, REVERSE, 5),
    ("≤0.5亿元", "6000万元", "项目成本", "成本指标", MOF, REVERSE, 8),
    ("不超过100万元", "1,200,000元", "项目成本", "成本指标", MOF, REVERSE, 8),
    ("≤5%", "百分之六", "投诉率", "质量指标", MOF, REVERSE, 8),
    ("≤5‰", "0.6%", "事故率", "质量指标", MOF, REVERSE, 8),
    ("100万元", "1200000元", "建设成本", "成本指标", MOF, REVERSE, 8),
    ("≤2公里", "2500米", "偏离长度", "质量指标", MOF, REVERSE, 7.5),
    ("≤3万元", "叁万元", "人均成本", "成本指标", MOF, REVERSE, 10),
    # reverse, ratio (province-80-70-60: w · A / B)
    ("≤50万元", "625000元", "项目成本", "成本指标", PROV, REVERSE, 8),
    ("≤1亿元", "12500万元", "项目成本", "成本指标", PROV, REVERSE, 8),
    ("≤10%", "百分之十二点五", "投诉率", "质量指标", PROV, REVERSE, 8),
    ("≤50万元", "400000元", "项目成本", "成本指标", PROV, REVERSE, 10),
    # equal
    ("=1万人", "8000人", "培训人数", "数量指标", MOF, EQUAL, 8),
    ("=100%", "百分之八十", "完成率", "质量指标", MOF, EQUAL, 8),
    ("=50万元", "500000元", "资金到位金额", "数量指标", MOF, EQUAL, 10),
    ("=1.5万人次", "15000人次", "培训人次", "数量指标", MOF, EQUAL, 10),
    ("=百分之百", "100%", "完成率", "质量指标", MOF, EQUAL, 10),
    # zero target
    ("=0元", "0万元", "违规资金", "质量指标", MOF, ZERO_TARGET, 10),
    ("=0万元", "5000元", "违规资金", "质量指标", MOF, ZERO_TARGET, 0),
    ("=0%", "0‰", "事故率", "质量指标", MOF, ZERO_TARGET, 10),
    # boolean
    ("是", "是", "是否完成", "质量指标", MOF, BOOLEAN, 10),
    ("否", "是", "是否发生事故", "质量指标", MOF, BOOLEAN, 0),
    # deadline, months in Chinese numerals
    ("十二月底完成", "十月完成", "完成时间", "时效指标", MOF, DEADLINE, 10),
    ("十月底完成", "十二月完成", "完成时间", "时效指标", MOF, DEADLINE, 8),
    ("2024年12月31日前", "2024年11月", "完成时间", "时效指标", MOF, DEADLINE, 10),
    # qualitative, including a numeric target answered in words
    ("达成预期指标", "完成", "社会效益", "社会效益指标", MOF, QUALITATIVE, 10),
    ("1.5万人次", "完成", "培训人次", "数量指标", MOF, QUALITATIVE, 10),
    ("≥50万元", "基本完成", "资金到位金额", "数量指标", MOF, QUALITATIVE, 8),
    ("百分之九十五", "未达标", "合格率", "质量指标", MOF, QUALITATIVE, 6),
]


@pytest.mark.parametrize(("target", "actual", "name", "level2", "profile", "rule", "score"), MIXED_SCALES)
def test_rules_on_one_scale(
    target: str, actual: str, name: str, level2: str, profile, rule: str, score: float
) -> None:
    s = score_indicator(ind(target, actual, name, level2=level2), 10.0, profile)
    assert s.rule == rule, (target, actual)
    assert s.score == pytest.approx(score), (target, actual)
    assert s.note == ""


@pytest.mark.parametrize(
    ("target", "actual", "dev", "over"),
    [
        ("8000人", "1.5万人", 0.875, True),
        ("1万人", "8000人", -0.2, False),
        ("1.5万人次", "30000人次", 1.0, True),
        ("≥50万元", "600000元", 0.2, False),
        ("百分之五十", "80%", 0.6, True),
        ("10万元", "100000元", 0.0, False),
    ],
)
def test_deviation_on_one_scale(target: str, actual: str, dev: float, over: bool) -> None:
    s = score_indicator(ind(target, actual, "培训人数"), 10.0, MOF)
    assert s.deviation == pytest.approx(dev)
    assert s.over_target is over


def test_reverse_deviation_on_one_scale() -> None:
    s = score_indicator(ind("≤50万元", "200000元", "项目成本", level2="成本指标"), 10.0, MOF)
    assert s.deviation == pytest.approx(0.6)  # 60 % under the ceiling
    assert s.over_target


@pytest.mark.parametrize(("target", "actual"), [("90%", "95人"), ("5个百分点", "6%"), ("10篇", "12种")])
def test_units_that_do_not_convert_are_noted(target: str, actual: str) -> None:
    s = score_indicator(ind(target, actual, "指标"), 10.0, MOF)
    assert s.rule == POSITIVE
    assert s.score == pytest.approx(10)  # compared as written
    assert "单位不同" in s.note and target in s.note and actual in s.note
