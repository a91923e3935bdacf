"""The .docx reader: Word files built like the seed and the project sample import to the same
filing as their text dumps, whatever Word does to the table (merges, splits, repeats, blanks)."""

from __future__ import annotations

import copy
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from fixtures_office import (
    assert_same_filing,
    budget_fields,
    build_project_docx,
    build_seed_docx,
    indicator_rows,
)

from evalkit.pipeline import review
from evalkit.readers import read_filing
from evalkit.readers.docx import _table_rows, _text, read_docx
from evalkit.readers.text import read_text


@pytest.fixture
def seed_docx(tmp_path: Path, seed_path: Path) -> Path:
    return build_seed_docx(tmp_path / "seed.docx", seed_path)


def test_seed_docx_imports_like_its_text_dump(seed_docx: Path, seed_path: Path) -> None:
    got, expected = read_docx(seed_docx), read_text(seed_path)
    assert_same_filing(got, expected)
    assert got.source_format == "docx"
    assert budget_fields(got)["planned"] == 202.98 and budget_fields(got)["executed"] == 188.44
    assert len(got.indicators) == 16 and len(got.narrative) == 80
    first = got.indicators[0]
    assert (first.level1, first.level2, first.name, first.target_text, first.actual_text) == (
        "产出指标",
        "数量指标",
        "救护员培训人数",
        "1500人",
        "1849人",
    )


def test_seed_docx_stores_merges_as_word_does(seed_docx: Path) -> None:
    # the fixture is only a fair test if its merges are real gridSpan / vMerge markup
    xml = docx.Document(str(seed_docx)).tables[0]._tbl.xml
    assert 'w:gridSpan w:val="6"' in xml  # 年度目标1：… across the table
    assert 'w:gridSpan w:val="5"' in xml  # 单位名称's value
    assert 'w:vMerge w:val="restart"' in xml and "<w:vMerge/>" in xml


def test_seed_docx_reviews_like_the_dump(seed_docx: Path, seed_path: Path) -> None:
    got, expected = review(seed_docx).to_json(), review(seed_path).to_json()
    assert (got["total"], got["grade"]) == (expected["total"], expected["grade"]) == (99.28, "优")
    assert sorted(f["code"] for f in got["findings"]) == sorted(f["code"] for f in expected["findings"])


def test_cells_carry_table_row_and_column(seed_docx: Path) -> None:
    filing = read_filing(seed_docx)
    loc = filing.indicators[0].loc
    assert (loc.table, loc.row, loc.cell) == (1, 7, "4")  # 救护员培训人数: table 1, row 7, column 4
    assert filing.narrative[0].loc.line == 1


def test_project_docx_imports_like_its_text_dump(tmp_path: Path, project_path: Path) -> None:
    got = read_docx(build_project_docx(tmp_path / "project.docx", project_path))
    expected = read_text(project_path)
    assert_same_filing(got, expected)
    assert got.unit.kind == "项目" and got.unit.declared_total == 98.5
    assert [i.weight for i in got.indicators][:2] == [15, 10]


# --- what Word does to tables -----------------------------------------------------------------


def _row_index(table, name: str) -> int:
    return next(i for i, row in enumerate(table.rows) if any(c.text == name for c in row.cells))


def _set_text(tc, text: str) -> None:
    """Replace a cell's content with one paragraph per line."""
    for p in tc.findall(qn("w:p")):
        tc.remove(p)
    for line in text.split("\n"):
        p = tc.makeelement(qn("w:p"), {})
        r = p.makeelement(qn("w:r"), {})
        t = r.makeelement(qn("w:t"), {})
        t.text = line
        r.append(t)
        p.append(r)
        tc.append(p)


def _split_table(
    path: Path, before_name: str, caption: str, repeat_header: bool, retype_levels: bool = True
) -> Path:
    """Split the seed's table in two before the row of ``before_name``, as Word does on a page
    break the user made: a caption paragraph between, the vertical merges cut."""
    document = docx.Document(str(path))
    table = document.tables[0]
    tbl = table._tbl
    at = _row_index(table, before_name)
    header = copy.deepcopy(tbl.tr_lst[_row_index(table, "一级指标")])
    second = copy.deepcopy(tbl)
    for tr in second.tr_lst:
        second.remove(tr)
    for tr in tbl.tr_lst[at:]:
        second.append(tr)
    first_row = second.tr_lst[0]
    for tc in first_row.tc_lst:
        vmerge = tc.tcPr.find(qn("w:vMerge")) if tc.tcPr is not None else None
        if vmerge is not None:
            vmerge.set(qn("w:val"), "restart")  # the cut merge starts afresh in the new table
    if repeat_header:
        second.insert(second.index(first_row), header)
    if repeat_header and retype_levels:
        # after a repeated header, units often write the level names out again
        _set_text(first_row.tc_lst[1], "产出指标")
        _set_text(first_row.tc_lst[2], "数量指标")
    paragraph = document.add_paragraph(caption)._p
    tbl.addnext(paragraph)
    paragraph.addnext(second)
    out = path.with_name(f"split-{repeat_header}-{retype_levels}.docx")
    document.save(str(out))
    return out


@pytest.mark.parametrize(("repeat_header", "retype_levels"), [(False, False), (True, True), (True, False)])
def test_table_continued_in_a_second_table(
    seed_docx: Path, seed_path: Path, repeat_header: bool, retype_levels: bool
) -> None:
    # the header may be repeated at the top of the second table, the level cells left blank
    split = _split_table(seed_docx, "组织志愿服务活动次数", "（续表）", repeat_header, retype_levels)
    assert len(docx.Document(str(split)).tables) == 2
    assert_same_filing(read_docx(split), read_text(seed_path))


def test_empty_filler_rows_and_header_broken_over_lines(seed_docx: Path, seed_path: Path) -> None:
    document = docx.Document(str(seed_docx))
    table = document.tables[0]
    tbl = table._tbl
    header = tbl.tr_lst[_row_index(table, "一级指标")]
    for tc, text in zip(
        header.tc_lst[1:],
        ("一级\n指标", "二级\n指标", "三级\n指标", "年初\n目标值", "实际\n完成值"),
        strict=False,
    ):
        _set_text(tc, text)
    filler = copy.deepcopy(tbl.tr_lst[_row_index(table, "普及救护培训人次数")])
    for tc in filler.tc_lst:
        _set_text(tc, "")
    tbl.tr_lst[_row_index(table, "信息数量")].addprevious(copy.deepcopy(filler))  # inside goal 2's rows
    tbl.append(copy.deepcopy(filler))  # and the blank rows a form leaves at its end
    tbl.append(filler)
    out = seed_docx.with_name("filler.docx")
    document.save(str(out))
    assert_same_filing(read_docx(out), read_text(seed_path))


def test_a_table_in_the_narrative_is_not_the_form(seed_docx: Path, seed_path: Path) -> None:
    document = docx.Document(str(seed_docx))
    anchor = next(p for p in document.paragraphs if p.text.startswith("1.预算执行情况分析"))
    small = document.add_table(rows=2, cols=2)
    for (r, c), text in {(0, 0): "科目", (0, 1): "金额", (1, 0): "基本支出", (1, 1): "179.96"}.items():
        small.cell(r, c).text = text
    anchor._p.addnext(small._tbl)
    out = seed_docx.with_name("narrative-table.docx")
    document.save(str(out))
    got, expected = read_docx(out), read_text(seed_path)
    assert indicator_rows(got) == indicator_rows(expected)
    assert budget_fields(got) == budget_fields(expected)
    texts = [p.text for p in got.narrative]
    assert "科目 金额" in texts and "基本支出 179.96" in texts
    assert len(texts) == len(expected.narrative) + 2


W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _tc(body: str, props: str = "") -> str:
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{body}</w:tc>"


def _p(text: str) -> str:
    return f"<w:p><w:r><w:t xml:space='preserve'>{text}</w:t></w:r></w:p>"


def test_word_merge_markup_gives_one_cell_per_grid_column() -> None:
    span2, h_start, h_cont = "<w:gridSpan w:val='2'/>", "<w:hMerge w:val='restart'/>", "<w:hMerge/>"
    v_start, v_cont = "<w:vMerge w:val='restart'/>", "<w:vMerge/>"
    nested = f"<w:tbl><w:tr>{_tc(_p('内'))}{_tc(_p('表'))}</w:tr><w:tr>{_tc(_p('第二行'))}</w:tr></w:tbl>"
    xml = (
        f"<w:tbl {W_NS}><w:tblGrid/>"
        # gridBefore: the row starts in the second column; a cell spanning two columns
        f"<w:tr><w:trPr><w:gridBefore w:val='1'/></w:trPr>{_tc(_p('甲'))}"
        f"{_tc(_p('乙'), span2)}</w:tr>"
        # legacy hMerge; a vertical merge starting; a nested table
        f"<w:tr>{_tc(_p('丙'), h_start)}{_tc(_p(''), h_cont)}"
        f"{_tc(_p('丁'), v_start)}{_tc(_p('外') + nested)}</w:tr>"
        # the vertical merge going on (stale text ignored); a cell of two paragraphs
        f"<w:tr>{_tc(_p('a'))}{_tc(_p('b'))}{_tc(_p('旧文字'), v_cont)}"
        f"{_tc(_p('偏差大或') + _p('原因分析'))}</w:tr>"
        "</w:tbl>"
    )
    rows = _table_rows(parse_xml(xml), 3, "f.docx")
    assert [[c.text for c in row] for row in rows] == [
        ["", "甲", "乙", "乙"],
        ["丙", "丙", "丁", "外\n内 表\n第二行"],
        ["a", "b", "", "偏差大或\n原因分析"],
    ]
    assert rows[0][3].loc.cell == "3" and rows[0][3].loc.table == 3 and rows[2][3].loc.row == 3


def test_paragraph_text_is_what_word_shows() -> None:
    xml = (
        f"<w:p {W_NS}><w:r><w:t>目标</w:t></w:r>"
        "<w:del><w:r><w:delText>2000</w:delText></w:r></w:del>"
        "<w:ins><w:r><w:t>2500</w:t></w:r></w:ins>"
        "<w:r><w:rPr><w:vanish/></w:rPr><w:t>隐藏</w:t></w:r>"
        "<w:r><w:tab/><w:t>人次</w:t><w:br/><w:t>下一行</w:t></w:r></w:p>"
    )
    assert _text(parse_xml(xml)) == "目标2500\t人次\n下一行"


def test_form_inside_a_layout_table(seed_docx: Path, seed_path: Path) -> None:
    # some templates put the whole form in a one-cell table (a frame); the form is read from it
    document = docx.Document(str(seed_docx))
    inner = document.tables[0]._tbl
    frame = document.add_table(rows=1, cols=1)
    cell = frame.cell(0, 0)._tc
    inner.addprevious(frame._tbl)
    cell.insert(cell.index(cell.findall(qn("w:p"))[0]), inner)
    out = seed_docx.with_name("framed.docx")
    document.save(str(out))
    assert len(docx.Document(str(out)).tables) == 1
    assert_same_filing(read_docx(out), read_text(seed_path))
