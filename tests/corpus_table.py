"""Measure evalkit on the corpus of real filings (tests/data/real/): one line per filing.

Each filing ``NN_<province>_<slug>`` has a hand-worked ``NN_….expect.yaml`` beside its text dump
(and some a .docx / .xlsx in the source's own layout). Every file of a filing is reviewed and
compared with the expectation:

- read: the file imports (no FilingError, i.e. ``evalkit review`` would not exit 2);
- rows: indicator rows whose rule score is right within 0.01 (a row the expectation leaves
  unscorable must come out unscorable, a 其中 breakdown row must not be scored at all), out of the
  expected rows;
- findings: expected findings (code + place) that the review reports;
- false errors: error-severity findings on rows the expectation marks clean.

    python tests/corpus_table.py [DIR]        # prints the table and the totals

The test ``tests/test_real_corpus.py`` asserts the project's targets on the same figures.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REAL = HERE / "data" / "real"
FORMATS = (".txt", ".docx", ".xlsx")
TOLERANCE = 0.01


def _key(text: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or "")))


@dataclass
class Result:
    """One file of a filing measured against its expectation."""

    file: Path
    read: bool = False
    error: str = ""
    rows_right: int = 0
    rows: int = 0
    findings_hit: int = 0
    findings: int = 0
    false_errors: int = 0
    budget_right: bool | None = None
    wrong_rows: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)


def filings(folder: Path = REAL) -> list[tuple[Path, Path]]:
    """Every (file, expectation) pair of the corpus: each format of each expected filing."""
    out = []
    for expect in sorted(folder.glob("*.expect.yaml")):
        stem = expect.name[: -len(".expect.yaml")]
        for suffix in FORMATS:
            path = folder / f"{stem}{suffix}"
            if path.exists():
                out.append((path, expect))
    return out


def _finding_place(f) -> str:
    return _key(f"{f.where} {f.message}")


def measure(path: Path, expect_path: Path) -> Result:
    """Review one file and compare it with its expectation."""
    from evalkit.errors import FilingError
    from evalkit.pipeline import review
    from evalkit.scoring.rules import UNSCORABLE

    expect = yaml.safe_load(expect_path.read_text(encoding="utf-8"))
    res = Result(file=path)
    indicators = expect.get("indicators") or []
    res.rows = len(indicators)
    res.findings = len(expect.get("findings") or [])
    try:
        rv = review(path)
    except FilingError as exc:
        res.error = str(exc)
        res.missed = [f"{f['code']}@{f['where']}" for f in expect.get("findings") or []]
        return res
    res.read = True

    # indicator rows, matched by name in table order (a name may repeat)
    scored = list(rv.card.indicators)
    for exp in indicators:
        name = _key(exp["name"])
        match = next((s for s in scored if _key(s.indicator.name) == name), None)
        if exp.get("rule") == "component":  # a 其中 breakdown: right when it is not an indicator
            if match is None:
                res.rows_right += 1
            else:
                scored.remove(match)
                res.wrong_rows.append(f"{exp['name']}: 是上一行的分项，不应作为指标计分")
            continue
        if match is None:
            res.wrong_rows.append(f"{exp['name']}: 未读到")
            continue
        scored.remove(match)
        want = exp.get("rule_score")
        if want is None:
            ok = match.rule == UNSCORABLE
        else:
            ok = match.rule != UNSCORABLE and abs(match.rule_score - float(want)) <= TOLERANCE
        if ok:
            res.rows_right += 1
        else:
            got = "无法计分" if match.rule == UNSCORABLE else f"{match.rule_score:.2f}"
            res.wrong_rows.append(f"{exp['name']}: 应为{want}，得{got}（{match.rule}）")

    # expected findings: same code, at the named indicator where the place is one
    names = {_key(i["name"]) for i in indicators}
    unused = list(rv.findings)
    for exp in expect.get("findings") or []:
        code, where = exp["code"], _key(exp.get("where"))
        same = [f for f in unused if f.code == code]
        if where in names:
            hit = next((f for f in same if where in _finding_place(f)), None)
        else:
            hit = next((f for f in same if where and where in _finding_place(f)), None) or (
                same[0] if same else None
            )
        if hit is None:
            res.missed.append(f"{code}@{exp.get('where')}")
        else:
            res.findings_hit += 1
            unused.remove(hit)

    # errors on clean rows
    for clean in expect.get("clean_rows") or []:
        name = _key(clean)
        for f in rv.findings:
            if f.severity == "error" and f"（{name}）" in _key(f.where):
                res.false_errors += 1
                res.false.append(f"{f.code}@{clean}")

    want_score = (expect.get("budget") or {}).get("score")
    if want_score is not None:
        res.budget_right = abs(rv.card.budget.score - float(want_score)) <= TOLERANCE
    return res


def table(results: list[Result]) -> str:
    """The printed table: one line per file, then the totals."""
    lines = [f"{'file':58} {'read':4} {'rows':>7} {'findings':>9} {'false':>5} {'budget':>6}"]
    for r in results:
        budget = "—" if r.budget_right is None else ("ok" if r.budget_right else "WRONG")
        lines.append(
            f"{r.file.name:58} {'ok' if r.read else 'NO':4} {r.rows_right:>3}/{r.rows:<3} "
            f"{r.findings_hit:>4}/{r.findings:<4} {r.false_errors:>5} {budget:>6}"
        )
        for text in r.wrong_rows:
            lines.append(f"    row   {text}")
        for text in r.missed:
            lines.append(f"    miss  {text}")
        for text in r.false:
            lines.append(f"    false {text}")
        if r.error:
            lines.append(f"    error {r.error}")
    rows = sum(r.rows for r in results)
    right = sum(r.rows_right for r in results)
    found = sum(r.findings for r in results)
    hit = sum(r.findings_hit for r in results)
    read = sum(r.read for r in results)
    false = sum(r.false_errors for r in results)
    lines.append(
        f"TOTAL files read {read}/{len(results)}; rows right {right}/{rows} ({right / max(rows, 1):.1%}); "
        f"findings hit {hit}/{found} ({hit / max(found, 1):.1%}); false errors on clean rows {false}"
    )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else REAL
    results = [measure(path, expect) for path, expect in filings(folder)]
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    raise SystemExit(main(sys.argv))
