"""The Word deliverables: a unit's 复核报告 and the year's 汇总 report, built with python-docx.

Both start from ``templates/word/复核报告模板.docx`` (written by ``make_template.py`` beside it), so a
bureau restyles every report by editing the template's styles in Word or WPS. Python builds the
content here; the look (fonts, sizes, margins, header, page numbers) is the template's.

Text from a filing is untrusted: it goes into runs as text only (never a field or a hyperlink),
with the control characters XML cannot hold replaced by U+FFFD.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
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
_QUOTE = {'"': "&quot;"}  # escape() for an attribute value


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
    path = Path(template or TEMPLATE)
    doc = Document(str(path))
    # Which template (and which version of it) the document's styles come from: see _style_id.
    doc.__dict__["_evalkit_template"] = (str(path.resolve()), path.stat().st_mtime_ns)
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


_STYLE_IDS: dict[tuple[str, int, str, int], str | None] = {}


def _style_id(doc: DocxDocument, name: str, kind: Any = WD_STYLE_TYPE.PARAGRAPH) -> str | None:
    """The id of style ``name`` (None for the default style, as python-docx gives it), looked up
    once per template: python-docx scans every style of the document for each lookup (a fifth
    of a unit report's CPU)."""
    source = doc.__dict__.get("_evalkit_template")
    if source is None:  # not opened by _open_template: no template to key the cache on
        return doc.part.get_style_id(name, kind)
    key = (*source, name, int(kind))
    if key not in _STYLE_IDS:
        _STYLE_IDS[key] = doc.part.get_style_id(name, kind)
    return _STYLE_IDS[key]


def _p(doc: DocxDocument, text: str, style: str | None = None) -> Any:
    paragraph = doc.add_paragraph(safe_text(text))
    if style is not None:
        # What ``add_paragraph(text, style=name)`` does, with the style's id looked up once.
        paragraph._p.style = _style_id(doc, style)
    return paragraph


def _heading(doc: DocxDocument, text: str, level: int) -> Any:
    """``doc.add_heading(text, level)`` (a paragraph in 标题 N), its style looked up once."""
    return _p(doc, text, f"Heading {level}")


def _t(text: str) -> str:
    # A run's text as python-docx writes it: a tab is <w:tab/>, a line break <w:br/>, and text
    # with spaces at either end keeps them (xml:space).
    parts: list[str] = []
    for i, piece in enumerate(re.split(r"([\t\r\n])", text)):
        if i % 2:
            parts.append("<w:tab/>" if piece == "\t" else "<w:br/>")
        elif piece:
            space = ' xml:space="preserve"' if len(piece.strip()) < len(piece) else ""
            parts.append(f"<w:t{space}>{escape(piece)}</w:t>")
    return "".join(parts)


def table(
    doc: DocxDocument,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    widths_mm: Sequence[float],
    numeric: Iterable[int] = (),
) -> Any:
    """A bordered table in the template's 表格文字 style, header row repeated on each page, the
    column widths fixed (in mm) so it stays within the page; ``numeric`` columns are centred.

    Written as one piece of XML and parsed once: the same elements python-docx's table, cell,
    paragraph and run calls make (tests/test_word.py compares the two), at a tenth of the CPU —
    those calls search each element's children for where a new one goes, for every cell.
    """
    centred = set(numeric)
    twips = [Mm(w).twips for w in widths_mm]
    table_style = _style_id(doc, "Table Grid", WD_STYLE_TYPE.TABLE)
    text_style = _style_id(doc, "Table Text")
    ppr_style = f'<w:pStyle w:val="{escape(text_style, _QUOTE)}"/>' if text_style else ""
    out = [
        f"<w:tbl {nsdecls('w')}><w:tblPr>",
        f'<w:tblStyle w:val="{escape(table_style, _QUOTE)}"/>' if table_style else "",
        '<w:tblW w:type="auto" w:w="0"/><w:jc w:val="center"/><w:tblLayout w:type="fixed"/>',
        '<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" w:noHBand="0"'
        ' w:noVBand="1" w:val="04A0"/></w:tblPr><w:tblGrid>',
        *(f'<w:gridCol w:w="{w}"/>' for w in twips),
        "</w:tblGrid>",
    ]
    for i, values in enumerate([list(header), *(list(r) for r in rows)]):
        if len(values) != len(twips):
            raise ValueError(f"table row {i} has {len(values)} cells, the table {len(twips)} columns")
        out.append('<w:tr><w:trPr><w:tblHeader w:val="true"/></w:trPr>' if i == 0 else "<w:tr>")
        for j, value in enumerate(values):
            centre = i == 0 or j in centred or isinstance(value, (int, float))
            out.append(
                f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{twips[j]}"/></w:tcPr><w:p><w:pPr>{ppr_style}'
                + ('<w:jc w:val="center"/>' if centre else "")
                + "</w:pPr><w:r>"
                + ("<w:rPr><w:b/></w:rPr>" if i == 0 else "")
                + _t(safe_text(value))
                + "</w:r></w:p></w:tc>"
            )
        out.append("</w:tr>")
    out.append("</w:tbl>")
    tbl = parse_xml("".join(out))
    body = doc.element.body
    if body.sectPr is not None:
        body.sectPr.addprevious(tbl)
    else:
        body.append(tbl)
    return doc.tables[-1]  # the one just added: the last table of the body


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
    _p(doc, f"{unit.name}{year}年度绩效自评复核报告", "Title")

    _heading(doc, SECTIONS[0], 1)
    prof = rv.profile
    _p(
        doc,
        f"依据评分方案“{prof.title or prof.name}”（{prof.name}）开展复核，"
        f"方案文件：{Path(prof.source).name if prof.source else '内置默认'}。"
        "复核按评分规则逐项重新计算预算执行率和各项指标得分，核对表内计算关系、正文与表格的一致性及佐证材料。",
    )
    for rule in prof.caliber:
        _p(doc, f"复核口径{rule.id}：{rule.title}。")

    _heading(doc, SECTIONS[1], 1)
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

    _heading(doc, SECTIONS[2], 1)
    _p(doc, cc.conclusion(rv, last))

    _heading(doc, SECTIONS[3], 1)
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
    _heading(doc, SECTIONS[4], 1)
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
    _heading(doc, SECTIONS[5], 1)
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

    _heading(doc, SECTIONS[6], 1)
    for n, (key, text) in enumerate(cc.opinions(rv).items(), start=1):
        _heading(doc, f"（{'一二三'[n - 1]}）{OPINION_LABELS[key]}", 2)
        _p(doc, text)
    if rv.decisions.opinion:
        _heading(doc, "（四）复核人意见", 2)
        _p(doc, rv.decisions.opinion)

    _heading(doc, SECTIONS[7], 1)
    advice = cc.suggestions(rv) or ["继续保持自评工作质量，按规范填报绩效自评表和自评报告。"]
    for n, text in enumerate(advice, start=1):
        _p(doc, f"{n}. {text}")

    doc.add_paragraph("")
    _p(doc, f"复核单位：{reviewer_org or '＿＿＿＿＿＿＿＿'}（盖章）", "Signature")
    _p(doc, f"复核人：{rv.decisions.reviewer or '＿＿＿＿＿＿'}", "Signature")
    _p(doc, _review_date(rv, when), "Signature")
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
    _p(doc, f"{year}年度绩效自评复核汇总报告", "Title")
    width = _text_width_mm(doc)

    _heading(doc, YEAR_SECTIONS[0], 1)
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

    _heading(doc, YEAR_SECTIONS[1], 1)
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

    _heading(doc, YEAR_SECTIONS[2], 1)
    grades = Counter(r.get("grade") for r in ok)
    order = [g for g in ("优", "良", "中", "差") if g in grades] + sorted(
        g for g in grades if g not in ("优", "良", "中", "差")
    )
    rows = [(g, grades[g], _pct(grades[g] / len(ok)) if ok else "—") for g in order]
    table(doc, ("等级", "单位数", "占比"), rows, [width * x for x in (0.4, 0.3, 0.3)], numeric=(0, 1, 2))

    _heading(doc, YEAR_SECTIONS[3], 1)
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

    _heading(doc, YEAR_SECTIONS[4], 1)
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
    write_report_from(rv, path, last)
    return last


def write_report_from(rv: Review, path: str | os.PathLike[str], last: cc.LastYear | None) -> Path:
    """Write the 复核报告 of a review already made, with last year's review ``last`` (or None)."""
    return _save(unit_report(rv, last), path)
