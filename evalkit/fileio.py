"""Safe file writing and safe text out.

A reader never sees a half-written file, and a failed write keeps the old one; text from a filing
is made harmless for a spreadsheet cell, an XML document, JSON and the terminal.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to a temporary file beside ``path``, fsync it, then rename it over ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # The temp name is bounded, whatever the target's: a 245-byte name plus a suffix would pass
    # the file system's 255-byte limit and fail a write the target itself would pass.
    fd, tmp = tempfile.mkstemp(prefix=f".{_clip_bytes(target.name, 120)}.", suffix=".tmp", dir=target.parent)
    try:
        # mkstemp creates the file 0600; give it the old file's mode, or what open() would give.
        os.chmod(tmp, _mode(target))
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        # Whatever went wrong (including Ctrl-C), the old file stays and no temp file is left behind.
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _clip_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, never inside a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def _mode(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """UTF-8 text version of :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"))


# ------------------------------------------------------------------------------ untrusted text out
# Text from a filing is untrusted wherever it lands. One place decides how it is made harmless:
# spreadsheet cells (never a formula), XML documents (.xlsx, .docx: no character XML cannot hold),
# the terminal (no control sequence), file names (see evalkit.readers.yamlform.unit_id).

#: What replaces a character the target cannot hold: visible, so the reader sees something was there.
REPLACEMENT = "\ufffd"
# XML 1.0 allows TAB, LF, CR and U+0020 upward, minus the surrogates and U+FFFE/U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# What a terminal may act on: C0 controls but TAB/LF/CR (CR: progress bars redraw with it), DEL, C1 controls (CSI, OSC…), and the
# bidirectional overrides and isolates that make "报告\u202egpj.exe" print as "报告exe.jpg".
_TERMINAL_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
# A spreadsheet treats these first characters as the start of a formula (OWASP "CSV injection").
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def xml_text(text: str) -> str:
    """``text`` with every character XML 1.0 cannot hold replaced by U+FFFD (for .xlsx and .docx)."""
    return _XML_ILLEGAL.sub(REPLACEMENT, text)


def terminal_text(text: str) -> str:
    """``text`` without control characters a terminal would act on (escape sequences, bidi overrides)."""
    return _TERMINAL_UNSAFE.sub("", text)


def cell_value(value: object) -> object:
    """A value fit for a spreadsheet cell: text made XML-safe; numbers, dates, None as they are."""
    if isinstance(value, str):
        return xml_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None  # Excel has no NaN or infinity; an empty cell is the honest rendering
    return value


def text_cell(sheet: Any, value: object) -> Any:
    """A write-only cell holding ``value``; text is stored as a string cell, never a formula.

    openpyxl makes any text starting with ``=`` a formula; here the cell's data type is set back to
    string, so ``=HYPERLINK(…)`` or a target ``=100%`` shows as the characters filed and Excel
    evaluates nothing (the text is kept exactly, no apostrophe is added).
    """
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=cell_value(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def set_text(cell: Any, value: object) -> Any:
    """Put ``value`` into an openpyxl cell of a normal (not write-only) sheet, as :func:`text_cell` does."""
    cell.value = cell_value(value)
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def json_text(data: object, terminal: bool = False, **kwargs: Any) -> str:
    """``json.dumps`` that never emits ``NaN``/``Infinity`` (invalid JSON): a non-finite number
    raises :class:`ValueError` naming its place, e.g. ``budget.planned``.

    ``terminal``: also write the characters :func:`terminal_text` would drop as ``\\uXXXX``
    escapes (they only occur inside strings), so the document stays exact on a guarded terminal.
    """
    import json

    try:
        text = json.dumps(data, allow_nan=False, **kwargs)
    except ValueError:
        place = _non_finite_place(data)
        raise ValueError(f"结果中 {place or '某处'} 不是有限数值（NaN 或无穷大），无法写成 JSON") from None
    if terminal:
        text = _TERMINAL_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


def _non_finite_place(data: object, path: str = "") -> str | None:
    if isinstance(data, float) and not math.isfinite(data):
        return path or "（根）"
    if isinstance(data, dict):
        items: Any = data.items()
    elif isinstance(data, (list, tuple)):
        items = enumerate(data)
    else:
        return None
    for key, value in items:
        found = _non_finite_place(value, f"{path}.{key}" if path else str(key))
        if found:
            return found
    return None


def quote(value: object, limit: int = 200) -> str:
    """``repr`` of a user's value for an error message, cut to ``limit`` characters."""
    text = repr(value) if not isinstance(value, str) else repr(value[: limit + 1])
    return text if len(text) <= limit else text[: limit - 1] + "…"


def write_error(path: str | os.PathLike[str], exc: OSError) -> str:
    """The Chinese message of a failed write: ``磁盘空间不足：…`` on a full disk, else the reason."""
    import errno

    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"磁盘空间不足：无法写入 {path}，原有文件未改动；请清理磁盘后重新运行"
    if exc.errno == errno.ENAMETOOLONG:
        return f"文件名过长：无法写入 {path}；请缩短单位名称或文件名"
    return f"无法写入 {path}（{exc.strerror or exc}），原有文件未改动"


class TerminalStream:
    """A text stream that passes everything to ``inner`` through :func:`terminal_text`.

    The CLI puts one over stdout and stderr, so no message (a unit name, an error quoting a filing)
    can send the terminal an escape sequence or a bidi override.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        if not isinstance(text, str):  # click probes for a binary stream with write(b"")
            raise TypeError("TerminalStream takes str")
        self.inner.write(terminal_text(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # encoding, errors, flush, isatty, fileno, buffer…
        return getattr(self.inner, name)
