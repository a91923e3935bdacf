"""Saving reviewer decisions safely: atomic, with a history, and without losing a concurrent save.

Two open copies of the workbench may save the same ``<unit-id>.review.yaml`` at the same moment.
:func:`save_decisions` takes an exclusive lock on a sidecar ``.lock`` file, re-reads what is on
disk, and merges per indicator: the indicators this writer changed (against ``base``, what it
loaded) replace those on disk; every other indicator on disk is kept. Each save appends
``{who, when, what, items}`` to the file's history, so both writers' entries survive.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from evalkit.fileio import atomic_write_text
from evalkit.scoring.decisions import (
    OPINION_LABELS,
    TIER_LABELS,
    Decision,
    Decisions,
    decisions_from_dict,
    decisions_to_dict,
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
        return sorted(k for k, d in decisions.items.items() if not d.is_empty())
    keys = set(decisions.items) | set(base.items)
    empty = Decision()
    return sorted(k for k in keys if decisions.items.get(k, empty) != base.items.get(k, empty))


def describe(decisions: Decisions, keys: list[str]) -> str:
    """A one-line Chinese summary of the decisions of ``keys`` (the default ``what`` of a save)."""
    parts = []
    for key in keys:
        d = decisions.items.get(key)
        if d is None or d.is_empty():
            parts.append(f"{key} 撤销复核决定")
            continue
        bits = []
        if d.tier:
            bits.append(f"等次{TIER_LABELS.get(d.tier, d.tier)}")
        if d.score is not None:
            bits.append(f"得分{d.score:g}")
        if d.deduction:
            bits.append(f"扣分{d.deduction:g}（{d.reason}）")
        if d.target is not None:
            bits.append(f"目标值改为{d.target}")
        if d.actual is not None:
            bits.append(f"完成值改为{d.actual}")
        if d.comment:
            bits.append(f"备注：{d.comment}")
        parts.append(f"{key} " + "，".join(bits))
    return "；".join(parts)


def save_decisions(
    path: str | os.PathLike[str],
    decisions: Decisions,
    who: str,
    what: str | None = None,
    base: Decisions | None = None,
    now: datetime | None = None,
) -> Decisions:
    """Save a reviewer's decisions to ``path``; return what the file holds afterwards.

    ``base`` is what this writer loaded before editing: only the indicators changed since then
    (and the opinion / reviewer when changed) replace what is on disk, so a second writer's
    concurrent save of other indicators survives. Without ``base`` every decided indicator of
    ``decisions`` is written over the disk's, and the disk's other indicators are kept.
    ``what`` describes the save in the history (default: a summary of the changed indicators).
    The file is validated before it is written (a deduction without a reason is refused).
    """
    p = Path(path)
    when = (now or datetime.now().astimezone()).isoformat(timespec="seconds")
    keys = changed_keys(decisions, base)
    with locked(p):
        disk = load_decisions(p)
        items = dict(disk.items)
        for key in keys:
            new = decisions.items.get(key)
            if new is None or new.is_empty():
                items.pop(key, None)
            else:
                items[key] = replace(new)
        if base is None:
            opinion = decisions.opinion or disk.opinion
            reviewer = decisions.reviewer or who or disk.reviewer
            conclusion = decisions.conclusion or disk.conclusion
            opinions = {**disk.opinions, **{k: v for k, v in decisions.opinions.items() if v}}
        else:
            # Like the items: what this writer changed wins, what it left alone keeps the disk's.
            opinion = decisions.opinion if decisions.opinion != base.opinion else disk.opinion
            reviewer = decisions.reviewer if decisions.reviewer != base.reviewer else (disk.reviewer or who)
            conclusion = decisions.conclusion if decisions.conclusion != base.conclusion else disk.conclusion
            opinions = dict(disk.opinions)
            for k in set(decisions.opinions) | set(base.opinions):
                if decisions.opinions.get(k, "") != base.opinions.get(k, ""):
                    opinions[k] = decisions.opinions.get(k, "")
            opinions = {k: v for k, v in opinions.items() if v}
        texts = _changed_texts(decisions, base if base is not None else disk)
        if what is None:
            what = "；".join(x for x in [describe(decisions, keys), *texts] if x) or "保存（无指标变更）"
        entry: dict[str, Any] = {"who": who, "when": when, "what": what, "items": keys}
        merged = Decisions(
            unit=decisions.unit or disk.unit,
            reviewer=reviewer,
            opinion=opinion,
            conclusion=conclusion,
            opinions=opinions,
            items=dict(sorted(items.items(), key=lambda kv: _key_order(kv[0]))),
            history=[*disk.history, entry],
        )
        data = decisions_to_dict(merged)
        decisions_from_dict(data, str(p))  # refuse to write what could not be read back
        text = HEADER + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
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
    import re

    m = re.fullmatch(r"g(\d+)r(\d+)", key)
    return (int(m.group(1)), int(m.group(2))) if m else (10**6,)
