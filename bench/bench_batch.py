"""Batch speed: the naive papermill loop against ``evalkit run`` (fresh and warm) and a no-kernel floor.

    python bench/bench_batch.py --n 100 --modes naive,naive-p,fresh,warm,dask,floor --jobs 2 --rounds 3

Makes N synthetic units (10–40 indicators each, every value notation evalkit reads) in a temporary
project, then measures, one mode after the other on the same units:

- ``naive``: the shell loop a user writes first — ``papermill`` then ``jupyter nbconvert --to html
  --no-input`` per unit, one after the other;
- ``naive-p``: the same loop under ``xargs -P <jobs>`` (the naive loop at equal parallelism);
- ``dask``: ``evalkit run --scheduler local --jobs J`` (a Dask LocalCluster, evalkit.batch.cluster);
- ``fresh``: ``evalkit run --executor fresh`` (papermill, a new kernel per unit, ``--jobs`` workers);
- ``warm``: ``evalkit run --executor warm`` (kept, prewarmed kernels reset between units);
- ``floor``: the same evalkit computations and charts written straight to HTML and JSON in Python
  (with each unit's Word report and the year's summary files, as ``evalkit run`` writes them),
  with no kernel and no notebook (``--jobs`` processes).

It prints, per mode, wall seconds per unit (the units' phase; the summary page is reported
separately) and CPU seconds per unit of the whole process tree (user + system of every process the
mode started, reaped children included: ``getrusage(RUSAGE_CHILDREN)`` around the mode;
``--sample`` checks that figure once against psutil sampling of the tree). ``--rounds R`` runs the
modes R times, interleaved (the order rotates each round), and prints medians with their range.
With ``--fixed-n M`` (default 2, when below N) every mode also runs at M units each round, which
separates the fixed CPU of a run from the marginal CPU per unit (a line through the two sizes).
The ratios are naive/fresh (a/b), naive/warm (a/c), naive-p/warm at equal parallelism, warm/floor
(c/d) and dask/warm, in CPU and wall; and the peak memory of the orchestrator process (``evalkit
run`` itself; its workers and kernels are reported apart). ``--n 100,2000`` runs each mode at each size and adds a linearity line. It is a benchmark,
not a test: ``tests/test_bench.py`` only runs it at a tiny N to show that it works.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
YEAR = "2024"
MODES = ("naive", "naive-p", "fresh", "warm", "dask", "floor")

# (level1, level2, name, target, actual): every notation the value parser knows, met and unmet.
ROWS = [
    ("产出指标", "数量指标", "新建高标准农田面积", "≥5000亩", "5200亩"),
    ("产出指标", "数量指标", "开展培训场次", "不少于20场", "18场"),
    ("产出指标", "数量指标", "服务人次", "约3000人次", "3150人次"),
    ("产出指标", "数量指标", "受益户数", "1200户左右", "近1300户"),
    ("产出指标", "数量指标", "举办活动次数", "100余场", "126场"),
    ("产出指标", "数量指标", "新增设备数量", ">10台", "12台"),
    ("产出指标", "数量指标", "覆盖社区个数", "两个以上", "3个"),
    ("产出指标", "质量指标", "工程验收合格率", "=100%", "100%"),
    ("产出指标", "质量指标", "资金使用合规率", "达到100%", "98.5%"),
    ("产出指标", "质量指标", "设备完好率", "≥95%", "96.20%"),
    ("产出指标", "质量指标", "投诉办结率", "不低于90%", "88%"),
    ("产出指标", "质量指标", "差错率", "≤1%", "0.6%"),
    ("产出指标", "质量指标", "返工率", "<3%", "4.5%"),
    ("产出指标", "质量指标", "是否按规定公示", "是", "是"),
    ("产出指标", "质量指标", "是否发生安全事故", "否", "否"),
    ("产出指标", "质量指标", "档案资料完整性", "完整", "基本完整"),
    ("产出指标", "时效指标", "项目完工时间", "2024年11月底前", "2024年12月完成"),
    ("产出指标", "时效指标", "资金拨付时间", "12月底前", "11月完成"),
    ("产出指标", "时效指标", "年度任务完成时间", "年底前完成", "2024-12-20"),
    ("产出指标", "时效指标", "采购完成时间", "上半年", "2024年7月"),
    ("产出指标", "时效指标", "报告报送及时性", "及时", "及时"),
    ("产出指标", "成本指标", "亩均建设成本", "≤2000元", "1950元"),
    ("产出指标", "成本指标", "人均培训成本", "不超过800元", "820元"),
    ("产出指标", "成本指标", "项目总成本", "控制在1200万元以内", "1180万元"),
    ("产出指标", "成本指标", "单位运维成本", "≤15万元/年", "—"),
    ("效益指标", "经济效益指标", "新增粮食产能", "≥100万斤", "180万斤"),
    ("效益指标", "经济效益指标", "带动就业人数", "≥50人", "#REF!"),
    ("效益指标", "社会效益指标", "居民健康素养水平", "达成预期指标", "部分达成预期指标并具有一定效果"),
    ("效益指标", "社会效益指标", "群众知晓率", "≥85%", "90%"),
    ("效益指标", "社会效益指标", "社会影响", "显著提升", "有所提升"),
    ("效益指标", "社会效益指标", "服务水平", "明显提高", "未达成"),
    ("效益指标", "生态效益指标", "垃圾分类准确率", "提高5个百分点", "提高6个百分点"),
    ("效益指标", "生态效益指标", "绿化覆盖率", "≥40%", "41.5%"),
    ("效益指标", "可持续影响指标", "长效管护机制", "建立健全", "已建立"),
    ("效益指标", "可持续影响指标", "工程管护机制是否建立", "是", "否"),
    ("效益指标", "可持续影响指标", "持续发挥作用年限", "≥10年", ""),
    ("效益指标", "可持续影响指标", "制度完善程度", "持续推进", "???"),
    ("满意度指标", "服务对象满意度指标", "受益群众满意度", "≥90%", "96%"),
    ("满意度指标", "服务对象满意度指标", "参训人员满意度", "90%以上", "约92%"),
    ("满意度指标", "服务对象满意度指标", "社会公众满意度", "≥85%", "N/A"),
]
DEPARTMENTS = [
    "农业农村局",
    "卫生健康局",
    "教育局",
    "城市管理局",
    "文化和旅游局",
    "民政局",
    "水务局",
    "交通运输局",
]
REASONS = ["受征地协调影响部分工程延后，已列入下年度计划。", "", "", "受天气影响进度滞后，已督促加快。"]


def make_filing(i: int, rng: random.Random) -> Any:
    """One synthetic unit: 10–40 indicators drawn from :data:`ROWS`, a budget, a declared score."""
    from evalkit.model import KIND_DEPARTMENT, KIND_PROJECT, Budget, Filing, Goal, Indicator, Paragraph, Unit

    project = i % 2 == 0
    dept = DEPARTMENTS[i % len(DEPARTMENTS)]
    count = rng.randint(10, 40)
    picked = [ROWS[(i + k * 7) % len(ROWS)] if k < len(ROWS) else rng.choice(ROWS) for k in range(count)]
    picked.sort(key=lambda r: ("产出指标", "效益指标", "满意度指标").index(r[0]))
    goals_n = 1 if count < 25 else 2
    goals = [
        Goal(index=g + 1, title=f"年度目标{g + 1}：完成{dept}重点任务，提升服务水平。")
        for g in range(goals_n)
    ]
    weight = round(90 / count, 2) if project else None
    for k, (l1, l2, name, target, actual) in enumerate(picked):
        goal = goals[k * goals_n // count]
        goal.indicators.append(
            Indicator(
                goal=goal.index,
                row=len(goal.indicators) + 1,
                name=f"{name}{'' if k < len(ROWS) else k}",
                level1=l1,
                level2=l2,
                level1_raw=l1,
                level2_raw=l2,
                target_text=target,
                actual_text=actual,
                weight=weight,
                self_score=weight if project and rng.random() < 0.9 else (0.0 if project else None),
                reason=rng.choice(REASONS),
            )
        )
    planned = round(rng.uniform(80, 9000), 2)
    executed = round(planned * rng.uniform(0.6, 1.02), 2)
    return Filing(
        unit=Unit(
            name=f"基准 某区{dept} {'项目' if project else '部门整体'}{i:05d}",
            kind=KIND_PROJECT if project else KIND_DEPARTMENT,
            year=int(YEAR),
            department=f"某区{dept}",
            implementer=f"某区{dept}服务中心" if project else "",
            filing_date="2025.3.20",
            declared_total=round(rng.uniform(80, 100), 1),
            declared_grade="优",
        ),
        budget=Budget(
            planned=planned,
            executed=executed,
            stated_rate=round(executed / planned * 100, 2),
            max_points=10.0 if project else None,
            stated_score=9.5 if project else None,
            rate_basis="planned",
        ),
        goals=goals,
        narrative=[Paragraph(index=1, text="（基准测试用合成数据，非真实单位。）")],
        source="",
        source_format="yaml",
    )


def make_project(root: Path, n: int, seed: int = 2024) -> Path:
    """A project folder with ``parameters/<YEAR>/`` holding ``n`` synthetic units, profiles, notebooks."""
    from evalkit.readers.yamlform import unit_id, write_yaml

    shutil.copytree(ROOT / "parameters" / "profiles", root / "parameters" / "profiles")
    shutil.copytree(
        ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    year_dir = root / "parameters" / YEAR
    rng = random.Random(seed)
    for i in range(n):
        filing = make_filing(i, rng)
        write_yaml(filing, year_dir / f"{unit_id(filing)}.yaml")
    return root


# ------------------------------------------------------------------------------------- modes
def run_naive(root: Path, out: Path, jobs: int = 1) -> dict[str, Any]:
    """papermill CLI, then ``jupyter nbconvert --to html --no-input``, per unit; ``jobs`` > 1 runs the
    same per-unit script under ``xargs -P jobs`` (the naive loop at equal parallelism)."""
    from evalkit.batch.kernels import ensure_kernel

    kernel = ensure_kernel()  # the same interpreter and kernel spec as evalkit run
    out.mkdir(parents=True, exist_ok=True)
    units = sorted(
        p for p in (root / "parameters" / YEAR).glob("*.yaml") if not p.name.endswith(".review.yaml")
    )
    notebook = root / "notebooks" / "review.ipynb"
    bindir = Path(sys.executable).parent
    papermill = (
        str(bindir / "papermill") if (bindir / "papermill").exists() else f"{sys.executable} -m papermill"
    )
    jupyter = str(bindir / "jupyter") if (bindir / "jupyter").exists() else f"{sys.executable} -m jupyter"
    profile = root / "parameters" / "profiles" / "mof-2020.yaml"
    # One unit, as a user's shell loop would run it (parameters as evalkit run gives them: a full
    # profile path, since the kernel runs in notebooks/). Prints the unit when it failed.
    script = out / "naive-unit.sh"
    script.write_text(
        "#!/bin/sh\n"
        'stem=$(basename "$1" .yaml)\n'
        f'{papermill} "{notebook}" "{out}/$stem.ipynb" -p unit "$1" -p profile "{profile}" '
        f'-p result_json "{out}/$stem.json" -p interactive False -k {kernel} --cwd "{root / "notebooks"}" '
        "--no-progress-bar >/dev/null 2>&1 &&\n"
        f'{jupyter} nbconvert --to html --no-input "{out}/$stem.ipynb" >/dev/null 2>&1 || echo "FAILED $1"\n',
        encoding="utf-8",
    )
    listing = "\n".join(str(u) for u in units) + "\n"
    before = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.run(
        ["xargs", "-P", str(max(jobs, 1)), "-n", "1", "sh", str(script)],
        input=listing,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    cpu = _children_cpu() - before  # xargs, sh, papermill, nbconvert and the kernels, all reaped
    failed = sum(1 for line in proc.stdout.splitlines() if line.startswith("FAILED "))
    return {"units": len(units), "failed": failed, "units_seconds": seconds, "cpu_seconds": cpu}


def run_evalkit(
    root: Path,
    out: Path,
    executor: str,
    jobs: int,
    restart_every: int,
    scheduler: str | None = None,
    sample: bool = False,
) -> dict[str, Any]:
    """``evalkit run`` in its own process (so its peak memory is its own); returns its timings.

    ``sample``: also sum the CPU of the process tree by polling it with psutil (every process seen,
    its last reading), to check the rusage figure."""
    code = (
        "import json, resource, sys, time\n"
        "from evalkit.batch.runner import run_batch\n"
        "t = time.perf_counter()\n"
        f"r = run_batch(year={YEAR!r}, jobs={jobs}, force=True, parameters={str(root / 'parameters')!r}, "
        f"outputs={str(out)!r}, progress=False, executor={executor!r}, restart_every={restart_every}, "
        f"scheduler={scheduler!r})\n"
        "self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "ran = [o for o in r.outcomes if o.status != 'skipped']\n"
        "print(json.dumps({'units': len(ran), 'failed': len(r.failed), 'units_seconds': r.units_seconds,"
        " 'summary_seconds': r.summary_seconds, 'total_seconds': time.perf_counter() - t,"
        " 'summary_error': r.summary_error, 'peak_rss_kb': self, 'child_peak_rss_kb': kids,"
        " 'start_retries': sum(o.start_retries for o in ran), 'reruns': sum(o.reruns for o in ran),"
        " 'errors': sorted({o.error for o in r.failed})[:3]}))\n"
    )
    before = _children_cpu()
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    sampled = _sample_tree(proc) if sample else None
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"evalkit run ({executor}) failed:\n{stderr[-3000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    # CPU of the whole run (orchestrator, workers, kernels: every process it waited for), which a
    # shared machine's load disturbs far less than wall time.
    result["cpu_seconds"] = _children_cpu() - before
    if sampled is not None:
        result["sampled_cpu_seconds"] = sampled
    return result


def _sample_tree(proc: subprocess.Popen, every: float = 0.1) -> float:
    """CPU seconds of ``proc`` and its descendants, polled until it exits (psutil)."""
    import psutil

    seen: dict[tuple[int, float], float] = {}  # (pid, create time) -> last user+system reading
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        for p in tree:
            try:
                with p.oneshot():
                    t = p.cpu_times()
                    seen[(p.pid, p.create_time())] = t.user + t.system
            except psutil.Error:
                continue
        time.sleep(every)
    return sum(seen.values())


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _floor_unit(args: tuple[str, str, str]) -> bool:
    """One unit without a kernel: review, the report's sections (with both charts), HTML and JSON."""
    filing, profile, out = args
    from evalkit.fileio import atomic_write_text
    from evalkit.report import sections as report

    rv = report.load(filing, profile)
    sections = [
        report.header_html(rv),
        report.budget_html(rv),
        report.indicators_html(rv),
        report.findings_html(rv),
        report.decisions_html(rv) + report.footer_html(rv),
    ]
    stem = Path(filing).stem
    atomic_write_text(Path(out) / f"{stem}.html", _page("".join(sections)))
    atomic_write_text(Path(out) / f"{stem}.json", json.dumps(report.result_document(rv), ensure_ascii=False))
    # The unit's Word 复核报告 from the same review, as the review notebook writes it.
    from evalkit.report import conclusion, word

    word.write_report_from(
        rv, Path(out) / "word" / f"{stem}.docx", conclusion.last_year(rv, Path(out).parent)
    )
    return True


def _page(body: str) -> str:
    """A floor page: the report's stylesheet inline around ``body``."""
    from evalkit.report import sections as report

    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<style>{report.css()}</style></head><body class='ek'><main>{body}</main></body></html>"
    )


def _floor_summary(out: Path) -> None:
    """The year's summary without a notebook: index.html, summary.xlsx, 复核底稿.xlsx, the year's Word."""
    from evalkit.fileio import atomic_write_text
    from evalkit.report import index as summary
    from evalkit.report.workpaper import write_year_deliverables

    results = summary.load_results(out)
    summary.write_excel(results, out / "summary.xlsx")
    write_year_deliverables(results, out, YEAR)
    page = summary.Summary(out, YEAR)
    parts = [page.header(), page.units(), page.charts(), page.ranking(), page.findings()]
    body = "".join(part.data for part in parts if part is not None)
    atomic_write_text(out / "index.html", _page(body))


def _floor_warm() -> None:
    # What a worker of the floor imports once (as a warm kernel does): not per unit.
    from evalkit.report import charts, sections  # noqa: F401

    charts.setup_cjk_font()


def run_floor(root: Path, out: Path, jobs: int) -> dict[str, Any]:
    """The no-kernel floor in ``jobs`` processes (imports done before the clock starts)."""
    import multiprocessing

    out.mkdir(parents=True, exist_ok=True)
    profile = str(root / "parameters" / "profiles" / "mof-2020.yaml")
    units = sorted(
        p for p in (root / "parameters" / YEAR).glob("*.yaml") if not p.name.endswith(".review.yaml")
    )
    args = [(str(u), profile, str(out)) for u in units]
    ctx = multiprocessing.get_context("spawn")
    before_self, before_kids = time.process_time(), _children_cpu()
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_floor_warm) as pool:
        list(pool.map(time.sleep, [0.5] * jobs))  # the workers exist and have imported
        started = time.perf_counter()
        done = list(pool.map(_floor_unit, args, chunksize=1))
        seconds = time.perf_counter() - started
        summary_started = time.perf_counter()
        pool.submit(_floor_summary, out).result()
        summary_seconds = time.perf_counter() - summary_started
    cpu = time.process_time() - before_self + _children_cpu() - before_kids  # workers reaped by now
    return {
        "units": len(units),
        "failed": done.count(False),
        "units_seconds": seconds,
        "summary_seconds": summary_seconds,
        "cpu_seconds": cpu,
    }


# ------------------------------------------------------------------------------------- report
def cpu_per_unit(r: dict[str, Any] | None) -> float | None:
    """CPU seconds per unit of a whole mode run (all its processes; includes the summary)."""
    return r["cpu_seconds"] / r["units"] if r and r.get("units") and "cpu_seconds" in r else None


def per_unit(r: dict[str, Any] | None) -> float | None:
    """Seconds per unit of a mode's units phase."""
    return r["units_seconds"] / r["units"] if r and r.get("units") else None


def _med(values: list[float]) -> float:
    return statistics.median(values)


def _spread(values: list[float], digits: int = 3) -> str:
    """``median [min–max]`` (just the value for one round)."""
    if not values:
        return "—"
    med = f"{_med(values):.{digits}f}"
    return med if len(values) == 1 else f"{med} [{min(values):.{digits}f}–{max(values):.{digits}f}]"


def fixed_marginal(runs: list[dict[str, Any]], small: list[dict[str, Any]]) -> tuple[float, float] | None:
    """(fixed CPU s per run, marginal CPU s per unit): the line through the median CPU at two sizes."""
    if not runs or not small or "cpu_seconds" not in runs[0] or "cpu_seconds" not in small[0]:
        return None
    n, m = runs[0]["units"], small[0]["units"]
    if n <= m:
        return None
    big, little = _med([r["cpu_seconds"] for r in runs]), _med([r["cpu_seconds"] for r in small])
    marginal = (big - little) / (n - m)
    return big - marginal * n, marginal


def table(
    n: int,
    jobs: int,
    results: dict[str, list[dict[str, Any]]],
    small: dict[str, list[dict[str, Any]]] | None = None,
) -> str:
    """The printed result of one size: medians over the rounds with their ranges."""
    small = small or {}
    rounds = max((len(v) for v in results.values()), default=0)
    lines = [
        f"N={n} units, jobs={jobs}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {rounds} round(s), "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end",
        f"{'mode':<8}{'units':>6}{'failed':>7}  {'wall s/unit':<22}{'cpu s/unit':<22}{'fixed cpu s':>12}"
        f"{'cpu s/unit marg.':>17}{'summary s':>10}{'orch. peak MB':>15}{'workers MB':>12}{'retries':>9}",
    ]
    for mode in MODES:
        runs = results.get(mode)
        if not runs:
            continue
        last = runs[-1]
        walls = [per_unit(r) for r in runs]
        cpus = [c for c in (cpu_per_unit(r) for r in runs) if c is not None]
        fm = fixed_marginal(runs, small.get(mode, []))
        rss = f"{max(r['peak_rss_kb'] for r in runs) / 1024:.0f}" if "peak_rss_kb" in last else "—"
        kids = (
            f"{max(r['child_peak_rss_kb'] for r in runs) / 1024:.0f}" if "child_peak_rss_kb" in last else "—"
        )
        summary = f"{_med([r['summary_seconds'] for r in runs]):.1f}" if "summary_seconds" in last else "—"
        retries = (
            f"{sum(r.get('start_retries', 0) for r in runs)}/{sum(r.get('reruns', 0) for r in runs)}"
            if "start_retries" in last
            else "—"
        )
        lines.append(
            f"{mode:<8}{last['units']:>6}{max(r['failed'] for r in runs):>7}  {_spread(walls):<22}{_spread(cpus):<22}"
            f"{f'{fm[0]:.1f}' if fm else '—':>12}{f'{fm[1]:.3f}' if fm else '—':>17}"
            f"{summary:>10}{rss:>15}{kids:>12}{retries:>9}"
        )
    ratios = []
    for label, a, b in (
        ("a/b naive/fresh", "naive", "fresh"),
        ("a/c naive/warm", "naive", "warm"),
        ("naive-p/warm (equal parallelism)", "naive-p", "warm"),
        ("c/d warm/floor", "warm", "floor"),
        ("dask/warm", "dask", "warm"),
    ):
        ra, rb = results.get(a), results.get(b)
        if not ra or not rb:
            continue
        wall = _med([per_unit(r) for r in ra]) / _med([per_unit(r) for r in rb])
        part = f"{label}: wall {wall:.1f}x"
        ca = [c for c in (cpu_per_unit(r) for r in ra) if c is not None]
        cb = [c for c in (cpu_per_unit(r) for r in rb) if c is not None]
        if ca and cb:
            part += f", cpu {_med(ca) / _med(cb):.2f}x"
        fa, fb = fixed_marginal(ra, small.get(a, [])), fixed_marginal(rb, small.get(b, []))
        if fa and fb and fb[1] > 0:
            part += f", marginal cpu {fa[1] / fb[1]:.2f}x"
        ratios.append(part)
    if ratios:
        lines.append("ratios: " + "; ".join(ratios))
    lines.append(
        "(wall s/unit: wall time of the units' phase / N; cpu s/unit: user+system CPU of every process of the"
        " mode (reaped children included; evalkit run's summary included) / N; median [min–max] over the rounds;"
        " fixed cpu s and marginal cpu s/unit: the line through the median CPU at N and at --fixed-n;"
        " summary = index.html + summary.xlsx; retries = kernel starts retried / units re-run after a dead kernel)"
    )
    return "\n".join(lines)


def run_mode(mode: str, root: Path, args: argparse.Namespace, sample: bool = False) -> dict[str, Any]:
    """Run one mode once on the units under ``root`` (its outputs replaced)."""
    out = root / f"out-{mode}"
    shutil.rmtree(out, ignore_errors=True)
    if mode == "naive":
        return run_naive(root, out, 1)
    if mode == "naive-p":
        return run_naive(root, out, args.jobs)
    if mode == "floor":
        return run_floor(root, out, args.jobs)
    if mode == "dask":
        return run_evalkit(root, out, "warm", args.jobs, args.restart_every, scheduler="local", sample=sample)
    return run_evalkit(root, out, mode, args.jobs, args.restart_every, sample=sample)


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the modes in interleaved rounds, print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", default="100", help="units; a comma list runs each size (e.g. 100,2000)")
    ap.add_argument("--modes", default="naive,fresh,warm,floor", help="comma list of " + ",".join(MODES))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="workers for every mode but naive")
    ap.add_argument("--restart-every", type=int, default=50, help="warm kernels' restart interval")
    ap.add_argument("--rounds", type=int, default=1, help="run the modes this many times, interleaved")
    ap.add_argument(
        "--fixed-n", type=int, default=2, help="also run each mode at this many units (fixed vs marginal CPU)"
    )
    ap.add_argument("--sample", action="store_true", help="check the CPU figure once against psutil sampling")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--keep", default=None, help="keep the generated project and outputs in this folder")
    args = ap.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = set(modes) - set(MODES)
    if unknown:
        ap.error(f"unknown modes: {', '.join(sorted(unknown))}")
    sizes = [int(x) for x in args.n.split(",")]
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="evalkit-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    all_results: dict[int, dict[str, list[dict[str, Any]]]] = {}
    sampled_once = not args.sample
    try:
        small_root = None
        all_small: dict[int, dict[str, list[dict[str, Any]]]] = {}
        if 0 < args.fixed_n < min(sizes):
            small_root = base / f"n{args.fixed_n}"
            shutil.rmtree(small_root, ignore_errors=True)
            make_project(small_root, args.fixed_n, args.seed)
        for n in sizes:
            root = base / f"n{n}"
            shutil.rmtree(root, ignore_errors=True)
            make_project(root, n, args.seed)
            results: dict[str, list[dict[str, Any]]] = {m: [] for m in modes}
            small: dict[str, list[dict[str, Any]]] = {m: [] for m in modes}
            for k in range(args.rounds):
                order = modes[k % len(modes) :] + modes[: k % len(modes)]  # rotate: no mode always first
                for mode in order:
                    sample = not sampled_once and mode in ("warm", "fresh", "dask")
                    r = run_mode(mode, root, args, sample=sample)
                    results[mode].append(r)
                    if "sampled_cpu_seconds" in r:
                        sampled_once = True
                        print(
                            f"sampling check ({mode}, N={n}): rusage {r['cpu_seconds']:.1f} CPU-s, "
                            f"psutil sampling of the tree {r['sampled_cpu_seconds']:.1f} CPU-s",
                            flush=True,
                        )
                    print(
                        f"  round {k + 1} {mode}: {per_unit(r):.3f} s/unit, {cpu_per_unit(r) or 0:.3f} cpu s/unit",
                        file=sys.stderr,
                        flush=True,
                    )
                    if small_root is not None and n > args.fixed_n:
                        small[mode].append(run_mode(mode, small_root, args))
            all_results[n] = results
            all_small[n] = small
            print(table(n, args.jobs, results, small), flush=True)
            print(flush=True)
        if len(sizes) > 1:
            lo, hi = sizes[0], sizes[-1]
            for mode in modes:
                a, b = all_results[lo].get(mode), all_results[hi].get(mode)
                if not a or not b:
                    continue
                ca = [c for c in (cpu_per_unit(r) for r in a) if c is not None]
                cb = [c for c in (cpu_per_unit(r) for r in b) if c is not None]
                line = f"linearity {mode}: wall s/unit N={hi} / N={lo} = {_med([per_unit(r) for r in b]) / _med([per_unit(r) for r in a]):.2f}"
                if ca and cb:
                    line += f"; cpu s/unit {_med(cb) / _med(ca):.2f}"
                    # A unit's marginal CPU between the two sizes against the one at the smaller
                    # (the fixed cost of a run, spread over fewer units there, left out of both).
                    slope = (_med([r["cpu_seconds"] for r in b]) - _med([r["cpu_seconds"] for r in a])) / (
                        hi - lo
                    )
                    line += f"; marginal cpu s/unit N={lo}..{hi} {slope:.3f}"
                    fm = fixed_marginal(a, all_small.get(lo, {}).get(mode, []))
                    if fm is not None and fm[1] > 0:
                        line += f", at N={lo} {fm[1]:.3f}: {slope / fm[1]:.2f}"
                if "peak_rss_kb" in a[0]:
                    line += f"; orchestrator peak RSS {b[0]['peak_rss_kb'] / a[0]['peak_rss_kb']:.2f}"
                print(line, flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print(
        f"bench peak RSS of this script: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
