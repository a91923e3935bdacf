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


UNIT_76 = (
    Path(__file__).resolve().parent.parent
    / "parameters"
    / "2024"
    / "示例_某区教育局_学生营养改善计划项目.yaml"
)


def test_review_result_changes_with_profile() -> None:
    # 76.69 中 under mof-2020; the provincial profile's bands (良 from 70) and its A/B reverse
    # formula give 76.89 良: a --profile that is ignored fails here.
    default = json.loads(run("review", str(UNIT_76), "--json")[1])
    variant = json.loads(run("review", str(UNIT_76), "--json", "--profile", "province-80-70-60")[1])
    assert (default["total"], default["grade"], default["profile"]) == (76.69, "中", "mof-2020")
    assert (variant["total"], variant["grade"], variant["profile"]) == (76.89, "良", "province-80-70-60")


def test_profile_path_selects_and_regrades_codes(seed_path: Path, tmp_path: Path) -> None:
    profile = tmp_path / "strict.yaml"
    profile.write_text(
        "name: strict\nextends: mof-2020\nchecks:\n  ignore: [D101]\n  severity: {N101: error}\n",
        encoding="utf-8",
    )
    default = json.loads(run("review", str(seed_path), "--json")[1])
    strict = json.loads(run("review", str(seed_path), "--json", "--profile", str(profile))[1])
    assert "D101" in {f["code"] for f in default["findings"]}
    assert "D101" not in {f["code"] for f in strict["findings"]}
    assert {f["severity"] for f in strict["findings"] if f["code"] == "N101"} == {"error"}
    assert run("review", str(seed_path), "--fail-on", "error")[0] == 0
    assert run("review", str(seed_path), "--fail-on", "error", "--profile", str(profile))[0] == 1


def test_profile_naming_an_unknown_code_exits_2(seed_path: Path, tmp_path: Path) -> None:
    profile = tmp_path / "typo.yaml"
    profile.write_text("name: typo\nextends: mof-2020\nchecks:\n  ignore: [D1O1]\n", encoding="utf-8")
    code, out = run("review", str(seed_path), "--profile", str(profile))
    assert code == 2 and "checks.ignore" in out and "D1O1" in out and "Traceback" not in out


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


def test_checks_lists_catalogue_in_aligned_columns() -> None:
    from wcwidth import wcswidth

    from evalkit.checks import catalogue

    code, out = run("checks")
    assert code == 0
    lines = out.rstrip("\n").splitlines()
    assert len(lines) == 2 + len(catalogue())
    # Every column starts at the same terminal column on every line (CJK counts two).
    dashes = lines[1]
    starts = [i for i, ch in enumerate(dashes) if ch == "-" and (i == 0 or dashes[i - 1] == " ")]
    assert len(starts) == 5
    for line in [lines[0], *lines[2:]]:
        cols, pos = set(), 0
        for i, ch in enumerate(line):
            if ch != " " and (i == 0 or line[i - 1] == " ") and (i < 2 or line[i - 2 : i] == "  "):
                cols.add(pos)
            pos += wcswidth(ch)
        assert set(starts) <= cols, line


# --- many filings in one process -------------------------------------------------------------

DATA = Path(__file__).resolve().parent / "data"
PARAMS_2024 = Path(__file__).resolve().parent.parent / "parameters" / "2024"


def test_review_many_json_lines_match_single_file_reviews(tmp_path: Path) -> None:
    files = [DATA / "clean_project.txt", DATA / "project_sample.txt"]
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    result = CliRunner().invoke(cli, ["review", "--json", str(files[0]), str(bad), str(files[1])])
    assert result.exit_code == 2  # a bad file is reported, the others still reviewed
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["file"] for line in lines] == [str(files[0]), str(bad), str(files[1])]
    assert "为空" in lines[1]["error"] and set(lines[1]) == {"file", "error"}
    for path, line in zip([files[0], files[1]], [lines[0], lines[2]], strict=True):
        single = json.loads(run("review", str(path), "--json")[1])
        assert {k: v for k, v in line.items() if k != "file"} == single


def test_review_dir_uses_decisions_beside_each_filing_and_skips_non_filings() -> None:
    code, out = run("review", "--json", str(PARAMS_2024))
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    names = [Path(line["file"]).name for line in lines]
    assert names == sorted(p.name for p in PARAMS_2024.glob("*.yaml") if not p.name.endswith(".review.yaml"))
    culture = next(line for line in lines if "文化和旅游局" in line["file"])
    single = json.loads(run("review", culture["file"], "--json")[1])  # picks up its .review.yaml
    assert culture["total"] == single["total"] and culture["indicators"] == single["indicators"]


def test_review_dir_table_has_a_line_per_filing_and_the_error_line(tmp_path: Path, seed_path: Path) -> None:
    (tmp_path / "a.txt").write_text(seed_path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"\x00\x01\x02PK\x03\x04" * 50)
    (tmp_path / "c.expect.yaml").write_text("total: 1\n", encoding="utf-8")  # not a filing: skipped
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    result = CliRunner().invoke(cli, ["review", str(tmp_path)])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    seed_line = next(line for line in lines if "a.txt" in line)
    assert "武汉市蔡甸区红十字会" in seed_line and "99.28" in seed_line and "优" in seed_line
    bad_line = next(line for line in lines if "b.txt" in line)
    assert "无法复核" in bad_line and "文本" in bad_line
    assert "expect" not in result.output and "notes.pdf" not in result.output
    assert lines[-1] == "共2份：已复核1份，无法复核1份"


def test_review_many_fail_on_and_decisions_flag(tmp_path: Path, seed_path: Path) -> None:
    text = seed_path.read_text(encoding="utf-8").replace("\t1849人\n", "\t???\n", 1)
    (tmp_path / "bad.txt").write_text(text, encoding="utf-8")
    (tmp_path / "seed.txt").write_text(seed_path.read_text(encoding="utf-8"), encoding="utf-8")
    assert run("review", str(tmp_path))[0] == 0
    assert run("review", str(tmp_path), "--fail-on", "error")[0] == 1
    code, out = run("review", str(tmp_path / "seed.txt"), str(seed_path), "--decisions", "x.yaml")
    assert code == 2 and "--decisions" in out
    code, out = run("review", str(tmp_path / "empty_dir_does_not_exist"), str(tmp_path / "nope"))
    assert code == 2 and "不存在" in out
