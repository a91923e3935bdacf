"""A year of a province: the summary stays a page (the rate chart is capped) and linear in units."""

from __future__ import annotations

import pandas as pd

from evalkit.report import charts


def rates(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "status": ["ok"] * n,
            "budget_rate": [0.5 + (i % 97) / 100 for i in range(n)],
            "unit": [f"单位{i}" for i in range(n)],
        }
    )


def test_execution_rate_chart_is_capped() -> None:
    small = charts.execution_rates(rates(12))
    big = charts.execution_rates(rates(3000))  # one bar each would exceed matplotlib's 2^16 px
    assert len(small.axes[0].patches) == 12
    assert len(big.axes[0].patches) == charts.RATES_SHOWN
    assert big.get_size_inches()[1] == charts.execution_rates(rates(charts.RATES_SHOWN)).get_size_inches()[1]
    title = big.axes[0].get_title(loc="left")
    assert "共3000个" in title and f"最低的{charts.RATES_SHOWN}个" in title
    assert "最低" not in small.axes[0].get_title(loc="left")
    assert charts.to_png(big)[:8] == b"\x89PNG\r\n\x1a\n"
