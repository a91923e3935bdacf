"""Saving reviewer decisions safely: atomic, with a history, and without losing a concurrent save.

Two open copies of the workbench may save the same ``<unit-id>.review.yaml`` at the same moment.
:func:`save_decisions` takes an exclusive lock on a sidecar ``.lock`` file, re-reads what is on
disk, and merges per indicator: the indicators this writer changed (against ``base``, what it
loaded) replace those on disk; every other indicator on disk is kept. Each save appends
``{who, when, what, items[, findings]}`` to the file's history, so both writers' entries survive.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from evalkit.fileio import atomic_write_text
from evalkit.scoring.decisions import (
    DISPOSITION_LABELS,
    OPINION_LABELS,
    TIER_LABELS,
    Decision,
    Decisions,
    decisions_from_dict,
    decisions_to_dict,
    dump_yaml,
    key_label,
    load_decisions,
)

HEADER = "# 复核意见（evalkit 复核工作台保存；可手工编辑，history 记录每次保存）\n"


def lock_path(path: str | os.PathLike[str]) -> Path:
    """The sidecar lock file of a decisions file."""
    p = Path(path)
    return p.with_name(p.name + ".lock")


@contextmanager
def locked(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive lock on ``path``'s sidecar lock file (blocks until it is free).

    An operating-system lock (``filelock``: ``flock`` on POSIX, ``LockFileEx`` on Windows): a
    writer that dies releases it, so a stale ``.lock`` file never blocks the next save.
    """
    from filelock import FileLock

    lock = lock_path(path)
    lock.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(lock, timeout=-1):
        yield


def changed_keys(decisions: Decisions, base: Decisions | None) -> list[str]:
    """Indicator keys whose decision differs from ``base`` (all decided keys when base is None)."""
    if base is None:
        return sorted((k for k, d in decisions.items.items() if not d.is_empty()), key=_key_order)
    keys = set(decisions.items) | set(base.items)
    empty = Decision()
    return sorted(
        (k for k in keys if decisions.items.get(k, empty) != base.items.get(k, empty)), key=_key_order
    )


def changed_findings(decisions: Decisions, base: Decisions | None) -> list[str]:
    """Keys of the findings whose disposition differs from ``base``."""
    mine = {f.key: f for f in decisions.findings}
    if base is None:
        return list(mine)
    before = {f.key: f for f in base.findings}
    return [k for k in dict.fromkeys([*before, *mine]) if mine.get(k) != before.get(k)]


def _num(value: float) -> str:
    return f"{value:.2f}"


def describe(
    decisions: Decisions,
    keys: list[str],
    labels: dict[str, str] | None = None,
    findings: list[str] = (),  # type: ignore[assignment]
) -> str:
    """A one-line Chinese summary of the decisions of ``keys`` and of the findings' dispositions
    (the default ``what`` of a save); rows are named by ``labels`` (``1-6 新增粮食产能``)."""
    labels = labels or {}
    parts = []
    for key in keys:
        name = labels.get(key) or key_label(key)
        d = decisions.items.get(key)
        if d is None or d.is_empty():
            parts.append(f"{name} 撤销复核决定")
            continue
        bits = []
        if d.tier:
            bits.append(f"等次{TIER_LABELS.get(d.tier, d.tier)}")
        if d.score is not None:
            bits.append(f"得分{_num(d.score)}")
        if d.deduction:
            bits.append(f"扣分{_num(d.deduction)}（{d.reason}）")
        if d.target is not None:
            bits.append(f"目标值改为{d.target}")
        if d.actual is not None:
            bits.append(f"完成值改为{d.actual}")
        if d.comment:
            bits.append(f"备注：{d.comment}")
        parts.append(f"{name} " + "，".join(bits))
    for key in findings:
        f = decisions.finding(key)
        if f is None:
            place = f"发现{key.split('@', 1)[0]}"
        else:
            place = f"发现{f.code}（{f.where}）" if f.where else f"发现{f.code}"
        if f is None:
            parts.append(f"{place} 改为待定")
        else:
            why = f"：{f.reason}" if f.reason else ""
            parts.append(f"{place} {DISPOSITION_LABELS[f.disposition]}{why}")
    return "；".join(parts)


def save_decisions(
    path: str | os.PathLike[str],
    decisions: Decisions,
    who: str,
    what: str | None = None,
    base: Decisions | None = None,
    now: datetime | None = None,
    labels: dict[str, str] | None = None,
) -> Decisions:
    """Save a reviewer's decisions to ``path``; return what the file holds afterwards.

    ``base`` is what this writer loaded before editing: only the indicators and finding
    dispositions changed since then (and the opinion / profile when changed) replace what is on
    disk, so a second writer's concurrent save of others survives. Without ``base`` every decided
    indicator and disposition of ``decisions`` is written over the disk's, and the disk's others
    are kept. ``who`` becomes the file's reviewer; its first reviewer is kept. ``what`` describes
    the save in the history (default: a summary of the changes, rows named by ``labels``). The
    file is validated before it is written (a deduction without a reason is refused).
    """
    p = Path(path)
    when = (now or datetime.now().astimezone()).isoformat(timespec="seconds")
    keys = changed_keys(decisions, base)
    finding_keys = changed_findings(decisions, base)
    with locked(p):
        disk = load_decisions(p)
        items = dict(disk.items)
        for key in keys:
            new = decisions.items.get(key)
            if new is None or new.is_empty():
                items.pop(key, None)
            else:
                items[key] = new.model_copy()
        dispositions = {f.key: f for f in disk.findings}
        mine = {f.key: f for f in decisions.findings}
        for fkey in finding_keys:
            if fkey in mine:
                dispositions[fkey] = mine[fkey].model_copy()
            else:
                dispositions.pop(fkey, None)

        def pick(name: str) -> str:
            # Like the items: what this writer changed wins, what it left alone keeps the disk's.
            value = getattr(decisions, name)
            if base is None:
                return value or getattr(disk, name)
            return value if value != getattr(base, name) else getattr(disk, name)

        if base is None:
            opinions = {**disk.opinions, **{k: v for k, v in decisions.opinions.items() if v}}
        else:
            opinions = dict(disk.opinions)
            for k in set(decisions.opinions) | set(base.opinions):
                if decisions.opinions.get(k, "") != base.opinions.get(k, ""):
                    opinions[k] = decisions.opinions.get(k, "")
            opinions = {k: v for k, v in opinions.items() if v}
        reviewer = who or decisions.reviewer or disk.reviewer
        if what is None:
            texts = _changed_texts(decisions, base if base is not None else disk)
            what = (
                "；".join(x for x in [describe(decisions, keys, labels, finding_keys), *texts] if x)
                or "保存（无指标变更）"
            )
        entry: dict[str, Any] = {"who": who, "when": when, "what": what, "items": keys}
        if finding_keys:
            entry["findings"] = finding_keys
        merged = Decisions(
            unit=decisions.unit or disk.unit,
            reviewer=reviewer,
            first_reviewer=disk.first_reviewer or disk.reviewer or reviewer,
            profile=pick("profile"),
            opinion=pick("opinion"),
            conclusion=pick("conclusion"),
            opinions=opinions,
            items=dict(sorted(items.items(), key=lambda kv: _key_order(kv[0]))),
            findings=list(dispositions.values()),
            history=[*disk.history, entry],
        )
        data = decisions_to_dict(merged)
        decisions_from_dict(data, str(p))  # refuse to write what could not be read back
        text = HEADER + dump_yaml(data)
        atomic_write_text(p, text)
    return merged


def _changed_texts(decisions: Decisions, base: Decisions) -> list[str]:
    """History phrases for the conclusion and opinion texts this save changed."""
    out = []
    if decisions.conclusion and decisions.conclusion != base.conclusion:
        out.append("修改复核结论")
    for key, label in OPINION_LABELS.items():
        if decisions.opinions.get(key, "") != base.opinions.get(key, "") and key in decisions.opinions:
            out.append(f"修改{label}意见")
    return out


def _key_order(key: str) -> tuple[int, ...]:
    m = re.fullmatch(r"g(\d+)r(\d+)", key)
    return (int(m.group(1)), int(m.group(2))) if m else (10**6,)
