"""Readers: every supported filing format in, a :class:`~evalkit.model.Filing` out."""

from __future__ import annotations

import os
from pathlib import Path

from evalkit.errors import FilingError
from evalkit.model import Filing

SUFFIXES = (".txt", ".yaml", ".yml", ".docx", ".xlsx")


def read_filing(path: str | os.PathLike[str]) -> Filing:
    """Read a filing from a text dump, .docx, .xlsx or evalkit YAML, chosen by the file's suffix."""
    p = Path(path)
    if not p.exists():
        raise FilingError(str(p), "文件不存在")
    if p.is_dir():
        raise FilingError(str(p), "这是一个文件夹，不是填报文件")
    suffix = p.suffix.lower()
    if suffix in (".yaml", ".yml"):
        from evalkit.readers.yamlform import read_yaml

        return read_yaml(p)
    if suffix == ".txt":
        from evalkit.readers.text import read_text

        return read_text(p)
    if suffix == ".docx":
        from evalkit.readers.docx import read_docx

        return read_docx(p)
    if suffix == ".xlsx":
        from evalkit.readers.xlsx import read_xlsx

        return read_xlsx(p)
    if suffix in (".doc", ".xls", ".wps", ".et"):
        raise FilingError(
            str(p), "不支持旧版二进制格式", expected="请用 Word/Excel/WPS 另存为 .docx 或 .xlsx 后再导入"
        )
    raise FilingError(str(p), f"不支持的文件类型“{p.suffix or '无扩展名'}”", expected="、".join(SUFFIXES))
