"""The grid every format's reader produces: cells, rows, merged cells.

Each reader (text dump, .docx, .xlsx) turns its table into ``list[list[Cell]]``: one list per table
row, one :class:`Cell` per cell as the format shows it, a horizontally merged cell repeated (Office)
or shown once (text dump), a vertically merged cell blank below its first row. This module holds
what works on that grid without knowing what the rows mean: cell keys, number cells, and the
merging of a header written over two rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from evalkit.model import Loc
from evalkit.readers.layouts import key_of, vocabulary
from evalkit.values import quantity


@dataclass
class Cell:
    """One table cell as the format shows it: its text (line breaks kept) and where it was read."""

    text: str
    loc: Loc


_SPACE = re.compile(r"\s+")
_MISSING = {"", "-", "--", "—", "——", "－", "/", "*", "无", "不适用", "n/a", "na"}
_UNIT_SUFFIX = re.compile(r"(?:万元|元|%|分)$")


def cell_key(text: str | None) -> str:
    """Text as compared against keywords: NFKC (full-width → half-width) with whitespace dropped."""
    return key_of(text)


def distinct(texts: Sequence[str]) -> list[tuple[int, str]]:
    """Non-empty cell keys with their first index, repeats (merged cells) dropped."""
    out: list[tuple[int, str]] = []
    seen: set[str] = set()
    for i, text in enumerate(texts):
        key = cell_key(text)
        if key and key not in seen:
            seen.add(key)
            out.append((i, key))
    return out


def read_number(text: str | None) -> tuple[float | None, bool]:
    """A number cell (a rate, points, a score) as ``(value, readable)``: "92.84%" → 92.84, "10分" → 10.

    Amounts go through :func:`evalkit.values.quantity.read_amount` instead (万/元 scales).

    Blank and missing markers (—, /, *) give ``(None, True)``; text that is no number gives
    ``(None, False)``.
    """
    key = cell_key(text)
    if key.lower() in _MISSING or set(key) <= {"-", "—", "－"}:
        return None, True
    token = _UNIT_SUFFIX.sub("", key)
    value = quantity.read_number(token) if token.strip("+-") else None
    return (value, True) if value is not None else (None, False)


def is_number_text(text: str) -> bool:
    """True when a cell holds a number (units 万元/元/%/分 allowed)."""
    value, ok = read_number(text)
    return ok and value is not None


def is_notes_label(key: str) -> bool:
    """True for the key of a 备注 / 注： / 说明： / 填表说明 label cell."""
    return key.startswith(("备注", "注:", "说明:", "填表说明")) or key == "注"


def one_line(text: str) -> str:
    """A name broken over lines joined again ("武汉市蔡甸区\\n红十字会"), runs of spaces made one."""
    return re.sub(r"[ \t\u3000]+", " ", re.sub(r"\s*\n\s*", "", text)).strip()


def short(text: str, limit: int = 40) -> str:
    """Text shortened for a message."""
    text = _SPACE.sub(" ", text)
    return text if len(text) <= limit else text[:limit] + "…"


# --- headers over two rows ----------------------------------------------------------------------


def indicator_roles(texts: Sequence[str]) -> dict[str, int]:
    """The indicator roles a header row names, each with its first column."""
    vocab = vocabulary()
    cols: dict[str, int] = {}
    for i, text in enumerate(texts):
        role = vocab.indicator_role(text)
        if role and role not in cols:
            cols[role] = i
    return cols


def is_indicator_header(texts: Sequence[str]) -> bool:
    """True when a row is the indicator table's header (a role set of ``layouts.yaml``)."""
    if any(is_number_text(t) for t in texts):
        return False
    roles = set(indicator_roles(texts))
    roles.discard("ignore")
    if "name" in roles:
        roles.add("level3")
    return any(s <= roles for s in vocabulary().indicator_header_sets)


def _header_like(texts: Sequence[str]) -> bool:
    """A row that could be part of a header: no numbers, some named role, no long sentence."""
    cells = [t for t in texts if cell_key(t)]
    if not cells or any(is_number_text(t) or len(cell_key(t)) > 30 for t in cells):
        return False
    roles = [vocabulary().indicator_role(t) for t in cells]
    return sum(1 for r in roles if r and r != "ignore") >= 2


def merge_two_row_header(upper: list[Cell], lower: list[Cell]) -> list[Cell] | None:
    """One header row from a header written over two rows, or None when they do not pair.

    The cells of the upper row that span both rows (实际完成值 / 分值 / 得分, merged down) show as
    blank cells in the lower row. Office grids have both rows at full width: a column takes the
    lower text, else the upper. A text dump shows a horizontally merged cell once, so the upper row
    is narrower: its cells fill the lower row's blanks in order, and its group cells (年度指标值
    over 指标性质 | 指标值 | 度量单位) stand over the runs of filled cells.
    """
    if len(upper) == len(lower):
        merged = [lo if cell_key(lo.text) else up for up, lo in zip(upper, lower, strict=True)]
        return merged
    if len(upper) > len(lower):
        return None
    blanks = [i for i, c in enumerate(lower) if not cell_key(c.text)]
    runs = _filled_runs(lower)
    if len(upper) < len(blanks) or len(upper) > len(blanks) + len(runs) * 3:
        return None
    # Walk the lower row: each blank takes one upper cell; a run of filled cells takes the upper
    # cells left over for groups, shared out from the left.
    groups = len(upper) - len(blanks)
    out: list[Cell] = []
    k = 0
    i = 0
    while i < len(lower):
        cell = lower[i]
        if not cell_key(cell.text):
            if k < len(upper):
                out.append(upper[k])
                k += 1
            else:
                out.append(cell)
            i += 1
            continue
        j = i
        while j < len(lower) and cell_key(lower[j].text):
            j += 1
        take = min(groups, max(1, groups // max(1, len(runs)))) if groups else 0
        k += take
        groups -= take
        runs = runs[1:]
        out.extend(lower[i:j])
        i = j
    return out


def _filled_runs(row: list[Cell]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for i, c in enumerate([*row, Cell("", row[0].loc if row else Loc())]):
        if cell_key(c.text):
            if start is None:
                start = i
        elif start is not None:
            runs.append((start, i))
            start = None
    return runs


def merge_header_rows(rows: list[list[Cell]]) -> list[list[Cell]]:
    """The grid with every indicator header written over two rows made one row.

    A pair is two consecutive header-like rows whose merge is an indicator header naming more
    roles than either row alone; the upper row becomes empty (skipped as blank), so row numbers
    stay those of the source.
    """
    out = [list(r) for r in rows]
    i = 0
    while i + 1 < len(out):
        upper, lower = out[i], out[i + 1]
        if (
            upper
            and lower
            and _header_like([c.text for c in upper])
            and _header_like([c.text for c in lower])
        ):
            merged = merge_two_row_header(upper, lower)
            if merged is not None:
                texts = [c.text for c in merged]
                roles = set(indicator_roles(texts))
                alone = max(
                    len(set(indicator_roles([c.text for c in upper]))),
                    len(set(indicator_roles([c.text for c in lower]))),
                )
                if is_indicator_header(texts) and len(roles) > alone:
                    out[i] = []
                    out[i + 1] = merged
                    i += 2
                    continue
        i += 1
    return out
