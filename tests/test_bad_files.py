"""Files that cannot be imported are refused with a message that names the file and says what to
do — before anything is unpacked where the danger is in the unpacking — and never crash the CLI."""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures_office import (
    build_project_xlsx,
    build_seed_docx,
    compound_file,
    docx_with_paragraphs,
    encrypted_office_file,
    legacy_doc,
    legacy_xls,
    xlsx_with_rows,
    zip_bomb_docx,
)

from evalkit.cli import cli
from evalkit.errors import FilingError
from evalkit.readers import read_filing, safety
from evalkit.readers.safety import ENCRYPTED_MESSAGE, compound_file_streams


def _truncated(source: Path, path: Path) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


def _with_member(source: Path, path: Path, name: str, data: bytes) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info.filename))
        zout.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    return path


def _unknown_headers_docx(path: Path) -> Path:
    return docx_with_paragraphs(
        path,
        ["2024年度某单位绩效自评报告", "正文。"],
        [["序号", "指标", "目标", "完成情况"], ["1", "培训人数", "100人", "120人"]],
    )


def _unknown_headers_xlsx(path: Path) -> Path:
    return xlsx_with_rows(
        path,
        {
            "说明": [["本表为绩效自评表"]],
            "自评": [
                ["绩效自评表"],
                [],
                ["序号", "绩效指标", "指标值", "完成值"],
                [1, "培训人数", "100人", "120人"],
            ],
        },
    )


Builder = Callable[[Path, Path, Path], Path]  # (tmp_path, seed_path, project_path) -> file

CASES: dict[str, tuple[str, Builder, tuple[str, ...]]] = {
    # case: (file name, builder, words the message must contain)
    "random bytes": (
        "随机.docx",
        lambda t, s, p: _write(t / "随机.docx", bytes(range(256)) * 40),
        ("不是有效的 .docx",),
    ),
    "empty": ("空.xlsx", lambda t, s, p: _write(t / "空.xlsx", b""), ("文件为空",)),
    "truncated docx": (
        "截断.docx",
        lambda t, s, p: _truncated(build_seed_docx(t / "full.docx", s), t / "截断.docx"),
        ("已损坏",),
    ),
    "truncated xlsx": (
        "截断.xlsx",
        lambda t, s, p: _truncated(build_project_xlsx(t / "full.xlsx", p), t / "截断.xlsx"),
        ("已损坏",),
    ),
    "encrypted docx": (
        "加密.docx",
        lambda t, s, p: _write(t / "加密.docx", encrypted_office_file()),
        (ENCRYPTED_MESSAGE,),
    ),
    "encrypted xlsx": (
        "加密.xlsx",
        lambda t, s, p: _write(t / "加密.xlsx", encrypted_office_file()),
        (ENCRYPTED_MESSAGE,),
    ),
    "doc renamed docx": (
        "旧文档.docx",
        lambda t, s, p: _write(t / "旧文档.docx", legacy_doc()),
        (".doc 格式", "另存为 .docx"),
    ),
    "xls renamed xlsx": (
        "旧表格.xlsx",
        lambda t, s, p: _write(t / "旧表格.xlsx", legacy_xls()),
        (".xls 格式", "另存为 .xlsx"),
    ),
    "doc": ("旧文档.doc", lambda t, s, p: _write(t / "旧文档.doc", legacy_doc()), ("另存为 .docx",)),
    "xls": ("旧表格.xls", lambda t, s, p: _write(t / "旧表格.xls", legacy_xls()), (".xlsx",)),
    "no table docx": (
        "无表格.docx",
        lambda t, s, p: docx_with_paragraphs(t / "无表格.docx", ["自评报告", "全文没有表格。"]),
        ("未找到绩效自评表", "没有表格", "一级指标"),
    ),
    "no table xlsx": (
        "无表格.xlsx",
        lambda t, s, p: xlsx_with_rows(t / "无表格.xlsx", {"Sheet1": [["自评报告：全文没有表格。"]]}),
        ("未找到绩效自评表", "一级指标"),
    ),
    "unknown headers docx": (
        "表头不符.docx",
        lambda t, s, p: _unknown_headers_docx(t / "表头不符.docx"),
        ("表头无法识别", "“序号”、“指标”、“目标”、“完成情况”", "一级指标、二级指标、三级指标", "表格1 第1行"),
    ),
    "unknown headers xlsx": (
        "表头不符.xlsx",
        lambda t, s, p: _unknown_headers_xlsx(t / "表头不符.xlsx"),
        ("表头无法识别", "“序号”、“绩效指标”、“指标值”、“完成值”", "一级指标", "工作表“自评”"),
    ),
    "xlsx named docx": (
        "其实是表格.docx",
        lambda t, s, p: _write(t / "其实是表格.docx", build_project_xlsx(t / "p.xlsx", p).read_bytes()),
        ("扩展名却是 .docx", ".xlsx"),
    ),
    "docm named docx": (
        "带宏.docx",
        lambda t, s, p: _with_member(
            build_seed_docx(t / "s.docx", s), t / "带宏.docx", "word/vbaProject.bin", b"\0" * 64
        ),
        ("启用宏", "另存为"),
    ),
    "zip bomb": (
        "炸弹.docx",
        lambda t, s, p: zip_bomb_docx(t / "炸弹.docx", build_seed_docx(t / "s.docx", s), megabytes=200),
        ("压缩炸弹", "未解压", "word/media/padding.bin"),
    ),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.fixture(params=sorted(CASES))
def bad_file(request, tmp_path: Path, seed_path: Path, project_path: Path) -> tuple[Path, tuple[str, ...]]:
    name, build, needles = CASES[request.param]
    path = build(tmp_path, seed_path, project_path)
    assert path.name == name
    return path, needles


def test_bad_file_is_refused_with_its_name_and_what_to_do(bad_file: tuple[Path, tuple[str, ...]]) -> None:
    path, needles = bad_file
    with pytest.raises(FilingError) as info:
        read_filing(path)
    message = str(info.value)
    assert message.startswith(str(path))
    for needle in needles:
        assert needle in message


def test_review_of_a_bad_file_exits_2_without_traceback(bad_file: tuple[Path, tuple[str, ...]]) -> None:
    path, needles = bad_file
    result = CliRunner().invoke(cli, ["review", str(path)])
    assert result.exit_code == 2, result.output
    assert path.name in result.output and needles[0] in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_zip_bomb_is_refused_before_anything_is_unpacked(
    tmp_path: Path, seed_path: Path, monkeypatch
) -> None:
    bomb = zip_bomb_docx(
        tmp_path / "bomb.docx", build_seed_docx(tmp_path / "s.docx", seed_path), megabytes=200
    )
    assert bomb.stat().st_size < 2 * 1024 * 1024  # 200 MB of zeros deflate to a few hundred KB

    def never(*args, **kwargs):
        raise AssertionError("the document must not be opened")

    import docx

    monkeypatch.setattr(docx, "Document", never)
    monkeypatch.setattr(zipfile.ZipFile, "read", never)  # no member is decompressed either
    monkeypatch.setattr(zipfile.ZipFile, "open", never)
    with pytest.raises(FilingError, match="压缩炸弹"):
        read_filing(bomb)


def test_size_limits_are_settings(tmp_path: Path, seed_path: Path, project_path: Path, monkeypatch) -> None:
    seed = build_seed_docx(tmp_path / "seed.docx", seed_path)
    monkeypatch.setattr(safety, "MAX_FILE_BYTES", 10 * 1024)
    with pytest.raises(FilingError, match="文件过大"):
        read_filing(seed)
    monkeypatch.undo()
    # many megabytes that do not compress: a plausible ratio, but too much in total
    noise = random.Random(2024).randbytes(3 * 1024 * 1024)
    padded = _with_member(seed, tmp_path / "big.docx", "word/media/photo.bin", noise)
    monkeypatch.setattr(safety, "MAX_UNCOMPRESSED_BYTES", 2 * 1024 * 1024)
    with pytest.raises(FilingError, match="解压后总大小"):
        read_filing(padded)
    monkeypatch.undo()
    assert read_filing(padded).unit.name == "武汉市蔡甸区红十字会"  # within the default limits
    # an .xlsx with a 20 MB member of zeros: refused by its compression ratio alone
    bomb = _with_member(
        build_project_xlsx(tmp_path / "p.xlsx", project_path),
        tmp_path / "b.xlsx",
        "xl/media/z.bin",
        bytes(20 * 1024 * 1024),
    )
    with pytest.raises(FilingError, match="压缩比异常"):
        read_filing(bomb)


def test_macros_in_a_workbook_are_never_run(tmp_path: Path, project_path: Path) -> None:
    # a workbook carrying a VBA project still imports: its data is read, the macro never loaded
    source = build_project_xlsx(tmp_path / "p.xlsx", project_path)
    with_macro = _with_member(source, tmp_path / "macro.xlsx", "xl/vbaProject.bin", b"Attribute VB_Name" * 50)
    filing = read_filing(with_macro)
    assert len(filing.indicators) == 9


def test_compound_file_directory_is_read() -> None:
    assert {"EncryptionInfo", "EncryptedPackage"} <= _streams(encrypted_office_file())
    assert "WordDocument" in _streams(legacy_doc())
    assert "Workbook" in _streams(legacy_xls())
    # names come from the directory, not from anywhere in the bytes: a .doc whose text mentions
    # EncryptionInfo is still a .doc
    doc = compound_file({"WordDocument": "EncryptionInfo EncryptedPackage".encode("utf-16-le") * 40})
    assert _streams(doc) >= {"WordDocument"} and not _streams(doc) & {"EncryptionInfo", "EncryptedPackage"}
    # a damaged container still tells an encrypted file apart, by the stream names it holds
    damaged = bytearray(compound_file({"EncryptionInfo": b"x", "EncryptedPackage": b"y"}))
    damaged[0x1E] = 0x42  # an impossible sector size
    assert "EncryptionInfo" in _streams(bytes(damaged))


def _streams(data: bytes) -> set[str]:
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".bin", delete=False) as fh:
        fh.write(data)
    try:
        return compound_file_streams(fh.name)
    finally:
        Path(fh.name).unlink()
