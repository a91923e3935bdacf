"""The hostile-input corpus: broken and malicious inputs, generated at test time, and what a user
must see for each.

Every input is built by code here (nothing large is committed). A :class:`Case` is one input: the
issue item it covers, how to build it in a fresh folder, the ``evalkit`` command that meets it,
and one check on what the user sees (exit status, the message naming the file and the place, no
traceback, no formula cell, no file outside the folders, bounded time and memory). Batch cases
are units of one ``evalkit run`` over a project folder; their checks read that run's outputs.

    python tests/hostile/corpus.py            # build and run every case, print the table
    python tests/hostile/corpus.py --list     # only the table of inputs
"""

from __future__ import annotations

import copy
import json
import os
import re
import resource
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "parameters" / "2024" / "示例_某区教育局_学生营养改善计划项目.yaml"
YEAR = "2024"
TIME_LIMIT = 90.0  # seconds one command may take (the machine is shared: generous)
MEMORY_LIMIT = 3 * 1024**3  # address space of one command (RLIMIT_AS)
OUTPUT_LIMIT = 20_000  # characters one command may print


@dataclass
class Seen:
    """What a command showed the user."""

    code: int
    out: str
    err: str
    seconds: float
    folder: Path

    @property
    def text(self) -> str:
        return self.out + self.err

    def brief(self) -> str:
        return f"exit {self.code}, {self.seconds:.1f}s, output: {self.text[-600:]!r}"


@dataclass
class Case:
    """One hostile input."""

    id: str
    item: int  # the item of issue 12 it covers
    what: str  # the input, in a few words
    expect: str  # what the user must see, in a few words
    build: Callable[[Path], list[str]]  # writes the input into a folder; returns the command's args
    check: Callable[[Seen], bool]
    batch: bool = False  # a unit of the shared `evalkit run`; build returns [] and writes the unit


# ------------------------------------------------------------------------------------- builders
def sample() -> dict[str, Any]:
    return yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))


def dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def filing(change: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    data = sample()
    if change:
        change(data)
    return data


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def review_of(text: str, *extra: str, name: str = "unit.yaml") -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        write(folder, name, text)
        return ["review", name, *extra]

    return build


def review_json(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], list[str]]:
    return review_of(dump(filing(change)), "--json")


def with_decisions(text: str) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        write(folder, "unit.yaml", dump(filing()))
        write(folder, "unit.review.yaml", text)
        return ["review", "unit.yaml"]

    return build


def with_profile(text: str) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        write(folder, "unit.yaml", dump(filing()))
        write(folder, "bad-profile.yaml", text)
        return ["review", "unit.yaml", "--profile", "bad-profile.yaml"]

    return build


def import_of(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        write(folder, "in/unit.yaml", dump(filing(change)))
        return ["import", "in/unit.yaml", "--parameters", "params"]

    return build


def set_name(name: str) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        d["unit"]["name"] = name

    return change


def set_in(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        node: Any = d
        keys = path.split(".")
        for k in keys[:-1]:
            node = node[int(k)] if k.isdigit() else node[k]
        node[int(keys[-1]) if keys[-1].isdigit() else keys[-1]] = value

    return change


def rows(n: int) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        first = d["goals"][0]["indicators"][0]
        inds = []
        for i in range(n):
            row = copy.deepcopy(first)
            row.update(row=i + 1, name=f"指标{i + 1}", weight=None, self_score=None)
            inds.append(row)
        d["goals"] = [{"index": 1, "title": "大表", "indicators": inds}]
        d["budget"].pop("max_points", None)
        d["unit"]["declared_total"] = None

    return change


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    lines = ["a0: &a0 [" + ",".join(["哈"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def bomb_filing() -> str:
    return "format: evalkit-filing/1\n" + alias_bomb() + "unit: {name: *a8}\n"


def many_aliases(n: int) -> str:
    return "format: evalkit-filing/1\nx: &x 1\nl: [" + ",".join(["*x"] * n) + "]\n"


def raw_xlsx(cells: int, dimension: str | None) -> bytes:
    """A minimal .xlsx (one sheet) with ``cells`` numeric cells, built as XML text (fast, small)."""
    import io
    import random

    per_row = 50
    rng = random.Random(12)
    body = []
    for r in range(1, cells // per_row + 1):
        # Random figures: the sheet compresses like a real one, not like a zip bomb.
        body.append(
            f'<row r="{r}">' + "".join(f"<c><v>{rng.random()}</v></c>" for _ in range(per_row)) + "</row>"
        )
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main">{dim}<sheetData>{"".join(body)}</sheetData></worksheet>'
    )
    ns = "http://schemas.openxmlformats.org"
    files = {
        "[Content_Types].xml": f'<?xml version="1.0"?><Types xmlns="{ns}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>",
        "_rels/.rels": f'<?xml version="1.0"?><Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook xmlns="{ns}/spreadsheetml/2006/main" '
        f'xmlns:r="{ns}/officeDocument/2006/relationships"><sheets><sheet name="自评表" sheetId="1" r:id="rId1"/>'
        "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0"?><Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>",
        "xl/worksheets/sheet1.xml": sheet,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buf.getvalue()


# --------------------------------------------------------------------------------------- checks
TRACE = "Traceback (most recent call last)"


def clean(seen: Seen) -> bool:
    """No traceback, bounded output and time: what every case needs."""
    return TRACE not in seen.text and len(seen.text) < OUTPUT_LIMIT and seen.seconds < TIME_LIMIT


def refused(*words: str) -> Callable[[Seen], bool]:
    """Exit 2 with a message holding every word (the file, the place, the reason)."""
    return lambda s: clean(s) and s.code == 2 and all(w in s.err for w in words)


def json_findings(*codes: str) -> Callable[[Seen], bool]:
    def check(s: Seen) -> bool:
        if not clean(s) or s.code != 0:
            return False
        doc = json.loads(s.out)
        return all(any(f["code"] == c for f in doc["findings"]) for c in codes)

    return check


def valid_json(s: Seen) -> bool:
    if not clean(s) or s.code != 0:
        return False
    json.loads(s.out, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    return True


UNSAFE_TERMINAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(s: Seen) -> bool:
    return clean(s) and s.code == 0 and not UNSAFE_TERMINAL.search(s.text)


def imported_as(stem: str | None = None, max_bytes: int = 255) -> Callable[[Seen], bool]:
    """The import succeeded, wrote one YAML inside params/2024 whose name is safe."""

    def check(s: Seen) -> bool:
        files = [p for p in (s.folder / "params").rglob("*.yaml")]
        if not clean(s) or s.code != 0 or len(files) != 1:
            return False
        f = files[0]
        ok = f.parent == s.folder / "params" / YEAR and len(f.name.encode()) <= max_bytes
        ok = ok and not UNSAFE_TERMINAL.search(f.name) and "\u202e" not in f.name
        return ok and (stem is None or f.stem == stem)

    return check


# Batch checks read the run's outputs: s.folder is the project, s.out/s.err the run's output.
def out_dir(s: Seen) -> Path:
    return s.folder / "outputs" / YEAR


def unit_ok(unit: str) -> Callable[[Seen], bool]:
    def check(s: Seen) -> bool:
        doc = out_dir(s) / f"{unit}.json"
        if not doc.is_file():
            return False
        data = json.loads(doc.read_text(encoding="utf-8"))
        return data["run"]["status"] == "ok" and (out_dir(s) / f"{unit}.html").is_file()

    return check


def unit_failed(unit: str, *words: str) -> Callable[[Seen], bool]:
    def check(s: Seen) -> bool:
        doc = out_dir(s) / f"{unit}.json"
        if not doc.is_file():
            return False
        run = json.loads(doc.read_text(encoding="utf-8"))["run"]
        return (
            run["status"] == "failed" and all(w in run["error"] for w in words) and TRACE not in run["error"]
        )

    return check


def xlsx_cells(path: Path) -> list[tuple[str, Any, str]]:
    from openpyxl import load_workbook

    book = load_workbook(path)
    return [(ws.title, c.value, c.data_type) for ws in book for row in ws.iter_rows() for c in row]


def no_formula(path: Path) -> bool:
    with zipfile.ZipFile(path) as zf:
        return not any(
            re.search(rb"<(?:\w+:)?f[\s>]", zf.read(n))
            for n in zf.namelist()
            if n.startswith("xl/worksheets/")
        )


def xlsx_text(unit_text: str) -> Callable[[Seen], bool]:
    """summary.xlsx holds ``unit_text`` as a string cell and no formula at all."""

    def check(s: Seen) -> bool:
        path = out_dir(s) / "summary.xlsx"
        if TRACE in s.text or not (out_dir(s) / "index.html").is_file():
            return False
        if not path.is_file() or not no_formula(path):
            return False
        return any(v == unit_text and t == "s" for _sheet, v, t in xlsx_cells(path))

    return check


# ------------------------------------------------------------------------------------------ cases
BIG = "长" * 1_000_000


def cases() -> list[Case]:
    c: list[Case] = []

    def add(*args: Any, **kwargs: Any) -> None:
        c.append(Case(*args, **kwargs))

    # Item 1: formulas and control characters.
    for i, lead in enumerate(
        ['=HYPERLINK("http://x.invalid","点我")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
    ):
        name = f"公式单位{i}"

        def unit_build(folder: Path, lead: str = lead, name: str = name) -> list[str]:
            write(folder, f"parameters/{YEAR}/{name}.yaml", dump(filing(set_name(lead + name))))
            return []

        add(f"formula-name-{i}", 1, f"unit name {lead[:12]!r}…", "summary.xlsx: a string cell, no formula",
            unit_build, xlsx_text(lead + name), batch=True)  # fmt: skip

    def target_build(folder: Path) -> list[str]:
        write(
            folder,
            f"parameters/{YEAR}/公式目标.yaml",
            dump(filing(set_in("goals.0.indicators.0.target_text", "=100%"))),
        )
        return []

    add(
        "formula-target",
        1,
        "target =100%",
        "summary.xlsx: '=100%' as text",
        target_build,
        xlsx_text("=100%"),
        batch=True,
    )
    for i, ch in enumerate(["\x01", "\x07", "\x1b", "\x0b"]):
        name = f"控制字符{i}{ch}单位"

        def ctl_build(folder: Path, name: str = name, i: int = i) -> list[str]:
            write(folder, f"parameters/{YEAR}/控制字符{i}.yaml", dump(filing(set_name(name))))
            return []

        add(f"control-batch-{i}", 1, f"unit name with U+{ord(ch):04X}", "index and summary.xlsx written, U+FFFD shown",
            ctl_build, xlsx_text(name.replace(ch, "\ufffd")), batch=True)  # fmt: skip
    for i, text in enumerate(
        ["\x1b]0;被改标题\x07", "\x1b[2J清屏", "\x9b31m", "报告\u202egpj.exe", "\x08\x08退格"]
    ):
        add(f"terminal-{i}", 1, f"name {text!r} to the terminal", "exit 0, no control character printed",
            review_of(dump(filing(set_name(text)))), terminal_safe)  # fmt: skip
    add("terminal-json", 1, "ESC and U+202E in --json", "valid JSON, escaped, same text",
        review_of(dump(filing(set_name("a\x1b[31m\u202eb"))), "--json"),
        lambda s: terminal_safe(s) and json.loads(s.out)["unit"] == "a\x1b[31m\u202eb")  # fmt: skip

    def template_build(folder: Path) -> list[str]:
        return ["template", "-o", "t.xlsx"]

    add("template", 1, "evalkit template", "no formula cell in the template", template_build,
        lambda s: clean(s) and s.code == 0 and no_formula(s.folder / "t.xlsx"))  # fmt: skip

    # Item 2: YAML aliases, long values.
    add("bomb-filing", 2, "7 KB alias bomb as a filing", "exit 2 naming file and 别名", review_of(bomb_filing()),
        refused("unit.yaml", "别名"))  # fmt: skip
    add("bomb-decisions", 2, "alias bomb as .review.yaml", "exit 2 naming the decisions file",
        with_decisions(alias_bomb() + "items: {}\n"), refused("unit.review.yaml", "别名"))  # fmt: skip
    add("bomb-profile", 2, "alias bomb as a profile", "exit 2 naming the profile",
        with_profile("name: x\n" + alias_bomb()), refused("bad-profile.yaml", "别名"))  # fmt: skip
    add("alias-recursive", 2, "self-referencing alias", "exit 2, 递归", review_of("format: evalkit-filing/1\nunit: &u {x: *u}\n"),
        refused("unit.yaml", "递归"))  # fmt: skip
    add(
        "alias-count",
        2,
        "150 aliases of a scalar",
        "exit 2, 别名",
        review_of(many_aliases(150)),
        refused("unit.yaml", "别名"),
    )
    add("alias-merge", 2, "merge-key bomb (<<: *a)", "exit 2, 别名",
        review_of("format: evalkit-filing/1\n" + alias_bomb(7, 9).replace("[", "{k0: [").replace("]\n", "]}\n") + "unit: {<<: *a6}\n"),
        refused("unit.yaml", "别名"))  # fmt: skip

    def folder_bomb(folder: Path) -> list[str]:
        write(folder, "in/bomb.yaml", bomb_filing())
        write(folder, "in/good.yaml", dump(filing()))
        return ["import", "in", "--year", YEAR, "--parameters", "params"]

    add("bomb-folder", 2, "folder import with a bomb beside a good file", "exit 1, bomb named, good imported, short output",
        folder_bomb,
        lambda s: clean(s) and s.code == 1 and "bomb.yaml" in s.text and "导入 1 个" in s.text and len(s.text) < 3000)  # fmt: skip
    add("long-value", 2, "1 MB text where a number belongs", "exit 2, ≤ ~200 chars quoted",
        review_of(dump(filing(set_in("goals.0.indicators.0.weight", BIG)))),
        lambda s: refused("unit.yaml", "weight")(s) and len(s.err) < 800)  # fmt: skip
    add("long-tier", 2, "1 MB decision tier", "exit 2, short message",
        with_decisions(dump({"items": {"g1r1": {"tier": BIG}}})),
        lambda s: refused("unit.review.yaml", "tier")(s) and len(s.err) < 800)  # fmt: skip
    add(
        "long-syntax",
        2,
        "syntax error on a 1 MB line",
        "exit 2 with line and column, short",
        review_of("format: evalkit-filing/1\nunit: [" + BIG + "\n"),
        lambda s: refused("unit.yaml", "行")(s) and len(s.err) < 800,
    )
    add("deep-nesting", 2, "10,000 nested lists", "exit 2, no traceback",
        review_of("format: evalkit-filing/1\nx: " + "[" * 10000 + "]" * 10000 + "\n"), refused("unit.yaml"))  # fmt: skip
    add("not-utf8", 2, "GBK-encoded YAML", "exit 2, 不是 UTF-8",
        lambda f: (write(f, "unit.yaml", dump(filing()).encode("gbk")), ["review", "unit.yaml"])[1],
        refused("unit.yaml", "UTF-8"))  # fmt: skip

    # Item 3: names.
    add("name-80cjk", 3, "项目名称 of 80 CJK characters (240 bytes)", "imported, file name ≤ 255 bytes",
        import_of(set_name("很" * 80)), imported_as())  # fmt: skip
    add(
        "name-300",
        3,
        "name of 300 ASCII letters",
        "imported, id capped",
        import_of(set_name("a" * 300)),
        imported_as(),
    )
    add("name-con", 3, "unit name CON", "imported as CON_", import_of(set_name("CON")), imported_as("CON_"))
    add(
        "name-com1",
        3,
        "unit name COM1",
        "imported as COM1_",
        import_of(set_name("COM1")),
        imported_as("COM1_"),
    )
    add(
        "name-nul-txt",
        3,
        "unit name NUL.txt",
        "imported as NUL_txt",
        import_of(set_name("NUL.txt")),
        imported_as("NUL_txt"),
    )
    add("name-rlo", 3, "name 报告\\u202egpj.exe", "no U+202E in the file name", import_of(set_name("报告\u202egpj.exe")),
        imported_as("报告_gpj.exe"))  # fmt: skip
    add(
        "name-traversal",
        3,
        "name ../../evil",
        "stays in params/2024",
        import_of(set_name("../../evil")),
        imported_as("evil"),
    )
    add(
        "name-separators",
        3,
        "name a/b\\\\c:d",
        "one file, no subfolder",
        import_of(set_name("a/b\\c:d")),
        imported_as("a_b_c_d"),
    )
    add("name-zero-width", 3, "name with U+200B and U+FEFF", "format characters replaced",
        import_of(set_name("单\u200b位\ufeff")), imported_as("单_位"))  # fmt: skip

    def long_stem(folder: Path) -> list[str]:
        write(folder, f"parameters/{YEAR}/{'长' * 81}.yaml", dump(filing()))  # 243 + 5 bytes: a legal name
        return []

    add("batch-long-name", 3, "unit file of 81 CJK characters (248 bytes)", "that unit fails alone with a message",
        long_stem, unit_failed_or_ok("长" * 81), batch=True)  # fmt: skip

    # Item 6: --year.
    def year_build(year: str, setup: Callable[[Path], None] | None = None) -> Callable[[Path], list[str]]:
        def build(folder: Path) -> list[str]:
            write(folder, f"parameters/{YEAR}/u.yaml", dump(filing()))
            victim = folder / "victim"
            write(victim, "keep.json", "{}")
            write(victim, "keep.html", "<p>keep</p>")
            if setup:
                setup(folder)
            return ["run", "--year", year.replace("{victim}", str(victim)), "--jobs", "1"]

        return build

    def victim_intact(s: Seen) -> bool:
        v = s.folder / "victim"
        return sorted(p.name for p in v.iterdir()) == ["keep.html", "keep.json"]

    add("year-dotdot", 6, "--year ../victim", "exit 2, victim untouched", year_build("../victim"),
        lambda s: refused("--year")(s) and victim_intact(s))  # fmt: skip
    add("year-absolute", 6, "--year /abs/victim", "exit 2, victim untouched", year_build("{victim}"),
        lambda s: refused("--year")(s) and victim_intact(s))  # fmt: skip
    add("year-nested", 6, "--year 2024/../../victim", "exit 2", year_build("2024/../../victim"),
        lambda s: refused("--year")(s) and victim_intact(s))  # fmt: skip
    add("year-400-digits", 6, "--year of 400 digits", "exit 2, short message", year_build("9" * 400),
        lambda s: refused("--year")(s) and len(s.err) < 500)  # fmt: skip

    def link_out(folder: Path) -> None:
        (folder / "outputs").mkdir()
        (folder / "outputs" / YEAR).symlink_to(folder / "victim")

    add("year-symlink-out", 6, "outputs/2024 a symlink to another folder", "exit 2, victim untouched",
        year_build(YEAR, link_out), lambda s: refused("输出文件夹", "之外")(s) and victim_intact(s))  # fmt: skip

    def link_params(folder: Path) -> None:
        (folder / "parameters" / "2025").symlink_to(folder / "victim")

    add("year-symlink-params", 6, "parameters/2025 a symlink outside", "exit 2", year_build("2025", link_params),
        lambda s: refused("年度文件夹", "之外")(s) and victim_intact(s))  # fmt: skip
    add("import-year", 6, "import DIR --year 99999", "exit 2, 年度",
        lambda f: (write(f, "in/u.yaml", dump(filing())), ["import", "in", "--year", "99999", "--parameters", "p"])[1],
        refused("年度"))  # fmt: skip

    # Item 7: inputs that raised tracebacks.
    add("reason-number", 7, "decision reason a number", "exit 2 naming items.g1r1 and reason",
        with_decisions(dump({"items": {"g1r1": {"deduction": 1, "reason": 42}}})),
        refused("unit.review.yaml", "items.g1r1", "reason"))  # fmt: skip
    add("reason-null", 7, "decision reason null", "exit 0", with_decisions("items:\n  g1r1:\n    reason: null\n"),
        lambda s: clean(s) and s.code == 0)  # fmt: skip
    add("reason-list", 7, "decision reason a list", "exit 2 naming items.g1r1 and reason",
        with_decisions("items:\n  g1r1:\n    reason: [a, b]\n"), refused("unit.review.yaml", "items.g1r1", "reason"))  # fmt: skip
    add("score-inf", 7, "decision score .inf", "exit 2 naming items.g1r1.score", with_decisions("items:\n  g1r1:\n    score: .inf\n"),
        refused("unit.review.yaml", "有限"))  # fmt: skip
    add("score-text", 7, "decision score 'abc'", "exit 2", with_decisions("items:\n  g1r1:\n    score: abc\n"),
        refused("unit.review.yaml", "items.g1r1"))  # fmt: skip
    add("history-entry", 7, "history entry not a mapping", "exit 2 naming 保存记录 (history)", with_decisions("history: [1, two]\n"),
        refused("unit.review.yaml", "保存记录"))  # fmt: skip
    add(
        "items-list",
        7,
        "items a list",
        "exit 2 naming items",
        with_decisions("items: [1, 2]\n"),
        refused("unit.review.yaml", "items"),
    )
    add(
        "decisions-list",
        7,
        "decisions file a list",
        "exit 2",
        with_decisions("- 1\n- 2\n"),
        refused("unit.review.yaml"),
    )
    add("severity", 7, "problem severity 'fatal'", "exit 2 naming problems.0.severity",
        review_of(dump(filing(lambda d: d.update(problems=[{"code": "X1", "family": "value", "severity": "fatal", "message": "m"}])))),
        refused("unit.yaml", "problems.0.severity"))  # fmt: skip
    for key, text in (("inf", ".inf"), ("nan", ".nan"), ("big", "1.0e+400")):
        add(f"budget-{key}", 7, f"budget planned {text}", "exit 2 naming the line",
            review_of(dump(filing()).replace("planned: 560.0", f"planned: {text}")), refused("unit.yaml", "有限"))  # fmt: skip
    add("budget-inf-text", 7, "budget planned 'inf' (a string)", "exit 2 naming budget.planned",
        review_of(dump(filing(set_in("budget.planned", "inf")))), refused("unit.yaml", "budget.planned"))  # fmt: skip
    add("weight-nan-text", 7, "weight 'nan' (a string)", "exit 2 naming the row",
        review_of(dump(filing(set_in("goals.0.indicators.0.weight", "nan")))), refused("unit.yaml", "goals.0.indicators.0.weight"))  # fmt: skip
    add("year-huge", 7, "unit year of 400 digits", "exit 2 naming unit.year",
        review_of(dump(filing(set_in("unit.year", int("9" * 400))))), refused("unit.yaml", "unit.year"))  # fmt: skip
    add("profile-nan", 7, "profile threshold .nan", "exit 2 naming the profile",
        with_profile("name: x\nover_target: {threshold: .nan}\n"), refused("bad-profile.yaml"))  # fmt: skip
    add("json-zero-budget", 7, "budget 0 and no executed, --json", "valid JSON (no NaN)",
        review_json(lambda d: d["budget"].update(planned=0.0, adjusted=0.0, executed=None)), valid_json)  # fmt: skip

    def nan_unit(folder: Path) -> list[str]:
        write(
            folder,
            f"parameters/{YEAR}/无穷预算.yaml",
            dump(filing()).replace("planned: 560.0", "planned: .inf"),
        )
        return []

    add("batch-inf-budget", 7, "unit with budget .inf in a run", "that unit failed with a message naming it",
        nan_unit, unit_failed("无穷预算", "有限"), batch=True)  # fmt: skip

    # Item 8: limits before the work.
    add("xlsx-dimension", 8, "xlsx declaring A1:ZZ100000 (70 KB)", "exit 2 before loading, names the sheet",
        lambda f: (write(f, "big.xlsx", raw_xlsx(2000, "A1:ZZ100000")), ["review", "big.xlsx"])[1],
        refused("big.xlsx", "单元格", "sheet1.xml"))  # fmt: skip
    add("xlsx-cells", 8, "xlsx with 600,000 cells, no dimension", "exit 2 fast, names the sheet",
        lambda f: (write(f, "cells.xlsx", raw_xlsx(600_000, None)), ["review", "cells.xlsx"])[1],
        lambda s: refused("cells.xlsx", "单元格")(s) and s.seconds < 30)  # fmt: skip
    add("rows-2500", 8, "filing of 2,500 indicator rows", "exit 2 naming the limit", review_of(dump(filing(rows(2500)))),
        refused("unit.yaml", "2500", "limits.max_indicators"))  # fmt: skip

    def rows_unit(folder: Path) -> list[str]:
        write(folder, f"parameters/{YEAR}/一万五千行.yaml", dump(filing(rows(15_000))))
        return []

    add("batch-15000-rows", 8, "unit of 15,000 rows in a run", "that unit fails fast with the limit",
        rows_unit, unit_failed("一万五千行", "上限"), batch=True)  # fmt: skip

    def rows_chart(folder: Path) -> list[str]:
        write(folder, f"parameters/{YEAR}/三百行.yaml", dump(filing(rows(300))))
        return []

    add("batch-300-rows", 8, "unit of 300 rows in a run", "report written, chart of one page", rows_chart,
        unit_ok("三百行"), batch=True)  # fmt: skip

    # Item 10: absurd values get findings.
    add("negative-weight", 10, "weight -15", "finding V191", review_json(set_in("goals.0.indicators.0.weight", -15.0)),
        json_findings("V191"))  # fmt: skip
    add(
        "negative-budget",
        10,
        "budget -560",
        "finding V192",
        review_json(set_in("budget.adjusted", -560.0)),
        json_findings("V192"),
    )
    add("executed-100x", 10, "executed 100× the budget", "finding V193", review_json(set_in("budget.executed", 56000.0)),
        json_findings("V193"))  # fmt: skip
    add("negative-actual", 10, "actual -15人", "finding V194", review_json(set_in("goals.0.indicators.0.actual_text", "-15人")),
        json_findings("V194"))  # fmt: skip
    add("date-2024.13.45", 10, "填报日期 2024.13.45", "finding D191", review_json(set_in("unit.filing_date", "2024.13.45")),
        json_findings("D191"))  # fmt: skip
    add("date-chinese", 10, "填报日期 二〇二四年十三月四十五日", "finding D191",
        review_json(set_in("unit.filing_date", "二〇二四年十三月四十五日")), json_findings("D191"))  # fmt: skip
    add("date-feb-30", 10, "填报日期 2025年2月30日", "finding D191", review_json(set_in("unit.filing_date", "2025年2月30日")),
        json_findings("D191"))  # fmt: skip
    add("declared-120", 10, "declared total 120", "finding S191", review_json(set_in("unit.declared_total", 120.0)),
        json_findings("S191"))  # fmt: skip
    return c


def unit_failed_or_ok(unit: str) -> Callable[[Seen], bool]:
    """A unit whose name is at the edge: done, or failed alone with a message; the run went on."""

    def check(s: Seen) -> bool:
        others = unit_ok("公式单位0")(s)
        return others and (
            unit_ok(unit)(s) or unit_failed(unit)(s) or (unit in s.text and "文件名过长" in s.text)
        )

    return check


# ----------------------------------------------------------------------------------------- runner
def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_command(args: list[str], cwd: Path, timeout: float = TIME_LIMIT) -> Seen:
    """``evalkit ARGS`` in ``cwd`` as a user runs it, under the time and memory bounds."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg", PYTHONIOENCODING="utf-8")
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-c", "from evalkit.cli import main; main()", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            timeout=timeout,
            preexec_fn=_limits,
        )
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        code, out, err = -1, exc.stdout or b"", (exc.stderr or b"") + b"\n[timeout]"
    seconds = time.perf_counter() - started
    dec = lambda b: b.decode("utf-8", "replace")  # noqa: E731
    return Seen(code, dec(out), dec(err), seconds, cwd)


def run_corpus(base: Path, jobs: int = 2) -> dict[str, Seen]:
    """Build every case under ``base`` and run it; returns what each showed, by case id."""
    import shutil

    all_cases = cases()
    project = base / "batch-project"
    shutil.copytree(
        ROOT / "notebooks", project / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    shutil.copytree(ROOT / "parameters" / "profiles", project / "parameters" / "profiles")
    singles = []
    for case in all_cases:
        if case.batch:
            case.build(project)
        else:
            folder = base / case.id
            folder.mkdir(parents=True)
            singles.append((case, folder, case.build(folder)))
    seen: dict[str, Seen] = {}
    with ThreadPoolExecutor(jobs) as pool:
        batch = pool.submit(run_command, ["run", "--year", YEAR, "--jobs", "2"], project, 900)
        for case, result in zip(
            [s[0] for s in singles], pool.map(lambda s: run_command(s[2], s[1]), singles), strict=True
        ):
            seen[case.id] = result
        batch_seen = batch.result()
    for case in all_cases:
        if case.batch:
            seen[case.id] = batch_seen
    return seen


def table(all_cases: list[Case], seen: dict[str, Seen] | None = None) -> str:
    """The corpus as a Markdown table (with the outcome of each case when ``seen`` is given)."""
    head = "| # | item | input | the user must see |" + (" result |" if seen else "")
    rule = "|---|---|---|---|" + ("---|" if seen else "")
    lines = [head, rule]
    for i, case in enumerate(all_cases, 1):
        row = f"| {i} | {case.item} | {case.what.replace('|', '¦')} | {case.expect} |"
        if seen:
            s = seen[case.id]
            row += f" {'pass' if case.check(s) else 'FAIL'} (exit {s.code}, {s.seconds:.1f}s) |"
        lines.append(row)
    return "\n".join(lines)


def main() -> None:
    import tempfile

    all_cases = cases()
    if "--list" in sys.argv:
        print(table(all_cases))
        return
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        seen = run_corpus(Path(tmp))
        print(table(all_cases, seen))
        failed = [c.id for c in all_cases if not c.check(seen[c.id])]
        print(
            f"\n{len(all_cases)} inputs, {len(all_cases) - len(failed)} pass, {len(failed)} fail {failed or ''}"
        )
        for cid in failed:
            print(f"- {cid}: {seen[cid].brief()}")
        sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
