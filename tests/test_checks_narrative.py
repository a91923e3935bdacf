"""Narrative checks (N1xx) and the narrative reader behind them (evalkit.prose.reading)."""

from __future__ import annotations

import pytest
from checks_support import Case, base, case_id, cases, ind, make, run

from evalkit.prose.reading import (
    ROLE_ACTUAL,
    ROLE_TARGET,
    find_figures,
    goal_paragraphs,
    is_delta,
    name_core,
    read_narrative,
    same_name,
)

GOALS = "（二）整体绩效目标"


def _text(*paragraphs: str, rows: list | None = None) -> Case:
    def case() -> object:
        return make(rows, narrative=list(paragraphs))

    case.__name__ = paragraphs[-1][:24]
    return case


def _training_rows() -> list:
    """Rows like the seed's goal 1 and 2 (targets and actuals as filed)."""
    return [
        ind("救护员培训人数", "1500人", "1849人"),
        ind("普及救护培训人次数", "2500人次", "9770人次"),
        ind("组织志愿服务活动次数", "12期", "24期"),
        ind("新增志愿者人数", "100", "1314名"),
        ind("信息数量", "＞10篇", "40篇"),
        ind("社会公众满意度", "＞90%", "100%", "满意度指标", "服务对象满意度指标"),
    ]


def _training(*paragraphs: str) -> Case:
    def case() -> object:
        return make(_training_rows(), narrative=["满意度问卷调查结果为100%。", *paragraphs])

    case.__name__ = paragraphs[-1][:24]
    return case


FIRES: dict[str, list[Case]] = {
    "N101": [
        _training("普及救护培训人数：全年开展普及救护培训25期，9770人次，完成目标值7500人次。"),
        _training("新增志愿者人数：新增红十字会员1219人，注册志愿者1314人。完成目标值300人。"),
        _training("（2）信息数量。全年发布信息40篇，年初目标值为20篇。"),
        _training(
            "（1）数量指标。①救护员培训人数：年度目标1500人，实际完成1849人。②普及救护培训人次数：年度目标3000人次，实际完成9770人次。"
        ),
    ],
    "N102": [
        _training(GOALS, "努力扩大培训覆盖面，完成应急救护知识普及培训2000人次以上。"),
        _training(GOALS, "整合志愿服务资源，开展志愿服务活动不少于14次。"),
        _training("年度绩效目标：组织志愿服务活动20期，发布信息10篇。"),
    ],
    "N103": [
        _training("①数量指标：培训救护员1900人，普及救护培训9770人次。"),
        _training("普及救护培训人次数：全年开展普及救护培训9000人次。"),
        _training("（1）数量指标。①救护员培训人数：年度目标1500人，实际完成1800人。"),
    ],
    "N104": [_training("信息数量：全年共发布信息40余篇，完成目标值＞10篇。")],
    "N105": [
        _training(GOALS, "规范应急救护师资管理，本年度完成应急救护师资培训10人以上。"),
        _training(GOALS, "推进学校红十字工作，建立博爱校医室1个、心理活动室2个。"),
        _training(GOALS, "开展“红筷行动”，为不少于7所试点中小学困难学生提供免费餐食。"),
        # the same number in the results, about something else
        _training(GOALS, "落实39户特色种养业奖补政策。", "（三）完成情况", "走访慰问困难群众39户。"),
    ],
    "N106": [
        _text("2024年部门整体预算金额100万元，部门决算支出90万元，预算执行率90%。"),
        _text("年初预算为100万元，实际使用金额为95万元，其中：基本支出80万元，项目支出10万元。"),
    ],
    "N107": [
        _text("，".join(f"第{i}批培训{i}人" for i in range(600)) + "。"),
        _text(*["，".join(f"发放物资{i}件" for i in range(400)) + "。" for _ in range(13)]),
    ],
}
QUIET: dict[str, list[Case]] = {
    "N101": [
        base,
        _training("救护员培训人数：开展培训33期，取得救护员证1849人，完成目标值1500人。"),
        _training("组织志愿服务活动次数：开展志愿服务活动24期，参加志愿者224人次。完成目标值12次。"),
        _training("信息数量：共发布信息40余篇，完成目标值＞10篇。"),
        _training("工作完成率：完成年度目标任务的100%。"),  # a share of the target, not a target
        _training("（1）数量指标。①救护员培训人数：年度目标1500人，实际完成1849人，完成率123%。"),
    ],
    "N102": [
        base,
        _training(GOALS, "参加志愿服务人数不少于200人次，开展志愿服务活动不少于12次。"),
        _training(GOALS, "完成应急救护师资培训10人以上。"),  # 师资 is not 救护员: no row, no conflict
        _training("（三）绩效目标完成情况", "完成应急救护知识普及培训2000人次以上。"),  # results, not goals
    ],
    "N103": [
        base,
        _training("新增志愿者人数：新增红十字会员1219人，注册红十字志愿者1314人。"),
        _training("参加救护培训人员合格率：参加救护培训人员共计1849人，合格率100%。"),
        _training("提高自救能力。开展应急救护培训33场，取得应急救护培训师资13人，普及培训人数9770人次。"),
        _training("新增志愿者人数：新增红十字会员1219人，注册志愿者1300人。"),  # two counts, neither named
        _training("信息数量：全年发布信息40余篇。"),  # a 约数 that agrees is N104's business
    ],
    "N104": [
        base,
        _training("信息数量：全年共发布信息40篇。"),
        _training("①数量指标：发布信息数量40余篇。", "信息数量：全年发布信息40篇。"),
    ],
    "N105": [
        base,
        _training(GOALS, "组织志愿服务活动，参加志愿服务人数不少于200人次，开展志愿服务活动不少于14次。"),
        _training(GOALS, "持续推动“三献”宣传力度，组织开展“世界献血日”活动。"),  # no quantity
        _training(GOALS, "安排专项资金50万元用于培训。"),  # funding, not a result
        _training("（三）存在的问题", "建立博爱校医室1个。"),  # not the goal section
        # the results restate the goal in its words: a reported result, only no indicator
        _training(GOALS, "落实39户特色种养业奖补政策。", "（三）完成情况", "已落实39户特色种养业奖补政策。"),
    ],
    "N106": [
        base,
        _text("2024年部门整体预算金额100万元，部门决算支出95万元，预算执行率95%。"),
        _text("年初预算为100万元，其中：工资福利支出60万元，商品和服务支出20万元。"),
        _text("培训经费预算20万元，已支出18万元。"),
        _text("预算总额100万元，预算调减数为5万元，调减后预算数95万元。"),  # no adjusted figure in the table
    ],
    "N107": [base, _text("，".join(f"发放物资{i}件" for i in range(500)) + "。")],  # at the cap, not over
}


@pytest.mark.parametrize(("code", "case"), cases(FIRES), ids=case_id)
def test_fires(code: str, case: Case) -> None:
    found = run(code, case())
    assert found and all(f.family == "narrative" for f in found)


@pytest.mark.parametrize(("code", "case"), cases(QUIET), ids=case_id)
def test_quiet(code: str, case: Case) -> None:
    assert run(code, case()) == []


def test_target_conflict_names_both_figures_and_quotes_the_paragraph() -> None:
    f = _training("普及救护培训人数：全年开展普及救护培训25期，9770人次，完成目标值7500人次。")()
    (found,) = run("N101", f)
    assert "表中目标值2500人次，报告正文为7500人次" in found.message
    assert "普及救护培训人次数（目标1 第2行）" in found.message
    assert found.where == "报告正文第2段：“完成目标值7500人次。”" and found.place == (3, 2)


def test_unitless_target_takes_the_actual_s_unit() -> None:
    f = _training("新增志愿者人数：注册志愿者1314人。完成目标值300人。")()
    (found,) = run("N101", f)
    assert "表中目标值100，报告正文为300人" in found.message


def test_goal_without_indicator_names_its_topic() -> None:
    f = _training(GOALS, "开展“红筷行动”公益助学项目，为不少于7所试点中小学困难学生提供免费餐食。")()
    (found,) = run("N105", f)
    assert "红筷行动" in found.message and "“不少于7所”" in found.message
    assert found.where.startswith("报告正文第3段：“") and len(found.where.split("“")[1]) <= 31


def test_approximate_reported_once_per_row() -> None:
    f = _training("①数量指标：发布信息数量40余篇。", "信息数量：全年发布信息40余篇。")()
    (found,) = run("N104", f)
    assert "40余篇" in found.message and "40篇" in found.message and "另见正文第3段" in found.message


def test_table_overall_goal_is_read_as_a_goal() -> None:
    filing = make(_training_rows(), closing={"overall_goal": "普及救护培训3000人次以上。"})
    (found,) = run("N102", filing)
    assert "自评表“年度总体目标 预期目标”" in found.where and found.place == (2, 0, 0)


# --- the reader -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("完成目标值7500人次。", [("7500人次", 7500, "人次", None)]),
        ("目标值＞10篇", [("＞10篇", 10, "篇", ">")]),
        ("开展志愿服务活动不少于14次", [("不少于14次", 14, "次", ">=")]),
        ("普及培训2000人次以上", [("2000人次以上", 2000, "人次", ">=")]),
        ("开展普及救护培训25期，9770人次", [("25期", 25, "期", None), ("9770人次", 9770, "人次", None)]),
        ("预算总额202.98万元", [("202.98万元", 202.98, "万元", None)]),
        ("2024年4月开始，12月底完成，第2期", []),
        ("共发布信息40余篇", [("40余篇", 40, "篇", None)]),
        ("培训时长12个月，服务1.5万人次", [("1.5万人次", 1.5, "万人次", None)]),
    ],
)
def test_find_figures(text: str, figures: list) -> None:
    got = [(text[a:b], v.number, v.unit, v.comparator) for a, b, v in find_figures(text)]
    assert got == figures


@pytest.mark.parametrize(
    ("name", "core"),
    [
        ("普及救护培训人次数", "普及救护培训"),
        ("普及救护培训人数", "普及救护培训"),
        ("组织志愿服务活动次数", "志愿服务活动"),
        ("新增志愿者人数", "新增志愿者"),
        ("信息数量", "信息数量"),
        ("保障红十字会工作顺利开展，更好服务于民（是否）", "保障红十字会工作顺利开展更好服务于民"),
        ("配套灌溉渠道长度", "配套灌溉渠道"),
    ],
)
def test_name_core(name: str, core: str) -> None:
    assert name_core(name) == core


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("普及救护培训人数", "普及救护培训人次数", True),
        ("社会居民对开展此项工作的满意度", "社会公众对开展此项工作的满意度", True),
        ("救护员培训人数", "普及救护培训人次数", False),
        ("应急救护师资培训", "救护员培训人数", False),
        ("新增志愿者人数", "组织志愿服务活动次数", False),
    ],
)
def test_same_name(a: str, b: str, same: bool) -> None:
    assert same_name(a, b) is same


def test_roles_in_a_plan_sentence() -> None:
    f = make(
        [ind("新建高标准农田面积", "≥1000亩", "1050亩"), ind("配套灌溉渠道长度", "≥20公里", "18公里")],
        narrative=[
            "计划新建高标准农田1000亩，配套灌溉渠道20公里。",
            "配套灌溉渠道完成18公里，未达到20公里的目标。",
        ],
    )
    got = [(s.figure.source.index, s.figure.text, s.figure.role) for s in read_narrative(f).statements]
    assert got == [
        (1, "1000亩", ROLE_TARGET),
        (1, "20公里", ROLE_TARGET),
        (2, "18公里", ROLE_ACTUAL),
        (2, "达到20公里", ROLE_TARGET),
    ]


def test_goal_section_bounds() -> None:
    f = make(
        narrative=[
            "（一）基本情况",
            "x。",
            "2.整体绩效目标",
            "a。",
            "（1）产出目标",
            "b。",
            "（二）绩效目标完成情况",
            "c。",
        ]
    )
    assert [i for i, _ in goal_paragraphs(f)] == [4, 6]


def test_figures_capped_per_paragraph_and_in_all() -> None:
    paragraph = "，".join(f"发放物资{i}件" for i in range(600)) + "。"
    found = run("N107", make(narrative=["开展培训30场。", paragraph]))
    assert [f.place for f in found] == [(3, 2)]
    assert "仅核对了前500个" in found[0].message and "报告正文第2段" in found[0].message
    many = ["，".join(f"发放物资{i}件" for i in range(450)) + "。" for _ in range(12)]
    found = run("N107", make(narrative=many))
    # 11 paragraphs of 450 make 4,950; the 12th is read up to 5,000 and the rest are not read
    assert [f.place for f in found] == [(3, 12)]
    assert "仅核对了前50个" in found[0].message


def test_300000_figures_are_read_in_a_few_seconds() -> None:
    import time

    from checks_support import PROFILE

    from evalkit.checks import Context, run_checks
    from evalkit.scoring.rules import score_filing

    one = "，".join(f"普及救护培训{i}人次" for i in range(300_000)) + "。"
    spread = ["，".join(f"开展志愿服务活动{j}期" for j in range(1000)) + "。" for _ in range(300)]
    for narrative in ([one], spread):
        filing = make(_training_rows(), narrative=narrative)
        t0 = time.perf_counter()
        reading = read_narrative(filing)
        found = run_checks(Context(filing, PROFILE, score_filing(filing, PROFILE)))
        assert time.perf_counter() - t0 < 8
        assert len(reading.statements) <= 5_000
        assert any(f.code == "N107" for f in found)


@pytest.mark.parametrize(
    ("words", "delta"),
    [
        ("参训人数较上年增加", True),
        ("同比增长", True),
        ("比上年多培训", True),
        ("较2023年减少了", True),
        ("与上年相比提高", True),
        ("超额完成", True),
        ("增幅", True),
        ("受益人口由上年的", True),
        ("去年同期为", True),
        ("满意度提高到", False),  # a level, not a change
        ("占比", False),
        ("比例达到", False),
        ("新增志愿者", False),
        ("累计培训", False),
        ("完成目标值", False),
    ],
)
def test_is_delta(words: str, delta: bool) -> None:
    assert is_delta(words) is delta


def test_goal_section_headed_goal_setting() -> None:
    f = make(
        narrative=[
            "二、绩效目标设定情况",
            "a。",
            "三、绩效目标完成情况",
            "b。",
            "绩效目标设定及完成情况",
            "c。",
        ]
    )
    assert [i for i, _ in goal_paragraphs(f)] == [2]


def test_several_goals_in_one_sentence() -> None:
    f = _training(GOALS, "全年普及救护培训2500人次，开展志愿服务活动12期，建设博爱家园3个。")()
    (found,) = run("N105", f)
    assert "“3个”" in found.message and "2500" not in found.message
    assert run("N102", f) == []


def test_result_named_by_its_verb_alone() -> None:
    rows = [ind("培训人数", "≥800人", "820人"), ind("培训场次", "≥20场", "24场")]
    f = make(rows, narrative=["全年累计培训760人，开展培训24场。"])
    (found,) = run("N103", f)
    assert "培训人数" in found.message and "760人" in found.message
    # two rows with the same verb and count: none is taken
    rows = [ind("培训人数", "≥800人", "820人"), ind("参训人数", "≥800人", "820人", goal=2)]
    f = make(rows, narrative=["全年累计培训760人。"])
    assert run("N103", f) == []


def test_delta_is_no_result() -> None:
    f = _training("救护员培训人数较上年增加300人，培训覆盖全区。")()
    assert run("N103", f) == []
    f = _training("救护员培训人数1800人，较上年增加300人。")()
    (found,) = run("N103", f)
    assert "1800人" in found.message and "300" not in found.message


def test_synonyms() -> None:
    f = _training("满意度：社会公众满意率为95%。")()
    (found,) = run("N103", f)
    assert "社会公众满意度" in found.message and "95%" in found.message


def test_goal_figure_equal_to_a_target_has_its_indicator() -> None:
    f = _training(GOALS, "为全区约1500名群众提供救护员培训服务。")()
    assert run("N105", f) == []


def test_thousands_separator_in_running_text() -> None:
    f = _training("救护员培训人数：全年培训救护员1，900人，合格率100%。")()
    (found,) = run("N103", f)
    assert "1，900人" in found.message
    f = _training("救护员培训人数：全年培训救护员1,849人，普及培训9,770人次。")()
    assert run("N103", f) == []
