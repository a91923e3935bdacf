"""Read a self-evaluation filed as a Word document (.docx) into a Filing.

The document body is read in order, paragraphs and tables interleaved: paragraphs before the
self-evaluation table are the narrative report (kept for the narrative checks), the few lines just
above it the preamble (title, "单位名称：…  填报日期：…"), and the table becomes the grid that
:func:`~evalkit.readers.table.build_filing` interprets.

Merged cells are read as Word stores them (``w:tblGrid`` columns; ``w:gridSpan`` across columns,
``w:vMerge`` down rows, the legacy ``w:hMerge``; ``w:gridBefore`` skipping leading columns): a cell
spanning columns is repeated in each, a vertically merged cell is blank below its first row. A
table split into consecutive tables (a page break, a "续表" caption between) is read as one;
blank rows are skipped by the interpreter; header rows repeated per goal are the interpreter's
business too. Nested tables are flattened into their cell's text. Deleted (tracked) text and hidden
text are left out, as Word shows the document.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from evalkit.errors import FilingError
from evalkit.model import Filing, Loc, Paragraph
from evalkit.readers.form import build_filing
from evalkit.readers.grid import Cell, cell_key
from evalkit.readers.office import (
    CONTINUED,
    Line,
    drop_unused_goals,
    has_budget_header,
    has_indicator_header,
    is_short_line,
    leading_lines,
    looks_like_form,
    narrative_and_preamble,
    no_table_error,
    notes_and_narrative,
)
from evalkit.readers.safety import check_office_file

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


P, TBL, TR, TC, SDT, SDT_CONTENT, CUSTOM_XML = map(
    _w, ("p", "tbl", "tr", "tc", "sdt", "sdtContent", "customXml")
)
T, TAB, BR, CR, R, RPR, VANISH = map(_w, ("t", "tab", "br", "cr", "r", "rPr", "vanish"))
VAL = _w("val")
# Elements whose text Word does not show in the flow: deleted or moved-away text, property blocks,
# drawings and text boxes, and the fallback copy of alternate content.
_SKIP = {
    *map(_w, ("del", "moveFrom", "pPr", "rPr", "tcPr", "trPr", "tblPr", "drawing", "pict", "object")),
    *map(_w, ("txbxContent", "instrText", "delText", "fldData")),
    f"{{{MC}}}Fallback",
}
_CHARS = {_w("noBreakHyphen"): "-", _w("softHyphen"): "", TAB: "\t", BR: "\n", CR: "\n"}
_CONTAINERS = (SDT, SDT_CONTENT, CUSTOM_XML, _w("smartTag"), _w("ins"), _w("moveTo"))


@dataclass
class _Para:
    ordinal: int  # 1-based among the body's paragraphs, blank ones included
    lines: list[str]


@dataclass
class _Table:
    index: int  # 1-based among the body's top-level tables
    rows: list[list[Cell]] = field(default_factory=list)


def read_docx(path: str | os.PathLike[str]) -> Filing:
    """Read a .docx self-evaluation (narrative and table) into a Filing.

    Raises :class:`~evalkit.errors.FilingError` naming the file when it is refused before opening
    (size limits, encryption, an old .doc, a corrupt zip: see :mod:`evalkit.readers.safety`), cannot
    be opened, or holds no self-evaluation table (the message lists the headers it found).
    """
    p = Path(path)
    file = str(p)
    check_office_file(p, ".docx")
    body = _open_body(p)
    items = _body_items(body, file)
    filing = _interpret(items, file)
    drop_unused_goals(filing)
    return filing


def _open_body(p: Path):
    import docx

    try:
        document = docx.Document(str(p))
    except Exception as exc:  # any failure to open is a damaged file to the user
        raise FilingError(
            str(p),
            f"文件已损坏或不是有效的 Word 文档，无法打开（{type(exc).__name__}: {exc}），"
            "请用 Word 或 WPS 打开后重新另存为 .docx",
        ) from None
    return document.element.body


# --- the body ---------------------------------------------------------------------------------


def _body_items(body, file: str) -> list[_Para | _Table]:
    items: list[_Para | _Table] = []
    counters = {"p": 0, "tbl": 0}

    def walk(parent) -> None:
        for child in parent:
            tag = child.tag
            if tag == P:
                counters["p"] += 1
                text = _text(child)
                items.append(_Para(counters["p"], [s.strip() for s in text.split("\n")]))
            elif tag == TBL and _is_frame(child):
                for tc in (tc for tr in _children(child, TR) for tc in _children(tr, TC)):
                    walk(tc)  # a one-column layout table around the form: read what it holds
            elif tag == TBL:
                counters["tbl"] += 1
                items.append(_Table(counters["tbl"], _table_rows(child, counters["tbl"], file)))
            elif tag in _CONTAINERS:
                walk(child)

    walk(body)
    return items


def _is_frame(tbl) -> bool:
    """A table used as a frame: one cell per row, and a table inside."""
    rows = list(_children(tbl, TR))
    cells = [list(_children(tr, TC)) for tr in rows]
    return (
        bool(rows)
        and all(len(c) == 1 for c in cells)
        and any(child.tag == TBL for c in cells for child in c[0])
    )


def _text(el) -> str:
    """The text Word shows for a paragraph (or any run container): runs, tabs, line breaks."""
    out: list[str] = []

    def walk(node) -> None:
        for child in node:
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIP:
                continue
            if tag == T:
                out.append(child.text or "")
            elif tag in _CHARS:
                out.append(_CHARS[tag])
            elif tag == R and _hidden(child):
                continue
            else:
                walk(child)

    walk(el)
    return "".join(out)


def _hidden(run) -> bool:
    rpr = run.find(RPR)
    if rpr is None:
        return False
    vanish = rpr.find(VANISH)
    return vanish is not None and vanish.get(VAL, "true").lower() not in ("0", "false", "off")


# --- tables -----------------------------------------------------------------------------------


def _children(el, tag: str):
    """Direct children with ``tag``, looking through content controls and custom XML."""
    for child in el:
        if child.tag == tag:
            yield child
        elif child.tag in _CONTAINERS:
            yield from _children(child, tag)


def _int_prop(props, name: str, default: int) -> int:
    if props is None:
        return default
    el = props.find(_w(name))
    if el is None:
        return default
    try:
        return max(int(el.get(VAL, default)), 0)
    except ValueError:
        return default


def _merge(props, name: str) -> str | None:
    """``restart``/``continue`` for a cell's vMerge or hMerge, None when it has none."""
    el = props.find(_w(name)) if props is not None else None
    if el is None:
        return None
    return "restart" if el.get(VAL) == "restart" else "continue"


def _cell_text(tc) -> str:
    """A cell's paragraphs (and nested tables, flattened) as lines joined by "\\n"."""
    lines: list[str] = []

    def walk(parent) -> None:
        for child in parent:
            if child.tag == P:
                lines.extend(_text(child).split("\n"))
            elif child.tag == TBL:
                for tr in _children(child, TR):
                    cells = [_cell_text(c).replace("\n", " ") for c in _children(tr, TC)]
                    lines.append(" ".join(c for c in cells if c))
            elif child.tag in _CONTAINERS:
                walk(child)

    walk(tc)
    return "\n".join(s for s in (line.strip() for line in lines) if s)


def _table_rows(tbl, t: int, file: str) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for r, tr in enumerate(_children(tbl, TR), start=1):
        row: list[Cell] = []
        trpr = tr.find(_w("trPr"))
        for col in range(_int_prop(trpr, "gridBefore", 0)):
            row.append(Cell("", Loc(file, table=t, row=r, cell=str(col + 1))))
        for tc in _children(tr, TC):
            tcpr = tc.find(_w("tcPr"))
            span = max(_int_prop(tcpr, "gridSpan", 1), 1)
            if _merge(tcpr, "hMerge") == "continue" and row:
                origin = row[-1]  # legacy horizontal merge: this cell belongs to the one before
                row += [Cell(origin.text, origin.loc) for _ in range(span)]
                continue
            loc = Loc(file, table=t, row=r, cell=str(len(row) + 1))
            # Word shows only the first cell of a vertical merge; the others may hold stale text.
            text = "" if _merge(tcpr, "vMerge") == "continue" else _cell_text(tc)
            row += [Cell(text, loc) for _ in range(span)]
        rows.append(row)
    return rows


# --- which part is the table ------------------------------------------------------------------


def _interpret(items: list[_Para | _Table], file: str) -> Filing:
    tables = [k for k, item in enumerate(items) if isinstance(item, _Table)]
    header = next((k for k in tables if has_indicator_header(items[k].rows)), None)
    if header is None:  # a table with only its budget block
        header = next((k for k in tables if has_budget_header(items[k].rows)), None)
    if header is None:
        raise no_table_error(file, [(f"表格{items[k].index}", items[k].rows) for k in tables])
    start, end = _table_span(items, header)

    rows: list[list[Cell]] = []
    for item in items[start : end + 1]:
        if isinstance(item, _Table):
            rows += item.rows
        else:
            # a caption between two parts of the table: a row of its own, so a title still counts
            for line in item.lines:
                if line and not CONTINUED.search(line):
                    rows.append([Cell(line, Loc(file, line=item.ordinal))])

    before: list[Line] = []
    for item in items[:start]:
        before += [line for block in _lines(item, file) for line in block]
    paragraphs, preamble = narrative_and_preamble(before)
    k = leading_lines(rows)
    preamble += [_as_paragraph(row) for row in rows[:k] if any(c.text.strip() for c in row)]
    rows = rows[k:]

    blocks: list[list[Line]] = []
    current: list[Line] = []
    for item in items[end + 1 :]:
        for block in _lines(item, file, keep_breaks=True):
            if block:
                current += block
            elif current:
                blocks.append(current)
                current = []
    if current:
        blocks.append(current)
    notes = notes_and_narrative(blocks, paragraphs)
    if notes:
        rows.append(notes)
    return build_filing(rows, paragraphs, source=file, source_format="docx", preamble=preamble)


def _as_paragraph(row: list[Cell]) -> Paragraph:
    distinct = list(dict.fromkeys(c.text.strip() for c in row if c.text.strip()))
    loc = next(c.loc for c in row if c.text.strip())
    return Paragraph(0, "  ".join(distinct), loc)


def _lines(item: _Para | _Table, file: str, keep_breaks: bool = False) -> list[list[Line]]:
    """An item as blocks of non-blank lines; with ``keep_breaks`` a blank paragraph or a table's
    end gives an empty block, which ends the run of lines before it (as a blank line in a dump)."""
    if isinstance(item, _Para):
        lines = [(item.ordinal, s, Loc(file, line=item.ordinal)) for s in item.lines if s]
        if lines:
            return [lines]
        return [[]] if keep_breaks else []
    out: list[Line] = []
    for row in item.rows:
        distinct = list(dict.fromkeys(c.text.strip() for c in row if c.text.strip()))
        if distinct:
            loc = next(c.loc for c in row if c.text.strip())
            out.append((loc.row or 0, " ".join(d.replace("\n", " ") for d in distinct), loc))
    return [out, []] if keep_breaks else [out]


def _table_span(items: list[_Para | _Table], header: int) -> tuple[int, int]:
    """The first and last item of the self-evaluation table around the table at ``header``:
    neighbouring tables joined to it when only blank paragraphs or short captions stand between."""
    start = end = header
    # backwards: a unit/budget block in a table of its own, maybe with a caption between
    k = header - 1
    while k >= 0:
        gap: list[str] = []
        while k >= 0 and isinstance(items[k], _Para):
            gap += [s for s in items[k].lines if s]
            k -= 1
        if k < 0 or not all(is_short_line(s) for s in gap):
            break
        if not looks_like_form(items[k].rows):
            break
        start = k
        k -= 1
    # forwards: the table continued after a page break or a 续表 caption, or the next goal's table
    k = end + 1
    while k < len(items):
        gap = []
        while k < len(items) and isinstance(items[k], _Para):
            gap += [s for s in items[k].lines if s]
            k += 1
        if k >= len(items):
            break
        if any("自评表" in cell_key(s) for s in gap):
            break  # a title: another table starts (an annex), not this one going on
        plain = all(CONTINUED.search(s) for s in gap)
        if not plain and not (all(is_short_line(s) for s in gap) and looks_like_form(items[k].rows)):
            break
        end = k
        k += 1
    return start, end
