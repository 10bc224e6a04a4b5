"""Shared links: view state -> query string -> view state, and what happens to bad values."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from conversion.definition import BAND_PRESETS, Bands
from conversion.sharing.links import CHARTS, PERIODS, SHARES, LinkState, from_query, to_query


def as_params(query: dict) -> dict[str, list[str]]:
    """What the browser sends back: every value as a list of strings."""
    return {k: v if isinstance(v, list) else [v] for k, v in query.items()}


def test_a_full_view_round_trips():
    state = LinkState(
        sample="b2b",
        segments=("lead_source", "industry"),
        top_k=5,
        window_days=90,
        bands=Bands.custom(25, 12.5),
        chart="pie",
        share="contacts",
        period="week",
    )
    query = to_query(state)
    assert query == {
        "sample": "b2b",
        "seg": ["lead_source", "industry"],
        "top": "5",
        "window": "90",
        "bands": "custom",
        "strong": "25",
        "moderate": "12.5",
        "chart": "pie",
        "share": "contacts",
        "period": "week",
    }
    assert from_query(as_params(query), samples=["b2b"]) == state


def test_no_window_is_explicit_in_the_link():
    state = LinkState(no_window=True)
    assert to_query(state) == {"window": "none"}
    assert from_query({"window": ["none"]}).no_window


def test_preset_bands_travel_by_name():
    assert to_query(LinkState(bands=BAND_PRESETS["ecommerce"])) == {"bands": "ecommerce"}
    assert from_query({"bands": ["ecommerce"]}).bands == BAND_PRESETS["ecommerce"]
    assert to_query(LinkState(bands=Bands())) == {}


def test_unknown_and_invalid_values_are_ignored_with_a_notice():
    state = from_query(
        {
            "sample": ["nope"],
            "top": ["-3"],
            "window": ["ninety"],
            "bands": ["gold"],
            "chart": ["radar"],
            "share": ["all"],
            "period": ["decade"],
            "unrelated": ["x"],
        },
        samples=["newsletter", "b2b"],
    )
    assert state == LinkState()
    text = " ".join(state.notices)
    for key in ("sample", "top", "window", "bands", "chart", "share", "period"):
        assert f"Ignored {key}=" in text
    assert "unrelated" not in text


def test_custom_bands_out_of_order_are_ignored():
    state = from_query({"bands": ["custom"], "strong": ["5"], "moderate": ["30"]})
    assert state.bands is None
    assert "custom bands" in state.notices[0]
    state = from_query({"bands": ["custom"], "strong": ["nan"], "moderate": ["x"]})
    assert state.bands is None


def test_at_most_two_segment_columns_and_long_values_are_dropped():
    state = from_query({"seg": ["a", "b", "c"], "sample": ["x" * 500]})
    assert state.segments == ("a", "b")
    assert state.sample is None
    assert len(state.notices) == 2


view_states = st.builds(
    LinkState,
    sample=st.none() | st.sampled_from(["newsletter", "b2b"]),
    segments=st.none()
    | st.lists(
        st.text(min_size=1, max_size=30).filter(str.strip), min_size=1, max_size=2, unique=True
    )
    .map(lambda xs: tuple(x.strip() for x in xs))
    .filter(lambda xs: len(set(xs)) == len(xs)),
    top_k=st.none() | st.integers(1, 500),
    window_days=st.none() | st.integers(0, 3650),
    bands=st.none()
    | st.sampled_from(list(BAND_PRESETS.values()))
    | st.tuples(st.integers(0, 100), st.integers(0, 100)).map(
        lambda t: Bands.custom(max(t), min(t))
    ),
    chart=st.none() | st.sampled_from(CHARTS),
    share=st.none() | st.sampled_from(SHARES),
    period=st.none() | st.sampled_from(PERIODS),
)


@given(view_states)
def test_any_view_round_trips(state: LinkState):
    back = from_query(as_params(to_query(state)), samples=["newsletter", "b2b"])
    expected_bands = None if state.bands == Bands() else state.bands
    assert back.bands == expected_bands
    assert back.segments == state.segments
    assert (back.sample, back.top_k, back.window_days) == (
        state.sample,
        state.top_k,
        state.window_days,
    )
    assert (back.chart, back.share, back.period) == (state.chart, state.share, state.period)
    assert back.notices == ()


@given(st.dictionaries(st.text(max_size=10), st.lists(st.text(max_size=300), max_size=4)))
def test_random_query_strings_never_raise(params):
    state = from_query(params, samples=["newsletter"])
    assert isinstance(state, LinkState)
