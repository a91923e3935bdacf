"""The CLI as a user meets it: score card, JSON keys, import, bad input without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from evalkit.cli import cli

JSON_KEYS = {"unit", "year", "kind", "budget", "indicators", "total", "grade", "declared", "findings"}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys; from evalkit.cli import cli\n"
        "heavy = [m for m in ('pandas', 'matplotlib', 'pydantic', 'papermill', 'nbconvert') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
    assert (
        subprocess.run([sys.executable, "-m", "evalkit.cli", "--help"], capture_output=True).returncode == 0
    )


def test_review_text_card(seed_path: Path) -> None:
    code, out = run("review", str(seed_path))
    assert code == 0
    assert "武汉市蔡甸区红十字会" in out
    assert "复核得分 99.28" in out and "等级 优" in out
    assert "92.84%" in out


def test_review_json_keys(seed_path: Path) -> None:
    code, out = run("review", str(seed_path), "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) >= JSON_KEYS
    assert {"planned", "executed", "rate", "score", "max"} <= set(data["budget"])
    for row in data["indicators"]:
        assert {
            "goal",
            "level1",
            "level2",
            "name",
            "target",
            "actual",
            "weight",
            "score",
            "deviation",
        } <= set(row)
    for f in data["findings"]:
        assert {"code", "family", "severity", "message", "where"} <= set(f)
    assert set(data["declared"]) == {"total", "grade"}


def test_review_with_variant_profile(seed_path: Path) -> None:
    code, out = run("review", str(seed_path), "--json", "--profile", "province-80-70-60")
    assert code == 0
    assert json.loads(out)["total"] == 99.28


def test_import_writes_yaml_under_parameters(seed_path: Path, tmp_path: Path) -> None:
    params = tmp_path / "parameters"
    code, out = run("import", str(seed_path), "--parameters", str(params))
    assert code == 0, out
    written = params / "2024" / "武汉市蔡甸区红十字会.yaml"
    assert written.is_file()
    code, out = run("review", str(written), "--json")
    assert code == 0 and json.loads(out)["total"] == 99.28


def test_import_to_explicit_output(seed_path: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "x" / "seed.yaml"
    code, _ = run("import", str(seed_path), "-o", str(out_file))
    assert code == 0 and out_file.read_text(encoding="utf-8").startswith("format: evalkit-filing/1")


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("empty.txt", b"", "为空"),
        ("binary.txt", b"\x00\x01\x02PK\x03\x04" * 50, "文本"),
        ("notable.txt", "这是一份没有表格的报告。\n第二段。\n".encode(), "自评表"),
        ("missing.txt", None, "不存在"),
        ("old.doc", b"\xd0\xcf\x11\xe0", ".docx"),
        ("bad.yaml", b"format: evalkit-filing/1\ngoals: 5\n", "goals"),
    ],
)
def test_unreadable_input_exits_2_with_file_and_reason(
    tmp_path: Path, name: str, content: bytes | None, needle: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = CliRunner().invoke(cli, ["review", str(path)])
    assert result.exit_code == 2
    assert name in result.output and needle in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_bad_cells_become_findings(seed_path: Path, tmp_path: Path) -> None:
    text = seed_path.read_text(encoding="utf-8").replace("\t1500人\n", "\tabc\n", 1)
    path = tmp_path / "abc.txt"
    path.write_text(text, encoding="utf-8")
    code, out = run("review", str(path), "--json")
    assert code == 0
    findings = json.loads(out)["findings"]
    hit = [f for f in findings if "abc" in f["message"]]
    assert hit and hit[0]["family"] == "value" and "目标1" in hit[0]["where"]


def test_fail_on_error(seed_path: Path, tmp_path: Path) -> None:
    text = seed_path.read_text(encoding="utf-8").replace("\t1849人\n", "\t???\n", 1)
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf-8")
    assert run("review", str(path))[0] == 0
    assert run("review", str(path), "--fail-on", "error")[0] == 1


def test_checks_lists_catalogue() -> None:
    code, out = run("checks")
    assert code == 0 and "V101" in out
