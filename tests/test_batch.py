"""``evalkit run`` on the bundled samples: one batch per module (fresh kernels, 2 workers) into a
temporary copy of the project, with one broken unit among the good ones."""

from __future__ import annotations

import json
import os
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
from batch_support import copy_project, normalized
from bs4 import BeautifulSoup
from click.testing import CliRunner

from evalkit.batch import plan as batch_plan
from evalkit.batch.plan import code_fingerprint
from evalkit.batch.runner import RunResult, run_batch
from evalkit.cli import cli
from evalkit.pipeline import review
from evalkit.scoring.decisions import Decision, Decisions
from evalkit.workbench.editor import units_in
from evalkit.workbench.store import save_decisions

ROOT = Path(__file__).resolve().parent.parent
YEAR = "2024"
BROKEN = "示例_损坏的填报"
CULTURE = "示例_某区文化和旅游局_公共文化服务提升项目"


def run_culture_here(root: Path) -> RunResult:
    """The culture unit of the project copy ``root``, run with one worker: the executor runs in
    this process, where a test's patches apply."""
    return run_batch(
        year=YEAR,
        jobs=1,
        only=[CULTURE],
        parameters=root / "parameters",
        outputs=root / "outputs",
        progress=False,
    )


@pytest.fixture(scope="module", autouse=True)
def fixed_code_fingerprint() -> Iterator[None]:
    # Other work may edit evalkit while this module runs; the skip test must see the same code.
    # (That a code change does invalidate is tested on its own below.)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(batch_plan, "code_fingerprint", lambda: "fixed-for-this-test-module")
        yield


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    root = copy_project(tmp_path_factory.mktemp("batch"))
    good = units_in(root / "parameters" / YEAR)
    (root / "parameters" / YEAR / f"{BROKEN}.yaml").write_text(
        "format: evalkit-filing/1\nunit: [这不是映射\n", encoding="utf-8"
    )
    started = time.perf_counter()
    # As README's main command runs it: from the project folder, with the relative default folders.
    here = os.getcwd()
    os.chdir(root)
    try:
        result = run_batch(year=YEAR, jobs=2, progress=False)
    finally:
        os.chdir(here)
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


@pytest.mark.slow
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


@pytest.mark.slow
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
            for tr in page.find_all("tr", attrs={"data-key": True, "data-score": True})
        }
        assert rows == {
            i["key"]: (f"{i['score']:.2f}", f"{i['deduction']:.2f}") for i in expected["indicators"]
        }


@pytest.mark.slow
def test_reviewer_decisions_marked_in_report(batch: SimpleNamespace) -> None:
    html = (batch.out / f"{CULTURE}.html").read_text(encoding="utf-8")
    doc = json.loads((batch.out / f"{CULTURE}.json").read_text(encoding="utf-8"))
    assert doc["total"] == 95.40 and doc["deductions"] == 2.0
    marked = {i["key"] for i in doc["indicators"] if i["reviewer"]}
    assert marked == {"g1r1", "g1r5"}
    rows = {
        tr["data-key"]: tr
        for tr in soup(batch.out / f"{CULTURE}.html").find_all(
            "tr", attrs={"data-key": True, "data-score": True}
        )
    }
    assert (rows["g1r5"]["data-score"], rows["g1r5"]["data-deduction"]) == ("7.50", "0.00")
    assert (rows["g1r1"]["data-score"], rows["g1r1"]["data-deduction"]) == ("12.50", "2.00")
    assert [k for k, tr in rows.items() if tr.find("span", class_="tag")] == ["g1r1", "g1r5"]
    assert "复核等次：部分达成" in html and "目标值设置偏低" in html
    assert "示例复核人" in html  # the history of saves


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_unchanged_units_are_skipped(batch: SimpleNamespace, tmp_path: Path) -> None:
    # Work on a copy: the other tests keep asserting on the first run.
    root = tmp_path / "again"
    shutil.copytree(batch.root, root)
    (root / "parameters" / YEAR / f"{BROKEN}.yaml").unlink()
    out = root / "outputs" / YEAR
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("*.html") if p.name != "index.html"}
    # The notebooks were opened and saved in JupyterLab: outputs, counts and widget state written.
    for name in ("review.ipynb", "summary.ipynb"):
        nb = nbformat.read(root / "notebooks" / name, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.execution_count = 7
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="已运行\n")]
        nb.metadata["widgets"] = {
            "application/vnd.jupyter.widget-state+json": {"state": {}, "version_minor": 0}
        }
        nbformat.write(nb, root / "notebooks" / name)

    again = run_batch(
        year=YEAR, jobs=2, parameters=root / "parameters", outputs=root / "outputs", progress=False
    )
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
    third = run_batch(
        year=YEAR, jobs=2, parameters=root / "parameters", outputs=root / "outputs", progress=False
    )
    ran = {o.unit_id for o in third.outcomes if o.status == "ok"}
    assert ran == {CULTURE}
    doc = json.loads((out / f"{CULTURE}.json").read_text(encoding="utf-8"))
    assert doc["total"] == expected_review(filing)["total"] == 92.40


def test_code_change_invalidates(tmp_path: Path) -> None:
    package = tmp_path / "evalkit"
    shutil.copytree(ROOT / "evalkit", package, ignore=shutil.ignore_patterns("__pycache__"))
    before = code_fingerprint(package)
    assert code_fingerprint(package) == before
    (package / "report" / "templates" / "evalkit_report" / "report.css").write_text(
        "/* changed */", encoding="utf-8"
    )
    assert code_fingerprint(package) != before


def test_only_selects_units(tmp_path: Path) -> None:
    params = ROOT / "parameters"
    tasks = batch_plan.plan_units(
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
        batch_plan.plan_units(
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


# ----------------------------------------------------------------------------- executors
@pytest.fixture(scope="module")
def fresh_batch(batch: SimpleNamespace, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """The same project as ``batch`` (warm, the default), run with a fresh kernel per unit."""
    root = copy_project(tmp_path_factory.mktemp("fresh"))
    shutil.copy(batch.root / "parameters" / YEAR / f"{BROKEN}.yaml", root / "parameters" / YEAR)
    result = run_batch(
        year=YEAR,
        jobs=2,
        parameters=root / "parameters",
        outputs=root / "outputs",
        progress=False,
        executor="fresh",
    )
    return SimpleNamespace(root=root, out=root / "outputs" / YEAR, result=result)


@pytest.mark.slow
def test_warm_reports_equal_fresh(batch: SimpleNamespace, fresh_batch: SimpleNamespace) -> None:
    assert batch.result.executor == "warm" and fresh_batch.result.executor == "fresh"
    assert {o.unit_id: o.status for o in fresh_batch.result.outcomes} == {
        o.unit_id: o.status for o in batch.result.outcomes
    }
    pages = sorted(p.name for p in batch.out.glob("*.html"))
    assert pages == sorted(p.name for p in fresh_batch.out.glob("*.html"))
    assert len(pages) == len(batch.good) + 1  # the units and index.html
    for name in pages:
        assert normalized(batch.out / name) == normalized(fresh_batch.out / name), name
    for u in batch.good:
        warm_doc = json.loads((batch.out / f"{u.stem}.json").read_text(encoding="utf-8"))
        fresh_doc = json.loads((fresh_batch.out / f"{u.stem}.json").read_text(encoding="utf-8"))
        for doc in (warm_doc, fresh_doc):
            doc["run"].pop("seconds")
            doc["run"].pop("generated")
        assert warm_doc == fresh_doc
    # The broken unit fails the same way, with papermill's notebook kept.
    (warm_failed,) = batch.result.failed
    (fresh_failed,) = fresh_batch.result.failed
    assert warm_failed.error == fresh_failed.error
    assert (fresh_batch.out / "failed" / f"{BROKEN}.ipynb").is_file()


KILLER = "示例_某区教育局_学生营养改善计划项目"


@pytest.mark.slow
def test_dead_kernel_fails_its_unit_only(tmp_path: Path) -> None:
    # A review notebook that kills its kernel for one unit: that unit is run twice, then reported
    # failed; the others are not disturbed.
    root = copy_project(tmp_path)
    for f in units_in(root / "parameters" / YEAR):
        if f.stem not in (KILLER, CULTURE):
            f.unlink()
    notebook = root / "notebooks" / "review.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell(f"import os\nif {KILLER!r} in unit:\n    os._exit(1)"))
    nbformat.write(nb, notebook)
    result = run_batch(
        year=YEAR, jobs=2, parameters=root / "parameters", outputs=root / "outputs", progress=False
    )
    outcomes = {o.unit_id: o for o in result.outcomes}
    assert outcomes[CULTURE].status == "ok"
    assert outcomes[KILLER].status == "failed" and "DeadKernelError" in outcomes[KILLER].error
    assert outcomes[KILLER].reruns == 1
    assert result.exit_code == 1 and result.index is not None


@pytest.mark.slow
def test_kernel_start_race_does_not_fail_a_unit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import zmq

    from evalkit.batch import kernels

    root = copy_project(tmp_path)
    real_launch = kernels.launch
    calls = []

    def launch(*args: object, **kwargs: object) -> kernels.Kernel:
        calls.append(1)
        if len(calls) == 1:  # the first kernel's port was taken meanwhile
            raise zmq.ZMQError(errno.EADDRINUSE, "Address already in use")
        return real_launch(*args, **kwargs)

    monkeypatch.setattr(kernels, "launch", launch)
    # One worker: the executor runs in this process, where the patch applies.
    result = run_culture_here(root)
    (outcome,) = result.outcomes
    assert outcome.status == "ok" and outcome.start_retries == 1


@pytest.mark.slow
def test_runs_with_nothing_to_do_finish_quickly(tmp_path: Path) -> None:
    # An empty year: the index is rendered once, then every run finds nothing to do and returns.
    root = copy_project(tmp_path)
    empty = root / "parameters" / "2019"  # a year the samples do not have (2023 holds 示例 units)
    empty.mkdir()
    times = []
    for _ in range(6):
        started = time.perf_counter()
        result = run_batch(
            year="2019", parameters=root / "parameters", outputs=root / "outputs", progress=False
        )
        times.append(time.perf_counter() - started)
        assert result.exit_code == 0 and result.index is not None
    assert max(times[1:]) < 2.0, times
    assert times[0] < 15, times  # a kernel started, rendered the index, and was stopped


def test_reused_exporter_renders_like_a_new_one() -> None:
    from evalkit.report import render

    def page(text: str) -> nbformat.NotebookNode:
        nb = nbformat.v4.new_notebook()
        hidden = nbformat.v4.new_markdown_cell("# 说明")
        hidden.metadata["tags"] = [render.HIDE_TAG]
        cell = nbformat.v4.new_code_cell("x")
        cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": f"<p>{text}</p>"})]
        nb.cells = [hidden, cell]
        return nb

    render.exporter.cache_clear()
    first = render.notebook_to_html(page("甲"), "标题甲")
    render.notebook_to_html(page("乙"), "标题乙")  # the exporter keeps nothing of a page
    again = render.notebook_to_html(page("甲"), "标题甲")
    render.exporter.cache_clear()
    assert again == first == render.notebook_to_html(page("甲"), "标题甲")
    assert "<p>甲</p>" in first and "标题甲" in first and "说明" not in first and "乙" not in first


def test_notebook_hash_ignores_what_jupyterlab_writes(tmp_path: Path) -> None:
    # Saving in JupyterLab adds outputs, execution counts and widget state: no unit may re-run.
    source = ROOT / "notebooks" / "review.ipynb"
    before = batch_plan.notebook_fingerprint(source)
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.execution_count = 3
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x\n")]
            cell.metadata["execution"] = {"iopub.status.busy": "2026-12-01T20:50:00Z"}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.metadata["language_info"] = {"name": "python", "version": "3.99"}
    saved = tmp_path / "review.ipynb"
    nbformat.write(nb, saved)
    assert batch_plan.notebook_fingerprint(saved) == before
    # What the report is made from does count: a code cell's source, and the tags.
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    first_code.source += "\nx = 1"
    nbformat.write(nb, saved)
    assert batch_plan.notebook_fingerprint(saved) != before
    first_code.source = first_code.source.removesuffix("\nx = 1")
    first_code.metadata["tags"] = [*first_code.metadata.get("tags", []), "report-hide"]
    nbformat.write(nb, saved)
    assert batch_plan.notebook_fingerprint(saved) != before


@pytest.mark.slow
@pytest.mark.parametrize("notebook", ["current", "older"])
def test_the_word_report_and_last_year_come_with_the_unit(
    tmp_path: Path, notebook: str, caplog: pytest.LogCaptureFixture
) -> None:
    # The notebook writes the Word report from its own review; a workspace's notebook from before
    # its word_report parameter still gets one (the worker writes it), with last year's review.
    root = copy_project(tmp_path)
    if notebook == "older":
        path = root / "notebooks" / "review.ipynb"
        nb = nbformat.read(path, as_version=4)
        last = nb.cells[-1]
        assert "word_report=word_report" in last.source
        last.source = "page.save_result(result_json)"
        params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        params.source = "\n".join(
            line for line in params.source.splitlines() if not line.startswith(("word_report", "history"))
        )
        nbformat.write(nb, path)
    result = run_culture_here(root)
    assert result.exit_code == 0, [o.error for o in result.failed] or result.summary_error
    assert not [r for r in caplog.records if "unknown parameter" in r.getMessage()]  # none passed
    out = root / "outputs" / YEAR
    doc = json.loads((out / f"{CULTURE}.json").read_text(encoding="utf-8"))
    assert doc["run"]["word"] == f"word/{CULTURE}.docx"
    assert doc["run"]["last_year"]["year"] == 2023 and doc["run"]["last_year"]["total"] is not None
    from docx import Document

    text = "\n".join(p.text for p in Document(str(out / "word" / f"{CULTURE}.docx")).paragraphs)
    assert "上年度（2023年）复核得分" in text and CULTURE.split("_")[1] in text
