"""Read a self-evaluation filed as an Excel workbook (.xlsx) into a Filing.

Units send our template (:mod:`evalkit.readers.fillable`) or their own sheets: the table on any sheet,
its header row anywhere, merged cells, numbers stored as text, formulas. The reader picks the sheet
that holds the self-evaluation table (the first visible one with an indicator header row), turns it
into the grid :func:`~evalkit.readers.table.build_filing` interprets (a merged range repeated
across its first row, blank below it; hidden rows and columns left out) and shows every value as
the user sees it in Excel: 202.98 rather than 202.98000000000002, a percent-formatted 0.9284 as
"92.84%", a date as 2024-04-15.

Formulas are never evaluated: openpyxl reads the value Excel cached when it saved the file
(``data_only=True``), and a formula without a cached value (a file written by a program that does
not calculate) is reported. Macros are never loaded (``keep_vba=False``). Rows above the table (a
title, "单位名称：…  填报日期：…", a report text) are split into narrative and preamble as in a
text dump; a sheet named like a report (自评报告, 绩效报告, 正文) gives narrative paragraphs.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import warnings
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from evalkit.errors import FilingError
from evalkit.model import Filing, Loc, Problem
from evalkit.readers.form import build_filing
from evalkit.readers.grid import Cell
from evalkit.readers.office import (
    Line,
    drop_unused_goals,
    has_budget_header,
    has_indicator_header,
    leading_lines,
    narrative_and_preamble,
    no_table_error,
)
from evalkit.readers.safety import check_office_file

# Problem codes emitted by this reader (family, severity as in the Problem).
IMPORT_FORMULA_NO_VALUE = "IMPORT_FORMULA_NO_VALUE"  # value / warning: a formula with no cached value
IMPORT_HIDDEN = "IMPORT_HIDDEN"  # structure / info: hidden rows or columns left out
IMPORT_SHEETS = "IMPORT_SHEETS"  # structure / info: more than one sheet holds a table

_REPORT_SHEET = re.compile(r"报告|正文|自评情况")
_MAX_CELLS = 2_000_000  # a sheet with more cells than this is no self-evaluation table
_SIGNIFICANT = 10  # digits Excel's General format shows at most


def read_xlsx(path: str | os.PathLike[str]) -> Filing:
    """Read an .xlsx self-evaluation into a Filing.

    Raises :class:`~evalkit.errors.FilingError` naming the file when it is refused before opening
    (see :mod:`evalkit.readers.safety`), cannot be opened, or no sheet holds a self-evaluation table
    (the message lists the headers found on the sheets).
    """
    p = Path(path)
    file = str(p)
    check_office_file(p, ".xlsx")
    wb = _open(p)
    problems: list[Problem] = []
    sheets = sorted(wb.worksheets, key=lambda ws: ws.sheet_state != "visible")  # visible first
    grids = [(ws, _grid(ws, file, problems)) for ws in sheets]
    with_table = [(ws, rows) for ws, rows in grids if has_indicator_header(rows)]
    if not with_table:  # a sheet with only its budget block
        with_table = [(ws, rows) for ws, rows in grids if has_budget_header(rows)][:1]
    if not with_table:
        raise no_table_error(file, [(f"工作表“{ws.title}”", rows) for ws, rows in grids])
    ws, rows = with_table[0]
    if len(with_table) > 1:
        others = "、".join(f"“{w.title}”" for w, _ in with_table[1:])
        problems.append(
            Problem(
                IMPORT_SHEETS,
                "structure",
                "info",
                f"工作簿中有{len(with_table)}个工作表含自评表，只读取了“{ws.title}”，未读取{others}",
                f"工作表“{ws.title}”",
                Loc(file, sheet=ws.title),
            )
        )
    problems = [q for q in problems if q.loc is None or q.loc.sheet == ws.title]
    problems += _formulas_without_value(p, ws.title, rows)

    k = leading_lines([row for row in rows if row])
    starts = [i for i, row in enumerate(rows) if row]
    first_table_row = starts[k] if k < len(starts) else len(rows)
    before: list[Line] = []
    for other, other_rows in grids:
        if other is not ws and _REPORT_SHEET.search(other.title):
            before += _text_lines(other_rows)
    before += _text_lines(rows[:first_table_row])
    paragraphs, preamble = narrative_and_preamble(before)
    table = [[] for _ in rows[:first_table_row]] + rows[first_table_row:]
    filing = build_filing(table, paragraphs, source=file, source_format="xlsx", preamble=preamble)
    filing.problems += problems
    drop_unused_goals(filing)
    return filing


def _open(p: Path):
    from openpyxl import load_workbook

    try:
        # data_only: cached values, never a formula evaluated; keep_vba/keep_links: nothing active.
        # openpyxl warns about parts it drops (extensions, print settings): nothing a reviewer needs.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_workbook(p, read_only=False, data_only=True, keep_vba=False, keep_links=False)
    except Exception as exc:  # any failure to open is a damaged file to the user
        raise FilingError(
            str(p),
            f"文件已损坏或不是有效的 Excel 工作簿，无法打开（{type(exc).__name__}: {exc}），"
            "请用 Excel 或 WPS 打开后重新另存为 .xlsx",
        ) from None


# --- a sheet as a grid ------------------------------------------------------------------------


def _grid(ws, file: str, problems: list[Problem]) -> list[list[Cell]]:
    """The sheet as rows of cells, row ``i`` of the list being Excel row ``i + 1``.

    Only the block that holds values is read (a sheet formatted down to row 1048576 costs
    nothing); rows outside it are empty lists.
    """
    from openpyxl.utils import get_column_letter

    # The block of stored cells (openpyxl's public dimensions); reading it creates a cell object
    # for every position, so its size is what the guard bounds.
    span = (ws.max_row - ws.min_row + 1) * (ws.max_column - ws.min_column + 1)
    if span > _MAX_CELLS:
        raise FilingError(file, f"工作表“{ws.title}”单元格过多（{span}个），不像自评表，已拒绝")
    hidden_rows = {r for r, dim in ws.row_dimensions.items() if dim.hidden}
    hidden_cols: set[int] = set()
    for dim in ws.column_dimensions.values():
        if dim.hidden and dim.min and dim.max:
            hidden_cols.update(range(dim.min, min(dim.max, 16384) + 1))
    filled = [
        (cell.row, cell.column)
        for row in ws.iter_rows()
        for cell in row
        if cell.value is not None and str(cell.value).strip()
    ]
    if not filled:
        return []
    skipped = {(r, c) for r, c in filled if r in hidden_rows or c in hidden_cols}
    shown = [rc for rc in filled if rc not in skipped]
    if skipped:
        r0, c0 = min(skipped)
        problems.append(
            Problem(
                IMPORT_HIDDEN,
                "structure",
                "info",
                f"工作表“{ws.title}”有{len(skipped)}个隐藏单元格（隐藏的行或列）有内容，已略过；"
                "如需复核请取消隐藏后重新导入",
                f"工作表“{ws.title}”",
                Loc(file, sheet=ws.title, row=r0, cell=f"{get_column_letter(c0)}{r0}"),
            )
        )
    if not shown:
        return []
    top, bottom = min(r for r, _ in shown), max(r for r, _ in shown)
    left, right = min(c for _, c in shown), max(c for _, c in shown)
    cols = [c for c in range(left, right + 1) if c not in hidden_cols]

    # merged ranges: every cell of a range maps to its top-left cell; the first row repeats it
    origin: dict[tuple[int, int], tuple[int, int]] = {}
    for rng in ws.merged_cells.ranges:
        r1, c1, r2, c2 = rng.min_row, rng.min_col, rng.max_row, rng.max_col
        for r in range(max(r1, top), min(r2, bottom) + 1):
            for c in range(max(c1, left), min(c2, right) + 1):
                origin[(r, c)] = (r1, c1)

    rows: list[list[Cell]] = [[] for _ in range(bottom)]
    for r in range(top, bottom + 1):
        if r in hidden_rows:
            continue
        row: list[Cell] = []
        for c in cols:
            r1, c1 = origin.get((r, c), (r, c))
            if r1 != r:
                text, at = "", (r, c)  # below the first row of a merged range: blank, as Word shows
            else:
                source = ws.cell(row=r1, column=c1)  # inside the block read above: no new cell
                text, at = (cell_text(source) if source is not None else ""), (r1, c1)
            coordinate = f"{get_column_letter(at[1])}{at[0]}"
            row.append(Cell(text, Loc(file, sheet=ws.title, row=at[0], cell=coordinate)))
        rows[r - 1] = row
    return rows


def _text_lines(rows: list[list[Cell]]) -> list[Line]:
    """Rows of loose text as lines: a row's distinct texts joined by two spaces."""
    out: list[Line] = []
    for row in rows:
        distinct = list(dict.fromkeys(c.text.strip() for c in row if c.text.strip()))
        if distinct:
            loc = next(c.loc for c in row if c.text.strip())
            out.append((loc.row or 0, "  ".join(distinct), loc))
    return out


def _formulas_without_value(p: Path, title: str, rows: list[list[Cell]]) -> list[Problem]:
    """Formula cells of the table's sheet that carry no cached value (read as blank)."""
    from openpyxl import load_workbook

    blank = {c.loc.cell for row in rows for c in row if not c.text.strip() and c.loc.cell}
    found: list[Problem] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = load_workbook(p, read_only=True, data_only=False, keep_vba=False, keep_links=False)
    try:
        for row in wb[title].iter_rows():
            for cell in row:
                value = getattr(cell, "value", None)
                coordinate = getattr(cell, "coordinate", None)
                if isinstance(value, str) and value.startswith("=") and coordinate in blank:
                    where = f"工作表“{title}” {coordinate}"
                    found.append(
                        Problem(
                            IMPORT_FORMULA_NO_VALUE,
                            "value",
                            "warning",
                            f"{where}是公式（{value[:40]}），文件中没有保存计算结果，按空白读取；"
                            "公式不会被执行，请在 Excel 中打开并保存后重新导入",
                            where,
                            Loc(str(p), sheet=title, row=cell.row, cell=coordinate),
                        )
                    )
    finally:
        wb.close()
    return found


# --- values as shown --------------------------------------------------------------------------


def cell_text(cell: Any) -> str:
    """A cell's value as the user sees it in Excel (numbers by their format, dates as ISO)."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if (value.hour, value.minute, value.second) == (0, 0, 0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, int | float):
        return number_text(value, getattr(cell, "number_format", "General") or "General")
    return str(value)


def number_text(value: float, number_format: str = "General") -> str:
    """A number as Excel shows it under ``number_format`` (the parts evalkit needs).

    General: up to 10 significant digits, no exponent (202.98, never 202.98000000000002).
    A format with decimals rounds to them as Excel does ("0.00" → 92.84), "%" multiplies by 100,
    literal text in the format is kept ('0"人"' → 1500人); thousands separators are left out.
    """
    sections = _sections(number_format)
    section = sections[0]
    sign = "-" if value < 0 else ""
    if value < 0 and len(sections) > 1 and sections[1].strip():
        section, sign = sections[1], ""  # the negative section writes its own sign or brackets
    elif value == 0 and len(sections) > 2 and sections[2].strip():
        section = sections[2]
    section = re.sub(r"\[[^\]]*\]", "", section)  # colours, conditions, locales
    parsed = _parse_section(section)
    if parsed is None:
        return sign + _general(abs(value))
    prefix, suffix, min_dec, max_dec, percents = parsed
    number = abs(value) * (100**percents)
    try:
        q = Decimal(repr(float(number))).quantize(Decimal(1).scaleb(-max_dec), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return sign + _general(abs(value))
    text = format(q, "f")
    if max_dec > min_dec and "." in text:
        whole, frac = text.split(".")
        frac = frac.rstrip("0")
        frac = frac + "0" * (min_dec - len(frac)) if len(frac) < min_dec else frac
        text = f"{whole}.{frac}" if frac else whole
    return f"{sign}{prefix}{text}{suffix}"


def _general(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.{_SIGNIFICANT}g}"
    if "e" in text:
        text = format(Decimal(text), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _sections(number_format: str) -> list[str]:
    """A number format's ;-separated sections (quotes and escapes respected)."""
    sections, current, quoted, escaped = [], [], False, False
    for ch in number_format:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == '"':
            current.append(ch)
            quoted = not quoted
        elif ch == ";" and not quoted:
            sections.append("".join(current))
            current = []
        else:
            current.append(ch)
    sections.append("".join(current))
    return sections


def _parse_section(section: str) -> tuple[str, str, int, int, int] | None:
    """``(prefix, suffix, min decimals, max decimals, percent signs)``, or None for General, text
    or a format this reader does not imitate (fractions, exponents)."""
    if not section.strip() or section.strip().lower() == "general":
        return None
    prefix: list[str] = []
    suffix: list[str] = []
    digits: list[str] = []
    percents = 0
    i = 0
    while i < len(section):
        ch = section[i]
        out = suffix if digits else prefix
        if ch == '"':
            end = section.find('"', i + 1)
            end = len(section) if end < 0 else end
            out.append(section[i + 1 : end])
            i = end + 1
            continue
        if ch == "\\" and i + 1 < len(section):
            out.append(section[i + 1])
            i += 2
            continue
        if ch in "_*" and i + 1 < len(section):
            i += 2  # padding and fill characters take no text
            continue
        if ch in "0#?" or (ch in ".," and (digits or (i + 1 < len(section) and section[i + 1] in "0#?"))):
            if suffix:
                return None  # digits after literal text (a fraction or a phone number): not imitated
            digits.append(ch)
        elif ch == "%":
            percents += 1
            out.append("%")
        elif ch in "Ee/@":
            return None
        else:
            out.append(ch)
        i += 1
    if not digits:
        return None
    number = "".join(digits).replace(",", "")
    decimals = number.split(".", 1)[1] if "." in number else ""
    return "".join(prefix), "".join(suffix), decimals.count("0"), len(decimals), percents
