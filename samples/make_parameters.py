"""Write the bundled sample units to ``parameters/2024/`` and ``parameters/2023/`` (run from the repository root).

    python samples/make_parameters.py

The 示例 units are invented (示例数据，非真实单位) to cover what a review meets: the project
layout with 分值/得分 columns, qualitative tiers, reverse and cost indicators, unmet targets with
and without a reason, an inflated self-score, and a reviewer's decisions. The seed filing is
imported from ``samples/seed/`` as ``evalkit import`` would. Re-running rewrites the files.

``parameters/2023/`` holds the same 示例 units one year earlier (the seed is a real unit and has no
invented year before it): by default each indicator just met its target, and
:data:`LAST_YEAR_ACTUALS` sets the figures that make the comparison tell something — 送戏下乡
128场 and 受益农户 1350户 last year against targets of 60场 and 1200户 now (指标值设置偏低), and
the nutrition project fully achieved in 2023, so its reviewed score falls by more than 10 points.
"""

from __future__ import annotations

import copy
import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from evalkit.checks import fmt
from evalkit.model import (
    KIND_DEPARTMENT,
    KIND_PROJECT,
    Budget,
    Filing,
    FundRow,
    Goal,
    Indicator,
    Paragraph,
    Unit,
)
from evalkit.readers import read_filing
from evalkit.readers.yamlform import default_yaml_path, write_yaml
from evalkit.scoring.decisions import Decision, Decisions
from evalkit.values import notation as nt
from evalkit.workbench.store import save_decisions

ROOT = Path(__file__).resolve().parent.parent
PARAMETERS = ROOT / "parameters"
SEED = ROOT / "samples" / "seed" / "000_e048286feab7bdae.txt"
YEAR = 2024
NOTE = "（示例数据，非真实单位，仅用于演示复核流程。）"

Row = tuple  # (level1, level2, name, target, actual, weight, self_score, reason)


def goal(index: int, title: str, rows: list[Row]) -> Goal:
    """A goal from compact rows; weight / self_score None where the table has no such column."""
    indicators = [
        Indicator(
            goal=index,
            row=n,
            level1=l1,
            level2=l2,
            level1_raw=l1,
            level2_raw=l2,
            name=name,
            target_text=target,
            actual_text=actual,
            weight=weight,
            self_score=self_score,
            reason=reason,
        )
        for n, (l1, l2, name, target, actual, weight, self_score, reason) in enumerate(rows, start=1)
    ]
    return Goal(index=index, title=title, indicators=indicators)


def narrative(*texts: str) -> list[Paragraph]:
    """Numbered narrative paragraphs, the first marking the unit as a sample."""
    return [Paragraph(index=i, text=t) for i, t in enumerate((NOTE, *texts), start=1)]


def farmland() -> Filing:
    """Project layout with 分值/得分, adjusted budget, a cost indicator, a late deadline, over-target."""
    return Filing(
        unit=Unit(
            name="示例 某区农业农村局 高标准农田建设项目",
            kind=KIND_PROJECT,
            year=YEAR,
            department="某区农业农村局",
            implementer="某区农田建设服务中心",
            filing_date="2025.3.20",
            declared_total=99.6,
            declared_grade="优",
        ),
        budget=Budget(
            planned=1200.0,
            adjustment=-100.0,
            adjusted=1100.0,
            executed=1056.0,
            funds=[
                FundRow("当年财政拨款", planned=1000.0, adjusted=900.0, executed=880.0),
                FundRow("上年结转", planned=200.0, adjusted=200.0, executed=176.0),
            ],
            stated_rate=96.0,
            max_points=10.0,
            stated_score=9.6,
            rate_basis="adjusted",
        ),
        goals=[
            goal(
                1,
                "新建高标准农田5000亩，配套灌溉排水设施，提升耕地质量和粮食产能。",
                [
                    ("产出指标", "数量指标", "新建高标准农田面积", "≥5000亩", "5200亩", 15, 15, ""),
                    (
                        "产出指标",
                        "数量指标",
                        "新建灌溉渠道长度",
                        "≥20公里",
                        "18公里",
                        10,
                        10,
                        "部分渠道因征地协调延后，已列入2025年春季施工计划。",
                    ),
                    ("产出指标", "质量指标", "工程验收合格率", "=100%", "100%", 10, 10, ""),
                    ("产出指标", "时效指标", "项目完工时间", "2024年11月底前", "2024年12月完成", 5, 5, ""),
                    ("产出指标", "成本指标", "亩均建设成本", "≤2000元", "1950元", 10, 10, ""),
                    ("效益指标", "经济效益指标", "新增粮食产能", "≥100万斤", "180万斤", 10, 10, ""),
                    ("效益指标", "社会效益指标", "受益农户数", "≥1200户", "1260户", 10, 10, ""),
                    ("效益指标", "可持续影响指标", "工程管护机制是否建立", "是", "是", 10, 10, ""),
                    ("满意度指标", "服务对象满意度指标", "受益农户满意度", "≥90%", "96%", 10, 10, ""),
                ],
            )
        ],
        narrative=narrative(
            "项目年初预算1200万元，年中调减100万元，全年预算1100万元，执行1056万元，执行率96%。",
            "全年新建高标准农田5200亩，新建灌溉渠道18公里，工程于2024年12月完成验收。",
            "委托第三方开展受益农户满意度问卷调查，回收有效问卷300份，满意度96%。",
        ),
        closing={
            "偏差原因分析": "灌溉渠道因征地协调未全部完工。",
            "改进措施": "加快征地协调，2025年春季完工。",
        },
        source_format="yaml",
    )


def health() -> Filing:
    """Department-wide table without 分值 (weights allocated), qualitative tiers, unmet with a reason."""
    return Filing(
        unit=Unit(
            name="示例 某区卫生健康局 部门整体支出",
            kind=KIND_DEPARTMENT,
            year=YEAR,
            department="某区卫生健康局",
            filing_date="2025.2.28",
            declared_grade="优",
        ),
        budget=Budget(
            planned=8650.0,
            executed=8209.85,
            basic=5120.30,
            project=3089.55,
            stated_rate=94.91,
            rate_basis="planned",
        ),
        goals=[
            goal(
                1,
                "保障机关正常运转，做好基本公共卫生服务和疾病预防控制，提升居民健康水平。",
                [
                    ("产出指标", "数量指标", "家庭医生签约人数", "≥12万人", "12.6万人", None, None, ""),
                    (
                        "产出指标",
                        "数量指标",
                        "65岁以上老年人健康管理人数",
                        "≥3.5万人",
                        "3.2万人",
                        None,
                        None,
                        "部分老年人外出或随子女居住，已安排2025年上半年补充体检。",
                    ),
                    ("产出指标", "质量指标", "传染病报告及时率", "≥98%", "99.2%", None, None, ""),
                    (
                        "产出指标",
                        "时效指标",
                        "年度健康体检完成时间",
                        "12月底完成",
                        "11月完成",
                        None,
                        None,
                        "",
                    ),
                    (
                        "效益指标",
                        "社会效益指标",
                        "居民健康素养水平",
                        "达成预期指标",
                        "部分达成预期指标并具有一定效果",
                        None,
                        None,
                        "健康素养监测结果略低于预期，将加强健康教育。",
                    ),
                    (
                        "效益指标",
                        "社会效益指标",
                        "突发公共卫生事件处置",
                        "达成预期指标",
                        "达成预期指标",
                        None,
                        None,
                        "",
                    ),
                    (
                        "效益指标",
                        "可持续影响指标",
                        "基层医疗服务能力",
                        "持续提升",
                        "效果明显",
                        None,
                        None,
                        "",
                    ),
                    ("满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "92%", None, None, ""),
                ],
            )
        ],
        narrative=narrative(
            "2024年部门预算8650万元，执行8209.85万元，其中基本支出5120.30万元，项目支出3089.55万元。",
            "全年家庭医生签约12.6万人，65岁以上老年人健康管理3.2万人。",
            "通过电话回访和问卷调查了解群众满意度，满意度为92%。",
        ),
        source_format="yaml",
    )


def nutrition() -> Filing:
    """Unmet targets without reasons, a cost limit exceeded, a boolean 否, an inflated self-score."""
    return Filing(
        unit=Unit(
            name="示例 某区教育局 学生营养改善计划项目",
            kind=KIND_PROJECT,
            year=YEAR,
            department="某区教育局",
            implementer="某区学生资助管理中心",
            filing_date="2025.3.5",
            declared_total=95.0,
            declared_grade="优",
        ),
        budget=Budget(
            planned=560.0,
            adjusted=560.0,
            executed=448.0,
            stated_rate=80.0,
            max_points=10.0,
            stated_score=8.0,
            rate_basis="adjusted",
        ),
        goals=[
            goal(
                1,
                "为农村义务教育阶段学生提供营养膳食补助，改善学生营养健康状况。",
                [
                    ("产出指标", "数量指标", "受惠学生人数", "≥12000人", "11800人", 15, 15, ""),
                    ("产出指标", "数量指标", "供餐天数", "≥200天", "186天", 10, 10, ""),
                    ("产出指标", "质量指标", "食品安全事故发生次数", "=0次", "0次", 10, 10, ""),
                    ("产出指标", "成本指标", "生均每天补助标准", "≤5元", "5.6元", 15, 15, ""),
                    (
                        "效益指标",
                        "社会效益指标",
                        "学生营养状况改善",
                        "达成预期指标",
                        "部分达成预期指标并具有一定效果",
                        15,
                        15,
                        "",
                    ),
                    ("效益指标", "可持续影响指标", "是否建立营养餐长效管理机制", "是", "否", 15, 15, ""),
                    ("满意度指标", "服务对象满意度指标", "家长满意度", "≥90%", "85%", 10, 10, ""),
                ],
            )
        ],
        narrative=narrative(
            "项目全年预算560万元，执行448万元，执行率80%。全年受惠学生11800人，供餐186天。",
        ),
        source_format="yaml",
    )


def sanitation() -> Filing:
    """Reverse indicators (cost, complaint rate), an unmet target with a reason, self-score 100."""
    return Filing(
        unit=Unit(
            name="示例 某区城市管理局 环卫保洁服务项目",
            kind=KIND_PROJECT,
            year=YEAR,
            department="某区城市管理局",
            implementer="某区环境卫生管理所",
            filing_date="2025.3.12",
            declared_total=100.0,
            declared_grade="优",
        ),
        budget=Budget(
            planned=3200.0,
            adjustment=150.0,
            adjusted=3350.0,
            executed=3298.5,
            stated_rate=98.46,
            max_points=10.0,
            stated_score=10.0,
            rate_basis="adjusted",
        ),
        goals=[
            goal(
                1,
                "做好城区道路清扫保洁和生活垃圾清运，提升市容环境卫生水平。",
                [
                    ("产出指标", "数量指标", "道路保洁面积", "≥450万平方米", "462万平方米", 10, 10, ""),
                    ("产出指标", "数量指标", "生活垃圾清运量", "≥8万吨", "8.6万吨", 10, 10, ""),
                    ("产出指标", "质量指标", "道路保洁达标率", "≥95%", "96.5%", 10, 10, ""),
                    ("产出指标", "质量指标", "生活垃圾无害化处理率", "=100%", "100%", 5, 5, ""),
                    ("产出指标", "时效指标", "垃圾是否日产日清", "是", "是", 5, 5, ""),
                    ("产出指标", "成本指标", "每平方米年保洁成本", "≤6.5元", "7.2元", 10, 10, ""),
                    ("效益指标", "社会效益指标", "市民投诉率", "<2%", "1.2%", 10, 10, ""),
                    ("效益指标", "生态效益指标", "生活垃圾分类覆盖率", "≥80%", "92%", 10, 10, ""),
                    (
                        "效益指标",
                        "可持续影响指标",
                        "作业车辆新能源比例",
                        "≥30%",
                        "27%",
                        10,
                        10,
                        "新能源车辆采购延期至2025年一季度交付。",
                    ),
                    ("满意度指标", "服务对象满意度指标", "市民满意度", "≥85%", "88%", 10, 10, ""),
                ],
            )
        ],
        narrative=narrative(
            "项目全年预算3350万元（年初3200万元，追加150万元），执行3298.5万元。",
            "委托第三方开展市民满意度调查，满意度88%。",
        ),
        source_format="yaml",
    )


def culture() -> Filing:
    """No 分值 column, far-over targets, qualitative rows: the unit with reviewer decisions."""
    return Filing(
        unit=Unit(
            name="示例 某区文化和旅游局 公共文化服务提升项目",
            kind=KIND_PROJECT,
            year=YEAR,
            department="某区文化和旅游局",
            implementer="某区文化馆",
            filing_date="2025.3.18",
            declared_total=98.5,
            declared_grade="优",
        ),
        budget=Budget(planned=420.0, executed=415.8, stated_rate=99.0, rate_basis="planned"),
        goals=[
            goal(
                1,
                "开展送戏下乡和全民阅读活动，完成乡镇综合文化站改造，丰富群众文化生活。",
                [
                    ("产出指标", "数量指标", "送戏下乡场次", "≥60场", "132场", None, None, ""),
                    ("产出指标", "数量指标", "图书馆新增藏书", "≥1万册", "1.05万册", None, None, ""),
                    ("产出指标", "质量指标", "文化活动行政村覆盖率", "≥90%", "95%", None, None, ""),
                    ("产出指标", "时效指标", "综合文化站改造完成时间", "10月底前", "9月完成", None, None, ""),
                    (
                        "效益指标",
                        "社会效益指标",
                        "群众文化生活改善",
                        "达成预期指标",
                        "达成预期指标",
                        None,
                        None,
                        "",
                    ),
                    ("效益指标", "社会效益指标", "文化品牌影响力", "提升", "效果明显", None, None, ""),
                    ("效益指标", "可持续影响指标", "文化设施是否长效运营", "是", "是", None, None, ""),
                    ("满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "100%", None, None, ""),
                ],
            )
        ],
        narrative=narrative(
            "全年开展送戏下乡132场，新增藏书1.05万册，综合文化站改造于9月完成。",
            "群众满意度达到100%。",
        ),
        source_format="yaml",
    )


def culture_decisions(filing_path: Path) -> None:
    """A reviewer's decisions for the culture unit: a qualitative tier and a deduction with reason."""
    path = filing_path.with_suffix(".review.yaml")
    path.unlink(missing_ok=True)
    decisions = Decisions(
        unit=filing_path.stem,
        reviewer="示例复核人",
        opinion="送戏下乡目标值明显偏低；群众文化生活改善的成效集中在城区，按部分达成计分。",
        items={
            "g1r1": Decision(
                deduction=2.0,
                reason="目标值设置偏低：上年已完成128场，本年目标仅60场，按偏离度调减。",
                comment="建议2025年目标不低于130场。",
            ),
            "g1r5": Decision(
                tier="partial",
                score=7.5,
                comment="活动集中在城区，乡镇覆盖不足，佐证材料只有城区活动照片。",
            ),
        },
    )
    when = datetime(2025, 4, 10, 15, 30, tzinfo=timezone(timedelta(hours=8)))
    save_decisions(path, decisions, who="示例复核人", now=when)


LAST_YEAR = YEAR - 1
# Last year's actuals that differ from "the target just met" (unit name → indicator → actual).
LAST_YEAR_ACTUALS = {
    "示例 某区文化和旅游局 公共文化服务提升项目": {"送戏下乡场次": "128场", "群众满意度": "95%"},
    "示例 某区农业农村局 高标准农田建设项目": {"受益农户数": "1350户", "新建灌溉渠道长度": "22公里"},
    "示例 某区城市管理局 环卫保洁服务项目": {"每平方米年保洁成本": "6.3元", "作业车辆新能源比例": "30%"},
}
# Last year's executed share of the budget, where it differs from this year's.
LAST_YEAR_EXECUTION = {"示例 某区教育局 学生营养改善计划项目": 0.98}


def _last_year_text(text: str) -> str:
    return re.sub(r"(?<!\d)20\d\d(?!\d)", lambda m: str(int(m.group(0)) - 1), text)


def _met(ind: Indicator) -> str:
    """The actual that just meets the target: its number and unit, or this year's actual."""
    value = nt.parse_value(ind.target_text)
    if value.kind == nt.NUMBER and value.number is not None:
        return f"{fmt(value.number)}{value.unit}"
    if value.kind == nt.QUALITATIVE:
        return "达成预期指标"
    if value.kind == nt.DEADLINE and value.month:
        return f"{LAST_YEAR}年{value.month}月完成"
    return _last_year_text(ind.target_text)


def last_year(filing: Filing) -> Filing:
    """The same invented unit one year earlier (see the module docstring for what differs)."""
    old = copy.deepcopy(filing)
    unit = old.unit
    unit.year = LAST_YEAR
    unit.filing_date = _last_year_text(unit.filing_date)
    b = old.budget
    share = LAST_YEAR_EXECUTION.get(unit.name)
    for name in ("planned", "adjusted", "adjustment", "basic", "project"):
        if getattr(b, name) is not None:
            setattr(b, name, round(getattr(b, name) * 0.95, 2))
    if b.executed is not None:
        base = b.adjusted if b.rate_basis == "adjusted" and b.adjusted else b.planned
        if share is not None and base:
            b.executed = round(base * share, 2)
        elif b.basic is not None and b.project is not None:
            b.executed = round(b.basic + b.project, 2)
        else:
            b.executed = round(b.executed * 0.95, 2)
        if base and b.stated_rate is not None:
            b.stated_rate = round(b.executed / base * 100, 2)
            if b.stated_score is not None:
                b.stated_score = round(min(b.stated_rate, 100) / 10, 2)
    b.funds = []
    changes = LAST_YEAR_ACTUALS.get(unit.name, {})
    for ind in old.indicators:
        ind.target_text = _last_year_text(ind.target_text)
        ind.actual_text = changes.get(ind.name) or _met(ind)
        ind.reason = ""
        if ind.weight is not None:
            ind.self_score = ind.weight
    if b.stated_score is not None and all(i.weight is not None for i in old.indicators):
        unit.declared_total = round(b.stated_score + sum(i.weight or 0 for i in old.indicators), 2)
    old.narrative = narrative(
        f"{LAST_YEAR}年度绩效自评，各项指标均已完成。", "通过问卷调查了解服务对象满意度。"
    )
    return old


def main() -> None:
    """Write every sample unit (and the imported seed) under ``parameters/2024/``, and the 示例
    units' previous year under ``parameters/2023/``."""
    for make in (farmland, health, nutrition, sanitation, culture):
        filing = make()
        target = default_yaml_path(filing, PARAMETERS)
        write_yaml(filing, target)
        print(f"写入 {target.relative_to(ROOT)}")
        if make is culture:
            culture_decisions(target)
        previous = last_year(filing)
        target = default_yaml_path(previous, PARAMETERS)
        write_yaml(previous, target)
        print(f"写入 {target.relative_to(ROOT)}")
    # Read by its repository-relative path, so the YAML's `source` does not name this machine.
    os.chdir(ROOT)
    seed = read_filing(SEED.relative_to(ROOT))
    target = default_yaml_path(seed, PARAMETERS)
    write_yaml(seed, target)
    print(f"导入 {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
