from __future__ import annotations

from decimal import Decimal

from rmdesk.core.charts import GREEN, RED, bar_chart, share_chart, sparkline, stacked_bars


def test_labels_are_escaped_and_no_script_is_drawn() -> None:
    svg = str(bar_chart([("<script>x</script>", Decimal("12.5"), "1/2")], title="t & t"))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "t &amp; t" in svg
    assert ">1/2<" in svg


def test_shares_are_coloured_by_the_direction_that_is_good() -> None:
    coverage = str(share_chart([("A", 0.95), ("B", 0.5)], title="c", good=0.9, bad=0.6))
    assert coverage.index(GREEN) < coverage.index(RED)
    assert ">95%<" in coverage
    breaches = str(share_chart([("A", 0.5)], title="b", good=0.05, bad=0.2))
    assert RED in breaches
    assert GREEN not in breaches


def test_stacks_and_trends() -> None:
    stacked = str(stacked_bars([("运营部", [1, 2, 0])], legend=["<1d", "1-3d", ">3d"]))
    assert stacked.count("<rect") == 2 + 3  # two segments drawn, three legend keys
    assert "&lt;1d" in stacked
    assert str(sparkline([], title="none")) == ""
    assert "polyline" in str(sparkline([1, 3, 2], title="trend"))
