"""Layouts as data: each province's table (tests/data/layouts/*.rows) read through the vocabulary
of ``evalkit/readers/layouts.yaml``.

A fixture is a table written one row per line, cells separated by `` | `` (``⏎`` a line break in a
cell; ``> `` lines stand before the table, ``#`` lines are comments). The test turns it into the
text dump Word produces (one tab-led line per cell, rows separated by a blank line) and reads it
with :func:`evalkit.readers.text.read_text`, so the whole text path is exercised.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from evalkit.cli import cli
from evalkit.errors import FilingError
from evalkit.model import Loc
from evalkit.pipeline import review
from evalkit.readers.grid import Cell, merge_two_row_header
from evalkit.readers.layouts import parse_vocabulary, vocabulary
from evalkit.readers.text import read_text

LAYOUTS = Path(__file__).resolve().parent / "data" / "layouts"


def dump(rows_file: Path) -> str:
    """The text dump of a ``.rows`` fixture."""
    out: list[str] = []
    for line in rows_file.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if line.startswith("> "):
            out.append(line[2:])
            continue
        cells = [c.strip() for c in line.split("|")]
        out.extend("\t" + c.replace("⏎", "\n") for c in cells)
        out.append("")
    return "\n".join(out) + "\n"


def read_layout(name: str, tmp_path: Path):
    path = tmp_path / f"{name}.txt"
    path.write_text(dump(LAYOUTS / f"{name}.rows"), encoding="utf-8")
    return read_text(path)


def rows_by_name(filing) -> dict:
    return {ind.name: ind for ind in filing.indicators}


def scores(filing) -> dict[str, tuple[str, float]]:
    card = review(filing).card
    return {s.indicator.name: (s.rule, round(s.rule_score, 2)) for s in card.indicators}


def codes(filing) -> list[str]:
    return [p.code for p in filing.problems]


# --- the vocabulary ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "role"),
    [
        ("实际完成值", "actual"),
        ("全年实际值(B)", "actual"),
        ("实际得分", "score"),  # 得分 before 实际
        ("得分系数(%)", "coefficient"),  # 系数 before 得分
        ("得分计算方法", "ignore"),  # a method text, not the score
        ("调整指标值", "adjusted_target"),  # before 指标值
        ("年初指标值", "target"),
        ("年度指标值(A)", "target"),
        ("指标性质", "comparator"),
        ("计算符号", "comparator"),
        ("度量单位", "unit"),
        ("计量单位", "unit"),
        ("指标权重(分)", "weight"),
        ("权重", "weight"),
        ("是否核心指标", "core"),
        ("指标名称", "level3"),
        ("未完成原因分析", "reason"),
    ],
)
def test_indicator_header_words(header: str, role: str) -> None:
    assert vocabulary().indicator_role(header) == role


@pytest.mark.parametrize(
    ("header", "role"),
    [
        ("年度预算数（万元）", "label"),  # Sichuan: over the row labels, not an amount column
        ("年初预算", "planned"),
        ("调整后预算数", "adjusted"),
        ("全年(调整)预算数", "adjusted"),
        ("预算执行数", "executed"),
        ("执行率权重", "max_points"),
        ("执行率得分(分)", "score"),
        ("得分（20分*执行率）", "score"),
        ("得分计算方法", "ignore"),
    ],
)
def test_budget_header_words(header: str, role: str) -> None:
    assert vocabulary().budget_role(header) == role


@pytest.mark.parametrize(
    ("text", "comparator"), [("≧", ">="), ("═", "="), ("﹦", "="), ("≤", "<="), ("定性", None)]
)
def test_comparator_words(text: str, comparator: str | None) -> None:
    assert vocabulary().comparator(text) == comparator


def test_vocabulary_rejects_unknown_roles() -> None:
    with pytest.raises(ValueError, match="unknown roles"):
        parse_vocabulary(
            {
                "indicator_columns": {"nonsense": {"contains": ["x"]}},
                "budget_columns": {},
                "indicator_header_sets": [],
                "comparators": {},
                "total_labels": [],
                "placeholder_names": [],
                "unit_labels": {},
            }
        )


# --- two-row headers --------------------------------------------------------------------------


def _cells(*texts: str) -> list[Cell]:
    return [Cell(t, Loc("t.txt", line=i)) for i, t in enumerate(texts)]


def test_two_row_header_text_dump_width() -> None:
    """The upper row shows each merged cell once: its cells fill the lower row's blanks."""
    upper = _cells("绩效指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因")
    lower = _cells("一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "", "", "", "")
    merged = [c.text for c in merge_two_row_header(upper, lower) or []]
    assert merged[3:] == ["指标性质", "指标值", "度量单位", "实际完成值", "分值", "得分", "偏差原因"]


def test_two_row_header_office_width() -> None:
    """An Office grid repeats a horizontally merged cell: columns merge one by one."""
    upper = _cells(*["绩效指标"] * 3, *["年度指标值"] * 3, "实际完成值", "分值", "得分", "偏差原因")
    lower = _cells("一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "", "", "", "")
    merged = [c.text for c in merge_two_row_header(upper, lower) or []]
    assert merged == [
        "一级指标",
        "二级指标",
        "三级指标",
        "指标性质",
        "指标值",
        "度量单位",
        "实际完成值",
        "分值",
        "得分",
        "偏差原因",
    ]


def test_yunnan_two_row_header_and_yuan_budget(tmp_path: Path) -> None:
    f = read_layout("yunnan_two_row", tmp_path)
    rows = rows_by_name(f)
    assert list(rows) == ["受助学生人数", "资金拨付及时率", "政策知晓率", "家长满意度"]
    assert rows["受助学生人数"].target_text == "≥800人"  # ≧ + 800 + 人
    assert rows["受助学生人数"].comparator_text == "≧" and rows["受助学生人数"].target_cell == "800"
    assert rows["资金拨付及时率"].target_text == "=100%"  # ═ read as =
    assert [r.weight for r in rows.values()] == [40, 10, 30, 10]
    assert [r.self_score for r in rows.values()] == [40, 10, 30, 10]
    # 元 → 万元, reported
    assert (f.budget.planned, f.budget.adjusted, f.budget.executed) == (50.0, 50.0, 45.0)
    assert f.budget.money_unit == "元" and "IMPORT_MONEY_UNIT" in codes(f)
    assert [(fund.name, fund.executed) for fund in f.budget.funds] == [("当年财政拨款", 45.0)]
    # the 总分 row: 100 is the weights' total, 99 the declared score
    assert (f.unit.declared_total, f.unit.declared_grade) == (99.0, "优")
    assert scores(f)["受助学生人数"] == ("positive", 38.0)  # 40 × 760/800


# --- separate 指标性质 and 度量单位 columns -------------------------------------------------------


def test_sichuan_project_report(tmp_path: Path) -> None:
    f = read_layout("sichuan_project", tmp_path)
    b = f.budget
    assert (b.planned, b.adjusted, b.executed, b.stated_rate) == (100.0, 120.0, 108.0, 90.0)
    assert (b.max_points, b.stated_score, b.rate_basis) == (10.0, 9.0, "adjusted")
    assert "IMPORT_NUMBER" not in codes(f)  # the 总额 label is never read as an amount
    rows = rows_by_name(f)
    assert rows["服务人次"].target_text == "≥2000人次"
    assert rows["投诉率"].target_text == "≤5%"
    assert rows["居民满意度"].target_text == "满意"  # 定性: the words, no comparator
    got = scores(f)
    assert got["投诉率"] == ("reverse", 8.0)  # ≤ makes the row reverse: 20 × (1 − 3/5)
    assert got["服务人次"] == ("positive", 27.0)
    assert got["居民满意度"][0] == "qualitative"
    # 合计 | 100 | 96: the 权重 column's 100 is no declared total; 96 in the 得分 column is
    assert f.unit.declared_total == 96.0


def test_sichuan_weights_total_is_never_the_declared_total(tmp_path: Path) -> None:
    text = (
        (LAYOUTS / "sichuan_project.rows")
        .read_text(encoding="utf-8")
        .replace("合计 | 100 | 96 |", "合计 | 100 |  |")
    )
    src = tmp_path / "s.rows"
    src.write_text(text, encoding="utf-8")
    path = tmp_path / "s.txt"
    path.write_text(dump(src), encoding="utf-8")
    assert read_text(path).unit.declared_total is None


def test_hubei_system_export(tmp_path: Path) -> None:
    f = read_layout("hubei_export", tmp_path)
    rows = rows_by_name(f)
    assert [r.target_text for r in rows.values()] == ["≥99%", "≤2小时", "≥90%"]
    assert [r.unit_text for r in rows.values()] == ["%", "小时", "%"]
    assert [r.self_score for r in rows.values()] == [40, 30, 20]
    assert scores(f)["故障响应时间"] == ("reverse", 15.0)  # 30 × (1 − 1/2)
    assert (f.budget.adjusted, f.budget.executed) == (150.0, 135.0)  # "150万" in a 万元 block


# --- the Chongqing department table -----------------------------------------------------------


def test_chongqing_department_table(tmp_path: Path) -> None:
    f = read_layout("chongqing_department", tmp_path)
    assert f.unit.name == "示例区文化中心" and f.unit.declared_total == 96.0
    b = f.budget
    assert (b.planned, b.adjusted, b.executed, b.max_points, b.stated_score) == (200, 180, 171, 10, 9.5)
    rows = rows_by_name(f)
    show = rows["公益演出场次"]
    assert (show.target_text, show.initial_target_text, show.core) == ("30场", "40场", True)
    assert "IMPORT_TARGET_ADJUSTED" in codes(f)
    assert rows["培训人次"].coefficient == 90.0 and rows["培训人次"].core is False
    # 指标性质 merged down: 定量 passes to the rows below it, 定性 starts its own block
    assert [r.comparator_text for r in rows.values()] == [
        "定量指标",
        "定量指标",
        "定量指标",
        "定性指标",
        "定量指标",
    ]
    got = scores(f)
    assert got["公益演出场次"] == ("positive", 30.0)  # the adjusted target is scored
    assert got["培训人次"] == ("positive", 18.0)
    assert got["公用经费控制率"] == ("reverse", 20.0)


# --- points in labels, 总分, budget-only tables ----------------------------------------------------


def test_points_in_labels_are_read_never_taken_as_data(tmp_path: Path) -> None:
    f = read_layout("points", tmp_path)
    assert f.budget.max_points == 20.0 and f.budget.stated_score == 19.0
    (goal,) = f.goals
    assert goal.points == 80.0 and goal.title == ""
    assert [ind.level1 for ind in f.indicators] == ["产出指标", "产出指标", "效益指标", "满意度指标"]
    assert f.unit.declared_total == 99.0


def test_budget_only_table_is_reviewed(tmp_path: Path) -> None:
    f = read_layout("budget_only", tmp_path)
    assert (f.budget.planned, f.budget.executed, f.budget.rate_basis) == (300.0, 150.0, "planned")
    assert f.indicators == [] and "IMPORT_NO_INDICATORS" in codes(f)
    path = tmp_path / "budget_only.txt"
    result = CliRunner().invoke(cli, ["review", str(path)])
    assert result.exit_code == 0, result.output
    assert "IMPORT_NO_INDICATORS" in result.output


def test_nothing_readable_still_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("说明文字。\n\t单位名称\n\t示例单位\n", encoding="utf-8")
    with pytest.raises(FilingError):
        read_text(path)
    result = CliRunner().invoke(cli, ["review", str(path)])
    assert result.exit_code == 2


def test_layout_with_pingfen_and_wanchengshu(tmp_path: Path) -> None:
    """全年完成数 is the actual and 评分 the self-score (in the budget block too); 评分标准 is no score."""
    f = read_layout("pingfen_wanchengshu", tmp_path)
    rows = rows_by_name(f)
    assert [r.actual_text for r in rows.values()] == ["540人次", "230户", "93%"]
    assert [r.self_score for r in rows.values()] == [50, 30, 10]
    assert f.budget.stated_score == 9.5
    assert scores(f)["技术培训人次"] == ("positive", 45.0)  # 50 × 540/600; self-scored 50


def test_layout_filings_round_trip_through_yaml(tmp_path: Path) -> None:
    """The fields a layout adds (指标性质, 度量单位, 调整指标值, 得分系数, 核心指标, goal points) survive
    evalkit's YAML form."""
    from evalkit.readers.yamlform import filing_from_dict, filing_to_dict

    for name in ("chongqing_department", "yunnan_two_row", "points"):
        f = read_layout(name, tmp_path)
        assert filing_from_dict(filing_to_dict(f), name) == f


def test_chongqing_section_rows_give_level_one(tmp_path: Path) -> None:
    f = read_layout("chongqing_sections", tmp_path)
    assert [(i.name, i.level1) for i in f.indicators] == [
        ("档案数字化页数", "产出指标"),
        ("档案查阅服务人次", "效益指标"),
        ("查档群众满意度", "满意度指标"),
    ]
    assert "IMPORT_NAME_MISSING" not in codes(f) and "V102" not in [x.code for x in review(f).findings]


def test_quantitative_row_with_a_wordy_target_is_reported(tmp_path: Path) -> None:
    text = (LAYOUTS / "chongqing_department.rows").read_text(encoding="utf-8")
    src = tmp_path / "q.rows"
    src.write_text(text.replace("| 1000人次 |", "| 按计划完成 |"), encoding="utf-8")
    path = tmp_path / "q.txt"
    path.write_text(dump(src), encoding="utf-8")
    f = read_text(path)
    (problem,) = [p for p in f.problems if p.code == "IMPORT_QUANTITATIVE_TEXT"]
    assert "培训人次" in problem.where and "按计划完成" in problem.message
    assert "IMPORT_QUANTITATIVE_TEXT" not in codes(read_layout("chongqing_department", tmp_path))
