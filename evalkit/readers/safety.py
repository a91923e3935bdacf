"""Checks an Office file must pass before a reader opens it: size, zip structure, encryption.

A .docx or .xlsx is a zip archive (Office Open XML). Before python-docx or openpyxl unpack anything,
:func:`check_office_file` reads only the file's first bytes and the zip's central directory, and
refuses with a :class:`~evalkit.errors.FilingError` that says what to do:

- a file too large, or a zip that declares too much uncompressed data or compresses too well
  (a zip bomb), by the limits below;
- an OLE compound file (magic ``D0 CF 11 E0``): either an encrypted .docx/.xlsx (Office stores a
  file with an open password as a compound file with an ``EncryptionInfo`` stream; ``olefile``
  reads its directory), or an old
  binary .doc/.xls (Word 97–2003, Excel 97–2003), which must be saved as .docx/.xlsx first;
- a file that is no zip, a truncated or corrupt zip, or a zip that is not the expected document.

Nothing here runs a macro or a formula, and neither do the readers: macros are never loaded,
formulas are read by the value Excel cached when it saved the file.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

from evalkit.errors import FilingError

# Limits, per file. A real self-evaluation .docx/.xlsx is well under 10 MB; photos of stamped pages
# make the largest ones. Compression of Office XML is 5–20×; zeros or repeated text give 1000×.
MAX_FILE_BYTES = 50 * 1024 * 1024  # the file as stored
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024  # the sum of the members' declared sizes
MAX_RATIO = 100  # uncompressed / compressed, per member (above RATIO_MIN_BYTES) and overall
RATIO_MIN_BYTES = 1024 * 1024  # a member smaller than this is never a bomb, whatever its ratio
MAX_MEMBERS = 10_000
MAX_CELLS = 500_000  # cells of all sheets together; a self-evaluation table has a few thousand

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ENCRYPTED_MESSAGE = "文件已加密（设置了打开密码），请去除密码后再导入"

_KINDS = {
    ".docx": ("word/document.xml", "Word 文档", "Word"),
    ".xlsx": ("xl/workbook.xml", "Excel 工作簿", "Excel"),
}
_LEGACY = {"WordDocument": ".doc", "Workbook": ".xls", "Book": ".xls", "PowerPoint Document": ".ppt"}


def check_office_file(path: str | os.PathLike[str], suffix: str | None = None) -> None:
    """Refuse ``path`` (a .docx or .xlsx) unless it is a plausible, unencrypted, bounded zip.

    ``suffix`` is the kind expected (``.docx`` or ``.xlsx``; default: the file's own suffix).
    Raises :class:`~evalkit.errors.FilingError` naming the file, with what to do about it.
    """
    p = Path(path)
    file = str(p)
    kind = (suffix or p.suffix).lower()
    member, label, app = _KINDS.get(kind, _KINDS[".docx"])
    try:
        size = p.stat().st_size
        with p.open("rb") as fh:
            head = fh.read(8)
    except FileNotFoundError:
        raise FilingError(file, "文件不存在") from None
    except OSError as exc:
        raise FilingError(file, f"无法读取文件（{exc.strerror or exc}）") from None
    if size == 0:
        raise FilingError(file, "文件为空", expected=f"{app} 保存的 {kind} 文件")
    if size > MAX_FILE_BYTES:
        raise FilingError(
            file,
            f"文件过大（{_mb(size)}），超过导入上限 {_mb(MAX_FILE_BYTES)}，请压缩或删除文档中的大图片后再导入",
        )
    if head.startswith(OLE_MAGIC):
        _refuse_compound_file(p, kind)
    if not head.startswith(ZIP_MAGIC):
        raise FilingError(
            file,
            f"不是有效的 {kind} 文件（文件已损坏，或只是改了扩展名），请用 {app} 或 WPS 打开后另存为 {kind}",
        )
    try:
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise FilingError(
            file,
            f"文件已损坏，无法作为 {kind} 打开（压缩包结构不完整：{exc}），"
            f"请从 {app} 或 WPS 重新保存，或重新获取原文件",
        ) from None
    _check_members(file, infos, size)
    names = {info.filename for info in infos}
    if member not in names:
        other = next((k for k, v in _KINDS.items() if v[0] in names), None)
        if other and other != kind:
            raise FilingError(file, f"这是 {_KINDS[other][1]}，扩展名却是 {kind}，请把扩展名改为 {other}")
        raise FilingError(
            file, f"不是 {label}（压缩包中没有 {member}）", expected=f"{app} 保存的 {kind} 文件"
        )
    if kind == ".xlsx":
        check_xlsx_cells(
            p, [n for n in sorted(names) if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        )
    if kind == ".docx" and "word/vbaProject.bin" in names:
        raise FilingError(
            file,
            "这是启用宏的 Word 文档（.docm），无法按 .docx 读取（宏不会被读取或运行），"
            "请在 Word 中另存为“Word 文档（*.docx）”",
        )


def _check_members(file: str, infos: list[zipfile.ZipInfo], size: int) -> None:
    """Refuse a zip whose central directory declares too much: read before anything is unpacked.

    The declared sizes bind: Python's zipfile stops at a member's declared size and fails its CRC
    when the data would go on, so a member cannot inflate past what it declares here.
    """
    if len(infos) > MAX_MEMBERS:
        raise FilingError(file, f"压缩包内文件过多（{len(infos)}个），疑似异常文件，已拒绝")
    total = 0
    for info in infos:
        total += info.file_size
        if info.flag_bits & 0x1:
            raise FilingError(file, ENCRYPTED_MESSAGE, where=f"压缩包成员 {info.filename}")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_MIN_BYTES and ratio > MAX_RATIO:
            raise FilingError(
                file,
                f"压缩比异常（{ratio:.0f}倍，上限{MAX_RATIO}倍，解压后{_mb(info.file_size)}），"
                "疑似压缩炸弹，已拒绝，未解压",
                where=f"压缩包成员 {info.filename}",
            )
    if total > MAX_UNCOMPRESSED_BYTES:
        raise FilingError(
            file,
            f"解压后总大小 {_mb(total)} 超过上限 {_mb(MAX_UNCOMPRESSED_BYTES)}，疑似压缩炸弹，已拒绝，未解压",
        )
    if total > RATIO_MIN_BYTES and total / max(size, 1) > MAX_RATIO:
        raise FilingError(
            file,
            f"整体压缩比异常（{total / max(size, 1):.0f}倍，上限{MAX_RATIO}倍），疑似压缩炸弹，已拒绝，未解压",
        )


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?\"")
_CELL = re.compile(rb"<(?:\w+:)?c[\s>/]")


def _column(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def check_xlsx_cells(path: str | os.PathLike[str], sheets: list[str], limit: int = MAX_CELLS) -> None:
    """Refuse a workbook whose sheets hold more than ``limit`` cells, before openpyxl loads it.

    A sheet's ``<dimension ref="A1:Z9000">`` (when present) gives its extent at once; the cells are
    also counted by streaming each sheet's XML in chunks (nothing is parsed or kept), since a
    dimension may be missing or wrong. Stops at the first chunk past the limit.
    """
    file = str(path)
    total = 0
    with zipfile.ZipFile(path) as zf:
        for name in sheets:
            counted = 0
            tail = b""
            with zf.open(name) as fh:
                head = fh.read(4096)
                m = _DIMENSION.search(head)
                if m and m.group(3):
                    extent = (_column(m.group(3)) - _column(m.group(1)) + 1) * (
                        int(m.group(4)) - int(m.group(2)) + 1
                    )
                    if total + extent > limit:
                        _too_many(file, name, total + extent, limit, declared=True)
                chunk = head
                while chunk:
                    data = tail + chunk
                    counted += len(_CELL.findall(data)) - len(_CELL.findall(tail))
                    if total + counted > limit:
                        _too_many(file, name, total + counted, limit)
                    tail = data[-16:]
                    chunk = fh.read(1 << 20)
            total += counted


def _too_many(file: str, sheet: str, count: int, limit: int, declared: bool = False) -> None:
    how = "声明的范围含" if declared else "含有超过"
    raise FilingError(
        file,
        f"工作表{how}{count:,}个单元格，超过导入上限{limit:,}个，不像自评表，已拒绝（未载入）",
        where=f"压缩包成员 {sheet}",
        expected="只含自评表的工作簿（删去无关的大数据表后再导入）",
    )


def _refuse_compound_file(p: Path, kind: str) -> None:
    """An OLE compound file: encrypted OOXML or a legacy binary document. Always raises."""
    file = str(p)
    names = compound_file_streams(p)
    if {"EncryptionInfo", "EncryptedPackage"} & names:
        raise FilingError(file, ENCRYPTED_MESSAGE)
    legacy = next((ext for name, ext in _LEGACY.items() if name in names), None)
    if legacy == ".doc" or (legacy is None and kind == ".docx"):
        raise FilingError(
            file,
            "这是旧版二进制 Word 文档（Word 97-2003 .doc 格式），不能直接导入，"
            "请用 Word 或 WPS 另存为 .docx 后再导入",
        )
    if legacy == ".xls" or (legacy is None and kind == ".xlsx"):
        raise FilingError(
            file,
            "这是旧版二进制 Excel 工作簿（Excel 97-2003 .xls 格式），不能直接导入，"
            "请用 Excel 或 WPS 另存为 .xlsx 后再导入",
        )
    raise FilingError(file, "这是旧版二进制 Office 文件，不能直接导入，请另存为 .docx 或 .xlsx 后再导入")


def compound_file_streams(path: str | os.PathLike[str]) -> set[str]:
    """The names in an OLE compound file's directory (``EncryptionInfo``, ``WordDocument``, …).

    The directory is read by ``olefile``; a file it cannot parse (truncated, damaged) falls back to
    a scan for the UTF-16LE names that matter, so a broken container is still told apart.
    """
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            return {part for entry in ole.listdir(streams=True, storages=True) for part in entry}
    except Exception:  # olefile raises OSError and its own errors for a damaged container
        data = Path(path).read_bytes()
        return {
            name
            for name in ("EncryptionInfo", "EncryptedPackage", *_LEGACY)
            if name.encode("utf-16-le") in data
        }


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"
