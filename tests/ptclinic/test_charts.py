"""The dashboard's SVG charts (ptclinic/charts.py). No database.

Every test parses the markup with ElementTree and checks what a reader would see or hear: the
marks, their sizes and hover titles, the accessible name, and that nothing from user data can
run or break the page.
"""

import ast
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ptclinic.charts import (
    CHAR_WIDTH,
    FONT_SIZE,
    NO_DATA,
    PALETTE,
    TEXT_COLOUR,
    WIDTH,
    Series,
    bar_chart,
    format_value,
    line_chart,
    stacked_bars,
)

REPO = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTHS = [f"{m} 2026" for m in MONTH_NAMES]
EVIL = "<script>alert(1)</script>"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def find_all(root: ET.Element, tag: str, cls: str | None = None) -> list[ET.Element]:
    found = root.iter(SVG + tag)
    return [e for e in found if cls is None or cls in e.get("class", "").split()]


def num(element: ET.Element, attribute: str) -> float:
    return float(element.attrib[attribute])


def hover(element: ET.Element) -> str:
    tip = element.find(SVG + "title")
    assert tip is not None and tip.text is not None
    return tip.text


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in find_all(root, "text")]


def view_box(root: ET.Element) -> list[float]:
    return [float(part) for part in root.attrib["viewBox"].split()]


def tick_ys(root: ET.Element) -> dict[str, float]:
    """The value axis: tick label → its height on the chart."""
    axis = next(g for g in find_all(root, "g") if "y-axis" in g.get("class", ""))
    return {t.text or "": num(t, "y") for t in find_all(axis, "text")}


def contrast_on_white(colour: str) -> float:
    """WCAG 2.2 contrast ratio of an sRGB colour against white (relative luminance formula)."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)


def sample_charts() -> dict[str, str]:
    """One of each chart, with and without data, with user text that needs escaping."""
    two = [Series("Medicare", (10, 20, 15)), Series("Aetna & Co", (5, 7, 9))]
    return {
        "line": line_chart(title="Visits", labels=MONTHS[:3], series=two),
        "line-one-point": line_chart(title="Rate", labels=["Jan"], series=[Series("r", (93.5,))]),
        "bar": bar_chart(title="By clinician", labels=["Ann", EVIL], values=[1234, 56], unit="$"),
        "stacked": stacked_bars(title="Payer mix", labels=MONTHS[:3], series=two, unit="$"),
        "empty": bar_chart(title="Nothing", labels=[], values=[]),
    }


# --- bar chart --------------------------------------------------------------------------------


def test_a_bar_chart_draws_one_bar_per_label() -> None:
    root = parse(bar_chart(title="Visits", labels=["Ann", "Bob", "Cy"], values=[3, 9, 0]))
    assert len(find_all(root, "rect", "bar")) == 3


def test_the_largest_value_has_the_longest_bar_and_the_others_are_in_proportion() -> None:
    root = parse(bar_chart(title="Paid", labels=["Ann", "Bob", "Cy"], values=[300, 1200, 600]))
    widths = [num(bar, "width") for bar in find_all(root, "rect", "bar")]
    assert max(widths) == widths[1]
    assert widths[0] / widths[1] == pytest.approx(0.25, abs=0.01)
    assert widths[2] / widths[1] == pytest.approx(0.5, abs=0.01)


def test_the_longest_bar_spans_the_plot_leaving_just_room_for_its_value() -> None:
    root = parse(bar_chart(title="Paid", labels=["Ann", "Bob"], values=[1234, 50], unit="$"))
    longest = find_all(root, "rect", "bar")[0]
    value = next(t for t in find_all(root, "text") if t.text == "$1,234")
    assert num(value, "x") == pytest.approx(num(longest, "x") + num(longest, "width") + 6)
    value_end = num(value, "x") + len("$1,234") * FONT_SIZE * CHAR_WIDTH
    assert WIDTH - 20 < value_end <= WIDTH


def test_each_bar_has_a_hover_title_with_its_label_and_value() -> None:
    root = parse(
        bar_chart(title="Paid", labels=["Dr Ann Lee", "Bob"], values=[1234.4, 12.5], unit="$")
    )
    assert [hover(bar) for bar in find_all(root, "rect", "bar")] == [
        "Dr Ann Lee: $1,234",
        "Bob: $12.50",
    ]


def test_each_bar_has_its_value_written_beside_it() -> None:
    root = parse(bar_chart(title="Rate", labels=["Ann", "Bob"], values=[93.5, 80], unit="%"))
    assert {"93.5%", "80%"} <= set(texts(root))


def test_the_bar_chart_grows_28_units_per_label() -> None:
    three = view_box(parse(bar_chart(title="t", labels=list("abc"), values=[1, 2, 3])))
    ten = view_box(parse(bar_chart(title="t", labels=list("abcdefghij"), values=range(1, 11))))
    assert ten[3] - three[3] == 7 * 28


def test_a_long_label_is_cut_with_an_ellipsis_and_the_bar_title_keeps_the_full_text() -> None:
    name = "Northern California Physical Therapy Associates"
    root = parse(bar_chart(title="Paid", labels=[name, "Bob"], values=[10, 5]))
    shown = next(t for t in texts(root) if t.startswith("Northern"))
    assert shown.endswith("…") and len(shown) <= 24
    assert hover(find_all(root, "rect", "bar")[0]) == f"{name}: 10"


def test_a_negative_value_is_drawn_as_zero() -> None:
    root = parse(bar_chart(title="Paid", labels=["Ann", "Bob"], values=[-50, 100], unit="$"))
    first = find_all(root, "rect", "bar")[0]
    assert num(first, "width") == 0
    assert hover(first) == "Ann: $0.00"


def test_decimal_values_are_accepted() -> None:
    root = parse(bar_chart(title="Paid", labels=["Ann"], values=[Decimal("1234.50")], unit="$"))
    assert hover(find_all(root, "rect", "bar")[0]) == "Ann: $1,235"


# --- line chart -------------------------------------------------------------------------------


def test_a_line_chart_draws_one_line_per_series_with_a_point_per_label() -> None:
    series = [Series("Medicare", (1, 2, 3, 4)), Series("Aetna", (4, 3, 2, 1))]
    root = parse(line_chart(title="Visits", labels=MONTHS[:4], series=series))
    lines = find_all(root, "polyline")
    assert len(lines) == 2
    assert [len(line.attrib["points"].split()) for line in lines] == [4, 4]
    assert len(find_all(root, "circle")) == 8


def test_the_highest_value_touches_the_top_of_the_axis_when_it_is_a_round_number() -> None:
    root = parse(line_chart(title="Visits", labels=MONTHS[:3], series=[Series("v", (10, 40, 25))]))
    ticks = tick_ys(root)
    assert list(ticks) == ["0", "10", "20", "30", "40"]
    peak = find_all(root, "circle")[1]
    assert num(peak, "cy") == pytest.approx(ticks["40"])
    assert min(num(c, "cy") for c in find_all(root, "circle")) == num(peak, "cy")


def test_an_uneven_maximum_rounds_the_axis_up_to_the_next_round_tick() -> None:
    root = parse(line_chart(title="Visits", labels=MONTHS[:2], series=[Series("v", (0, 87))]))
    ticks = tick_ys(root)
    assert list(ticks) == ["0", "25", "50", "75", "100"]
    peak = find_all(root, "circle")[1]
    share = (ticks["0"] - num(peak, "cy")) / (ticks["0"] - ticks["100"])
    assert share == pytest.approx(0.87, abs=0.001)


def test_with_y_max_100_fifty_percent_is_halfway_up() -> None:
    root = parse(
        line_chart(
            title="Visit rate",
            labels=MONTHS[:2],
            series=[Series("r", (50, 60))],
            unit="%",
            y_max=100,
        )
    )
    ticks = tick_ys(root)
    assert list(ticks) == ["0%", "25%", "50%", "75%", "100%"]
    half = find_all(root, "circle")[0]
    assert num(half, "cy") == pytest.approx((ticks["0%"] + ticks["100%"]) / 2)
    assert hover(half) == "Jan 2026: 50%"


def test_y_max_gives_way_when_the_data_go_higher() -> None:
    root = parse(
        line_chart(
            title="Rate", labels=["a", "b"], series=[Series("r", (50, 120))], unit="%", y_max=100
        )
    )
    assert list(tick_ys(root))[-1] == "150%"


@pytest.mark.parametrize(
    ("values", "unit", "ticks"),
    [
        pytest.param((1234, 10), "$", ["$0", "$500", "$1,000", "$1,500"], id="dollars-in-500s"),
        pytest.param((180, 10), "$", ["$0", "$50", "$100", "$150", "$200"], id="dollars-in-50s"),
        pytest.param((3, 1), "", ["0", "1", "2", "3"], id="small-counts-stay-whole"),
        pytest.param((1, 0), "", ["0", "1", "2"], id="a-single-visit-still-gets-three-ticks"),
        pytest.param((2.5, 1), "", ["0", "1", "2", "3"], id="fractions-with-whole-ticks"),
        pytest.param((0.3, 0.1), "", ["0", "0.1", "0.2", "0.3"], id="small-fractions"),
    ],
)
def test_the_value_axis_has_three_to_five_round_ticks(
    values: tuple[float, ...], unit: str, ticks: list[str]
) -> None:
    root = parse(line_chart(title="t", labels=["a", "b"], series=[Series("s", values)], unit=unit))
    assert list(tick_ys(root)) == ticks


def test_a_total_that_floats_add_up_slightly_wrong_still_gets_the_round_axis() -> None:
    # 0.1 + 0.2 is 0.30000000000000004 in floating point; the axis must still end at 0.3.
    series = [Series("a", (0.1,)), Series("b", (0.2,))]
    root = parse(stacked_bars(title="t", labels=["Jan"], series=series))
    assert list(tick_ys(root)) == ["0", "0.1", "0.2", "0.3"]


def test_a_single_point_still_draws_a_dot() -> None:
    root = parse(
        line_chart(title="Rate", labels=["Jan 2026"], series=[Series("r", (93.5,))], unit="%")
    )
    (dot,) = find_all(root, "circle")
    assert hover(dot) == "Jan 2026: 93.5%"
    assert "Jan 2026" in texts(root)


def test_a_legend_appears_only_when_there_is_more_than_one_series() -> None:
    one = parse(line_chart(title="t", labels=["a", "b"], series=[Series("Medicare", (1, 2))]))
    two = parse(
        line_chart(
            title="t",
            labels=["a", "b"],
            series=[Series("Medicare", (1, 2)), Series("BCBS", (2, 1))],
        )
    )
    assert not find_all(one, "g", "legend")
    (legend,) = find_all(two, "g", "legend")
    assert [t.text for t in find_all(legend, "text")] == ["Medicare", "BCBS"]


def test_with_several_series_a_point_title_names_its_series() -> None:
    series = [Series("Medicare", (1, 2)), Series("BCBS", (3, 4))]
    root = parse(line_chart(title="t", labels=["Jan", "Feb"], series=series))
    assert hover(find_all(root, "circle")[3]) == "Feb, BCBS: 4"


def test_series_differ_by_dash_pattern_as_well_as_colour() -> None:
    series = [Series("a", (1, 2)), Series("b", (2, 1))]
    first, second = find_all(
        parse(line_chart(title="t", labels=["x", "y"], series=series)), "polyline"
    )
    assert first.get("stroke") != second.get("stroke")
    assert first.get("stroke-dasharray") != second.get("stroke-dasharray")


def test_many_labels_are_thinned_out_to_at_most_twelve() -> None:
    weeks = [f"Week {n}" for n in range(1, 27)]
    root = parse(line_chart(title="t", labels=weeks, series=[Series("v", tuple(range(26)))]))
    axis = find_all(root, "g", "x-axis")[0]
    shown = [t.text for t in find_all(axis, "text")]
    assert shown[0] == "Week 1"
    assert 2 <= len(shown) <= 12
    assert len(find_all(root, "circle")) == 26


def test_a_series_with_the_wrong_number_of_values_is_refused() -> None:
    with pytest.raises(ValueError, match="2 values for 3 labels"):
        line_chart(title="t", labels=["a", "b", "c"], series=[Series("s", (1, 2))])


# --- stacked bars -----------------------------------------------------------------------------


def test_stacked_segments_add_up_to_a_column_in_proportion_to_its_total() -> None:
    series = [Series("Medicare", (100, 300, 0)), Series("BCBS", (100, 100, 50))]
    root = parse(stacked_bars(title="Paid", labels=MONTHS[:3], series=series, unit="$"))
    ticks = tick_ys(root)
    per_dollar = (ticks["$0"] - ticks["$400"]) / 400
    columns = find_all(root, "g", "column")
    heights = [[num(r, "height") for r in find_all(col, "rect")] for col in columns]
    assert [len(h) for h in heights] == [2, 2, 1]
    assert [sum(h) for h in heights] == pytest.approx(
        [200 * per_dollar, 400 * per_dollar, 50 * per_dollar], abs=0.01
    )
    # Each column stands on the axis and its segments meet without a gap or overlap.
    for col in columns:
        rects = find_all(col, "rect")
        assert num(rects[0], "y") + num(rects[0], "height") == pytest.approx(ticks["$0"])
        for lower, upper in pairwise(rects):
            assert num(upper, "y") + num(upper, "height") == pytest.approx(num(lower, "y"))


def test_stacked_segments_have_series_colours_and_titles() -> None:
    series = [Series("Medicare", (1234,)), Series("BCBS", (20,))]
    root = parse(stacked_bars(title="Paid", labels=["Jan 2026"], series=series, unit="$"))
    medicare, bcbs = find_all(root, "rect", "segment")
    assert hover(medicare) == "Jan 2026, Medicare: $1,234"
    assert hover(bcbs) == "Jan 2026, BCBS: $20.00"
    assert (medicare.get("fill"), bcbs.get("fill")) == PALETTE[:2]


def test_the_stacked_legend_lists_the_series_in_order() -> None:
    series = [Series("Medicare", (1, 2)), Series("BCBS", (1, 1)), Series("Self-pay", (0, 1))]
    root = parse(stacked_bars(title="Visits", labels=["Jan", "Feb"], series=series))
    (legend,) = find_all(root, "g", "legend")
    assert [t.text for t in find_all(legend, "text")] == ["Medicare", "BCBS", "Self-pay"]


# --- empty input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "draw",
    [
        pytest.param(lambda: bar_chart(title="Paid", labels=[], values=[]), id="bar-no-labels"),
        pytest.param(lambda: bar_chart(title="Paid", labels=["a"], values=[0]), id="bar-all-zero"),
        pytest.param(lambda: line_chart(title="Paid", labels=[], series=[]), id="line-no-labels"),
        pytest.param(
            lambda: line_chart(title="Paid", labels=["a"], series=[]), id="line-no-series"
        ),
        pytest.param(
            lambda: line_chart(title="Paid", labels=["a", "b"], series=[Series("s", (0, 0))]),
            id="line-all-zero",
        ),
        pytest.param(
            lambda: stacked_bars(title="Paid", labels=["a"], series=[]), id="stacked-no-series"
        ),
        pytest.param(
            lambda: stacked_bars(title="Paid", labels=["a"], series=[Series("s", (-3,))]),
            id="stacked-only-negative",
        ),
    ],
)
def test_a_chart_without_data_says_so_instead_of_failing(draw: Callable[[], str]) -> None:
    root = parse(draw())
    assert texts(root) == [NO_DATA]
    assert NO_DATA == "No data for these dates."
    title = root.find(SVG + "title")
    assert title is not None and title.text == "Paid"
    assert not find_all(root, "rect") and not find_all(root, "circle")


# --- accessibility and safety, for every chart ------------------------------------------------


def test_text_from_users_is_shown_as_text_and_never_runs() -> None:
    charts = [
        bar_chart(title=EVIL, labels=[EVIL, "b"], values=[1, 2]),
        line_chart(
            title=EVIL, labels=[EVIL, "b"], series=[Series(EVIL, (1, 2)), Series("x", (2, 1))]
        ),
        stacked_bars(title=EVIL, labels=[EVIL, "b"], series=[Series(EVIL, (1, 2))]),
    ]
    for markup in charts:
        root = parse(markup)
        assert not find_all(root, "script")
        assert "<script" not in markup
        words = texts(root) + [t.text or "" for t in find_all(root, "title")]
        assert EVIL in words
        assert any(w.startswith((EVIL + ":", EVIL + ",")) for w in words)


def test_characters_xml_forbids_are_dropped_so_the_chart_still_parses() -> None:
    root = parse(bar_chart(title="a\x00b", labels=["Ann\x1b", "Quote \" & '"], values=[1, 2]))
    assert {"Ann", "Quote \" & '"} <= set(texts(root))


@pytest.mark.parametrize("name", list(sample_charts()))
def test_no_element_has_a_style_attribute_a_script_or_an_event_handler(name: str) -> None:
    root = parse(sample_charts()[name])
    for element in root.iter():
        assert "style" not in element.attrib
        assert not [a for a in element.attrib if a.lower().startswith("on")]
        assert element.tag not in {SVG + "script", SVG + "style", SVG + "foreignObject"}


@pytest.mark.parametrize("name", list(sample_charts()))
def test_the_chart_is_an_image_named_by_its_own_title_and_description(name: str) -> None:
    root = parse(sample_charts()[name])
    assert root.get("role") == "img"
    title_id, desc_id = root.attrib["aria-labelledby"].split()
    by_id = {e.get("id"): e for e in root.iter() if e.get("id")}
    assert by_id[title_id].tag == SVG + "title" and by_id[title_id].text
    assert by_id[desc_id].tag == SVG + "desc"
    desc = by_id[desc_id].text or ""
    assert desc.endswith(".") and desc.count(". ") == 0


@pytest.mark.parametrize("name", list(sample_charts()))
def test_the_chart_scales_to_its_container(name: str) -> None:
    root = parse(sample_charts()[name])
    assert root.get("width") == "100%"
    assert "height" not in root.attrib
    assert root.get("preserveAspectRatio")
    assert len(view_box(root)) == 4


def test_the_description_names_the_highest_and_lowest_points() -> None:
    root = parse(
        bar_chart(title="Paid", labels=["Ann", "Bob", "Cy"], values=[50, 1234, 7], unit="$")
    )
    desc = root.find(SVG + "desc")
    assert desc is not None
    assert desc.text == "3 bars; the highest is Bob at $1,234 and the lowest is Cy at $7.00."


def test_two_different_charts_with_the_same_title_do_not_share_ids() -> None:
    page = [
        line_chart(title="Visits", labels=["a", "b"], series=[Series("s", (1, 2))]),
        line_chart(title="Visits", labels=["a", "b"], series=[Series("s", (2, 1))]),
        bar_chart(title="Visits", labels=["a", "b"], values=[1, 2]),
    ]
    ids = [e.get("id") for markup in page for e in parse(markup).iter() if e.get("id")]
    assert len(ids) == 9
    assert len(set(ids)) == len(ids)


def test_an_id_is_a_readable_slug_even_for_an_odd_title() -> None:
    root = parse(bar_chart(title="Ümlaut & <Co> 2026!", labels=["a"], values=[1]))
    chart_id = root.attrib["id"]
    assert chart_id.startswith("chart-umlaut-co-2026-")
    assert chart_id.replace("-", "").isalnum()


def test_the_same_chart_drawn_twice_gets_the_same_markup() -> None:
    # Stable output: a cached fragment or a test snapshot does not change between requests.
    assert sample_charts() == sample_charts()


def test_every_colour_has_3_to_1_contrast_on_white_and_text_has_4_5_to_1() -> None:
    assert all(contrast_on_white(colour) >= 3 for colour in PALETTE)
    assert len(set(PALETTE)) == len(PALETTE)
    assert contrast_on_white(TEXT_COLOUR) >= 4.5


@pytest.mark.parametrize("name", list(sample_charts()))
def test_marks_use_the_palette_and_text_is_dark_and_at_least_12_units(name: str) -> None:
    root = parse(sample_charts()[name])
    assert float(root.attrib["font-size"]) >= 12
    for element in root.iter():
        assert float(element.get("font-size", 12)) >= 12
    for text in find_all(root, "text"):
        assert text.get("fill") == TEXT_COLOUR
    marks = find_all(root, "circle") + find_all(root, "rect")
    assert all(mark.get("fill") in PALETTE for mark in marks)
    assert all(line.get("stroke") in PALETTE for line in find_all(root, "polyline"))


@given(
    labels=st.lists(st.text(max_size=40), min_size=1, max_size=30),
    data=st.data(),
)
def test_any_labels_and_values_give_a_parseable_chart_with_one_bar_each(
    labels: list[str], data: st.DataObject
) -> None:
    values = data.draw(
        st.lists(
            st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
            min_size=len(labels),
            max_size=len(labels),
        )
    )
    root = parse(bar_chart(title="Paid", labels=labels, values=values, unit="$"))
    assert not find_all(root, "script")
    bars = find_all(root, "rect", "bar")
    assert len(bars) == (len(labels) if any(v > 0 for v in values) else 0)
    assert all(0 <= num(bar, "width") <= WIDTH for bar in bars)


# --- format_value -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        pytest.param(93.5, "%", "93.5%", id="percent-values-are-already-percent"),
        pytest.param(100, "%", "100%", id="a-whole-percent-has-no-decimal"),
        pytest.param(93.46, "%", "93.5%", id="a-percent-keeps-one-decimal"),
        pytest.param(1234.5, "$", "$1,235", id="dollars-from-1000-round-half-up-without-cents"),
        pytest.param(1234.4, "$", "$1,234", id="dollars-from-1000-round-down-below-half"),
        pytest.param(12.5, "$", "$12.50", id="dollars-under-1000-show-cents"),
        pytest.param(999.995, "$", "$1,000", id="cents-that-round-to-1000-drop-the-cents"),
        pytest.param(0, "$", "$0.00", id="zero-dollars"),
        pytest.param(Decimal("1234567.89"), "$", "$1,234,568", id="a-decimal-amount"),
        pytest.param(-12.5, "$", "-$12.50", id="a-negative-amount-keeps-its-sign"),
        pytest.param(-0.001, "$", "$0.00", id="no-minus-zero"),
        pytest.param(3, "", "3", id="a-count"),
        pytest.param(1.5, "", "1.5", id="a-half"),
        pytest.param(1.25, "", "1.25", id="plain-numbers-keep-two-decimals"),
        pytest.param(1.255, "", "1.26", id="plain-numbers-round-half-up"),
        pytest.param(1234, "", "1,234", id="plain-numbers-have-thousands-separators"),
        pytest.param(12, "visits", "12 visits", id="another-unit-follows-the-number"),
        pytest.param(float("nan"), "$", "n/a", id="not-a-number"),
    ],
)
def test_format_value(value: float, unit: str, text: str) -> None:
    assert format_value(value, unit) == text


# --- purity -----------------------------------------------------------------------------------


def test_charts_module_imports_only_the_standard_library() -> None:
    tree = ast.parse((REPO / "ptclinic" / "charts.py").read_text())
    modules = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert {m for m in modules if m.split(".")[0] not in sys.stdlib_module_names} == set()


def test_importing_charts_does_not_load_django() -> None:
    code = (
        "import sys, ptclinic.charts; "
        "loaded = [m for m in sys.modules if m == 'django' or m.startswith('django.')]; "
        "sys.exit(f'django loaded: {loaded[:3]}' if loaded else 0)"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


def test_a_month_with_nothing_to_measure_is_a_gap_in_the_line_not_a_zero() -> None:
    root = parse(
        line_chart(
            title="Clean-claim rate",
            labels=MONTHS[:5],
            series=[Series("Clean", (80, 90, None, 70, 75))],
            unit="%",
            y_max=100,
        )
    )
    runs = [line.attrib["points"].split() for line in find_all(root, "polyline")]
    assert [len(run) for run in runs] == [2, 2]
    tips = [hover(dot) for dot in find_all(root, "circle")]
    assert tips == ["Jan 2026: 80%", "Feb 2026: 90%", "Apr 2026: 70%", "May 2026: 75%"]
