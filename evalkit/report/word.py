"""The Word deliverables: a unit's 复核报告 and the year's 汇总 report, built with python-docx.

Both start from ``templates/word/复核报告模板.docx`` (written by ``make_template.py`` beside it), so a
bureau restyles every report by editing the template's styles in Word or WPS. Python builds the
content here; the look (fonts, sizes, margins, header, page numbers) is the template's.

Text from a filing is untrusted: it goes into runs as text only (never a field or a hyperlink),
with the control characters XML cannot hold replaced by U+FFFD.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm

from evalkit.checks import CATALOGUE, FAMILY_LABELS, SEVERITY_LABELS, fmt
from evalkit.fileio import xml_text
from evalkit.model import LEVEL1_BENEFIT, LEVEL1_OUTPUT, LEVEL1_SATISFACTION
from evalkit.report import conclusion as cc
from evalkit.scoring.decisions import OPINION_LABELS
from evalkit.scoring.rules import RULE_LABELS

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument

    from evalkit.pipeline import Review

TEMPLATE = Path(__file__).resolve().parent / "templates" / "word" / "复核报告模板.docx"
HEADER_PLACEHOLDER = "{单位名称}"
# The headings of a unit report, in order (tests and readers look for these).
SECTIONS = (
    "一、复核依据",
    "二、基本情况",
    "三、复核结论",
    "四、得分对比",
    "五、指标复核表",
    "六、主要问题",
    "七、复核意见",
    "八、整改建议",
)
YEAR_SECTIONS = ("一、总体情况", "二、得分排名", "三、等级分布", "四、共性问题", "五、得分变动较大的单位")
SCORE_ROWS = ("预算执行率", LEVEL1_OUTPUT, LEVEL1_BENEFIT, LEVEL1_SATISFACTION)
BASIS_LABELS = {"planned": "年初预算数", "adjusted": "全年预算数"}


def safe_text(value: Any) -> str:
    """Text fit for a .docx run: None → "", control characters XML cannot hold → U+FFFD."""
    if value is None:
        return ""
    return xml_text(str(value))


def _num(value: float | None) -> str:
    return "—" if value is None else fmt(value)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def _open_template(template: str | os.PathLike[str] | None) -> DocxDocument:
    doc = Document(str(template or TEMPLATE))
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    return doc


def _set_header(doc: DocxDocument, unit: str) -> None:
    for section in doc.sections:
        for paragraph in section.header.paragraphs:
            if HEADER_PLACEHOLDER in paragraph.text:
                text = paragraph.text.replace(HEADER_PLACEHOLDER, safe_text(unit))
                for run in paragraph.runs[1:]:
                    run._r.getparent().remove(run._r)
                if paragraph.runs:
                    paragraph.runs[0].text = text
                else:
                    paragraph.add_run(text)


def _p(doc: DocxDocument, text: str, style: str | None = None) -> Any:
    return doc.add_paragraph(safe_text(text), style=style)


def _repeat_header(row: Any) -> None:
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def table(
    doc: DocxDocument,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    widths_mm: Sequence[float],
    numeric: Iterable[int] = (),
) -> Any:
    """A bordered table in the template's 表格文字 style, header row repeated on each page, the
    column widths fixed (in mm) so it stays within the page; ``numeric`` columns are centred."""
    centred = set(numeric)
    rows = [list(r) for r in rows]
    t = doc.add_table(rows=1 + len(rows), cols=len(header))
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    for j, width in enumerate(widths_mm):
        t.columns[j].width = Mm(width)
    # The style's id, looked up once: assigning a style by name or object makes python-docx scan
    # every style of the document for each cell (half of a unit report's CPU).
    text_style = doc.styles["Table Text"].style_id
    # Rows taken in one pass: ``t.rows[i]`` lists every row of the table each time (quadratic:
    # minutes for a province's 5,000-row year table).
    for i, (row, values) in enumerate(zip(t.rows, [list(header), *rows], strict=True)):
        cells = row.cells
        for j, value in enumerate(values):
            cell = cells[j]
            cell.width = Mm(widths_mm[j])
            paragraph = cell.paragraphs[0]
            paragraph._p.style = text_style
            run = paragraph.add_run(safe_text(value))
            if i == 0:
                run.bold = True
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif j in centred or isinstance(value, (int, float)):
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _repeat_header(t.rows[0])
    return t


def _landscape(doc: DocxDocument) -> None:
    s = doc.add_section(WD_SECTION.NEW_PAGE)
    s.orientation = WD_ORIENT.LANDSCAPE
    s.page_width, s.page_height = Mm(297), Mm(210)
    s.left_margin, s.right_margin, s.top_margin, s.bottom_margin = Mm(25), Mm(25), Mm(28), Mm(26)


def _portrait(doc: DocxDocument) -> None:
    first = doc.sections[0]
    s = doc.add_section(WD_SECTION.NEW_PAGE)
    s.orientation = WD_ORIENT.PORTRAIT
    s.page_width, s.page_height = first.page_width, first.page_height
    s.left_margin, s.right_margin = first.left_margin, first.right_margin
    s.top_margin, s.bottom_margin = first.top_margin, first.bottom_margin


def _text_width_mm(doc: DocxDocument) -> float:
    s = doc.sections[-1]
    return (s.page_width - s.left_margin - s.right_margin) / 36000


# ------------------------------------------------------------------------------------ unit report
def score_rows(rv: Review) -> list[tuple[str, float, float | None, float, float | None]]:
    """The score comparison: (分项, 分值, 自评, 复核, 差异) for the budget, each level 1 and the total.

    自评 is what the table states (None where it gives no score); 复核 is after deductions;
    差异 = 自评 − 复核.
    """
    b = rv.card.budget
    declared_budget = rv.filing.budget.stated_score
    rows: list[tuple[str, float, float | None, float, float | None]] = []
    rows.append(("预算执行率", b.max, declared_budget, b.score, None))
    for level in (LEVEL1_OUTPUT, LEVEL1_BENEFIT, LEVEL1_SATISFACTION):
        items = [s for s in rv.card.indicators if s.indicator.level1 == level]
        if not items:
            continue
        selfs = [s.indicator.self_score for s in items]
        declared = sum(x for x in selfs if x is not None) if any(x is not None for x in selfs) else None
        rows.append(
            (level, sum(s.weight for s in items), declared, sum(s.score - s.deduction for s in items), None)
        )
    others = [s for s in rv.card.indicators if s.indicator.level1 not in SCORE_ROWS]
    if others:
        rows.append(
            (
                "其他指标",
                sum(s.weight for s in others),
                None,
                sum(s.score - s.deduction for s in others),
                None,
            )
        )
    rows.append(("合计", rv.card.max_total, rv.filing.unit.declared_total, rv.card.total, None))
    return [
        (name, w, d, round(r + 0.0, 2), None if d is None else round(d - r, 2)) for name, w, d, r, _ in rows
    ]


def _remark(s: Any, decision: Any) -> str:
    parts = []
    if s.deduction:
        parts.append(f"扣{fmt(s.deduction)}分：{s.deduction_reason}")
    if decision is not None and decision.comment:
        parts.append(decision.comment)
    if not parts and s.rule_score < s.weight - 1e-9:
        parts.append(f"按{RULE_LABELS.get(s.rule, s.rule)}规则计分")
    return "；".join(parts)


def _review_date(rv: Review, when: date | None) -> str:
    if when is None:
        history = getattr(rv.decisions, "history", None) or []
        stamp = history[-1].get("when") if history and isinstance(history[-1], dict) else None
        try:
            when = datetime.fromisoformat(str(stamp)).date() if stamp else date.today()
        except ValueError:
            when = date.today()
    return f"{when.year}年{when.month}月{when.day}日"


def unit_report(
    rv: Review,
    last: cc.LastYear | None = None,
    template: str | os.PathLike[str] | None = None,
    when: date | None = None,
    reviewer_org: str = "",
) -> DocxDocument:
    """The Word 复核报告 of one unit (a python-docx Document; :func:`write_unit_report` saves it)."""
    f, unit, card = rv.filing, rv.filing.unit, rv.card
    doc = _open_template(template)
    _set_header(doc, unit.name)
    year = f"{unit.year}" if unit.year else ""
    doc.add_paragraph(safe_text(f"{unit.name}{year}年度绩效自评复核报告"), style="Title")

    doc.add_heading(SECTIONS[0], level=1)
    prof = rv.profile
    _p(
        doc,
        f"依据评分方案“{prof.title or prof.name}”（{prof.name}）开展复核，"
        f"方案文件：{Path(prof.source).name if prof.source else '内置默认'}。"
        "复核按评分规则逐项重新计算预算执行率和各项指标得分，核对表内计算关系、正文与表格的一致性及佐证材料。",
    )
    for rule in prof.caliber:
        _p(doc, f"复核口径{rule.id}：{rule.title}。")

    doc.add_heading(SECTIONS[1], level=1)
    kind = f"（{unit.kind}）" if unit.kind else ""
    facts = [f"被复核单位：{unit.name}{kind}"]
    if unit.department:
        facts.append(f"主管部门：{unit.department}")
    if unit.implementer:
        facts.append(f"实施单位：{unit.implementer}")
    if unit.filing_date:
        facts.append(f"填报日期：{unit.filing_date}")
    _p(doc, "；".join(facts) + "。")
    b, fb = card.budget, f.budget
    basis = BASIS_LABELS.get(b.basis, b.basis)
    _p(
        doc,
        f"预算安排{_num(b.denominator)}万元（{basis}），执行{_num(b.executed)}万元，"
        f"预算执行率{_pct(b.rate)}。设年度目标{len(f.goals)}个、绩效指标{len(f.indicators)}项。"
        + (
            f"年初预算{_num(fb.planned)}万元，全年预算{_num(fb.adjusted)}万元。"
            if fb.planned and fb.adjusted
            else ""
        ),
    )
    if last is not None:
        _p(
            doc,
            f"上年度（{last.year}年）复核得分{_num(last.total)}分，等级“{last.grade or '—'}”；"
            f"本年复核得分{_num(card.total)}分，变动{_num(last.change(card.total))}分。",
        )

    doc.add_heading(SECTIONS[2], level=1)
    _p(doc, cc.conclusion(rv, last))

    doc.add_heading(SECTIONS[3], level=1)
    rows = [(n, _num(w), _num(d), _num(r), _num(g)) for n, w, d, r, g in score_rows(rv)]
    width = _text_width_mm(doc)
    table(
        doc,
        ("分项", "分值", "自评", "复核", "差异"),
        rows,
        [width * x for x in (0.32, 0.17, 0.17, 0.17, 0.17)],
        numeric=(1, 2, 3, 4),
    )
    _p(doc, f"复核等级“{card.grade}”，自评等级“{unit.declared_grade or '—'}”。差异为自评减复核。")

    _landscape(doc)
    doc.add_heading(SECTIONS[4], level=1)
    header = ["序号", "一级指标", "二级指标", "三级指标", "指标值", "完成值", "分值", "自评", "复核", "备注"]
    widths = [11, 22, 24, 38, 26, 26, 14, 14, 14, 58]
    if last is not None:
        header.insert(5, f"{last.year}年完成值")
        widths = [11, 20, 22, 34, 24, 22, 24, 13, 13, 13, 51]
    body = []
    for n, s in enumerate(card.indicators, start=1):
        ind = s.indicator
        decision = rv.decisions.get(ind.key)
        row = [
            f"{ind.goal}-{ind.row}" if len(f.goals) > 1 else str(n),
            ind.level1_raw or ind.level1,
            ind.level2_raw or ind.level2,
            ind.name,
            s.target.text if s.target is not None else ind.target_text,
            s.actual.text if s.actual is not None else ind.actual_text,
            _num(s.weight),
            _num(ind.self_score),
            _num(s.score - s.deduction),
            _remark(s, decision),
        ]
        if last is not None:
            row.insert(5, last.actuals.get(ind.key, "—"))
        body.append(row)
    table(doc, header, body, widths, numeric=(0, len(header) - 4, len(header) - 3, len(header) - 2))

    _portrait(doc)
    doc.add_heading(SECTIONS[5], level=1)
    found = cc.upheld(rv)
    if not found:
        _p(doc, "复核未发现需要指出的问题。")
    for n, fd in enumerate(found, start=1):
        title = CATALOGUE[fd.code].title if fd.code in CATALOGUE else fd.code
        place = f"（{fd.where}）" if fd.where else ""
        _p(
            doc,
            f"{n}. 【{SEVERITY_LABELS.get(fd.severity, fd.severity)}】{title}{place}：{fd.message}。"
            f"（规则 {fd.code}，{FAMILY_LABELS.get(fd.family, fd.family)}）".replace("。。", "。"),
        )

    doc.add_heading(SECTIONS[6], level=1)
    for n, (key, text) in enumerate(cc.opinions(rv).items(), start=1):
        doc.add_heading(f"（{'一二三'[n - 1]}）{OPINION_LABELS[key]}", level=2)
        _p(doc, text)
    if rv.decisions.opinion:
        doc.add_heading("（四）复核人意见", level=2)
        _p(doc, rv.decisions.opinion)

    doc.add_heading(SECTIONS[7], level=1)
    advice = cc.suggestions(rv) or ["继续保持自评工作质量，按规范填报绩效自评表和自评报告。"]
    for n, text in enumerate(advice, start=1):
        _p(doc, f"{n}. {text}")

    doc.add_paragraph("")
    doc.add_paragraph(safe_text(f"复核单位：{reviewer_org or '＿＿＿＿＿＿＿＿'}（盖章）"), style="Signature")
    doc.add_paragraph(safe_text(f"复核人：{rv.decisions.reviewer or '＿＿＿＿＿＿'}"), style="Signature")
    doc.add_paragraph(_review_date(rv, when), style="Signature")
    doc.core_properties.title = safe_text(f"{unit.name}{year}年度绩效自评复核报告")
    doc.core_properties.author = "evalkit"
    return doc


def _save(doc: DocxDocument, path: str | os.PathLike[str]) -> Path:
    # Written beside and renamed, so an interrupted write never leaves half a report.
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem[:40]}.{os.getpid()}.tmp.docx")
    try:
        doc.save(str(tmp))
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def write_unit_report(
    rv: Review,
    path: str | os.PathLike[str],
    outputs: str | os.PathLike[str] | None = "outputs",
    **options: Any,
) -> Path:
    """Write a unit's 复核报告 to ``path`` (last year's review found beside the filing, if any)."""
    return _save(unit_report(rv, cc.last_year(rv, outputs), **options), path)


# ------------------------------------------------------------------------------------ year report
def year_report(
    results: Sequence[dict[str, Any]],
    year: str | int,
    last_total: Callable[[dict[str, Any]], float | None] | None = None,
    threshold: float = 10.0,
    template: str | os.PathLike[str] | None = None,
) -> DocxDocument:
    """The year's 汇总 report from the units' result documents (``review --json`` plus ``run``).

    ``last_total`` gives a unit's reviewed score of last year (None when unknown); units whose
    score moved by more than ``threshold`` points are listed.
    """
    ok = [
        r for r in results if (r.get("run") or {}).get("status", "ok") == "ok" and r.get("total") is not None
    ]
    failed = len(results) - len(ok)
    doc = _open_template(template)
    _set_header(doc, f"{year}年度绩效自评复核汇总")
    doc.add_paragraph(f"{year}年度绩效自评复核汇总报告", style="Title")
    width = _text_width_mm(doc)

    doc.add_heading(YEAR_SECTIONS[0], level=1)
    totals = [r["total"] for r in ok]
    declared = [r for r in ok if (r.get("declared") or {}).get("total") is not None]
    higher = [r for r in declared if r["declared"]["total"] - r["total"] > 0.01]
    text = f"本年度复核单位（项目）{len(results)}个，完成复核{len(ok)}个"
    text += f"，未能复核{failed}个。" if failed else "。"
    if totals:
        text += f"复核平均得分{fmt(sum(totals) / len(totals))}分，最高{fmt(max(totals))}分，最低{fmt(min(totals))}分。"
    if declared:
        text += f"填报自评总分的{len(declared)}个中，{len(higher)}个自评得分高于复核得分。"
    _p(doc, text)

    doc.add_heading(YEAR_SECTIONS[1], level=1)
    ranked = sorted(ok, key=lambda r: (-r["total"], str(r.get("unit"))))
    rows = [
        (
            n,
            r.get("unit", ""),
            (r.get("run") or {}).get("department", ""),
            _num((r.get("declared") or {}).get("total")),
            _num(r["total"]),
            r.get("grade", ""),
        )
        for n, r in enumerate(ranked, start=1)
    ]
    table(
        doc,
        ("名次", "单位（项目）", "主管部门", "自评", "复核", "等级"),
        rows,
        [width * x for x in (0.08, 0.4, 0.2, 0.1, 0.1, 0.12)],
        numeric=(0, 3, 4, 5),
    )

    doc.add_heading(YEAR_SECTIONS[2], level=1)
    grades = Counter(r.get("grade") for r in ok)
    order = [g for g in ("优", "良", "中", "差") if g in grades] + sorted(
        g for g in grades if g not in ("优", "良", "中", "差")
    )
    rows = [(g, grades[g], _pct(grades[g] / len(ok)) if ok else "—") for g in order]
    table(doc, ("等级", "单位数", "占比"), rows, [width * x for x in (0.4, 0.3, 0.3)], numeric=(0, 1, 2))

    doc.add_heading(YEAR_SECTIONS[3], level=1)
    units_per_code: Counter[str] = Counter()
    findings_per_code: Counter[str] = Counter()
    for r in ok:
        codes = [f.get("code") for f in r.get("findings") or [] if f.get("disposition") != "set_aside"]
        findings_per_code.update(codes)
        units_per_code.update(set(codes))
    common = [(c, n) for c, n in units_per_code.most_common() if n >= 2][:15]
    if common:
        rows = [(CATALOGUE[c].title if c in CATALOGUE else c, c, n, findings_per_code[c]) for c, n in common]
        table(
            doc,
            ("问题", "规则", "涉及单位数", "发现数"),
            rows,
            [width * x for x in (0.52, 0.16, 0.16, 0.16)],
            numeric=(1, 2, 3),
        )
    else:
        _p(doc, "未发现两个及以上单位共有的问题。")

    doc.add_heading(YEAR_SECTIONS[4], level=1)
    moved = []
    if last_total is not None:
        for r in ok:
            before = last_total(r)
            if before is not None and abs(r["total"] - before) > threshold:
                moved.append(
                    (r.get("unit", ""), _num(before), _num(r["total"]), _num(round(r["total"] - before, 2)))
                )
    if moved:
        _p(doc, f"与上年度复核得分相比，变动超过{fmt(threshold)}分的单位{len(moved)}个：")
        table(
            doc,
            ("单位（项目）", "上年复核", "本年复核", "变动"),
            moved,
            [width * x for x in (0.46, 0.18, 0.18, 0.18)],
            numeric=(1, 2, 3),
        )
    else:
        _p(doc, f"没有复核得分与上年度相比变动超过{fmt(threshold)}分的单位。")
    doc.core_properties.title = f"{year}年度绩效自评复核汇总报告"
    doc.core_properties.author = "evalkit"
    return doc


def write_year_report(
    results: Sequence[dict[str, Any]], path: str | os.PathLike[str], year: str | int, **options: Any
) -> Path:
    """Write the year's 汇总.docx to ``path``."""
    return _save(year_report(results, year, **options), path)


def write_unit_deliverable(
    filing: str | os.PathLike[str],
    path: str | os.PathLike[str],
    profile: str | None = None,
    decisions: str | os.PathLike[str] | None = None,
    outputs: str | os.PathLike[str] | None = "outputs",
) -> cc.LastYear | None:
    """Review a filing and write its 复核报告 to ``path`` (what the batch does per unit); return
    last year's review, which the batch keeps in the unit's result for the year deliverables."""
    from evalkit.pipeline import review

    rv = review(filing, profile=profile or None, decisions=decisions)
    last = cc.last_year(rv, outputs)
    _save(unit_report(rv, last), path)
    return last
