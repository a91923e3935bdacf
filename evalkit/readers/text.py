"""Read a plain-text dump of a self-evaluation (a Word file saved as text) into a Filing.

The dump shows the narrative report as lines, then the table: every cell is a line led by a tab,
rows are separated by blank lines, a cell whose text has several lines continues on lines without
the tab, and merged cells appear as empty cells (a tab alone). Word sometimes splits one table row
over a blank line ("\\t\\n\\t产出指标\\n\\t数量指标", blank, "\\t救护员培训人数\\n\\t1500人\\n\\t1849人"):
fragments whose widths add up to the width of the header row above are joined again. What the
rows mean is :mod:`evalkit.readers.form`'s business; this module only knows the dump.
"""

from __future__ import annotations

import codecs
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from evalkit.errors import FilingError
from evalkit.model import Filing, Loc, Paragraph, Problem
from evalkit.readers.codes import IMPORT_ENCODING
from evalkit.readers.form import (
    EXPECTED_TABLE,
    NOT_TABLE,
    ROLE_BLANK,
    ROLE_BUDGET_HEADER,
    ROLE_INDICATOR_HEADER,
    ROLE_OTHER,
    build_filing,
    row_role,
)
from evalkit.readers.grid import Cell, cell_key

_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
_NEWLINE = re.compile(r"\r\n|\r|\n")
NOTES_START = re.compile(r"^\s*(?:备注|注\s*[:：]|说明\s*[:：]|填表说明)")
NUMBERED_ITEM = re.compile(r"^\s*(?:\d+\s*[.．、]|[（(]\s*\d+\s*[)）])")
_HEADING = re.compile(r"^\s*(?:[（(]?[一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十\d]+[、.．])")
_PREAMBLE_LINE = re.compile(
    r"(?:单位名称|项目名称|主管部门|实施单位|填报日期|填表日期|填报单位)\s*[:：]"
    r"|^[（(]\s*(?:19|20)\d{2}\s*年度?\s*[)）]$|单位\s*[:：]\s*万元|自评表"
)
_TITLE_WINDOW = 6  # non-blank lines before the table searched for its title


@dataclass
class _Block:
    """A run of non-blank lines: loose lines (no tab) first, then at most one table row."""

    first_line: int
    loose: list[tuple[int, str]] = field(default_factory=list)
    row: list[Cell] = field(default_factory=list)


def read_text(path: str | os.PathLike) -> Filing:
    """Read a text dump of a self-evaluation (narrative, then the table) into a Filing.

    The encoding is detected from the bytes (:func:`decode_text`), kept in ``filing.encoding``
    and, when it is not UTF-8 with LF line endings, reported as an info problem. Raises
    :class:`~evalkit.errors.FilingError` (naming the file) when the file cannot be read, is empty,
    is not text in a supported encoding, or holds no self-evaluation table; everything else that cannot be read
    becomes a problem in ``filing.problems``.
    """
    file = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise FilingError(file, "文件不存在") from None
    except IsADirectoryError:
        raise FilingError(file, "这是一个文件夹，不是文件", expected="一个 .txt 文件") from None
    except OSError as exc:
        raise FilingError(file, f"无法读取文件（{exc.strerror or exc}）") from None
    decoded = decode_text(data, file)
    lines = [_clean_line(line) for line in _NEWLINE.split(decoded.text)]
    blocks = _blocks(lines, file)
    filing = _interpret(blocks, lines, file)
    filing.encoding = decoded.encoding
    if decoded.encoding != "utf-8" or decoded.newline not in ("LF", ""):
        newline = {"CRLF": "CRLF（Windows）", "CR": "CR（旧版 Mac）"}.get(decoded.newline, decoded.newline)
        lf = f"，换行符为{newline}" if newline else ""
        filing.problems.insert(
            0,
            Problem(
                IMPORT_ENCODING,
                "structure",
                "info",
                f"文本文件编码识别为{decoded.label}{lf}，已按此读取",
                "文件编码",
                Loc(file),
            ),
        )
    return filing


# Encodings a dump arrives in (RULES §2), by the name the detector gives, with the label users read.
_ACCEPTED = {
    "utf_8": ("utf-8", "UTF-8"),
    "ascii": ("utf-8", "UTF-8"),
    "gb18030": ("gb18030", "GB18030"),
    "gbk": ("gb18030", "GBK"),
    "gb2312": ("gb18030", "GB2312"),
    "utf_16": ("utf-16", "UTF-16"),
    "utf_16_le": ("utf-16-le", "UTF-16"),
    "utf_16_be": ("utf-16-be", "UTF-16"),
}
EXPECTED_ENCODINGS = "UTF-8（可带BOM）、GB18030/GBK 或带 BOM 的 UTF-16 编码的纯文本（报告正文及自评表）"


@dataclass(frozen=True)
class Decoded:
    """A dump's text with the encoding it was read in (as detected) and its line endings."""

    text: str
    encoding: str  # a Python codec name: "utf-8", "utf-8-sig", "gb18030", "utf-16"
    label: str  # as shown to the user: "UTF-8（带BOM）", "GB18030", "UTF-16（带BOM）"
    newline: str  # "LF", "CRLF", "CR", "混合", or "" for a single line


def decode_text(data: bytes, file: str) -> Decoded:
    """Decode a text dump by what its bytes are, not by its file name.

    A byte-order mark decides first (UTF-8, UTF-16); then strict UTF-8; otherwise the encoding is
    detected with charset-normalizer and accepted when it is GB18030 or one of its subsets
    (GBK, GB2312), read as GB18030. Anything else raises a :class:`FilingError` naming what the
    file looks like.
    """
    if not data.strip(b" \t\r\n\x0b\x0c" + codecs.BOM_UTF8):
        raise FilingError(file, "文件为空", expected=EXPECTED_ENCODINGS)
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise FilingError(file, "文件编码为 UTF-32，不支持", expected=EXPECTED_ENCODINGS)
    decoded: tuple[str, str, str] | None = None
    if data.startswith(codecs.BOM_UTF8):
        decoded = _try(data, "utf-8-sig", "UTF-8（带BOM）")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        decoded = _try(data, "utf-16", "UTF-16（带BOM）")
    elif b"\x00" not in data:
        decoded = _try(data, "utf-8", "UTF-8")
    if decoded is None:
        decoded = _detect(data, file)
    text, encoding, label = decoded
    if _looks_binary(text):
        raise FilingError(file, "不是文本文件", expected=EXPECTED_ENCODINGS)
    if not text.strip():
        raise FilingError(file, "文件为空", expected=EXPECTED_ENCODINGS)
    return Decoded(text, encoding, label, _newline(text))


def _try(data: bytes, encoding: str, label: str) -> tuple[str, str, str] | None:
    try:
        return data.decode(encoding), encoding, label
    except UnicodeDecodeError:
        return None


def _detect(data: bytes, file: str) -> tuple[str, str, str]:
    from charset_normalizer import from_bytes

    results = from_bytes(data)
    best = results.best()
    if best is None:
        raise FilingError(file, "不是文本文件（无法识别其字符编码）", expected=EXPECTED_ENCODINGS)
    candidates = [best] + [m for m in results if m is not best]
    for match in candidates:
        accepted = _ACCEPTED.get(match.encoding)
        # a short GB text may score about as well under another CJK code page: take GB18030
        # when it reads the bytes about as cleanly as the detector's first choice
        if accepted and (match is best or match.chaos <= best.chaos + 0.05):
            codec, label = accepted
            decoded = _try(data, codec, label)
            if decoded is not None:
                return decoded
    raise FilingError(
        file,
        f"文件的字符编码不是支持的编码（看起来是 {best.encoding}）",
        expected=EXPECTED_ENCODINGS + "；请用记事本或 WPS 另存为 UTF-8 后再导入",
    )


def _newline(text: str) -> str:
    crlf = text.count("\r\n")
    cr = text.count("\r") - crlf
    lf = text.count("\n") - crlf
    kinds = [name for name, n in (("CRLF", crlf), ("CR", cr), ("LF", lf)) if n]
    if len(kinds) > 1:
        return "混合"
    return kinds[0] if kinds else ""


def _looks_binary(text: str) -> bool:
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\x0b\x0c")
    return controls > max(2, len(text) // 100)


def _clean_line(line: str) -> str:
    return _BOOKMARK.sub("", line).replace("\x0c", "").replace("\x0b", "\n")


def _blocks(lines: list[str], file: str) -> list[_Block]:
    blocks: list[_Block] = []
    current: _Block | None = None
    for number, line in enumerate(lines, start=1):
        is_cell = line.startswith("\t")
        if not is_cell and not line.strip():
            current = None
            continue
        if current is None:
            current = _Block(first_line=number)
            blocks.append(current)
        if is_cell:
            current.row.append(Cell(line[1:].strip(), Loc(file, line=number)))
        elif current.row:
            last = current.row[-1]
            last.text = f"{last.text}\n{line.strip()}" if last.text else line.strip()
        else:
            current.loose.append((number, line))
    return blocks


def _role(block: _Block) -> str | None:
    return row_role([c.text for c in block.row]) if block.row else None


def _interpret(blocks: list[_Block], lines: list[str], file: str) -> Filing:
    row_blocks = [k for k, b in enumerate(blocks) if b.row]
    if not row_blocks:
        raise FilingError(
            file,
            NOT_TABLE,
            where="全文没有表格行（以制表符开头的行）",
            expected=EXPECTED_TABLE,
        )
    header = next((k for k in row_blocks if _role(blocks[k]) == ROLE_INDICATOR_HEADER), None)
    if header is None:
        start = row_blocks[0]
    else:
        # walk back from the header over the rows above it: the budget block, 单位名称…
        start = header
        while not blocks[start].loose and start > 0 and blocks[start - 1].row:
            start -= 1
    end = row_blocks[-1]

    # the table: rows from start to end; loose text inside it continues the cell above
    rows: list[list[Cell]] = []
    for k in range(start, end + 1):
        block = blocks[k]
        if k > start and block.loose and rows:
            last = rows[-1][-1]
            extra = "\n".join(text.strip() for _, text in block.loose)
            last.text = f"{last.text}\n{extra}" if last.text else extra
        if block.row:
            rows.append(block.row)
    rows = _join_fragments(rows)

    # before the table: narrative, then the title lines and 单位名称/填报日期 (the preamble)
    first_cell = blocks[start].row[0].loc.line or 1
    before = [(n, lines[n - 1]) for n in range(1, first_cell) if lines[n - 1].strip()]
    cut = title_start(before)
    paragraphs = [_paragraph(i, n, text, file) for i, (n, text) in enumerate(before[:cut], 1)]
    preamble = [Paragraph(0, text.strip(), Loc(file, line=n)) for n, text in before[cut:]]

    # after the table: a 备注 block becomes the table's notes row, the rest narrative
    notes: list[tuple[int, str]] = []
    in_notes = False
    for block in blocks[end + 1 :]:
        block_lines = block.loose
        if not notes and NOTES_START.match(block_lines[0][1]):
            in_notes = True
        elif in_notes and not NUMBERED_ITEM.match(block_lines[0][1]):
            in_notes = False
        if in_notes:
            notes += block_lines
        else:
            for n, text in block_lines:
                paragraphs.append(_paragraph(len(paragraphs) + 1, n, text, file))
    if notes:
        text = "\n".join(t.strip() for _, t in notes)
        rows.append([Cell(text, Loc(file, line=notes[0][0]))])

    return build_filing(rows, paragraphs, source=file, source_format="text", preamble=preamble)


def _paragraph(index: int, number: int, text: str, file: str) -> Paragraph:
    return Paragraph(index=index, text=text.strip(), loc=Loc(file, line=number))


def title_start(before: list[tuple[int, str]]) -> int:
    """Index in ``before`` (non-blank lines ahead of the table) where the table's title starts."""
    lo = max(0, len(before) - _TITLE_WINDOW)
    title = next(
        (
            i
            for i in range(len(before) - 1, lo - 1, -1)
            if "自评表" in cell_key(before[i][1]) and _title_part(before[i][1], limit=60)
        ),
        None,
    )
    if title is not None:
        start = title
        # a title broken over lines: "2024年度武汉市蔡甸区红十字会" / "部门整体绩效自评表"
        while start > lo and title - start < 2 and _title_part(before[start - 1][1]):
            start -= 1
        return start
    start = len(before)
    while start > lo and _PREAMBLE_LINE.search(before[start - 1][1].strip()):
        start -= 1
    return start


def _title_part(line: str, limit: int = 40) -> bool:
    text = line.strip()
    return (
        0 < len(text) <= limit
        and text[-1] not in "。；;，,：:！!？?）)"
        and not _HEADING.match(text)
        and "\t" not in text
    )


def _join_fragments(rows: list[list[Cell]]) -> list[list[Cell]]:
    """Join rows split over a blank line: consecutive fragments whose widths add up to the width
    of the header row above them (the indicator or the budget header)."""
    out: list[list[Cell]] = []
    width = 0
    i = 0
    while i < len(rows):
        row = rows[i]
        role = row_role([c.text for c in row])
        if role in (ROLE_INDICATOR_HEADER, ROLE_BUDGET_HEADER):
            width = len(row)
        elif width and role in (ROLE_OTHER, ROLE_BLANK) and len(row) < width:
            total, j = len(row), i + 1
            while total < width and j < len(rows):
                nxt = rows[j]
                if row_role([c.text for c in nxt]) not in (ROLE_OTHER, ROLE_BLANK):
                    break
                total += len(nxt)
                j += 1
            if total == width and j > i + 1:
                out.append([c for part in rows[i:j] for c in part])
                i = j
                continue
        out.append(row)
        i += 1
    return out
