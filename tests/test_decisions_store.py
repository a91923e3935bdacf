"""Saving decisions: atomic, with history, refusing what cannot be read back, and merging a
second writer's concurrent save per indicator."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from evalkit.errors import DecisionsError
from evalkit.scoring.decisions import Decision, Decisions, load_decisions
from evalkit.workbench.store import save_decisions

WHEN = datetime(2025, 4, 1, 9, 0, tzinfo=timezone.utc)


def test_save_writes_items_and_history(tmp_path: Path) -> None:
    path = tmp_path / "u.review.yaml"
    d = Decisions(opinion="总体良好", items={"g1r1": Decision(tier="partial", score=7.0, comment="证据不足")})
    merged = save_decisions(path, d, who="张三", now=WHEN)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["items"] == {"g1r1": {"tier": "partial", "score": 7.0, "comment": "证据不足"}}
    assert data["history"] == [
        {
            "who": "张三",
            "when": "2025-04-01T09:00:00+00:00",
            "what": merged.history[0]["what"],
            "items": ["g1r1"],
        }
    ]
    assert "等次部分达成" in merged.history[0]["what"]
    assert data["opinion"] == "总体良好" and data["reviewer"] == "张三"
    assert load_decisions(path).items["g1r1"].score == 7.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["u.review.yaml", "u.review.yaml.lock"]


def test_deduction_without_reason_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "u.review.yaml"
    save_decisions(path, Decisions(items={"g1r1": Decision(comment="保留")}), who="甲")
    before = path.read_bytes()
    with pytest.raises(DecisionsError, match="扣分理由"):
        save_decisions(path, Decisions(items={"g1r2": Decision(deduction=1.0)}), who="乙")
    assert path.read_bytes() == before


def test_two_writers_from_the_same_base_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "u.review.yaml"
    save_decisions(path, Decisions(items={"g1r1": Decision(comment="原有")}), who="甲")
    base_a, base_b = load_decisions(path), load_decisions(path)
    a = Decisions(items={**base_a.items, "g1r2": Decision(deduction=1.0, reason="目标偏低")})
    b = Decisions(items={**base_b.items, "g1r3": Decision(tier="not_achieved", score=3.0)})
    b.items["g1r1"] = Decision(comment="乙改过")
    save_decisions(path, a, who="甲", base=base_a)
    merged = save_decisions(path, b, who="乙", base=base_b)
    assert set(merged.items) == {"g1r1", "g1r2", "g1r3"}
    assert merged.items["g1r1"].comment == "乙改过"  # the later save of the same indicator wins
    assert merged.items["g1r2"].reason == "目标偏低"  # the first writer's indicator survives
    assert [h["who"] for h in merged.history] == ["甲", "甲", "乙"]
    assert load_decisions(path).items == merged.items


def test_clearing_a_decision_removes_only_that_indicator(tmp_path: Path) -> None:
    path = tmp_path / "u.review.yaml"
    save_decisions(
        path, Decisions(items={"g1r1": Decision(comment="a"), "g1r2": Decision(comment="b")}), who="甲"
    )
    base = load_decisions(path)
    mine = Decisions(items={"g1r2": base.items["g1r2"]})  # g1r1 cleared in the widgets
    merged = save_decisions(path, mine, who="甲", base=base)
    assert set(merged.items) == {"g1r2"}
    assert "目标1 第1行 撤销复核决定" in merged.history[-1]["what"]  # the place in the findings' words


def _writer(path: str, key: str, barrier: multiprocessing.synchronize.Barrier) -> None:
    base = load_decisions(path)
    barrier.wait()
    mine = Decisions(items={**base.items, key: Decision(comment=f"写入{key}")})
    save_decisions(path, mine, who=key, base=base)


def test_concurrent_processes_all_survive(tmp_path: Path) -> None:
    path = tmp_path / "u.review.yaml"
    keys = [f"g1r{i}" for i in range(1, 7)]
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(keys))
    procs = [ctx.Process(target=_writer, args=(str(path), k, barrier)) for k in keys]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    final = load_decisions(path)
    assert set(final.items) == set(keys)
    assert sorted(h["who"] for h in final.history) == keys


def test_lock_excludes_other_processes_and_is_released(tmp_path: Path) -> None:
    # While one process holds the lock another cannot take it; a crashed holder frees it.
    from filelock import FileLock, Timeout

    from evalkit.workbench.store import lock_path, locked

    path = tmp_path / "u.review.yaml"
    with locked(path):
        probe = subprocess.run(
            [sys.executable, "-c", CAN_LOCK, str(lock_path(path))], capture_output=True, text=True, timeout=60
        )
        assert probe.stdout.strip() == "busy"
    ctx = multiprocessing.get_context("spawn")
    dying = ctx.Process(target=_lock_and_die, args=(str(path),))
    dying.start()
    dying.join(60)
    assert dying.exitcode == 3
    try:
        with FileLock(lock_path(path), timeout=5):
            pass
    except Timeout:  # pragma: no cover - the failure this test looks for
        pytest.fail("a dead process's lock still blocks")


CAN_LOCK = (
    "import sys\nfrom filelock import FileLock, Timeout\n"
    "try:\n    FileLock(sys.argv[1], timeout=0.5).acquire()\n    print('free')\n"
    "except Timeout:\n    print('busy')\n"
)


def _lock_and_die(path: str) -> None:
    from evalkit.workbench.store import locked

    with locked(path):
        os._exit(3)
