"""Build .docx / .xlsx versions of six filings of this folder with TRUE merged cells.

The cell text is read from the .txt transcriptions beside this script (one cell per
TAB-led line, rows separated by an empty line, continuation lines belong to the cell
above).  The source's own column grid is given here per file: the grid width, the
horizontal span of every cell of the rows that are narrower than the grid, and the
vertical merges (the "merged from above" blank cells of the text dump).

    python tests/data/real/make_office.py          # writes the six files next to it
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent


def parse_txt(path):
    header, rows, cur = [], [], None
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith("\t"):
            if cur is None:
                cur = []
                rows.append(cur)
            cur.append(line[1:])
        elif line == "":
            cur = None
        elif cur is not None:
            cur[-1] += "\n" + line
        elif not rows:
            header.append(line)
    return header, rows


# spec: width, spans {row: [span, ...]}, vmerge [(grid_col, first_row, last_row)]
SPECS = {
    "01_sichuan_qingshen-gongzixing": dict(
        kind="docx",
        width=11,
        spans={
            0: [1, 10],
            1: [1, 4, 1, 5],
            2: [1, 1, 4, 5],
            3: [1, 1, 4, 5],
            4: [1, 1, 9],
            **{r: [1, 1, 1, 1, 1, 1, 1, 1, 3] for r in range(5, 11)},
            14: [8, 1, 1, 1],
            15: [1, 10],
            16: [1, 10],
            17: [1, 10],
            18: [4, 4, 3],
        },
        vmerge=[(0, 2, 4), (1, 2, 3), (0, 5, 10), (8, 6, 10), (0, 11, 13)],
    ),
    "04_yunnan_yongde-yingyanggaishan-yuan": dict(
        kind="docx",
        width=10,
        spans={
            0: [1, 9],
            1: [1, 3, 1, 5],
            **{r: [1, 2, 2, 1, 1, 1, 1, 1] for r in range(2, 7)},
            7: [1, 4, 5],
            8: [1, 4, 5],
            9: [3, 3, 1, 1, 1, 1],
            21: [1, 5, 1, 1, 1, 1],
        },
        vmerge=[
            (0, 2, 6),
            (0, 7, 8),
            (6, 9, 10),
            (7, 9, 10),
            (8, 9, 10),
            (9, 9, 10),
            (0, 11, 14),
            (0, 15, 18),
            (0, 19, 20),
            (1, 19, 20),
        ],
    ),
    "02_sichuan_zhongjiang-shuibiaochi": dict(
        kind="xlsx",
        width=9,
        spans={
            0: [1, 3, 1, 4],
            1: [1, 3, 1, 4],
            **{r: [1, 1, 2, 2, 1, 1, 1] for r in range(2, 6)},
            6: [1, 4, 4],
            7: [1, 4, 4],
            20: [4, 1, 3, 1],
        },
        vmerge=[
            (0, 2, 5),
            (0, 6, 7),
            (0, 8, 19),
            (1, 9, 14),
            (1, 15, 17),
            (1, 18, 19),
            (2, 9, 10),
            (2, 12, 13),
            (2, 16, 17),
            (2, 18, 19),
        ],
    ),
    "06_anhui_chizhou-weituoyewu-truncated": dict(
        kind="xlsx",
        width=9,
        spans={
            0: [1, 8],
            1: [1, 3, 1, 4],
            **{r: [1, 1, 2, 1, 1, 1, 1, 1] for r in range(2, 7)},
            7: [1, 4, 4],
            8: [1, 4, 4],
        },
        vmerge=[(0, 2, 6), (0, 7, 8), (0, 9, 19), (1, 10, 15), (1, 16, 19), (2, 11, 12), (2, 14, 15)],
    ),
    "13_hubei_ezhou-shiminzhongxin-truncated": dict(
        kind="xlsx",
        width=9,
        spans={
            0: [1, 8],
            1: [1, 3, 1, 4],
            **{r: [1, 2, 1, 1, 1, 1, 1, 1] for r in range(2, 7)},
            7: [1, 4, 4],
            8: [1, 4, 4],
        },
        vmerge=[(0, 2, 6), (0, 7, 8), (0, 9, 16), (1, 10, 15), (2, 10, 11), (2, 12, 13)],
    ),
    "14_hubei_huanggang-shuitubaochi": dict(
        kind="docx",
        width=7,
        spans={
            0: [1, 1, 1, 1, 1, 2],
            **{r: [1, 6] for r in range(1, 4)},
            4: [1, 2, 1, 1, 1, 1],
            5: [1, 2, 1, 1, 1, 1],
            16: [6, 1],
            17: [1, 6],
            18: [1, 6],
        },
        vmerge=[(0, 4, 5), (0, 6, 10), (1, 7, 8), (0, 11, 15), (1, 12, 13)],
    ),
}


def layout(rows, spec):
    """Return [(row, col, row_end, col_end, text)] rectangles in grid coordinates."""
    width = spec["width"]
    placed = {}
    for r, row in enumerate(rows):
        spans = spec["spans"].get(r)
        if spans is None:
            spans = [1] * len(row)
            spans[-1] += width - len(row)
        assert len(spans) == len(row) and sum(spans) == width, (r, spans, len(row))
        c = 0
        for text, span in zip(row, spans, strict=True):
            placed[(r, c)] = [r, c, r, c + span - 1, text]
            c += span
    for col, r0, r1 in spec["vmerge"]:
        top = placed[(r0, col)]
        for r in range(r0 + 1, r1 + 1):
            cell = placed.pop((r, col))
            assert cell[4] == "" and cell[3] == top[3], (r, col, cell)
        top[2] = r1
    return sorted(placed.values())


def build_docx(name, header, rects, width):
    from docx import Document

    doc = Document()
    for line in header:
        doc.add_paragraph(line)
    nrows = max(r[2] for r in rects) + 1
    table = doc.add_table(rows=nrows, cols=width)
    table.style = "Table Grid"
    for r0, c0, r1, c1, text in rects:
        cell = table.cell(r0, c0)
        if (r1, c1) != (r0, c0):
            cell = cell.merge(table.cell(r1, c1))
        cell.text = text
    doc.save(HERE / f"{name}.docx")


def build_xlsx(name, header, rects, width):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    wb = Workbook()
    ws = wb.active
    ws.title = "自评表"
    for i, line in enumerate(header, start=1):
        ws.cell(row=i, column=1, value=line)
    off = len(header) + 1
    for r0, c0, r1, c1, text in rects:
        cell = ws.cell(row=r0 + off, column=c0 + 1, value=text if text != "" else None)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if (r1, c1) != (r0, c0):
            ws.merge_cells(start_row=r0 + off, start_column=c0 + 1, end_row=r1 + off, end_column=c1 + 1)
    wb.save(HERE / f"{name}.xlsx")


def main():
    for name, spec in SPECS.items():
        header, rows = parse_txt(HERE / f"{name}.txt")
        rects = layout(rows, spec)
        (build_docx if spec["kind"] == "docx" else build_xlsx)(name, header, rects, spec["width"])
        print(f"{name}.{spec['kind']}")


if __name__ == "__main__":
    main()
