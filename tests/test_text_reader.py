"""The plain-text importer: the seed dump, the project-layout fixture, and input it must survive."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.errors import FilingError
from evalkit.levels import STANDARD_LEVEL1, STANDARD_LEVEL2, normalize_levels
from evalkit.model import Loc, Paragraph
from evalkit.pipeline import review
from evalkit.readers.form import build_filing
from evalkit.readers.grid import Cell, read_number
from evalkit.readers.text import read_text

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "samples" / "seed" / "000_e048286feab7bdae.txt"
PROJECT = ROOT / "tests" / "data" / "project_sample.txt"
HEADER = "\t年度绩效目标完成情况\n\t一级指标\n\t二级指标\n\t三级指标\n\t年初目标值\n\t实际完成值\n"


def _small_table(*rows: str) -> str:
    """A minimal dump: one narrative line, the title, a goal, the header, then ``rows``."""
    head = "报告正文。\n2024年度示例单位部门整体绩效自评表\n\t单位名称\n\t示例单位\n\n"
    head += "\t年度目标1：示例目标\n\n" + HEADER + "\n"
    return head + "\n".join(rows)


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# --- the seed ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed():
    return read_text(SEED)


def test_seed_unit(seed) -> None:
    unit = seed.unit
    assert unit.name == "武汉市蔡甸区红十字会"
    assert unit.kind == "部门整体"
    assert unit.year == 2024
    assert unit.filing_date == "2024.4.15"
    assert unit.declared_grade == "优"
    assert unit.declared_total is None
    assert unit.locs["filing_date"].line == 85
    assert unit.locs["declared_grade"].line == 6
    assert seed.source.endswith("000_e048286feab7bdae.txt") and seed.source_format == "text"


def test_seed_budget(seed) -> None:
    b = seed.budget
    assert (b.planned, b.executed, b.basic, b.project, b.stated_rate) == (202.98, 188.44, 179.96, 8.48, 92.84)
    assert (b.adjustment, b.adjusted) == (-14.54, 188.44)  # stated in the report text
    assert b.funds == []
    assert b.rate_basis == "planned"
    assert "预算数/执行数" in b.formula_text
    assert b.locs["planned"].line == 102 and b.locs["formula_text"].line == 54


def test_seed_goals_and_rows(seed) -> None:
    assert [g.title for g in seed.goals] == ["完成红十字业务工作", "完成红十字发展专项工作"]
    assert [len(g.indicators) for g in seed.goals] == [10, 6]
    assert len(seed.indicators) == 16
    first = seed.goals[0].indicators[0]
    assert (first.level1, first.level2, first.name, first.target_text, first.actual_text) == (
        "产出指标",
        "数量指标",
        "救护员培训人数",
        "1500人",
        "1849人",
    )
    assert first.key == "g1r1" and first.loc.line == 119
    assert seed.goals[0].indicators[3].target_text == "100"
    assert not seed.has_weights
    assert seed.problems == []


def test_seed_levels_normalized(seed) -> None:
    satisfaction = seed.goals[1].indicators[5]
    assert satisfaction.name == "社会公众对开展此项工作的满意度"
    assert satisfaction.level1 == "满意度指标" and satisfaction.level1_raw == "效果指标"
    assert satisfaction.level2 == "服务对象满意度指标"
    assert satisfaction.level2_raw == "社会公众或服务对象满意度指标"
    benefit = seed.goals[1].indicators[4]
    assert (benefit.level1, benefit.level1_raw) == ("效益指标", "效果指标")
    levels = [i.level1 for i in seed.indicators]
    assert (levels.count("产出指标"), levels.count("效益指标"), levels.count("满意度指标")) == (11, 3, 2)


def test_seed_closing_and_narrative(seed) -> None:
    assert seed.closing["deviation_analysis"].startswith("对资金支出科目预计不充分")
    assert seed.closing["improvement"].startswith("1.细化预算编制工作")
    assert "预算数为年初预算总额" in seed.closing["notes"]
    hits = [p for p in seed.narrative if "完成目标值7500人次" in p.text]
    assert len(hits) == 1 and hits[0].loc.line == 60
    assert seed.narrative[0].text == "武汉市蔡甸区红十字会" and seed.narrative[0].index == 1
    # the table title is not narrative
    assert not any("绩效自评表" in p.text for p in seed.narrative)


def test_seed_in_gb18030_with_crlf_reads_the_same(seed, tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8").replace("\n", "\r\n")
    again = read_text(_write(tmp_path, "gbk.txt", text, "gb18030"))

    def rows(filing):
        return [(i.name, i.level1, i.target_text, i.actual_text, i.loc.line) for i in filing.indicators]

    assert rows(again) == rows(seed)
    assert again.narrative[59].text == seed.narrative[59].text
    assert again.budget.planned == 202.98 and again.unit.filing_date == "2024.4.15"
    bom = read_text(_write(tmp_path, "bom.txt", "\ufeff" + SEED.read_text(encoding="utf-8")))
    assert bom.unit.name == "武汉市蔡甸区红十字会" and len(bom.indicators) == 16


@pytest.mark.parametrize(
    ("codec", "newline", "encoding", "label"),
    [
        ("gb18030", "\r\n", "gb18030", "GB18030，换行符为CRLF"),
        ("gbk", "\n", "gb18030", "GB18030"),
        ("utf-16", "\r\n", "utf-16", "UTF-16（带BOM），换行符为CRLF"),
        ("utf-8-sig", "\r", "utf-8-sig", "UTF-8（带BOM），换行符为CR"),
        ("utf-8", "\r\n", "utf-8", "UTF-8，换行符为CRLF"),
    ],
)
def test_encodings_are_detected_and_reported(
    seed, tmp_path: Path, codec: str, newline: str, encoding: str, label: str
) -> None:
    text = SEED.read_text(encoding="utf-8").replace("\n", newline)
    # the name says nothing: the bytes decide
    again = read_text(_write(tmp_path, "dump.txt", text, codec))
    assert again.encoding == encoding
    assert [(i.name, i.target_text, i.actual_text) for i in again.indicators] == [
        (i.name, i.target_text, i.actual_text) for i in seed.indicators
    ]
    [info] = [p for p in again.problems if p.code == "IMPORT_ENCODING"]
    assert info.severity == "info" and label in info.message
    assert review(again).total == 99.28


def test_utf8_with_lf_reports_no_encoding(seed) -> None:
    assert seed.encoding == "utf-8"
    assert not [p for p in seed.problems if p.code == "IMPORT_ENCODING"]


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        (
            "sjis.txt",
            "予算の執行率は九十五パーセントです。これは日本語の文書です。".encode("shift_jis") * 20,
            "cp932",
        ),
        ("latin.txt", ("Budget exécuté à 95 %, café déjà réglé. " * 30).encode("latin-1"), "不是支持的编码"),
        ("utf32.txt", "\t单位名称\n\t示例\n".encode("utf-32"), "UTF-32"),
    ],
)
def test_unsupported_encoding_gets_a_clear_message(tmp_path: Path, name: str, data: bytes, says: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(FilingError, match=says) as info:
        read_text(path)
    message = str(info.value)
    assert name in message and "GB18030" in message and "UTF-8" in message


# --- the project layout -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def project():
    return read_text(PROJECT)


def test_project_unit(project) -> None:
    unit = project.unit
    assert unit.kind == "项目"
    assert unit.name == "示例 2024年高标准农田建设项目"
    assert unit.department == "示例 某区农业农村局"
    assert unit.implementer == "示例 某区农田建设服务中心"
    assert unit.year == 2024
    assert (unit.declared_total, unit.declared_grade) == (98.5, "优")
    assert project.problems == []


def test_project_budget_and_funds(project) -> None:
    b = project.budget
    assert (b.planned, b.adjusted, b.executed) == (100, 120, 114)
    assert (b.max_points, b.stated_rate, b.stated_score) == (10, 95, 9.5)
    assert b.rate_basis == "adjusted"
    assert b.formula_text == "预算执行率=全年执行数/全年预算数×100%"
    assert [f.name for f in b.funds] == ["当年财政拨款", "上年结转资金", "其他资金"]
    assert sum(f.adjusted for f in b.funds) == b.adjusted
    assert sum(f.executed for f in b.funds) == b.executed
    assert sum(f.planned for f in b.funds) == b.planned


def test_project_indicators(project) -> None:
    assert len(project.goals) == 1
    rows = project.indicators
    assert len(rows) == 9 and project.has_weights
    assert sum(i.weight for i in rows) == 90
    assert [i.self_score for i in rows] == [15, 9, 10, 5, 10, 10, 10, 10, 10]
    by_level = {lv: sum(i.weight for i in rows if i.level1 == lv) for lv in STANDARD_LEVEL1}
    assert by_level == {"产出指标": 50, "效益指标": 30, "满意度指标": 10}
    cost = next(i for i in rows if i.level2 == "成本指标")
    assert cost.target_text == "≤120万元"
    unmet = rows[1]
    assert unmet.actual_text == "18公里" and "征地协调" in unmet.reason
    assert rows[8].level2 == "服务对象满意度指标" and rows[8].actual_text == "88%"
    assert project.closing["overall_goal"].startswith("新建高标准农田1000亩")
    assert project.closing["overall_result"].startswith("新建高标准农田1050亩")
    assert project.goals[0].title == project.closing["overall_goal"]


# --- bad input --------------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    for name, content in (("empty.txt", b""), ("blank.txt", b"\n \n\t\n")):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(FilingError, match="为空") as info:
            read_text(path)
        assert name in str(info.value)


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "binary.txt"
    path.write_bytes(b"\x00\x01\x02PK\x03\x04" * 50)
    with pytest.raises(FilingError, match="不是文本文件") as info:
        read_text(path)
    assert "binary.txt" in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FilingError, match="不存在"):
        read_text(tmp_path / "nope.txt")


def test_text_without_table(tmp_path: Path) -> None:
    path = _write(tmp_path, "notable.txt", "这是一份没有表格的报告。\n第二段。\n")
    with pytest.raises(FilingError, match="未找到绩效自评表") as info:
        read_text(path)
    assert "notable.txt" in str(info.value)
    # cells, but no indicator header
    path = _write(tmp_path, "cells.txt", "正文。\n\t单位名称\n\t示例单位\n")
    with pytest.raises(FilingError, match="未找到绩效自评表") as info:
        read_text(path)
    assert "cells.txt" in str(info.value)


def test_row_missing_cells_becomes_a_problem(tmp_path: Path) -> None:
    text = _small_table(
        "\t\n\t产出指标\n\t数量指标\n\t培训人数\n\t100人\n\t120人\n",
        "\t\n\t\n\t培训场次\n\t10场\n",
        "\t\n\t\n\t\n\t宣传篇数\n\t≥12篇\n\t30篇\n",
    )
    path = _write(tmp_path, "short.txt", text)
    filing = read_text(path)
    assert len(filing.indicators) == 3
    [problem] = filing.problems
    assert problem.code == "IMPORT_ROW_SHORT" and problem.family == "structure"
    assert problem.severity == "warning" and problem.where == "目标1 第2行"
    assert problem.loc.file == str(path) and problem.loc.line == text.splitlines().index("\t培训场次") + 1
    assert filing.indicators[2].name == "宣传篇数" and filing.indicators[2].actual_text == "30篇"


def test_row_without_first_label_column_is_right_aligned(tmp_path: Path) -> None:
    text = _small_table(
        "\t产出指标\n\t数量指标\n\t培训人数\n\t100人\n\t120人\n",
        "\t\n\t\n\t培训场次\n\t10场\n\t12场\n",
    )
    filing = read_text(_write(tmp_path, "right.txt", text))
    assert filing.problems == []
    assert [(i.level1, i.level2, i.name, i.target_text) for i in filing.indicators] == [
        ("产出指标", "数量指标", "培训人数", "100人"),
        ("产出指标", "数量指标", "培训场次", "10场"),
    ]


def test_unreadable_target_is_kept_as_text(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8").replace("\t1500人\n", "\tabc\n", 1)
    filing = read_text(_write(tmp_path, "abc.txt", text))
    assert filing.indicators[0].target_text == "abc"
    assert filing.problems == []


def test_unreadable_budget_number_becomes_a_problem(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8").replace("\t188.44\n", "\t一八八点四四\n", 1)
    filing = read_text(_write(tmp_path, "num.txt", text))
    assert filing.budget.executed is None and filing.budget.planned == 202.98
    [problem] = filing.problems
    assert (problem.code, problem.family, problem.severity) == ("IMPORT_NUMBER", "value", "error")
    assert problem.where == "预算执行情况 执行数（B）"
    assert "一八八点四四" in problem.message and problem.loc.line == 103


def test_bookmark_and_multiline_cells(tmp_path: Path) -> None:
    text = _small_table(
        "\t\n\t产出\n\t数量\n\t[bookmark: _GoBack]培训\n人数\n\t100人\n\t120人\n",
        "\t偏差大或\n目标未完成\n原因分析\n\t无\n",
    )
    filing = read_text(_write(tmp_path, "multi.txt", text))
    row = filing.indicators[0]
    assert (row.level1, row.level2, row.level1_raw) == ("产出指标", "数量指标", "产出")
    assert row.name == "培训人数"
    assert filing.closing["deviation_analysis"] == "无"


# --- the grid interpreter directly (what the .docx/.xlsx readers will call) ---------------------


def _grid(rows: list[list[str]]) -> list[list[Cell]]:
    return [
        [Cell(text, Loc("t.docx", table=1, row=r + 1, cell=f"{c + 1}")) for c, text in enumerate(row)]
        for r, row in enumerate(rows)
    ]


def test_build_filing_from_a_grid_with_repeated_merged_cells() -> None:
    head = ["绩效指标", "一级指标", "二级指标", "三级指标", "指标值", "实际值", "分值", "得分", "偏差原因"]
    rows = [
        ["项目支出绩效自评表"] * 9,
        ["（2023年度）"] * 9,
        ["项目名称", "示例项目", "示例项目", "示例项目", "主管部门", "示例局", "示例局", "示例局", "示例局"],
        ["项目资金（万元）", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分", ""],
        ["项目资金（万元）", "年度资金总额", "1,000", "1,200万元", "1,080", "10", "90%", "9", ""],
        head,
        ["绩效指标", "产出指标", "数量指标", "建设里程", "≥10公里", "12公里", "40", "40", ""],
        ["绩效指标", "产出指标", "质量指标", "验收合格率", "100%", "100%", "abc", "20", ""],
        ["绩效指标", "效益指标", "社会效益", "受益人数", "≥1000人", "900人", "20", "20", "天气原因"],
        ["绩效指标", "满意度指标", "满意度", "群众满意度", "≥90%", "95%", "10", "10", ""],
        ["总分", "总分", "总分", "总分", "总分", "总分", "100", "99", "良"],
        ["偏差大或目标未完成原因分析", "天气原因", "天气原因", "天气原因", "", "", "", "", ""],
    ]
    filing = build_filing(_grid(rows), [Paragraph(1, "自评结果为优。")], "t.docx", "docx")
    assert filing.unit.kind == "项目" and filing.unit.year == 2023
    assert (filing.unit.name, filing.unit.department) == ("示例项目", "示例局")
    assert (filing.unit.declared_total, filing.unit.declared_grade) == (99, "良")  # table before text
    b = filing.budget
    assert (b.planned, b.adjusted, b.executed, b.stated_rate) == (1000, 1200, 1080, 90)
    rows_read = filing.indicators
    assert [i.name for i in rows_read] == ["建设里程", "验收合格率", "受益人数", "群众满意度"]
    assert rows_read[1].weight is None and rows_read[1].self_score == 20
    assert rows_read[2].level2 == "社会效益指标" and rows_read[2].reason == "天气原因"
    assert rows_read[3].level2 == "服务对象满意度指标"
    [problem] = filing.problems
    assert problem.code == "IMPORT_NUMBER" and problem.where == "目标1 第2行 分值"
    assert problem.loc == Loc("t.docx", table=1, row=8, cell="7")
    assert filing.closing["deviation_analysis"] == "天气原因"


def test_build_filing_without_indicator_table() -> None:
    with pytest.raises(FilingError, match="未找到绩效自评表") as info:
        build_filing(_grid([["单位名称", "示例"]]), [], "x.xlsx", "xlsx")
    assert "x.xlsx" in str(info.value)


# --- small parts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("202.98", (202.98, True)),
        ("1,202.98", (1202.98, True)),
        ("202.98万元", (202.98, True)),
        ("９２.８４％", (92.84, True)),
        (" 92.84% ", (92.84, True)),
        ("—", (None, True)),
        ("", (None, True)),
        ("abc", (None, False)),
    ],
)
def test_read_number(text: str, expected: tuple) -> None:
    assert read_number(text) == expected


@pytest.mark.parametrize(
    ("l1", "l2", "name", "expected"),
    [
        ("产出", "数量", "", ("产出指标", "数量指标")),
        ("产出指标", "时效\n指标", "", ("产出指标", "时效指标")),
        ("效果指标", "社会效益指标", "", ("效益指标", "社会效益指标")),
        ("效果指标", "社会公众或服务对象满意度指标", "", ("满意度指标", "服务对象满意度指标")),
        ("效益指标", "服务对象满意度", "", ("满意度指标", "服务对象满意度指标")),
        ("满意度指标", "", "", ("满意度指标", "服务对象满意度指标")),
        ("效益指标", "", "群众满意度", ("满意度指标", "服务对象满意度指标")),
        ("效益指标", "可持续影响", "", ("效益指标", "可持续影响指标")),
        ("成本指标", "经济成本指标", "", ("成本指标", "经济成本指标")),
    ],
)
def test_normalize_levels(l1: str, l2: str, name: str, expected: tuple[str, str]) -> None:
    assert normalize_levels(l1, l2, name) == expected


def test_standard_levels() -> None:
    assert STANDARD_LEVEL1 == ("产出指标", "效益指标", "满意度指标")
    assert "成本指标" in STANDARD_LEVEL2["产出指标"]
    assert STANDARD_LEVEL2["满意度指标"] == ("服务对象满意度指标",)
