"""What the words around and inside the table say: year, grade, total, budget basis, points.

The table's cells give the figures; some facts are only written in text: the fiscal year in the
title ("2024年度…自评表", "（2023年度）"), the declared grade and total in the report ("自评等级为
优", "自评得分95分"), the basis of the execution rate in a note ("预算数为年初预算数",
"预算执行率=预算执行数/调整后预算数"), the adjusted budget in the report ("调减后预算数188.44万元"),
and points written into a label ("预算执行情况(10分)", "得分（20分*执行率）", "年度目标1：（80分）").
Each function here reads one of them from text and never raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from evalkit.model import Loc
from evalkit.readers.grid import cell_key, read_number

_SPACE = re.compile(r"\s+")
YEAR_DU = re.compile(r"((?:19|20)\d{2})\s*年度")
YEAR_PAREN = re.compile(r"[（(]\s*((?:19|20)\d{2})\s*年?度?\s*[)）]")
_YEAR_PLAIN = re.compile(r"((?:19|20)\d{2})\s*年")
_NARRATIVE_ADJUSTMENT = re.compile(r"预算(调减|调增)(?:数|金额|资金)?(?:为|是|[:：])?([0-9][0-9,.]*)万元")
_NARRATIVE_ADJUSTED = re.compile(
    r"(?:调减|调增|调整)后(?:的)?(?:全年)?预算(?:数|总额|金额)?(?:为|是|[:：])?([0-9][0-9,.]*)万元"
)
FORMULA = re.compile(r"(?:预算)?执行率\s*[=＝]\s*[^=＝，,。；;：:\s/／÷]+\s*[/／÷]\s*[^=＝，,。；;\s]+")
_BASIS_STATED = re.compile(r"预算数\s*(?:为|是|指|即|:|：)\s*(?:单位|部门)?\s*(年初|全年|调整后|调整)")
_BASIS_FORMULA = re.compile(r"执行率\s*[=＝][^/／÷=＝]*[/／÷]\s*[（(]?\s*(年初预算|全年预算|调整后)")
GRADE_WORDS = {"优秀": "优", "优": "优", "良好": "良", "良": "良", "中等": "中", "中": "中"}
GRADE_WORDS.update({"较差": "差", "差": "差", "合格": "合格", "不合格": "不合格"})
_NARRATIVE_GRADE = re.compile(
    r"(?:自评|评价|绩效)(?:结果|等级|结论|级别)?\s*(?:为|是|:|：|评定为|等级为|等次为)\s*[“\"「]?"
    r"(优秀|良好|中等|较差|优|良|中|差)(?=$|[^\u4e00-\u9fff]|[等级档次])"
)
_NARRATIVE_TOTAL = re.compile(
    r"(?:自评|评价|综合)(?:总)?(?:得)?分(?:数)?\s*(?:为|是|:|：)?\s*(\d+(?:\.\d+)?)\s*分"
    r"(?!\s*(?:[（(]含[)）])?\s*(?:以上|以下|及以上|及以下|至|-|～|~))"  # not a grading rule
)
# Points written into a label: "(10分)", "（80分）", "20分*执行率", "绩效指标(90分)".
_POINTS = re.compile(r"[（(]?\s*(\d+(?:\.\d+)?)\s*分\s*(?:[)）]|[*×x]|$)")
_POINTS_NOTE = re.compile(r"\s*[（(][^（()）]*\d+(?:\.\d+)?\s*分[^（()）]*[)）]\s*$")


def year_of(titles: list[tuple[str, Loc]]) -> tuple[int, Loc] | None:
    """The fiscal year stated in the table's title lines ("2024年度…", "（2023年度）")."""
    joined = "".join(cell_key(t) for t, _ in titles)
    for pattern in (YEAR_DU, YEAR_PAREN):
        for text, loc in titles:
            m = pattern.search(cell_key(text))
            if m:
                return int(m.group(1)), loc
        m = pattern.search(joined)
        if m and titles:
            return int(m.group(1)), titles[0][1]
    return None


def year_in_field(text: str) -> int | None:
    """The year in a 年度 / 评价年度 field ("2024", "2024年")."""
    m = re.search(r"(?:19|20)\d{2}", cell_key(text))
    return int(m.group(0)) if m else None


def year_in_narrative(paragraphs: Iterable[tuple[str, Loc]]) -> tuple[int, Loc] | None:
    """The first "NNNN年度" of the report's opening paragraphs."""
    for text, loc in paragraphs:
        m = YEAR_DU.search(text)
        if m:
            return int(m.group(1)), loc
    return None


def grade_word(text: str) -> str | None:
    """The grade a cell names (优秀 → 优), or None."""
    return GRADE_WORDS.get(cell_key(text))


def declared_grade_in(text: str) -> str | None:
    """The grade the report declares ("自评等级为优"), or None."""
    m = _NARRATIVE_GRADE.search(text)
    return GRADE_WORDS[m.group(1)] if m else None


def declared_total_in(text: str) -> float | None:
    """The total the report declares ("自评得分95分"), not a grading rule ("90分以上")."""
    m = _NARRATIVE_TOTAL.search(text)
    return float(m.group(1)) if m else None


def formula_in(text: str) -> str | None:
    """A stated execution-rate formula ("预算执行率=预算数/执行数"), whitespace dropped."""
    m = FORMULA.search(text)
    return _SPACE.sub("", m.group(0)) if m else None


def basis_in(text: str) -> str | None:
    """The budget basis a text states: "planned" (年初) or "adjusted" (全年, 调整后), or None."""
    m = _BASIS_STATED.search(text)
    if m:
        return "planned" if m.group(1) == "年初" else "adjusted"
    m = _BASIS_FORMULA.search(text)
    if m:
        return "planned" if m.group(1) == "年初预算" else "adjusted"
    return None


def basis_of_headers(headers: list[str], rate_col: int | None) -> str | None:
    """The basis the budget header states: 全年预算数（A） … 执行率（B/A）."""
    if rate_col is None or "B/A" not in cell_key(headers[rate_col]).upper():
        return None
    for header in headers:
        key = cell_key(header).upper()
        if "(A)" in key:
            if "全年" in key or "调整后" in key:
                return "adjusted"
            if "年初" in key:
                return "planned"
    return None


def narrative_adjustment(text: str) -> tuple[float | None, float | None]:
    """The budget cut/increase and the adjusted budget the report states (万元), each or None.

    Department tables often carry only 预算数 and 执行数 while the report states the cut
    ("预算调减数为14.54万元，调减后预算数188.44万元"); the review shows the rate on both bases.
    """
    key = _SPACE.sub("", text)
    adjustment = adjusted = None
    m = _NARRATIVE_ADJUSTMENT.search(key)
    if m:
        amount, _ = read_number(m.group(2))
        if amount is not None:
            adjustment = -amount if m.group(1) == "调减" else amount
    m = _NARRATIVE_ADJUSTED.search(key)
    if m:
        adjusted, _ = read_number(m.group(1))
    return adjustment, adjusted


def points_in(text: str) -> float | None:
    """Points written into a label or header: "预算执行情况(10分)" → 10, "得分（20分*执行率）" → 20."""
    m = _POINTS.search(cell_key(text))
    return float(m.group(1)) if m else None


def without_points(text: str) -> str:
    """A label without its points note: "年度目标1：（80分）" → "年度目标1：", "产出指标(50分)" → "产出指标"."""
    return _POINTS_NOTE.sub("", text).strip()
