"""evalkit's YAML form of a filing: readable, hand-editable, and a lossless round trip.

The file starts with ``format: evalkit-filing/1`` so a later change of the form can be migrated on
purpose. Loading validates every field and names the path of a bad one
(``goals.1.indicators.3.weight``), as pydantic reports it.
"""

from __future__ import annotations

import os
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from evalkit.errors import FilingError
from evalkit.fileio import atomic_write_text
from evalkit.model import Filing

FORMAT = "evalkit-filing/1"


@lru_cache(maxsize=1)
def _adapter() -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(Filing)


def filing_to_dict(filing: Filing) -> dict[str, Any]:
    """The YAML mapping of a filing (defaults left out, so the file reads like the table)."""
    data = _adapter().dump_python(filing, mode="json", exclude_defaults=True)
    return {"format": FORMAT, **data}


def filing_from_dict(data: Any, source: str = "") -> Filing:
    """Validate a YAML mapping into a Filing; errors name the source and the field path."""
    from pydantic import ValidationError

    if not isinstance(data, dict):
        raise FilingError(source, "YAML 内容不是键值映射", expected=f"format: {FORMAT} 开头的填报文件")
    data = dict(data)
    fmt = data.pop("format", None)
    if fmt != FORMAT:
        raise FilingError(source, f"不支持的格式标记 format: {fmt!r}", where="format", expected=FORMAT)
    try:
        filing = _adapter().validate_python(data, strict=False)
    except ValidationError as exc:
        err = exc.errors()[0]
        place = ".".join(str(p) for p in err["loc"])
        more = f"（另有{len(exc.errors()) - 1}处错误）" if len(exc.errors()) > 1 else ""
        raise FilingError(
            source,
            f"{err['msg']}，给定值 {err.get('input')!r}{more}",
            where=place,
            expected="见 evalkit 的 YAML 格式",
        ) from exc
    return filing


def filing_to_yaml(filing: Filing) -> str:
    """Render a filing as YAML text (Chinese kept as is, keys in model order)."""
    return yaml.safe_dump(filing_to_dict(filing), allow_unicode=True, sort_keys=False, width=100)


def read_yaml(path: str | os.PathLike[str]) -> Filing:
    """Read a filing from evalkit's YAML form."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise FilingError(str(p), "不是 UTF-8 编码的 YAML 文件") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第{mark.line + 1}行第{mark.column + 1}列" if mark else ""
        raise FilingError(str(p), f"YAML 语法错误：{getattr(exc, 'problem', exc)}", where=where) from exc
    filing = filing_from_dict(data, str(p))
    filing.source_format = filing.source_format or "yaml"
    return filing


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\s]+')


def unit_id(filing: Filing) -> str:
    """A stable, file-system-safe id for the unit (Chinese kept), never a path."""
    name = unicodedata.normalize("NFKC", filing.unit.name or "").strip()
    safe = _UNSAFE.sub("_", name).strip("._")[:80]
    if not safe:
        stem = Path(filing.source).stem if filing.source else "unit"
        safe = _UNSAFE.sub("_", stem).strip("._")[:80] or "unit"
    return safe


def default_yaml_path(filing: Filing, parameters: str | os.PathLike[str] = "parameters") -> Path:
    """``parameters/<year>/<unit-id>.yaml`` for a filing (``unknown-year`` when the year is missing)."""
    year = str(filing.unit.year) if filing.unit.year else "unknown-year"
    return Path(parameters) / year / f"{unit_id(filing)}.yaml"


def write_yaml(filing: Filing, path: str | os.PathLike[str]) -> Path:
    """Write a filing's YAML atomically."""
    return atomic_write_text(path, filing_to_yaml(filing))
