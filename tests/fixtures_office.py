"""Builders of .docx / .xlsx test fixtures, written at test time with python-docx and openpyxl.

The seed and the project sample exist as text dumps of Word files. :func:`parse_dump` reads a
dump's structure back (narrative lines, table rows, lines after the table), and the builders lay
that content out the way Word and Excel store such a form: merged cells as real ``w:gridSpan`` /
``w:vMerge`` (Word) or merged ranges (Excel), a cell's lines as separate paragraphs, the title
broken by a line break. The binary oddities (an encrypted file, an old .doc, a zip bomb) are built
here too, byte by byte where no library writes them.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import docx
from docx.enum.text import WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

# --- reading a dump back ----------------------------------------------------------------------


@dataclass
class Dump:
    """A text dump's parts: lines before the table (blank ones as ""), rows, lines after."""

    before: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    after: list[str] = field(default_factory=list)


def parse_dump(path: Path) -> Dump:
    """The structure of a text dump: cells are tab-led lines, rows end at blank lines, lines
    without a tab continue the cell above; a row Word split over a blank line is joined again."""
    lines = path.read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("\t"))
    last = max(i for i, line in enumerate(lines) if line.startswith("\t"))
    while last + 1 < len(lines) and lines[last + 1].strip():
        last += 1  # the last cell's continuation lines
    dump = Dump()
    dump.before = [re.sub(r"\[bookmark:[^\]]*\]", "", line).strip() for line in lines[:first]]
    dump.after = [line.strip() for line in lines[last + 1 :]]
    row: list[str] = []
    for line in lines[first : last + 1]:
        if line.startswith("\t"):
            row.append(line[1:].strip())
        elif line.strip():
            row[-1] = f"{row[-1]}\n{line.strip()}"
        elif row:
            dump.rows.append(row)
            row = []
    if row:
        dump.rows.append(row)
    dump.rows = _join_split_rows(dump.rows)
    return dump


def _join_split_rows(rows: list[list[str]]) -> list[list[str]]:
    out: list[list[str]] = []
    width = 0
    i = 0
    while i < len(rows):
        row = rows[i]
        if "一级指标" in row:
            width = len(row)
        elif (
            width
            and i + 1 < len(rows)
            and len(row) + len(rows[i + 1]) == width
            and not row[0].startswith(("年度目标", "偏差", "改进"))
        ):
            out.append(row + rows[i + 1])
            i += 2
            continue
        out.append(row)
        i += 1
    return out


# --- a form as Word and Excel store it --------------------------------------------------------


@dataclass
class FormCell:
    """A cell of a form: its text, the grid columns it spans, and whether it continues a
    vertical merge from the row above (then its text is blank)."""

    text: str
    col: int
    span: int = 1
    continues: bool = False


def form_rows(rows: list[list[str]], spans_for, merge_cols: set[int]) -> list[list[FormCell]]:
    """Lay out dump rows on a grid: ``spans_for(texts)`` gives a row's column spans; a blank cell
    in one of ``merge_cols`` (grid columns) under a cell starting at the same column continues a
    vertical merge, and so does a blank level cell (一级/二级指标) among indicator rows."""
    out: list[list[FormCell]] = []
    level_cols: set[int] = set()
    in_indicators = False
    for texts in rows:
        widths = spans_for(texts)
        assert len(widths) == len(texts), (texts, widths)
        cells: list[FormCell] = []
        col = 0
        for text, w in zip(texts, widths, strict=True):
            cells.append(FormCell(text, col, w))
            col += w
        if "一级指标" in texts:
            in_indicators = True
            level_cols = {cells[texts.index("一级指标")].col, cells[texts.index("二级指标")].col}
        elif texts[0]:
            in_indicators = False  # a goal, 总分 or closing row ends the indicator rows
        above = {c.col: c for c in out[-1]} if out else {}
        for cell in cells:
            up = above.get(cell.col)
            mergeable = cell.col in merge_cols or (in_indicators and cell.col in level_cols)
            if not cell.text and mergeable and up is not None and up.span == cell.span:
                cell.continues = bool(up.text) or up.continues
        out.append(cells)
    return out


def _set_cell_text(cell, text: str, bold: bool = False) -> None:
    lines = text.split("\n")
    paragraph = cell.paragraphs[0]
    for i, line in enumerate(lines):
        p = paragraph if i == 0 else cell.add_paragraph()
        run = p.add_run(line)
        run.bold = bold


def add_word_table(document, form: list[list[FormCell]], width: int):
    """Write a form as a Word table: gridSpan for horizontal, vMerge for vertical merges."""
    table = document.add_table(rows=len(form), cols=width)
    table.style = "Table Grid"
    for r, cells in enumerate(form):
        for cell in cells:
            target = table.cell(r, cell.col)
            if cell.span > 1:
                target = target.merge(table.cell(r, cell.col + cell.span - 1))
            if not cell.continues and cell.text:
                _set_cell_text(target, cell.text)
    for r, cells in enumerate(form):
        for cell in cells:
            if cell.continues:
                continue
            below = r + 1
            while below < len(form) and any(c.col == cell.col and c.continues for c in form[below]):
                below += 1
            if below - 1 > r:
                table.cell(r, cell.col).merge(table.cell(below - 1, cell.col + cell.span - 1))
    return table


def build_docx(path: Path, dump: Dump, form: list[list[FormCell]]) -> Path:
    """A Word file holding the dump's content: narrative paragraphs, a title broken over two
    lines kept as one paragraph with a line break, the unit line under a bookmark, the table with
    real merges, the notes after it."""
    document = docx.Document()
    document.styles["Normal"].font.size = Pt(10.5)
    before = list(dump.before)
    while before and not before[-1]:
        before.pop()
    title_at = max(i for i, line in enumerate(before) if "自评表" in line)
    i = 0
    while i < len(before):
        line = before[i]
        if i == title_at - 1 and line and not line.endswith("。"):
            p = document.add_paragraph()
            p.add_run(line).add_break(WD_BREAK.LINE)
            p.add_run(before[title_at])
            i += 2
            continue
        p = document.add_paragraph(line)
        if "单位名称" in line:
            _bookmark(p, "_GoBack")
        i += 1
    width = max(c.col + c.span for row in form for c in row)
    add_word_table(document, form, width)
    for line in dump.after:
        document.add_paragraph(line)
    document.save(path)
    return path


def _bookmark(paragraph, name: str) -> None:
    start = paragraph._p.makeelement(qn("w:bookmarkStart"), {qn("w:id"): "0", qn("w:name"): name})
    end = paragraph._p.makeelement(qn("w:bookmarkEnd"), {qn("w:id"): "0"})
    paragraph._p.insert(1, start)
    paragraph._p.append(end)


SEED_SPANS = {1: [6], 2: [1, 5], 4: [1, 2, 1, 2], 5: [1, 2, 1, 1, 1]}
PROJECT_SPANS = {2: [1, 8], 3: [1, 4, 4], 4: [1, 3, 1, 4], 8: [1, 2, 1, 1, 1, 1, 1, 1]}


def seed_spans(texts: list[str]) -> list[int]:
    """The seed on 6 grid columns: 单位名称 over 5, goal rows across all, the budget label wide."""
    return SEED_SPANS.get(len(texts), [1] * len(texts))


def project_spans(texts: list[str]) -> list[int]:
    """The project table on 9 grid columns; the 总分 label spans the six columns it heads."""
    if texts[0] == "总分":
        return [6, 1, 1, 1]
    return PROJECT_SPANS.get(len(texts), [1] * len(texts))


def project_rows(dump: Dump) -> list[list[str]]:
    """The project dump's rows, the 总分 row's five blank cells merged into its label."""
    return [["总分", *row[6:]] if row[0] == "总分" and not any(row[1:6]) else row for row in dump.rows]


def seed_form(dump: Dump) -> list[list[FormCell]]:
    return form_rows(dump.rows, seed_spans, {0})


def project_form(dump: Dump) -> list[list[FormCell]]:
    return form_rows(project_rows(dump), project_spans, {0})


def build_seed_docx(path: Path, seed: Path) -> Path:
    """The seed as a Word file (6 grid columns, labels merged down, goal rows across)."""
    dump = parse_dump(seed)
    return build_docx(path, dump, seed_form(dump))


def build_project_docx(path: Path, sample: Path) -> Path:
    """The project sample as a Word file (9 grid columns; 总分 spans six of them)."""
    dump = parse_dump(sample)
    return build_docx(path, dump, project_form(dump))


# --- Excel ------------------------------------------------------------------------------------

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _excel_value(text: str):
    """A dump cell as a unit would type it in Excel: numbers as numbers, 95% as 0.95 with a
    percent format, everything else text."""
    if _NUMBER.fullmatch(text):
        return (float(text) if "." in text else int(text)), None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)%", text)
    if m:
        return float(m.group(1)) / 100, "0%" if "." not in m.group(1) else "0.00%"
    return text, None


def write_form_sheet(ws, form: list[list[FormCell]], top: int, left: int) -> dict[str, tuple[int, int]]:
    """Write a form at (``top``, ``left``) with merged ranges; return the coordinate of each text."""
    where: dict[str, tuple[int, int]] = {}
    for r, cells in enumerate(form):
        for cell in cells:
            if cell.continues:
                continue
            row, col = top + r, left + cell.col
            below = r + 1
            while below < len(form) and any(c.col == cell.col and c.continues for c in form[below]):
                below += 1
            if cell.text:
                value, fmt = _excel_value(cell.text)
                target = ws.cell(row=row, column=col, value=value)
                if fmt:
                    target.number_format = fmt
                where.setdefault(cell.text, (row, col))
            if cell.span > 1 or below - 1 > r:
                ws.merge_cells(
                    start_row=row,
                    start_column=col,
                    end_row=top + below - 1,
                    end_column=col + cell.span - 1,
                )
    return where


def build_project_xlsx(path: Path, sample: Path) -> Path:
    """The project sample as a workbook a unit might send: a cover sheet, the report text on its
    own sheet, the table on the third sheet starting at B4 under a title (merged ranges, numbers as
    numbers, one stored as text, two formulas with cached values), an unrelated sheet after it."""
    dump = parse_dump(sample)
    cut = max(i for i, line in enumerate(dump.before) if "自评表" in line)
    wb = Workbook()
    cover = wb.active
    cover.title = "封面"
    cover["B3"] = "示例 某区农业农村局"
    cover["B5"] = "2024年度项目支出绩效自评材料"
    report = wb.create_sheet("自评报告")
    for i, line in enumerate([line for line in dump.before[:cut] if line], start=1):
        report.cell(row=i, column=1, value=line)
    ws = wb.create_sheet("自评表")
    ws["B1"] = dump.before[cut]
    ws.merge_cells("B1:J1")
    ws["B2"] = next(line for line in dump.before[cut + 1 :] if line)
    ws.merge_cells("B2:J2")
    form = project_form(dump)
    where = write_form_sheet(ws, form, top=4, left=2)
    # 年初预算数 typed as text; 全年执行数 and 得分 of the total row as formulas (cached below).
    # The label spans two columns, so the numbers start two columns to its right.
    r, c = where["年度资金总额"]

    def at(offset: int, row: int = r) -> str:
        return f"{get_column_letter(c + offset)}{row}"

    ws[at(2)] = "100"
    ws[at(4)] = f"=SUM({at(4, r + 1)}:{at(4, r + 3)})"
    ws[at(7)] = f"={at(5)}*{at(6)}"
    cached = {at(4): "114", at(7): "9.5"}
    after = [line for line in dump.after if line]
    last = ws.max_row + 1
    for i, line in enumerate(after):
        ws.cell(row=last + i, column=2, value=line)
        ws.merge_cells(start_row=last + i, start_column=2, end_row=last + i, end_column=10)
    other = wb.create_sheet("附表")
    other.append(["序号", "支出明细", "金额（万元）"])
    other.append([1, "渠道工程", 80])
    wb.save(path)
    set_cached_values(path, "自评表", cached)
    return path


def set_cached_values(path: Path, sheet: str, values: dict[str, str]) -> None:
    """Give formula cells of ``sheet`` a cached value, as Excel writes one when it saves.

    openpyxl writes formulas without results; the reader must read these, never compute them.
    """
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    index = wb.sheetnames.index(sheet) + 1
    wb.close()
    member = f"xl/worksheets/sheet{index}.xml"
    with zipfile.ZipFile(path) as zf:
        parts = {info: zf.read(info.filename) for info in zf.infolist()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts.items():
            if info.filename == member:
                xml = data.decode("utf-8")
                for coordinate, value in values.items():
                    # a text result is stored as t="str"; a number as a bare value
                    kind = "" if re.fullmatch(r"-?\d+(?:\.\d+)?", value) else ' t="str"'
                    text = value.replace("&", "&amp;").replace("<", "&lt;")
                    pattern = re.compile(
                        rf'<c r="{coordinate}"([^>]*?)(?: t="\w+")?([^>]*)>\s*(<f>[^<]*</f>)\s*(?:<v\s*/>|<v>[^<]*</v>)?'
                    )
                    xml, n = pattern.subn(
                        lambda m, kind=kind, text=text, coordinate=coordinate: (
                            f'<c r="{coordinate}"{m.group(1)}{m.group(2)}{kind}>{m.group(3)}<v>{text}</v>'
                        ),
                        xml,
                    )
                    assert n == 1, (coordinate, xml[:500])
                data = xml.encode("utf-8")
            zf.writestr(info, data)
    path.write_bytes(out.getvalue())


# --- binary oddities --------------------------------------------------------------------------


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE compound file (MS-CFB v3, 512-byte sectors) holding ``streams``.

    Each stream is padded to 4096 bytes so it lives in regular sectors (no mini stream needed).
    An Office file with an open password is such a container with EncryptionInfo and
    EncryptedPackage streams; a Word 97-2003 .doc one with a WordDocument stream.
    """
    sector = 512
    end, free, fat_sect = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    data = {name: body.ljust(max(4096, len(body)), b"\0") for name, body in streams.items()}
    chain_start = 2  # sector 0: FAT, sector 1: directory
    fat = [fat_sect, end]
    starts = {}
    for name, body in data.items():
        n = -(-len(body) // sector)
        starts[name] = chain_start
        fat += [chain_start + i + 1 for i in range(n - 1)] + [end]
        chain_start += n
    assert len(fat) <= sector // 4
    fat += [free] * (sector // 4 - len(fat))

    def entry(name: str, kind: int, start: int, size: int, child: int = free, right: int = free) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        e = raw.ljust(64, b"\0")
        e += struct.pack("<HBB", len(raw), kind, 1)  # name length, type, colour (black)
        e += struct.pack("<III", free, right, child)  # left, right sibling, child
        e += b"\0" * 16 + b"\0" * 4 + b"\0" * 16  # clsid, state bits, times
        e += struct.pack("<IQ", start, size)
        return e

    names = list(data)
    directory = entry("Root Entry", 5, end, 0, child=1)
    for i, name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else free
        directory += entry(name, 2, starts[name], len(data[name]), right=right)
    directory = directory.ljust(sector, b"\0")
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 0x28, 0, 1, 1, 0, 4096, end, 0, end, 0)
    struct.pack_into("<I", header, 0x4C, 0)
    for i in range(1, 109):
        struct.pack_into("<I", header, 0x4C + 4 * i, free)
    body = b"".join(data[name] for name in names)
    return bytes(header) + struct.pack(f"<{sector // 4}I", *fat) + directory + body


def encrypted_office_file() -> bytes:
    """What Word/Excel write for a .docx/.xlsx with an open password (the structure, not real
    ciphertext): a compound file with EncryptionInfo and EncryptedPackage streams."""
    info = struct.pack("<HHI", 4, 4, 0x40) + b"<encryption/>"
    return compound_file({"EncryptionInfo": info, "EncryptedPackage": bytes(range(256)) * 20})


def legacy_doc() -> bytes:
    """A Word 97-2003 .doc: a compound file with WordDocument and 1Table streams."""
    return compound_file({"WordDocument": b"\xec\xa5" + b"\0" * 600, "1Table": b"\0" * 100})


def legacy_xls() -> bytes:
    """An Excel 97-2003 .xls: a compound file with a Workbook stream."""
    return compound_file({"Workbook": b"\x09\x08" + b"\0" * 600})


def zip_bomb_docx(path: Path, source: Path, megabytes: int = 200) -> Path:
    """A copy of the .docx ``source`` with an extra member of ``megabytes`` MB of zeros, which
    deflates to a few hundred KB: the kind of file the size limits must refuse unopened."""
    with zipfile.ZipFile(source) as zf:
        parts = [(info, zf.read(info.filename)) for info in zf.infolist()]
    chunk = b"\0" * (1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts:
            zf.writestr(info, data)
        with zf.open("word/media/padding.bin", "w", force_zip64=True) as fh:
            for _ in range(megabytes):
                fh.write(chunk)
    return path


def docx_with_paragraphs(path: Path, paragraphs: list[str], table: list[list[str]] | None = None) -> Path:
    """A small Word file: paragraphs, then (optionally) a plain table of the given rows."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        t = document.add_table(rows=len(table), cols=max(len(r) for r in table))
        for r, row in enumerate(table):
            for c, text in enumerate(row):
                t.cell(r, c).text = text
    document.save(path)
    return path


def xlsx_with_rows(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """A workbook whose sheets hold the given rows from A1."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


# --- comparing filings ------------------------------------------------------------------------


def indicator_rows(filing) -> list[tuple]:
    """What an indicator row says, without where it was read."""
    return [
        (
            i.goal,
            i.row,
            i.level1,
            i.level2,
            i.level1_raw,
            i.level2_raw,
            i.name,
            i.target_text,
            i.actual_text,
            i.weight,
            i.self_score,
            i.reason,
        )
        for i in filing.indicators
    ]


def budget_fields(filing) -> dict:
    """The budget block without locations."""
    b = filing.budget
    fields = ("planned", "adjustment", "adjusted", "executed", "basic", "project", "stated_rate")
    fields += ("max_points", "stated_score", "rate_basis", "formula_text")
    out = {f: getattr(b, f) for f in fields}
    out["funds"] = [(f.name, f.planned, f.adjusted, f.executed) for f in b.funds]
    return out


def unit_fields(filing) -> dict:
    """The unit header without locations."""
    u = filing.unit
    fields = ("name", "kind", "year", "department", "implementer", "filing_date")
    return {f: getattr(u, f) for f in (*fields, "declared_total", "declared_grade")}


def assert_same_filing(got, expected, narrative: bool = True) -> None:
    """Two imports of one filing agree on everything the review uses."""
    assert budget_fields(got) == budget_fields(expected)
    assert indicator_rows(got) == indicator_rows(expected)
    assert len(got.indicators) == len(expected.indicators)
    assert [g.title for g in got.goals] == [g.title for g in expected.goals]
    assert unit_fields(got) == unit_fields(expected)
    assert got.closing == expected.closing
    if narrative:
        assert [p.text for p in got.narrative] == [p.text for p in expected.narrative]
        assert [p.index for p in got.narrative] == [p.index for p in expected.narrative]
    assert [(p.code, p.where) for p in got.problems] == [(p.code, p.where) for p in expected.problems]
