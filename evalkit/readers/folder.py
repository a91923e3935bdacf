"""Import a whole folder of filings (``evalkit import DIR --year 2024``) into evalkit's YAML form.

Every .txt, .docx, .xlsx and .yaml filing in the folder (not its subfolders) is read and written to
``parameters/<year>/<unit-id>.yaml``, one file per unit. The summary says how many were imported,
skipped because the YAML already says the same, and failed — each failure with its file and
reason. One bad file never stops the rest; a failure never leaves a partial file (the YAML is
rendered and checked in memory first, then written atomically), so an existing YAML is only ever
replaced by a complete new one. Old binary .doc/.xls/.wps/.et files are failures that say to save
them as .docx/.xlsx; other files (PDFs, pictures, Office lock files ``~$…``) are left alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from evalkit.errors import EvalkitError, FilingError
from evalkit.fileio import atomic_write_text, write_error
from evalkit.readers.yamlform import MAX_YEAR, MIN_YEAR
from evalkit.safeyaml import load_yaml

IMPORTABLE = (".txt", ".docx", ".xlsx", ".yaml", ".yml")
LEGACY = (".doc", ".xls", ".wps", ".et")
EXIT_OK = 0
EXIT_FAILED = 1


@dataclass
class FolderImport:
    """What a folder import did: files imported, unchanged, failed (with reasons), ignored."""

    imported: list[tuple[Path, Path]] = field(default_factory=list)  # (source, yaml)
    unchanged: list[tuple[Path, Path]] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)  # (source, reason)
    ignored: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        """The one-line Chinese summary: ``导入 N 个，未变化跳过 M 个，失败 K 个``."""
        return (
            f"导入 {len(self.imported)} 个，未变化跳过 {len(self.unchanged)} 个，失败 {len(self.failed)} 个"
        )


def import_folder(
    source: str | os.PathLike[str],
    parameters: str | os.PathLike[str] = "parameters",
    year: int | None = None,
    echo: Callable[[str], object] = print,
) -> int:
    """Import every filing in the folder ``source``; print a line per file and the summary.

    Returns the exit status: 0 when every filing was imported or unchanged, 1 when any failed.
    """
    result = run_folder_import(source, parameters, year)
    for src, dest in result.imported:
        echo(f"已导入：{src.name} → {dest}")
    for src, dest in result.unchanged:
        echo(f"未变化：{src.name}（{dest}）")
    echo(result.summary())
    for src, reason in result.failed:
        echo(f"失败：{src}：{reason}")
    if result.ignored:
        echo(
            f"另有 {len(result.ignored)} 个文件不是填报文件，未处理："
            + "、".join(p.name for p in result.ignored[:10])
        )
    return EXIT_FAILED if result.failed else EXIT_OK


def run_folder_import(
    source: str | os.PathLike[str], parameters: str | os.PathLike[str] = "parameters", year: int | None = None
) -> FolderImport:
    """Import every filing in ``source`` and return what happened (nothing is printed)."""
    folder = Path(source)
    if not folder.is_dir():
        raise FilingError(str(folder), "不是文件夹", expected="含填报文件（.txt/.docx/.xlsx/.yaml）的文件夹")
    if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
        raise FilingError(
            str(year)[:40], "不是有效的年度", where="--year", expected=f"{MIN_YEAR}–{MAX_YEAR} 的四位年份"
        )
    result = FolderImport()
    claimed: dict[Path, Path] = {}  # yaml written this run -> the file it came from
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if not path.is_file() or path.name.startswith(("~$", ".")):
            continue  # subfolders, Office lock files, hidden files
        suffix = path.suffix.lower()
        if path.name.endswith((".review.yaml", ".review.yml")):
            continue  # a reviewer's decisions file beside a filing, not a filing
        if suffix not in IMPORTABLE and suffix not in LEGACY:
            result.ignored.append(path)
            continue
        try:
            dest, text = _render(path, parameters, year)
        except EvalkitError as exc:
            result.failed.append((path, _clip(_reason(exc))))
            continue
        except Exception as exc:  # a reader's bug on one odd file must not stop the batch
            result.failed.append((path, _clip(f"读取时出错（{type(exc).__name__}: {exc}）")))
            continue
        if dest in claimed:
            result.failed.append(
                (path, f"与 {claimed[dest].name} 对应同一单位（{dest.name}），未导入；请核对两份文件是否重复")
            )
            continue
        claimed[dest] = path
        try:
            if dest.is_file() and dest.read_text(encoding="utf-8") == text:
                result.unchanged.append((path, dest))
                continue
        except (OSError, UnicodeDecodeError):
            pass  # an unreadable old file is simply replaced
        try:
            atomic_write_text(dest, text)
        except OSError as exc:
            result.failed.append((path, write_error(dest, exc)))
            continue
        result.imported.append((path, dest))
    return result


def _render(path: Path, parameters: str | os.PathLike[str], year: int | None) -> tuple[Path, str]:
    """Read one filing and render its YAML in memory: ``(destination, text)``. Raises
    :class:`~evalkit.errors.FilingError` when the file cannot be read or its filing is incomplete."""
    from evalkit.readers import read_filing
    from evalkit.readers.yamlform import default_yaml_path, filing_from_dict, filing_to_yaml

    filing = read_filing(path)
    if year is not None:
        if filing.unit.year is None:
            filing.unit.year = year
        elif filing.unit.year != year:
            raise FilingError(
                str(path),
                f"表中年度为 {filing.unit.year}，与导入年度 {year} 不符",
                expected=f"{year} 年度的自评表，或用 --year {filing.unit.year} 单独导入",
            )
    if not filing.indicators:
        raise FilingError(str(path), "没有读到任何指标行，不导入", expected="填写了绩效指标的自评表")
    text = filing_to_yaml(filing)
    filing_from_dict(load_yaml(text), str(path))  # the YAML must read back before it replaces anything
    return default_yaml_path(filing, parameters), text


def _reason(exc: EvalkitError) -> str:
    """The reason of an error without the file name (the summary line names the file)."""
    if isinstance(exc, FilingError):
        text = f"{exc.where}：{exc.detail}" if exc.where else exc.detail
        return f"{text}；应为：{exc.expected}" if exc.expected else text
    return str(exc)


MAX_REASON = 300  # characters of one failure's reason: a hostile file must not print megabytes


def _clip(text: str) -> str:
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"
