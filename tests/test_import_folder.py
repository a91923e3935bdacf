"""Folder import: every filing of a folder into parameters/<year>/, one YAML per unit, a summary,
bad files reported without stopping the rest, existing YAML replaced only by a complete one."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures_office import build_project_docx, build_seed_docx, indicator_rows
from test_template import fill_department

from evalkit.cli import cli
from evalkit.model import KIND_DEPARTMENT
from evalkit.readers import read_filing
from evalkit.readers.fillable import write_template
from evalkit.readers.folder import import_folder, run_folder_import
from evalkit.readers.text import read_text
from evalkit.readers.yamlform import default_yaml_path, filing_to_yaml, read_yaml


@pytest.fixture
def inbox(tmp_path: Path, seed_path: Path, project_path: Path) -> Path:
    """A folder as a finance bureau receives it: four units in four formats, one broken file,
    and files that are no filings."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    shutil.copy(seed_path, folder / "红十字会.txt")
    build_project_docx(folder / "高标准农田.docx", project_path)
    fill_department(write_template(folder / "文化馆.xlsx", KIND_DEPARTMENT))
    other = read_text(seed_path)
    other.unit.name = "示例区红十字会"
    (folder / "示例区红十字会.yaml").write_text(filing_to_yaml(other), encoding="utf-8")
    (folder / "坏文件.docx").write_bytes(b"this is not a zip" * 100)
    (folder / "~$红十字会.docx").write_bytes(b"\0" * 162)  # Word's lock file
    (folder / "说明.pdf").write_bytes(b"%PDF-1.4")
    return folder


def _lines(capture: list[str]) -> str:
    return "\n".join(capture)


def test_folder_import_one_bad_file_among_good_ones(inbox: Path, tmp_path: Path) -> None:
    params = tmp_path / "parameters"
    out: list[str] = []
    status = import_folder(inbox, parameters=params, year=2024, echo=out.append)
    text = _lines(out)
    assert status == 1
    assert "导入 4 个，未变化跳过 0 个，失败 1 个" in text
    failure = next(line for line in out if line.startswith("失败："))
    assert str(inbox / "坏文件.docx") in failure and ".docx" in failure
    written = sorted(p.name for p in (params / "2024").iterdir())
    assert len(written) == 4 and not any(name.startswith(".") for name in written)
    for name in ("红十字会.txt", "高标准农田.docx", "文化馆.xlsx"):
        filing = read_filing(inbox / name)
        filing.unit.year = filing.unit.year or 2024
        stored = read_yaml(default_yaml_path(filing, params))
        assert indicator_rows(stored) == indicator_rows(filing)
    assert "说明.pdf" in text  # listed as not a filing; the lock file is not even mentioned
    assert "~$" not in text


def test_second_run_skips_unchanged_and_replaces_changed(inbox: Path, tmp_path: Path) -> None:
    params = tmp_path / "parameters"
    import_folder(inbox, parameters=params, year=2024, echo=lambda _: None)
    (inbox / "坏文件.docx").unlink()
    out: list[str] = []
    assert import_folder(inbox, parameters=params, year=2024, echo=out.append) == 0
    assert "导入 0 个，未变化跳过 4 个，失败 0 个" in _lines(out)
    seed = inbox / "红十字会.txt"
    seed.write_text(seed.read_text(encoding="utf-8").replace("\t1849人\n", "\t1850人\n", 1), encoding="utf-8")
    out.clear()
    import_folder(inbox, parameters=params, year=2024, echo=out.append)
    assert "导入 1 个，未变化跳过 3 个，失败 0 个" in _lines(out)
    stored = read_yaml(params / "2024" / "武汉市蔡甸区红十字会.yaml")
    assert stored.indicators[0].actual_text == "1850人"


def test_existing_yaml_only_replaced_by_a_complete_one(seed_path: Path, tmp_path: Path) -> None:
    params = tmp_path / "parameters"
    first = tmp_path / "first"
    first.mkdir()
    shutil.copy(seed_path, first / "seed.txt")
    assert import_folder(first, parameters=params, year=2024, echo=lambda _: None) == 0
    target = params / "2024" / "武汉市蔡甸区红十字会.yaml"
    before = target.read_bytes()
    # the same unit again, but the table breaks off after its header: no indicator rows
    text = seed_path.read_text(encoding="utf-8")
    cut = text.index("\t实际完成值\n") + len("\t实际完成值\n")
    second = tmp_path / "second"
    second.mkdir()
    (second / "seed.txt").write_text(text[:cut], encoding="utf-8")
    out: list[str] = []
    assert import_folder(second, parameters=params, year=2024, echo=out.append) == 1
    assert "没有读到任何指标行" in _lines(out)
    assert target.read_bytes() == before


def test_failed_write_leaves_no_partial_file(seed_path: Path, tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(seed_path, folder / "seed.txt")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    result = run_folder_import(folder, tmp_path / "parameters", 2024)
    assert len(result.failed) == 1 and "无法写入" in result.failed[0][1]
    year_dir = tmp_path / "parameters" / "2024"
    assert not year_dir.exists() or list(year_dir.iterdir()) == []


def test_two_files_of_one_unit_fail_naming_both(seed_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(seed_path, folder / "a-红十字会.txt")
    build_seed_docx(folder / "b-红十字会.docx", seed_path)
    result = run_folder_import(folder, tmp_path / "parameters", 2024)
    assert [p.name for p, _ in result.imported] == ["a-红十字会.txt"]
    (path, reason), *_ = result.failed
    assert path.name == "b-红十字会.docx" and "a-红十字会.txt" in reason


def test_year_of_the_filing_must_match(seed_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(seed_path, folder / "seed.txt")
    result = run_folder_import(folder, tmp_path / "parameters", 2023)
    assert result.failed and "2024" in result.failed[0][1] and "2023" in result.failed[0][1]


def test_legacy_files_are_failures_that_say_what_to_do(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "旧.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    result = run_folder_import(folder, tmp_path / "parameters", 2024)
    assert len(result.failed) == 1 and ".docx" in result.failed[0][1]


def test_cli_import_folder(inbox: Path, tmp_path: Path) -> None:
    params = tmp_path / "parameters"
    result = CliRunner().invoke(cli, ["import", str(inbox), "--year", "2024", "--parameters", str(params)])
    assert result.exit_code == 1
    assert "导入 4 个，未变化跳过 0 个，失败 1 个" in result.output
    assert "失败：" in result.output and "坏文件.docx" in result.output
    assert "Traceback" not in result.output
