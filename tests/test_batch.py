"""``evalkit run`` on the bundled samples: one batch per module (fresh kernels, 2 workers) into a
temporary copy of the project, with one broken unit among the good ones."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import nbformat
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from evalkit import batch as batch_module
from evalkit.batch import code_fingerprint, run
from evalkit.cli import cli
from evalkit.decisions import Decision, Decisions
from evalkit.decisions_store import save_decisions
from evalkit.review import review
from evalkit.workbench import units_in

ROOT = Path(__file__).resolve().parent.parent
YEAR = "2024"
BROKEN = "示例_损坏的填报"
CULTURE = "示例_某区文化和旅游局_公共文化服务提升项目"


def copy_project(dest: Path) -> Path:
    """The parts of the project a batch reads: parameters/ and notebooks/."""
    shutil.copytree(ROOT / "parameters", dest / "parameters", ignore=shutil.ignore_patterns("*.lock"))
    shutil.copytree(
        ROOT / "notebooks", dest / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    return dest


@pytest.fixture(scope="module", autouse=True)
def fixed_code_fingerprint() -> Iterator[None]:
    # Other work may edit evalkit while this module runs; the skip test must see the same code.
    # (That a code change does invalidate is tested on its own below.)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(batch_module, "code_fingerprint", lambda: "fixed-for-this-test-module")
        yield


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    root = copy_project(tmp_path_factory.mktemp("batch"))
    good = units_in(root / "parameters" / YEAR)
    (root / "parameters" / YEAR / f"{BROKEN}.yaml").write_text(
        "format: evalkit-filing/1\nunit: [这不是映射\n", encoding="utf-8"
    )
    started = time.perf_counter()
    result = run(year=YEAR, jobs=2, parameters=root / "parameters", outputs=root / "outputs", progress=False)
    return SimpleNamespace(
        root=root,
        out=root / "outputs" / YEAR,
        result=result,
        good=good,
        seconds=time.perf_counter() - started,
    )


def soup(path: Path) -> BeautifulSoup:
    # nbconvert re-serializes the page (attribute order may change): compare parsed attributes.
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def expected_review(filing: Path) -> dict:
    decisions = filing.with_suffix(".review.yaml")
    return review(filing, decisions=decisions if decisions.exists() else None).to_json()


def test_samples_cover_the_issue() -> None:
    units = units_in(ROOT / "parameters" / YEAR)
    samples = [u for u in units if u.stem.startswith("示例")]
    assert len(samples) >= 5
    assert (ROOT / "parameters" / YEAR / "武汉市蔡甸区红十字会.yaml").is_file()  # the seed
    rules, kinds = set(), set()
    for u in samples:
        rv = review(u)
        kinds.add(rv.filing.unit.kind)
        rules |= {s.rule for s in rv.card.indicators}
        assert rv.filing.unit.name.startswith("示例")
    assert {"项目", "部门整体"} <= kinds
    assert {"qualitative", "reverse", "positive", "boolean", "deadline"} <= rules
    assert any(u.with_suffix(".review.yaml").is_file() for u in samples)


def test_every_unit_has_report_and_result(batch: SimpleNamespace) -> None:
    status = {o.unit_id: o.status for o in batch.result.outcomes}
    assert status == {**{u.stem: "ok" for u in batch.good}, BROKEN: "failed"}
    for u in batch.good:
        assert (batch.out / f"{u.stem}.html").is_file()
        doc = json.loads((batch.out / f"{u.stem}.json").read_text(encoding="utf-8"))
        assert doc["run"]["status"] == "ok" and len(doc["run"]["inputs_hash"]) == 64
    assert (batch.out / "index.html").is_file() and (batch.out / "summary.xlsx").is_file()
    assert not list(batch.out.glob(".staging-*")), "staging folder left behind"
    assert not list(batch.out.rglob("*.tmp")), "temporary file left behind"
    print(f"batch of {len(batch.result.outcomes)} units: {batch.seconds:.1f} s")


def test_report_scores_equal_review_json(batch: SimpleNamespace) -> None:
    for u in batch.good:
        expected = expected_review(u)
        doc = json.loads((batch.out / f"{u.stem}.json").read_text(encoding="utf-8"))
        assert {k: v for k, v in doc.items() if k != "run"} == expected
        # The CLI gives the same document (it reads <unit>.review.yaml by default).
        cli_out = CliRunner().invoke(cli, ["review", str(u), "--json"])
        assert cli_out.exit_code == 0, cli_out.output
        assert json.loads(cli_out.output) == expected
        # The numbers printed in the report are those numbers.
        page = soup(batch.out / f"{u.stem}.html")
        card = page.find(attrs={"data-total": True})
        assert (card["data-total"], card["data-grade"]) == (f"{expected['total']:.2f}", expected["grade"])
        rows = {
            tr["data-key"]: (tr["data-score"], tr["data-deduction"])
            for tr in page.find_all("tr", attrs={"data-key": True})
        }
        assert rows == {
            i["key"]: (f"{i['score']:.2f}", f"{i['deduction']:.2f}") for i in expected["indicators"]
        }


def test_reviewer_decisions_marked_in_report(batch: SimpleNamespace) -> None:
    html = (batch.out / f"{CULTURE}.html").read_text(encoding="utf-8")
    doc = json.loads((batch.out / f"{CULTURE}.json").read_text(encoding="utf-8"))
    assert doc["total"] == 95.40 and doc["deductions"] == 2.0
    marked = {i["key"] for i in doc["indicators"] if i["reviewer"]}
    assert marked == {"g1r1", "g1r5"}
    rows = {
        tr["data-key"]: tr
        for tr in soup(batch.out / f"{CULTURE}.html").find_all("tr", attrs={"data-key": True})
    }
    assert (rows["g1r5"]["data-score"], rows["g1r5"]["data-deduction"]) == ("7.50", "0.00")
    assert (rows["g1r1"]["data-score"], rows["g1r1"]["data-deduction"]) == ("12.50", "2.00")
    assert [k for k, tr in rows.items() if tr.find("span", class_="tag")] == ["g1r1", "g1r5"]
    assert "复核等次：部分达成" in html and "目标值设置偏低" in html
    assert "示例复核人" in html  # the history of saves


def test_failing_unit_is_isolated(batch: SimpleNamespace) -> None:
    assert batch.result.exit_code == 1
    (failed,) = batch.result.failed
    assert failed.unit_id == BROKEN and failed.error.startswith("运行失败")
    assert "FilingError" in failed.error
    kept = batch.out / "failed" / f"{BROKEN}.ipynb"
    nb = nbformat.read(kept, as_version=4)
    assert any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
    assert not (batch.out / f"{BROKEN}.html").exists()
    row = soup(batch.out / "index.html").find("tr", attrs={"data-unit": BROKEN})
    assert row["data-status"] == "failed" and "运行失败" in row.get_text()
    assert row.find("a")["href"] == quote(f"failed/{BROKEN}.ipynb")


def test_index_and_excel(batch: SimpleNamespace) -> None:
    index = (batch.out / "index.html").read_text(encoding="utf-8")
    for heading in (
        "预算绩效自评复核汇总",
        "单位一览",
        "等级分布与预算执行率",
        "复核得分排名",
        "复核发现统计",
    ):
        assert heading in index
    rows = {
        tr["data-unit"]: tr for tr in soup(batch.out / "index.html").find_all("tr", attrs={"data-unit": True})
    }
    for u in batch.good:
        row = rows[u.stem]
        assert row.find("a")["href"] == f"{quote(u.stem)}.html"  # relative link to each report
        assert (row["data-status"], row["data-total"]) == ("ok", f"{expected_review(u)['total']:.2f}")
    assert index.count("data:image/png;base64,") == 2
    sheets = pd.read_excel(batch.out / "summary.xlsx", sheet_name=None)
    assert set(sheets) == {"单位汇总", "复核发现", "指标明细"}
    units = sheets["单位汇总"].set_index("单位编号")
    assert len(units) == len(batch.good) + 1
    assert units.loc[CULTURE, "复核得分"] == 95.40
    assert units.loc[BROKEN, "状态"] == "failed"


def test_reports_are_offline_and_small(batch: SimpleNamespace) -> None:
    pages = [batch.out / f"{u.stem}.html" for u in batch.good] + [batch.out / "index.html"]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        links = re.findall(r'(?:src|href)\s*=\s*["\']?([^"\'\s>]+)', html, flags=re.I)
        external = [x for x in links if re.match(r"(?:[a-z][a-z0-9+.-]*:)?//", x, flags=re.I)]
        assert external == [], f"{page.name}: {external}"
        assert not re.search(r"<script|<link|@import|url\(", html, flags=re.I)
        assert page.stat().st_size <= 150_000, f"{page.name}: {page.stat().st_size} bytes"
    sizes = {p.name: round(p.stat().st_size / 1024, 1) for p in pages}
    print("report sizes (KB):", sizes)


def test_unchanged_units_are_skipped(batch: SimpleNamespace, tmp_path: Path) -> None:
    # Work on a copy: the other tests keep asserting on the first run.
    root = tmp_path / "again"
    shutil.copytree(batch.root, root)
    (root / "parameters" / YEAR / f"{BROKEN}.yaml").unlink()
    out = root / "outputs" / YEAR
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("*.html") if p.name != "index.html"}

    again = run(year=YEAR, jobs=2, parameters=root / "parameters", outputs=root / "outputs", progress=False)
    assert {o.status for o in again.outcomes} == {"skipped"} and again.exit_code == 0
    assert not (out / f"{BROKEN}.json").exists()  # a unit gone from parameters/ leaves the index
    assert BROKEN not in (out / "index.html").read_text(encoding="utf-8")
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.html") if p.name != "index.html"} == stamps

    # A reviewer saves a decision for one unit: only that unit runs again.
    filing = root / "parameters" / YEAR / f"{CULTURE}.yaml"
    save_decisions(
        filing.with_suffix(".review.yaml"),
        Decisions(items={"g1r6": Decision(tier="partial", score=7.0)}),
        who="测试",
    )
    third = run(year=YEAR, jobs=2, parameters=root / "parameters", outputs=root / "outputs", progress=False)
    ran = {o.unit_id for o in third.outcomes if o.status == "ok"}
    assert ran == {CULTURE}
    doc = json.loads((out / f"{CULTURE}.json").read_text(encoding="utf-8"))
    assert doc["total"] == expected_review(filing)["total"] == 92.40


def test_code_change_invalidates(tmp_path: Path) -> None:
    package = tmp_path / "evalkit"
    shutil.copytree(ROOT / "evalkit", package, ignore=shutil.ignore_patterns("__pycache__"))
    before = code_fingerprint(package)
    assert code_fingerprint(package) == before
    (package / "templates" / "evalkit_report" / "report.css").write_text("/* changed */", encoding="utf-8")
    assert code_fingerprint(package) != before


def test_only_selects_units(tmp_path: Path) -> None:
    params = ROOT / "parameters"
    tasks = batch_module.plan(
        params,
        tmp_path,
        YEAR,
        None,
        ROOT / "notebooks" / "review.ipynb",
        tmp_path,
        "k",
        tmp_path,
        only=[CULTURE],
    )
    assert [t.unit_id for t in tasks] == [CULTURE]
    assert tasks[0].decisions == (params / YEAR / f"{CULTURE}.review.yaml").resolve()
    assert tasks[0].profile == str((params / "profiles" / "mof-2020.yaml").resolve())
    with pytest.raises(FileNotFoundError, match="没有这些单位"):
        batch_module.plan(
            params,
            tmp_path,
            YEAR,
            None,
            ROOT / "notebooks" / "review.ipynb",
            tmp_path,
            "k",
            tmp_path,
            only=["无此单位"],
        )


def test_bundled_seed_reviews_as_the_dump() -> None:
    # parameters/2024/ ships the seed as `evalkit import` writes it; re-run samples/make_parameters.py
    # when the text reader changes.
    from_yaml = review(ROOT / "parameters" / YEAR / "武汉市蔡甸区红十字会.yaml").to_json()
    from_text = review(ROOT / "samples" / "seed" / "000_e048286feab7bdae.txt").to_json()
    assert from_yaml.pop("source") == "samples/seed/000_e048286feab7bdae.txt"
    from_text.pop("source")
    assert from_yaml == from_text
