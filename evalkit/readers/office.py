"""What the .docx and .xlsx readers share: the text around the table, and the errors they raise.

Both readers turn their table into the grid :func:`~evalkit.readers.table.build_filing` reads, in
the same shape: one :class:`~evalkit.readers.table.Cell` per grid column, a horizontally merged
cell repeated across the columns it spans (so every row lines up with its header by column), a
vertically merged cell blank below its first row (as the text dump shows it). The text before the
table splits into narrative and preamble (title, 单位名称/填报日期) exactly as the text dump's
reader splits it, and a 备注 block after the table becomes the table's notes row, so a .docx and
its text dump give the same filing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from evalkit.errors import FilingError
from evalkit.model import Filing, Loc, Paragraph
from evalkit.readers.codes import IMPORT_GOAL_EMPTY
from evalkit.readers.form import (
    EXPECTED_TABLE,
    NOT_TABLE,
    ROLE_BLANK,
    ROLE_BUDGET_HEADER,
    ROLE_INDICATOR_HEADER,
    ROLE_OTHER,
    ROLE_TITLE,
    row_role,
)
from evalkit.readers.grid import Cell, cell_key, read_number

# The text dump's reader decides where the narrative ends and which lines after the table are
# notes; sharing its rules is what makes a .docx import equal to its dump's import.
from evalkit.readers.text import NOTES_START, NUMBERED_ITEM, title_start

Line = tuple[int, str, Loc]  # (ordinal, text, where): a line of text outside the table

# A line that only says the table goes on ("续表", "（续上表）", "表1（续）").
CONTINUED = re.compile(r"^[（(]?\s*(?:续表|续上表|接上表)|[（(]续[)）]\s*$")
# Labels that make a table part of the self-evaluation even without a header row.
_UNIT_LABELS = {"单位名称", "部门名称", "项目名称", "主管部门", "实施单位", "预算单位", "填报日期"}
_INLINE_LABEL = re.compile(r"(?:单位名称|部门名称|项目名称|主管部门|实施单位|填报日期|填表日期)\s*[:：]\s*\S")
_MAX_LISTED = 12


def texts(row: Sequence[Cell]) -> list[str]:
    """The texts of a row's cells."""
    return [c.text for c in row]


def has_indicator_header(rows: Iterable[Sequence[Cell]]) -> bool:
    """True when some row is an indicator header (一级指标 … 实际完成值)."""
    return any(row and row_role(texts(row)) == ROLE_INDICATOR_HEADER for row in rows)


def has_budget_header(rows: Iterable[Sequence[Cell]]) -> bool:
    """True when some row is a budget header (预算数 … 执行数): a table published with only its
    budget block is still reviewed."""
    return any(row and row_role(texts(row)) == ROLE_BUDGET_HEADER for row in rows)


def looks_like_form(rows: Iterable[Sequence[Cell]]) -> bool:
    """True when a table carries a part of a self-evaluation: a header, a goal, a closing row, or
    a unit label (单位名称 | …)."""
    for row in rows:
        role = row_role(texts(row))
        if role not in (ROLE_BLANK, ROLE_OTHER):
            return True
        for cell in row:
            key = re.sub(r"\(万元\)$", "", cell_key(cell.text)).rstrip(":")
            if key in _UNIT_LABELS or _INLINE_LABEL.search(cell.text):
                return True
    return False


def is_short_line(text: str) -> bool:
    """A line that can stand between two parts of a table (a caption, 续表): short, no sentence."""
    text = text.strip()
    return len(text) <= 40 and not text.endswith(("。", "；", ";"))


def narrative_and_preamble(before: list[Line]) -> tuple[list[Paragraph], list[Paragraph]]:
    """Split the non-blank lines ahead of the table into narrative paragraphs and the preamble."""
    cut = title_start([(n, text) for n, text, _ in before])
    paragraphs = [Paragraph(i, text, loc) for i, (_, text, loc) in enumerate(before[:cut], 1)]
    preamble = [Paragraph(0, text, loc) for _, text, loc in before[cut:]]
    return paragraphs, preamble


def notes_and_narrative(blocks: list[list[Line]], paragraphs: list[Paragraph]) -> list[Cell] | None:
    """The lines after the table: a 备注 block (with the numbered items after it) becomes one notes
    cell, returned as a row to append to the grid; the rest is appended to ``paragraphs``.

    ``blocks`` are runs of non-blank lines (a blank paragraph ends a run), as the dump shows them.
    """
    notes: list[Line] = []
    in_notes = False
    for block in blocks:
        if not notes and NOTES_START.match(block[0][1]):
            in_notes = True
        elif in_notes and not NUMBERED_ITEM.match(block[0][1]):
            in_notes = False
        if in_notes:
            notes += block
        else:
            for _, text, loc in block:
                paragraphs.append(Paragraph(len(paragraphs) + 1, text, loc))
    if not notes:
        return None
    return [Cell("\n".join(text for _, text, _ in notes), notes[0][2])]


def leading_lines(rows: list[list[Cell]]) -> int:
    """How many rows at the top of a grid are loose text (a title, "单位名称：…  填报日期：…")
    rather than table rows: each has one distinct text, or only "label：value" texts."""
    k = 0
    for row in rows:
        distinct = list(dict.fromkeys(c.text.strip() for c in row if c.text.strip()))
        if not distinct:
            k += 1
            continue
        role = row_role(texts(row))
        if role not in (ROLE_OTHER, ROLE_TITLE):
            break
        if len(distinct) > 1 and not all(_INLINE_LABEL.search(t) for t in distinct):
            break
        if len(distinct) == 1 and _is_label_cell(distinct[0]):
            break
        k += 1
    return k


def _is_label_cell(text: str) -> bool:
    key = re.sub(r"\(万元\)$", "", cell_key(text)).rstrip(":")
    return key in _UNIT_LABELS


def no_table_error(file: str, grids: list[tuple[str, list[list[Cell]]]]) -> FilingError:
    """The error for a file whose tables have no indicator header: lists the headers found.

    ``grids`` are ``(label, rows)`` per table or sheet. The header shown is the row that looks most
    like one: the most distinct short texts that are not numbers.
    """
    if not any(rows for _, rows in grids):
        return FilingError(file, f"{NOT_TABLE}：文件中没有表格", expected=EXPECTED_TABLE)
    best: tuple[int, list[str], Loc | None] = (0, [], None)
    for _, rows in grids:
        for row in rows:
            names = []
            for cell in row:
                text = re.sub(r"\s+", "", cell.text)
                if text and len(text) <= 30 and text not in names and not read_number(text)[1]:
                    names.append(text)
            if len(names) > best[0]:
                best = (len(names), names, row[0].loc if row else None)
    count, names, loc = best
    where = loc.describe().replace(file, "").strip() if loc else ""
    if count < 2:
        labels = "、".join(label for label, _ in grids)
        return FilingError(file, f"{NOT_TABLE}：{labels}中没有可识别的表头行", expected=EXPECTED_TABLE)
    shown = "、".join(f"“{n}”" for n in names[:_MAX_LISTED]) + ("等" if count > _MAX_LISTED else "")
    return FilingError(
        file,
        f"{NOT_TABLE}：表头无法识别，找到的表头为 {shown}",
        where=where,
        expected=EXPECTED_TABLE,
    )


def drop_unused_goals(filing: Filing) -> None:
    """Drop goal blocks left empty at the end of the table (no title, no indicator rows).

    Word and Excel forms, our template among them, come with more 年度目标 blocks than a unit
    uses; the unused ones are no goal of the filing, so they raise no "goal without rows" warning.
    """
    goals = filing.goals
    if not any(g.indicators for g in goals):
        return
    while goals and not goals[-1].indicators and not goals[-1].title.strip():
        gone = goals.pop()
        filing.problems = [
            p for p in filing.problems if not (p.code == IMPORT_GOAL_EMPTY and p.where == f"目标{gone.index}")
        ]
