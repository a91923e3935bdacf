"""The fillable template: what it offers a unit, and that a filled one reads back exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from evalkit.cli import cli
from evalkit.model import KIND_DEPARTMENT, KIND_PROJECT
from evalkit.readers import read_filing
from evalkit.readers.fillable import QUALITATIVE, SHEET_FORM, SHEET_HELP, write_template

# A fictional unit (示例): what it types into the department template.
DEPARTMENT = {
    "单位名称": "示例区文化馆",
    "评价年度": 2024,
    "主管部门": "示例区文化和旅游局",
    "填报日期": "2025.1.20",
    "基本支出总额（万元）": 150.5,
    "项目支出总额（万元）": 30,
    "自评得分": 95.5,
    "自评等级": "优",
    "偏差大或目标未完成原因分析": "读者满意度略低于目标，因馆舍改造期间部分服务暂停。",
    "改进措施及结果应用方案": "1.改造完成后恢复全部服务。\n2.开展读者满意度回访。",
}
DEPARTMENT_BUDGET = (200, 180.5, 0.9025)  # 预算数, 执行数, 执行率 typed as 90.25% (Excel stores 0.9025)
DEPARTMENT_GOALS = [
    (
        "完成公共文化服务工作",
        [
            ("产出指标", "数量指标", "举办公益展览次数", "≥12次", "15次"),
            ("产出指标", "数量指标", "公益培训人次", "2000人次", "2300人次"),
            ("产出指标", "质量指标", "活动安全事故发生率", "=0", "0"),
            ("产出指标", "时效指标", "年度活动完成时间", "12月底前完成", "12月完成"),
            ("效益指标", "社会效益指标", "群众文化生活丰富程度", "达成预期指标", "达成预期指标"),
            ("满意度指标", "服务对象满意度指标", "参与群众满意度", "≥90%", "88%"),
        ],
    ),
    (
        "保障馆舍正常运行",
        [
            ("产出指标", "成本指标", "运行经费", "≤60万元", "58万元"),
            ("效益指标", "可持续影响指标", "设施维护机制是否健全", "是", "是"),
        ],
    ),
]

PROJECT = {
    "评价年度": 2024,
    "填报日期": "2025-01-10",
    "项目名称": "示例区非遗保护项目",
    "主管部门": "示例区文化和旅游局",
    "实施单位": "示例区文化馆",
    "自评等级": "优",
    "偏差大或目标未完成原因分析": "传承人培训因场地原因延期一期。",
    "改进措施及结果应用方案": "下年度提前落实培训场地。",
}
PROJECT_FUNDS = {  # label: (年初预算数, 全年预算数, 全年执行数)
    "年度资金总额": (50, 60, 51),
    "其中：当年财政拨款": (50, 55, 48),
    "上年结转资金": (0, 5, 3),
    "其他资金": (0, 0, 0),
}
PROJECT_TOTAL_ROW = (10, 0.85, 8.5)  # 分值, 执行率 (85%), 得分
PROJECT_OVERALL = ("完成非遗项目记录10项，培训传承人50人次。", "完成记录10项，培训传承人40人次。")
PROJECT_INDICATORS = [
    ("产出指标", "数量指标", "非遗项目记录数", "≥10项", "10项", 20, 20, ""),
    ("产出指标", "数量指标", "传承人培训人次", "≥50人次", "40人次", 20, 16, "场地原因延期一期"),
    ("产出指标", "质量指标", "记录成果验收合格率", "100%", "100%", 10, 10, ""),
    (
        "效益指标",
        "社会效益指标",
        "非遗保护意识提升",
        "部分达成预期指标并具有一定效果",
        "达成预期指标",
        20,
        18,
        "",
    ),
    ("满意度指标", "服务对象满意度指标", "传承人满意度", "≥90%", "95%", 20, 20, ""),
]
PROJECT_TOTAL = (100, 92.5)  # 总分: 分值 (budget 10 + indicators 90), 得分 (8.5 + 84)


def _find(ws, text: str, nth: int = 0):
    hits = [c for row in ws.iter_rows() for c in row if c.value == text]
    return hits[nth]


def _right(ws, label: str, offset: int = 1, nth: int = 0):
    cell = _find(ws, label, nth)
    return ws.cell(row=cell.row, column=cell.column + offset)


def _type(cell, value) -> None:
    """Enter a value as Excel stores what a user types into the template's cells: in a text
    cell "=0" stays the text "=0" (openpyxl alone would write a formula)."""
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


def fill_department(path: Path) -> None:
    wb = load_workbook(path)
    ws = wb[SHEET_FORM]
    for label, value in DEPARTMENT.items():
        _right(ws, label).value = value
    for offset, value in zip((2, 3, 4), DEPARTMENT_BUDGET, strict=True):
        _right(ws, "部门整体支出总额", offset).value = value
    _right(ws, "部门整体支出总额", 4).number_format = "0.00%"
    for g, (title, rows) in enumerate(DEPARTMENT_GOALS, start=1):
        goal = _find(ws, f"年度目标{g}：")
        ws.cell(row=goal.row, column=2, value=title)
        for i, values in enumerate(rows):
            for col, value in enumerate(values, start=2):
                _type(ws.cell(row=goal.row + 2 + i, column=col), value)
    wb.save(path)


def fill_project(path: Path) -> None:
    wb = load_workbook(path)
    ws = wb[SHEET_FORM]
    for label, value in PROJECT.items():
        _right(ws, label).value = value
    for label, values in PROJECT_FUNDS.items():
        for offset, value in zip((2, 3, 4), values, strict=True):
            _right(ws, label, offset).value = value
    for offset, value in zip((5, 6, 7), PROJECT_TOTAL_ROW, strict=True):
        _right(ws, "年度资金总额", offset).value = value
    _right(ws, "年度资金总额", 6).number_format = "0%"
    expected = _find(ws, "预期目标")
    ws.cell(row=expected.row + 1, column=2, value=PROJECT_OVERALL[0])
    ws.cell(row=expected.row + 1, column=6, value=PROJECT_OVERALL[1])
    header = _find(ws, "一级指标")
    for i, values in enumerate(PROJECT_INDICATORS):
        for col, value in enumerate(values, start=2):
            ws.cell(row=header.row + 1 + i, column=col, value=value if value != "" else None)
    total = _find(ws, "总分")
    ws.cell(row=total.row, column=7, value=PROJECT_TOTAL[0])
    ws.cell(row=total.row, column=8, value=PROJECT_TOTAL[1])
    wb.save(path)


def test_filled_department_template_reads_back_exactly(tmp_path: Path) -> None:
    path = write_template(tmp_path / "dep.xlsx", KIND_DEPARTMENT)
    fill_department(path)
    filing = read_filing(path)
    u = filing.unit
    assert (u.name, u.kind, u.year, u.department, u.filing_date) == (
        "示例区文化馆",
        KIND_DEPARTMENT,
        2024,
        "示例区文化和旅游局",
        "2025.1.20",
    )
    assert (u.declared_total, u.declared_grade) == (95.5, "优")
    b = filing.budget
    assert (b.planned, b.executed, b.stated_rate, b.basic, b.project) == (200, 180.5, 90.25, 150.5, 30)
    assert b.rate_basis == "planned"  # the form's note defines 预算数 as the initial budget
    assert [g.title for g in filing.goals] == [title for title, _ in DEPARTMENT_GOALS]
    got = [
        [(i.level1, i.level2, i.name, i.target_text, i.actual_text) for i in g.indicators]
        for g in filing.goals
    ]
    assert got == [rows for _, rows in DEPARTMENT_GOALS]
    assert filing.closing["deviation_analysis"] == DEPARTMENT["偏差大或目标未完成原因分析"]
    assert filing.closing["improvement"] == DEPARTMENT["改进措施及结果应用方案"]
    assert filing.problems == []  # the unused third goal block is no goal of the filing


def test_filled_project_template_reads_back_exactly(tmp_path: Path) -> None:
    path = write_template(tmp_path / "proj.xlsx", KIND_PROJECT)
    fill_project(path)
    filing = read_filing(path)
    u = filing.unit
    assert (u.name, u.kind, u.year, u.department, u.implementer, u.filing_date) == (
        "示例区非遗保护项目",
        KIND_PROJECT,
        2024,
        "示例区文化和旅游局",
        "示例区文化馆",
        "2025-01-10",
    )
    assert (u.declared_total, u.declared_grade) == (92.5, "优")
    b = filing.budget
    assert (b.planned, b.adjusted, b.executed) == PROJECT_FUNDS["年度资金总额"]
    assert (b.max_points, b.stated_rate, b.stated_score) == (10, 85, 8.5)
    assert b.rate_basis == "adjusted"
    funds = [(f.name, f.planned, f.adjusted, f.executed) for f in b.funds]
    assert funds == [
        ("当年财政拨款", 50, 55, 48),
        ("上年结转资金", 0, 5, 3),
        ("其他资金", 0, 0, 0),
    ]
    assert (filing.closing["overall_goal"], filing.closing["overall_result"]) == PROJECT_OVERALL
    got = [
        (i.level1, i.level2, i.name, i.target_text, i.actual_text, i.weight, i.self_score, i.reason)
        for i in filing.indicators
    ]
    assert got == PROJECT_INDICATORS
    assert filing.closing["deviation_analysis"] == PROJECT["偏差大或目标未完成原因分析"]
    assert filing.problems == []


@pytest.mark.parametrize("kind", [KIND_DEPARTMENT, KIND_PROJECT])
def test_template_offers_lists_notation_and_locked_headers(tmp_path: Path, kind: str) -> None:
    wb = load_workbook(write_template(tmp_path / "t.xlsx", kind))
    assert wb.sheetnames == [SHEET_HELP, SHEET_FORM]
    ws = wb[SHEET_FORM]
    assert ws.protection.sheet and not ws.protection.password
    assert _find(ws, "一级指标").protection.locked
    assert not _right(ws, "一级指标", 0, 0).offset(row=1).protection.locked
    lists = {dv.formula1: dv for dv in ws.data_validations.dataValidation if dv.type == "list"}
    assert '"产出指标,效益指标,满意度指标"' in lists
    values = next(f for f in lists if "达成预期指标" in f)
    assert all(t in values for t in (*QUALITATIVE, "是", "否"))
    assert not lists[values].showErrorMessage  # free text (≥1500人) stays allowed
    assert "≥" in lists[values].prompt and "≤" in lists[values].prompt
    assert any("服务对象满意度指标" in f for f in lists)
    help_text = " ".join(str(c.value) for row in wb[SHEET_HELP].iter_rows() for c in row if c.value)
    assert (
        "≥12篇" in help_text
        and "部分达成预期指标并具有一定效果" in help_text
        and "撤销工作表保护" in help_text
    )


@pytest.mark.parametrize("kind", [KIND_DEPARTMENT, KIND_PROJECT])
def test_empty_template_imports_without_error(tmp_path: Path, kind: str) -> None:
    filing = read_filing(write_template(tmp_path / "t.xlsx", kind))
    assert filing.unit.kind == kind and filing.indicators == []


def test_cli_template(tmp_path: Path) -> None:
    out = tmp_path / "模板.xlsx"
    runner = CliRunner()
    result = runner.invoke(cli, ["template", "-o", str(out), "--kind", "项目"])
    assert result.exit_code == 0, result.output
    assert load_workbook(out).sheetnames == [SHEET_HELP, SHEET_FORM]
    again = runner.invoke(cli, ["template", "-o", str(out)])
    assert again.exit_code == 2 and "已存在" in again.output
    assert runner.invoke(cli, ["template", "-o", str(out), "--force"]).exit_code == 0
    assert runner.invoke(cli, ["template", "-o", str(tmp_path / "x.xls")]).exit_code == 2
