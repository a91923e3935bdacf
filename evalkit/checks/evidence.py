"""Evidence checks (RULES §5.10): a reported satisfaction figure needs a survey behind it.

Survey evidence counts where the report speaks of satisfaction or lists its evidence: a paragraph
that mentions 满意, a paragraph under a heading about satisfaction or evidence (佐证材料, 附件), and
the table's closing texts. A method catalogue ("公众评判法。是指通过…问卷及抽样调查…") is
boilerplate and counts for nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from evalkit.checks import Check, Context, Finding, check, place_row, where_row
from evalkit.checks.narrative import reading_of
from evalkit.model import LEVEL1_SATISFACTION
from evalkit.values import notation as nt

SURVEY_WORDS = re.compile(
    r"问卷|调查|调研|抽样|抽查|测评|回访|访谈|座谈|评议|样本|走访|电访|电话访问|满意度测|发放.{0,8}份|收回.{0,8}份"
)
_BOILERPLATE = re.compile(r"是指|评价方法|评判法|分析法|比较法")
_CONTEXT_HEADINGS = ("满意", "佐证", "证明材料", "附件", "附表")


def survey_mentions(ctx: Context) -> list[str]:
    """The passages of the filing that mention a satisfaction survey (empty when none)."""
    sections = reading_of(ctx).sections
    found: list[str] = []
    for p in ctx.filing.narrative:
        heading = sections.get(p.index, "")
        relevant = "满意" in p.text or any(w in heading for w in _CONTEXT_HEADINGS)
        if relevant and not _BOILERPLATE.search(p.text) and SURVEY_WORDS.search(p.text):
            found.append(p.text)
    found += [t for t in ctx.filing.closing.values() if SURVEY_WORDS.search(t) and "满意" in t]
    return found


@check("E101", "evidence", "warning", "满意度无调查依据")
def satisfaction_without_survey(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A satisfaction indicator reports a result (e.g. 100%) while neither the report nor the
    table mentions a survey behind it (问卷, 抽样调查, 回访, 测评…): the figure is not evidenced.

    Why: Satisfaction without a survey is an assertion, not evidence; firms commonly give such rows no
    points (满意度无调查资料的计0分).

    Example: 社会公众满意度 target ≥90%, actual 100%, and the report never mentions 问卷, 调查 or 回访.
    """
    rows = [
        ind
        for ind in ctx.filing.indicators
        if ind.level1 == LEVEL1_SATISFACTION and ind.actual.kind not in (nt.MISSING, nt.UNREADABLE)
    ]
    if not rows or survey_mentions(ctx):
        return
    # Point at a row named for satisfaction where there is one (a misfiled row may sit first).
    rows.sort(key=lambda ind: "满意" not in ind.name)
    first = rows[0]
    values = "、".join(dict.fromkeys(ind.actual_text for ind in rows))
    others = "、".join(f"目标{i.goal} 第{i.row}行" for i in rows[1:])
    also = f"（另有{others}）" if others else ""
    yield chk.finding(
        f"满意度指标填报完成值{values}{also}，报告正文和佐证材料未提及问卷、抽样调查、回访等满意度调查依据",
        where_row(first),
        first.loc,
        place_row(first),
    )
