"""The Word deliverables read back with python-docx: sections in order, the header and page
numbers, CJK fonts, and scores equal to ``evalkit review --json``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from docx.oxml.ns import qn

from evalkit.cli import cli
from evalkit.pipeline import review
from evalkit.report import word
from evalkit.report.sections import result_document
from evalkit.scoring.decisions import Decisions

ROOT = Path(__file__).resolve().parent.parent
P2024 = ROOT / "parameters" / "2024"
CULTURE = P2024 / "示例_某区文化和旅游局_公共文化服务提升项目.yaml"
UNITS = sorted(p for p in P2024.glob("*.yaml") if not p.name.endswith(".review.yaml"))


def _json(path: Path) -> dict:
    result = CliRunner().invoke(cli, ["review", str(path), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _report(path: Path, tmp_path: Path) -> tuple[Path, dict]:
    result = CliRunner().invoke(
        cli, ["report", str(path), "--docx", "--outputs", str(tmp_path), "-o", str(tmp_path / "r.docx")]
    )
    assert result.exit_code == 0, result.output
    return tmp_path / "r.docx", _json(path)


def _headings(doc) -> list[str]:
    return [p.text for p in doc.paragraphs if p.style.name.startswith("Heading 1")]


def _n(text: str) -> float | None:
    return None if text == "—" else float(text)


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.stem)
def test_unit_report_sections_and_scores_equal_the_review_json(path: Path, tmp_path: Path) -> None:
    out, data = _report(path, tmp_path)
    doc = Document(str(out))
    year = data["year"]
    assert doc.paragraphs[0].text == f"{data['unit']}{year}年度绩效自评复核报告"
    assert doc.paragraphs[0].style.name == "Title"
    assert _headings(doc) == list(word.SECTIONS)
    assert doc.sections[0].header.paragraphs[0].text == data["unit"]
    footer = doc.sections[0].footer.paragraphs[0]._p
    assert footer.find(qn("w:fldSimple")).get(qn("w:instr")) == "PAGE"

    scores, table = doc.tables[0], doc.tables[1]
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in scores.rows[1:]}
    assert _n(rows["合计"][3]) == data["total"]
    assert _n(rows["合计"][2]) == data["declared"]["total"]
    assert _n(rows["预算执行率"][3]) == round(data["budget"]["score"], 2)
    for level in ("产出指标", "效益指标", "满意度指标"):
        items = [i for i in data["indicators"] if i["level1"] == level]
        if items:
            # the JSON rounds each row to 2 decimals; the report sums the exact scores
            expected = sum(i["score"] - i["deduction"] for i in items)
            assert _n(rows[level][3]) == pytest.approx(expected, abs=0.005 * len(items) + 0.005)
    # the 复核表: one row per indicator, the 复核 column equal to the JSON's score after deduction
    header = [c.text for c in table.rows[0].cells]
    assert header[:5] == ["序号", "一级指标", "二级指标", "三级指标", "指标值"]
    col = header.index("复核")
    body = table.rows[1:]
    assert len(body) == len(data["indicators"])
    for r, i in zip(body, data["indicators"], strict=True):
        assert r.cells[3].text == i["name"]
        assert _n(r.cells[col].text) == pytest.approx(i["score"] - i["deduction"], abs=0.006)
    text = "\n".join(p.text for p in doc.paragraphs)
    assert f"复核得分{data['total']:g}分" in text.replace(".0分", "分")
    assert "复核人：" in text and "（盖章）" in text


def test_culture_report_shows_last_year_the_decision_and_the_upheld_findings(tmp_path: Path) -> None:
    out, _ = _report(CULTURE, tmp_path)
    doc = Document(str(out))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "上年度（2023年）复核得分99.9分" in text
    header = [c.text for c in doc.tables[1].rows[0].cells]
    assert "2023年完成值" in header
    first = [c.text for c in doc.tables[1].rows[1].cells]
    assert first[header.index("2023年完成值")] == "128场"
    assert "扣2分：目标值设置偏低" in first[-1]
    problems = text.split("六、主要问题")[1].split("七、复核意见")[0]
    assert "O102" in problems and "128场" in problems
    # most severe first: the error (自评分偏高) is listed before the warnings
    assert problems.index("【错误】") < problems.index("【警告】")
    for label in ("内容完整性", "论证充分性", "结果客观性"):
        assert label in text
    assert "复核人：示例复核人" in text and "2025年4月10日" in text


def test_reviewer_texts_replace_the_drafts(tmp_path: Path) -> None:
    rv = review(CULTURE)
    rv.decisions = Decisions(
        conclusion="复核结论由复核人改写。", opinions={"objectivity": "客观性意见改写。"}
    )
    doc = word.unit_report(rv, when=date(2025, 5, 6))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "复核结论由复核人改写。" in text and "客观性意见改写。" in text
    assert "经复核，" not in text  # the draft conclusion is replaced
    assert "论证较为充分" in text or "论证不够充分" in text  # the other drafts stay
    assert "2025年5月6日" in text


def test_fonts_are_set_for_east_asian_text() -> None:
    doc = Document(str(word.TEMPLATE))
    for name, font in (("Normal", "仿宋_GB2312"), ("Heading 1", "黑体"), ("Title", "方正小标宋简体")):
        fonts = doc.styles[name].element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) == font
    table = doc.part.package.parts
    fonttable = next(p for p in table if str(p.partname).endswith("fontTable.xml")).blob.decode()
    assert '<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in fonttable


def test_hostile_text_is_text(tmp_path: Path) -> None:
    rv = review(CULTURE)
    rv.filing.unit.name = '=HYPERLINK("http://x","点我")\x07单位'
    path = word._save(word.unit_report(rv), tmp_path / "h.docx")
    doc = Document(str(path))
    assert doc.paragraphs[0].text.startswith('=HYPERLINK("http://x","点我")\ufffd单位')
    xml = doc.element.xml
    assert "HYPERLINK" not in "".join(e.get(qn("w:instr")) or "" for e in doc.element.iter(qn("w:fldSimple")))
    assert "<w:hyperlink" not in xml


def test_year_report(tmp_path: Path) -> None:
    docs = []
    for path in UNITS:
        rv = review(
            path,
            decisions=path.with_suffix(".review.yaml") if path.with_suffix(".review.yaml").exists() else None,
        )
        docs.append(result_document(rv, unit_id=path.stem, status="ok"))
    before = {d["unit"]: d["total"] + (15 if "教育局" in d["unit"] else 1) for d in docs}
    out = word.write_year_report(docs, tmp_path / "汇总.docx", 2024, last_total=lambda d: before[d["unit"]])
    doc = Document(str(out))
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"] == list(word.YEAR_SECTIONS)
    ranking = doc.tables[0]
    totals = [float(r.cells[4].text) for r in ranking.rows[1:]]
    assert totals == sorted((d["total"] for d in docs), reverse=True)
    grades = {r.cells[0].text: int(r.cells[1].text) for r in doc.tables[1].rows[1:]}
    assert sum(grades.values()) == len(docs) and grades["中"] == 1
    moved = doc.tables[-1]
    assert [r.cells[0].text for r in moved.rows[1:]] == ["示例 某区教育局 学生营养改善计划项目"]


def test_the_batch_deliverables_from_the_unit_results(tmp_path: Path) -> None:
    # What the batch does: a worker writes each unit's .docx and keeps last year in run.last_year;
    # after the summary, 复核底稿.xlsx and word/汇总.docx are written from the results alone.
    import openpyxl

    from evalkit.report.workpaper import write_year_deliverables

    out = tmp_path / "2024"
    docs = []
    for path in UNITS:
        decisions = path.with_suffix(".review.yaml")
        decisions = decisions if decisions.exists() else None
        last = word.write_unit_deliverable(
            path, out / "word" / f"{path.stem}.docx", None, decisions, tmp_path
        )
        rv = review(path, decisions=decisions)
        doc = result_document(rv, unit_id=path.stem, status="ok")
        doc["run"]["last_year"] = last.to_json() if last else None
        docs.append(json.loads(json.dumps(doc, ensure_ascii=False)))  # as read back from the JSON file
    xlsx, docx = write_year_deliverables(docs, out, "2024")
    assert xlsx == out / "复核底稿.xlsx" and docx == out / "word" / "汇总.docx"
    assert sorted(p.name for p in (out / "word").glob("*.docx")) == sorted(
        [*(f"{p.stem}.docx" for p in UNITS), "汇总.docx"]
    )
    summary = {r[0]: r for r in openpyxl.load_workbook(xlsx)["汇总"].iter_rows(values_only=True)}
    assert summary["示例 某区教育局 学生营养改善计划项目"][10] == 99.8
    moved = Document(str(docx)).tables[-1]
    assert [r.cells[0].text for r in moved.rows[1:]] == ["示例 某区教育局 学生营养改善计划项目"]


def _api_table(doc, header, rows, widths_mm, numeric=()):
    # The table built cell by cell through python-docx's API, as word.table did before it wrote
    # the XML in one piece: the elements must be the same.
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.shared import Mm

    rows = [list(r) for r in rows]
    t = doc.add_table(rows=1 + len(rows), cols=len(header))
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    for j, width in enumerate(widths_mm):
        t.columns[j].width = Mm(width)
    for i, (row, values) in enumerate(zip(t.rows, [list(header), *rows], strict=True)):
        for j, value in enumerate(values):
            cell = row.cells[j]
            cell.width = Mm(widths_mm[j])
            paragraph = cell.paragraphs[0]
            paragraph.style = doc.styles["Table Text"]
            run = paragraph.add_run(word.safe_text(value))
            if i == 0:
                run.bold = True
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif j in set(numeric) or isinstance(value, (int, float)):
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    t.rows[0]._tr.get_or_add_trPr().append(el)
    return t


def _tree(el) -> tuple:
    return (el.tag, dict(el.attrib), el.text, [_tree(c) for c in el])


def test_tables_are_the_elements_python_docx_makes() -> None:
    header = ("分项", "分值", " 备注 ")
    rows = [
        ("预算执行率<script>&\"'", 10, "  前后空格  "),
        ("多行\n第二行\r\n第三行", 2.5, "制表\t符"),
        ("控制字符\x07与\x1b", "", "=1+1"),
        ("", 0, "—"),
    ]
    widths = (40.5, 20, 33.3)
    fast_doc, api_doc = word._open_template(None), word._open_template(None)
    fast = word.table(fast_doc, header, rows, widths, numeric=(1,))
    api = _api_table(api_doc, header, rows, widths, numeric=(1,))
    assert _tree(fast._tbl) == _tree(api._tbl)
    assert [c.text for c in fast.rows[2].cells] == [c.text for c in api.rows[2].cells]
    # Both sit where python-docx puts a table: last in the body, before its section properties.
    body = fast_doc.element.body
    assert body[-1].tag == qn("w:sectPr") and body[-2] is fast._tbl


def test_a_table_row_of_the_wrong_width_is_refused() -> None:
    doc = word._open_template(None)
    with pytest.raises(ValueError, match="row 1 has 1 cells"):
        word.table(doc, ("a", "b"), [("only one",)], (20, 20))


def test_every_style_a_report_uses_is_in_the_slimmed_template(tmp_path: Path) -> None:
    # The template keeps only the styles the reports use (make_template._prune_styles): a style
    # pruned by mistake would make its paragraphs fall back to 正文 without a word.
    rv = review(CULTURE)
    docs = [word.unit_report(rv), word.year_report([result_document(rv)], 2024)]
    for doc in docs:
        defined = {s.get(qn("w:styleId")) for s in doc.styles.element.findall(qn("w:style"))}
        parts = (
            [doc.element]
            + [s.header._element for s in doc.sections]
            + [s.footer._element for s in doc.sections]
        )
        used = {
            el.get(qn("w:val"))
            for part in parts
            for tag in ("w:pStyle", "w:rStyle", "w:tblStyle")
            for el in part.iter(qn(tag))
        }
        assert used and used <= defined, used - defined
    parts = {str(p.partname) for p in Document(str(word.TEMPLATE)).part.package.parts}
    assert "/word/stylesWithEffects.xml" not in parts
