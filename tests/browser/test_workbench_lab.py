"""The workbench as a reviewer uses it, in Debian's Chromium driven by Playwright.

(a) every report and the index open from disk with no request leaving ``file://``, no console
error, and every link resolving; (b) a live JupyterLab, started as README says (the project's
``etc/jupyter`` settings) on a copy of the workspace: run ``review.ipynb``, record decisions and a
finding's disposition, save, check the ``.review.yaml`` and the re-rendered report, and check that
saving the notebook left it byte for byte as committed and ``evalkit run`` re-ran only that unit;
(c) ``summary.ipynb``: filter by grade, follow a unit's link to its report.

Each step leaves a screenshot in the test's folder (kept on failure; copied to
``$EVALKIT_BROWSER_SHOTS`` when that is set).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import yaml

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
FARM = "示例_某区农业农村局_高标准农田建设项目"
TOKEN = "lab-token-for-the-test"
REVIEWER = "浏览器复核人"
REASON = "目标值明显偏低，按偏离度调减2分"
SET_ASIDE = "已核实竣工验收单，11月28日完工"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def _env(tmp: Path) -> dict[str, str]:
    return dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        MPLBACKEND="Agg",
        JUPYTER_CONFIG_PATH=str(tmp / "workspace" / "etc" / "jupyter"),  # as README says
        JUPYTERLAB_SETTINGS_DIR=str(tmp / "lab-user-settings"),  # not the machine's own
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "lab-workspaces"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.invalid",
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """A git-tracked copy of the workspace with the year's reports rendered once."""
    tmp = tmp_path_factory.mktemp("lab")
    ws = tmp / "workspace"
    for name in ("notebooks", "parameters", "etc"):
        shutil.copytree(ROOT / name, ws / name, ignore=shutil.ignore_patterns("*.lock", ".ipynb_checkpoints"))
    shutil.copy(ROOT / ".gitignore", ws / ".gitignore")
    (ws / "outputs").mkdir()
    env = _env(tmp)
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "workspace"]):
        subprocess.run(cmd, cwd=ws, env=env, check=True)
    first = _run([sys.executable, "-m", "evalkit.cli", "run", "--year", "2024", "--jobs", "2"], ws, env)
    assert first.returncode == 0, first.stdout + first.stderr
    yield ws, env


class Shots:
    """Numbered screenshots of each step."""

    def __init__(self, folder: Path, page) -> None:
        self.folder, self.page, self.n = folder, page, 0
        folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, name: str) -> None:
        self.n += 1
        self.page.screenshot(path=str(self.folder / f"{self.n:02d}-{name}.png"), full_page=False)

    def keep(self) -> None:
        target = os.environ.get("EVALKIT_BROWSER_SHOTS")
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            for f in self.folder.glob("*.png"):
                shutil.copy(f, Path(target) / f"{self.folder.name}-{f.name}")


@pytest.fixture()
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


# ------------------------------------------------------------------------------------ (a)
def test_reports_open_offline_with_no_console_error_and_links_resolving(workspace, browser, tmp_path) -> None:
    ws, _ = workspace
    out = ws / "outputs" / "2024"
    pages = sorted(out.glob("*.html"))
    assert out / "index.html" in pages and len(pages) == 7  # six units and the index
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    shots = Shots(tmp_path / "reports", page)
    left_file: list[str] = []
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))

    def guard(route) -> None:
        url = route.request.url
        if url.startswith(("file://", "data:")):
            route.continue_()
        else:
            left_file.append(url)
            route.abort()

    page.route("**/*", guard)
    try:
        for html in pages:
            page.goto(html.as_uri())
            page.wait_for_load_state("load")
            hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
            for href in hrefs:
                parsed = urlparse(href)
                assert parsed.scheme == "file", f"{html.name}: link leaves file:// ({href})"
                target = Path(unquote(parsed.path))
                assert target.is_file(), f"{html.name}: link {href} does not resolve"
                if parsed.fragment and target == html:
                    found = page.evaluate("id => !!document.getElementById(id)", unquote(parsed.fragment))
                    assert found, f"{html.name}: no anchor #{parsed.fragment}"
            if html.name == "index.html":
                assert len(hrefs) >= 6  # every unit's report is linked
                shots("index")
            elif html.stem == FARM:
                shots("report")
        assert left_file == [], left_file
        assert errors == [], errors
    finally:
        shots.keep()
        page.close()


# ------------------------------------------------------------------------------------ (b)
@pytest.fixture()
def lab(workspace, tmp_path: Path) -> Iterator[tuple[Path, dict[str, str], str]]:
    ws, env = workspace
    settings = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab" / "docmanager-extension"
    settings.mkdir(parents=True, exist_ok=True)
    # Autosave every 3 s, so the test sees JupyterLab's autosave as a reviewer's session would.
    (settings / "plugin.jupyterlab-settings").write_text(json.dumps({"autosaveInterval": 3}), "utf-8")
    port = _free_port()
    log = open(tmp_path / "lab.log", "wb")  # noqa: SIM115  # closed after the server stops
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={TOKEN}",
            *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),  # CI runs as root
            "notebooks/review.ipynb",
        ],
        cwd=ws,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (tmp_path / "lab.log").read_text("utf-8", "replace")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "JupyterLab did not start listening"
            time.sleep(0.5)
        yield ws, env, f"http://127.0.0.1:{port}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
        log.close()


def _open_and_run_all(page, url: str, path: str, ready: str) -> None:
    page.goto(f"{url}/lab/tree/{path}?token={TOKEN}")
    page.locator(".jp-Notebook").first.wait_for(timeout=120_000)
    # JupyterLab may ask which kernel to start (选择内核): take the notebook's own, as a reviewer would.
    dialog = page.locator(".jp-Dialog").get_by_role("button", name="选择", exact=True)
    try:
        dialog.wait_for(timeout=8_000)
        dialog.click()
    except Exception:  # no dialog: the kernel started by itself
        pass
    page.get_by_text(re.compile(r"Python 3 \(ipykernel\) \| 空闲")).wait_for(timeout=120_000)
    page.get_by_role("menuitem", name="运行", exact=True).click()  # the Chinese JupyterLab
    page.get_by_role("menuitem", name="运行所有单元格", exact=True).click()
    page.locator(ready).first.wait_for(timeout=180_000)


def _wait_saved(path: Path, since: float, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while path.stat().st_mtime <= since:
        assert time.monotonic() < deadline, f"{path.name} was not saved"
        time.sleep(0.3)


def _field(scope, label: str):
    """The input of the ipywidgets field whose description is ``label``."""
    return (
        scope.locator(".widget-inline-hbox", has=scope.page.locator("label", has_text=label))
        .locator("input, select")
        .first
    )


def test_review_in_jupyterlab_saves_exact_decisions_and_leaves_the_notebook_clean(
    lab, browser, tmp_path
) -> None:
    ws, env, url = lab
    notebook = ws / "notebooks" / "review.ipynb"
    committed = notebook.read_bytes()
    decisions_file = ws / "parameters" / "2024" / f"{FARM}.review.yaml"
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(90_000)  # every change re-scores in the kernel; the machine may be busy
    shots = Shots(tmp_path / "review", page)
    try:
        opened = time.time()
        _open_and_run_all(page, url, "notebooks/review.ipynb", "button:has-text('保存复核意见')")
        assert page.get_by_role("menuitem", name="文件", exact=True).is_visible()  # zh-CN pack selected
        wb = page.locator(".ek-workbench")
        shots("run-all")

        _field(wb, "单位").select_option(label=FARM)
        wb.locator(".ek-row-g1r8", has_text="1-8 工程管护机制是否建立").wait_for()  # the new unit's row
        wb.get_by_text(f"已打开 {FARM}.yaml").wait_for()
        _field(wb, "复核人").fill(REVIEWER)
        _field(wb, "复核人").press("Enter")
        row8 = wb.locator(".ek-row-g1r8")
        _field(row8, "等次").select_option(label="未达成")
        row8.get_by_text("调整为6.00").wait_for()  # rule score 10 moved to the tier's nearest bound
        _field(row8, "得分").fill("0")
        _field(row8, "得分").press("Enter")
        wb.locator("[data-total='87.60']").first.wait_for()
        shots("tier-and-zero")

        row6 = wb.locator(".ek-row-g1r6")
        _field(row6, "扣分").fill("2")
        _field(row6, "扣分").press("Enter")
        row6.get_by_text("有扣分但未写扣分理由").wait_for()
        wb.get_by_role("button", name="保存复核意见").click()
        wb.get_by_text("未保存：1-6 新增粮食产能：有扣分但未写扣分理由").wait_for()
        assert not decisions_file.exists()  # refused: nothing written
        shots("deduction-refused")
        row6.get_by_placeholder("扣分理由").fill(REASON)
        row6.get_by_placeholder("扣分理由").press("Enter")
        wb.locator("[data-total='85.60']").first.wait_for()
        shots("deduction-with-reason")

        wb.locator(".lm-TabBar-tab, .p-TabBar-tab", has_text="复核发现").click()
        late = wb.locator(".ek-finding-D102")
        _field(late, "处置").select_option(label="不采纳")
        late.get_by_placeholder("不采纳理由").fill(SET_ASIDE)
        late.get_by_placeholder("不采纳理由").press("Enter")
        late.locator("s").first.wait_for()
        shots("finding-set-aside")

        wb.get_by_role("button", name="保存复核意见").click()
        wb.get_by_text("已保存到").wait_for(timeout=30_000)
        assert re.search(r"已保存到 .*（\d{4}-\d{2}-\d{2} \d{2}:\d{2}，" + REVIEWER, wb.inner_text())
        shots("saved")

        # Autosave has run meanwhile and Ctrl+S saves once more: the file is as committed.
        _wait_saved(notebook, opened)
        before = notebook.stat().st_mtime
        page.locator(".jp-Cell").first.click()
        page.keyboard.press("Control+s")
        _wait_saved(notebook, before)
        shots("ctrl-s")
    except Exception:
        shots("failure")
        raise
    finally:
        shots.keep()
        page.close()

    assert notebook.read_bytes() == committed
    saved = yaml.safe_load(decisions_file.read_text("utf-8"))
    assert saved["items"] == {
        "g1r6": {"deduction": 2.0, "reason": REASON},
        "g1r8": {"tier": "not_achieved", "score": 0.0},
    }
    assert saved["findings"] == [
        {
            "key": "D102@g1r4",
            "code": "D102",
            "where": saved["findings"][0]["where"],
            "disposition": "set_aside",
            "reason": SET_ASIDE,
            "message": saved["findings"][0]["message"],
        }
    ]
    assert saved["findings"][0]["where"].startswith("目标1 第4行")
    assert (saved["reviewer"], saved["first_reviewer"], saved["profile"]) == (REVIEWER, REVIEWER, "mof-2020")
    assert [h["who"] for h in saved["history"]] == [REVIEWER]
    # The repository holds exactly one change: the decisions the reviewer saved.
    status = subprocess.run(
        ["git", "-c", "core.quotepath=false", "status", "--porcelain"], cwd=ws, capture_output=True, text=True
    ).stdout
    assert status.splitlines() == [f"?? parameters/2024/{FARM}.review.yaml"], status

    again = _run([sys.executable, "-m", "evalkit.cli", "run", "--year", "2024"], ws, env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "完成1个，跳过5个" in again.stdout + again.stderr  # only the unit with new decisions
    from bs4 import BeautifulSoup

    report = BeautifulSoup((ws / "outputs" / "2024" / f"{FARM}.html").read_text("utf-8"), "html.parser")
    total = report.select_one("[data-total]")
    assert (total["data-total"], total["data-grade"]) == ("85.60", "良")  # 97.60 − 10 (the 0) − 2
    rows = {tr["data-key"]: tr for tr in report.select("tr[data-key]")}
    assert (rows["g1r8"]["data-score"], rows["g1r8"]["data-final"]) == ("0.00", "0.00")
    assert (rows["g1r6"]["data-deduction"], rows["g1r6"]["data-final"]) == ("2.00", "8.00")
    assert REASON in rows["g1r6"].get_text()
    (struck,) = report.select("tr.set-aside")
    assert struck["data-code"] == "D102" and struck.select_one("s") is not None
    assert SET_ASIDE in struck.get_text() and "不采纳" in struck.get_text()
    index = BeautifulSoup((ws / "outputs" / "2024" / "index.html").read_text("utf-8"), "html.parser")
    assert index.select_one(f"tr[data-unit='{FARM}'] [data-review-status]")["data-review-status"] == "复核中"


# ------------------------------------------------------------------------------------ (c)
def test_summary_in_jupyterlab_filters_and_links_to_the_report(lab, browser, tmp_path) -> None:
    ws, _, url = lab
    notebook = ws / "notebooks" / "summary.ipynb"
    committed = notebook.read_bytes()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(90_000)
    shots = Shots(tmp_path / "summary", page)
    try:
        _open_and_run_all(page, url, "notebooks/summary.ipynb", ".jp-OutputArea-output a[href*='.html']")
        controls = page.locator(".widget-vbox").filter(has=page.locator("label", has_text="复核状态")).first
        shots("run-all")
        results = ws / "outputs" / "2024"
        grades = {f.stem: json.loads(f.read_text("utf-8")).get("grade") for f in results.glob("*.json")}
        grade = grades[FARM]
        _field(controls, "等级").select_option(label=grade)
        units = controls.locator(".jp-OutputArea-output tr[data-unit]")
        page.wait_for_function(
            "([sel, n]) => document.querySelectorAll(sel).length === n",
            arg=[
                ".widget-vbox .jp-OutputArea-output tr[data-unit]",
                sum(g == grade for g in grades.values()),
            ],
            timeout=30_000,
        )
        shown = {units.nth(i).get_attribute("data-unit") for i in range(units.count())}
        assert FARM in shown and shown == {u for u, g in grades.items() if g == grade}
        shots("filtered")
        controls.locator(f"tr[data-unit='{FARM}'] a").click()
        tab = page.locator(".lm-TabBar-tab", has_text=f"{FARM}.html")
        tab.wait_for(timeout=60_000)
        frame = page.frame_locator(".jp-HTMLViewer iframe, iframe").last
        frame.locator("h1").wait_for(timeout=60_000)
        name = json.loads((results / f"{FARM}.json").read_text("utf-8"))["unit"]
        assert frame.locator("h1").inner_text() == name  # the unit's report, opened in a JupyterLab tab
        shots("report-opened")
        page.locator(".lm-TabBar-tab", has_text="summary.ipynb").click()  # Ctrl+S saves the active tab
        before = notebook.stat().st_mtime
        page.keyboard.press("Control+s")
        _wait_saved(notebook, before)
    except Exception:
        shots("failure")
        raise
    finally:
        shots.keep()
        page.close()
    assert notebook.read_bytes() == committed
