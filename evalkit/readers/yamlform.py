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
from evalkit.fileio import atomic_write_text, quote
from evalkit.model import Filing
from evalkit.safeyaml import YamlRefused, load_yaml

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
            f"{err['msg']}，给定值 {quote(err.get('input'))}{more}",
            where=place,
            expected="见 evalkit 的 YAML 格式",
        ) from exc
    _check_values(filing, source)
    return filing


# The severities of evalkit.checks.SEVERITIES (a reader may not import the catalogue above it).
_SEVERITIES = ("error", "warning", "info")
MIN_YEAR, MAX_YEAR = 1949, 2200


def _check_values(filing: Filing, source: str) -> None:
    """What the types alone let through: non-finite numbers, a year no fiscal year can be,
    a problem whose severity the catalogue does not know."""
    import math

    year = filing.unit.year
    if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
        raise FilingError(
            source,
            f"年度 {quote(year, 40)} 不是有效的年份",
            where="unit.year",
            expected=f"{MIN_YEAR}–{MAX_YEAR} 的四位年份",
        )
    numbers: list[tuple[str, float | None]] = [("unit.declared_total", filing.unit.declared_total)]
    b = filing.budget
    for name in (
        "planned",
        "adjustment",
        "adjusted",
        "executed",
        "basic",
        "project",
        "stated_rate",
        "max_points",
        "stated_score",
    ):
        numbers.append((f"budget.{name}", getattr(b, name)))
    for i, fund in enumerate(b.funds):
        for name in ("planned", "adjusted", "executed"):
            numbers.append((f"budget.funds.{i}.{name}", getattr(fund, name)))
    for gi, goal in enumerate(filing.goals):
        for ii, ind in enumerate(goal.indicators):
            numbers.append((f"goals.{gi}.indicators.{ii}.weight", ind.weight))
            numbers.append((f"goals.{gi}.indicators.{ii}.self_score", ind.self_score))
    for place, value in numbers:
        if value is not None and not math.isfinite(value):
            raise FilingError(
                source, f"数值 {value!r} 不是有限数（NaN 或无穷大）", where=place, expected="实际数值"
            )
    for i, p in enumerate(filing.problems):
        if p.severity not in _SEVERITIES:
            raise FilingError(
                source,
                f"严重程度 {quote(p.severity, 60)} 不在目录中",
                where=f"problems.{i}.severity",
                expected="error、warning 或 info",
            )


def filing_to_yaml(filing: Filing) -> str:
    """Render a filing as YAML text (Chinese kept as is, keys in model order)."""
    return yaml.safe_dump(filing_to_dict(filing), allow_unicode=True, sort_keys=False, width=100)


def read_yaml(path: str | os.PathLike[str]) -> Filing:
    """Read a filing from evalkit's YAML form."""
    p = Path(path)
    try:
        data = load_yaml(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise FilingError(str(p), "不是 UTF-8 编码的 YAML 文件") from exc
    except OSError as exc:
        raise FilingError(str(p), f"无法读取文件（{exc.strerror or exc}）") from None
    except YamlRefused as exc:
        raise FilingError(str(p), exc.message, where=exc.where) from None
    filing = filing_from_dict(data, str(p))
    filing.source_format = filing.source_format or "yaml"
    return filing


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f\s]+')
# Names Windows reserves for devices, with or without an extension ("NUL.txt" is the device too).
_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|CLOCK\$|COM[0-9¹²³]|LPT[0-9¹²³])(\.|$)", re.IGNORECASE)
#: Bytes a unit id may take. The longest name evalkit derives from one is
#: ``.<id>.review.yaml.lock.<random>.tmp`` (about 40 bytes more); 255 is the usual file-name limit.
MAX_ID_BYTES = 180


def safe_name(text: str, fallback: str = "unit") -> str:
    """``text`` as a file-name stem that is safe everywhere (Chinese kept), never a path.

    NFKC-normalized; separators, control and format characters (U+202E, which would show
    "报告\u202egpj.exe" as "报告exe.jpg", zero-width spaces) and whitespace become ``_``; a Windows
    device name (CON, COM1, NUL.txt) gets a trailing ``_``; cut to :data:`MAX_ID_BYTES` bytes of
    UTF-8 at a character boundary.
    """
    name = unicodedata.normalize("NFKC", text or "")
    name = "".join("_" if unicodedata.category(ch) in ("Cf", "Cc", "Zl", "Zp") else ch for ch in name)
    safe = _UNSAFE.sub("_", name).strip("._ ")
    safe = safe.encode("utf-8")[:MAX_ID_BYTES].decode("utf-8", "ignore").rstrip("._ ")
    if not safe:
        return fallback
    if _RESERVED.match(safe):
        safe = safe.replace(".", "_", 1) if "." in safe else safe + "_"
        safe = safe if not _RESERVED.match(safe) else safe + "_"
    return safe


def unit_id(filing: Filing) -> str:
    """A stable, file-system-safe id for the unit (Chinese kept), never a path; see :func:`safe_name`."""
    stem = Path(filing.source).stem if filing.source else "unit"
    return safe_name(filing.unit.name or "", "") or safe_name(stem)


def default_yaml_path(filing: Filing, parameters: str | os.PathLike[str] = "parameters") -> Path:
    """``parameters/<year>/<unit-id>.yaml`` for a filing (``unknown-year`` when the year is missing)."""
    year = str(filing.unit.year) if filing.unit.year else "unknown-year"
    return Path(parameters) / year / f"{unit_id(filing)}.yaml"


def write_yaml(filing: Filing, path: str | os.PathLike[str]) -> Path:
    """Write a filing's YAML atomically."""
    return atomic_write_text(path, filing_to_yaml(filing))
