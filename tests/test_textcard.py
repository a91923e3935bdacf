"""The terminal score card's tables: columns by display width, so CJK and ASCII line up."""

from __future__ import annotations

from wcwidth import wcswidth

from evalkit.report.textcard import table


def _column_starts(line: str) -> list[int]:
    """Terminal columns where each cell of a two-space-separated line starts."""
    starts, pos = [], 0
    for i, ch in enumerate(line):
        if ch != " " and (i == 0 or line[i - 2 : i] == "  "):
            starts.append(pos)
        pos += wcswidth(ch)
    return starts


def test_mixed_cjk_and_ascii_columns_line_up() -> None:
    rows = [
        ["1-1", "救护员培训人数", "1500人", "4.55"],
        ["1-10", "Volunteers 志愿者", "≥12期", "10.00"],
        ["2-3", "ab", "１２３", "0.5"],
    ]
    out = table(["行", "三级指标", "目标值", "分值"], rows, right={3}).splitlines()
    lefts = [_column_starts(line)[:3] for line in out if not line.startswith("-")]
    assert lefts == [lefts[0]] * len(lefts) and len(lefts[0]) == 3
    # right-aligned numbers end in the same terminal column
    assert len({wcswidth(line) for line in out}) == 1


def test_fixed_widths_cut_long_cells_by_display_width() -> None:
    out = table(["名称", "n"], [["一二三四五六七八九十", "1"], ["abc", "22"]], [8, 2], right={1})
    lines = out.splitlines()
    assert lines[2].startswith("一二三…") and len({wcswidth(line) for line in lines}) == 1


def test_control_characters_in_a_cell_stay_on_one_line() -> None:
    out = table(["a", "b"], [["x\ty\nz", "1"]])
    assert len(out.splitlines()) == 3


def test_filing_text_cannot_steer_the_terminal(seed_path) -> None:
    from evalkit.pipeline import review
    from evalkit.report.textcard import render

    rv = review(seed_path)
    rv.filing.unit.name = "红十字会\x1b[2J\x1b[31m\r伪造"
    rv.filing.goals[0].indicators[0].name = "救护员\x1b]0;title\x07培训"
    card = render(rv)
    assert "\x1b" not in card and "\r" not in card and "\x07" not in card
    assert "红十字会" in card and "伪造" in card
