"""The view a shared link reopens: a small value that turns into a query string and back.

Only what a colleague needs to see the same view travels in the URL: the sample (or a
snapshot, see ``conversion.snapshot``), the segment columns, top K, the window, the bands and the
chart choices. Values that cannot be read are dropped with a notice, never raised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from conversion.definition import BAND_PRESETS, Bands

CHARTS = ("donut", "pie")
SHARES = ("customers", "contacts")
PERIODS = ("month", "week", "quarter")
MAX_SEGMENTS = 2
MAX_TEXT = 200
KEYS = ("sample", "seg", "top", "window", "bands", "strong", "moderate", "chart", "share", "period")


@dataclass(frozen=True)
class LinkState:
    """Everything a link carries; ``None`` means "not in the link: keep the current value"."""

    sample: str | None = None
    segments: tuple[str, ...] | None = None
    top_k: int | None = None
    window_days: int | None = None
    no_window: bool = False
    bands: Bands | None = None
    chart: str | None = None
    share: str | None = None
    period: str | None = None
    notices: tuple[str, ...] = field(default=(), compare=False)


def to_query(state: LinkState) -> dict[str, str | list[str]]:
    """The query parameters for ``state`` (only what is set).

    Examples
    --------
    >>> to_query(LinkState(sample="b2b", segments=("lead_source",), window_days=90))
    {'sample': 'b2b', 'seg': ['lead_source'], 'window': '90'}
    """
    query: dict[str, str | list[str]] = {}
    if state.sample:
        query["sample"] = state.sample
    if state.segments:
        query["seg"] = list(state.segments)
    if state.top_k:
        query["top"] = str(state.top_k)
    if state.no_window:
        query["window"] = "none"
    elif state.window_days is not None:
        query["window"] = str(state.window_days)
    if state.bands is not None and state.bands.name != "default":
        query["bands"] = state.bands.name
        if state.bands.name == "custom":
            query["strong"] = _number(state.bands.strong * 100)
            query["moderate"] = _number(state.bands.moderate * 100)
    for key, value in (("chart", state.chart), ("share", state.share), ("period", state.period)):
        if value:
            query[key] = value
    return query


def _number(value: float) -> str:
    return f"{value:g}"


def from_query(params: Mapping[str, Sequence[str]], *, samples: Sequence[str] = ()) -> LinkState:
    """Read a link's query parameters; anything unreadable is skipped and noted in ``notices``.

    ``params`` maps each key to all its values (as ``st.query_params.to_dict()`` would not:
    use ``{k: st.query_params.get_all(k) for k in st.query_params}``).

    Examples
    --------
    >>> state = from_query({"seg": ["source"], "top": ["x"]})
    >>> state.segments, state.top_k, state.notices
    (('source',), None, ("Ignored top='x' in the link: expected a whole number from 1 to 500.",))
    """
    notices: list[str] = []

    def first(key: str) -> str | None:
        values = [v for v in params.get(key, ()) if isinstance(v, str)]
        if not values:
            return None
        value = values[0].strip()
        if len(value) > MAX_TEXT:
            notices.append(f"Ignored {key} in the link: the value is too long.")
            return None
        return value

    def ignored(key: str, value: str, expected: str) -> None:
        shown = value if len(value) <= 40 else value[:40] + "…"
        notices.append(f"Ignored {key}={shown!r} in the link: expected {expected}.")

    sample = first("sample")
    if sample is not None and samples and sample not in samples:
        ignored("sample", sample, "one of " + ", ".join(samples))
        sample = None

    segments = None
    raw_segments = [v for v in params.get("seg", ()) if isinstance(v, str) and v.strip()]
    if raw_segments:
        kept = [v for v in raw_segments if len(v) <= MAX_TEXT]
        if len(kept) > MAX_SEGMENTS:
            notices.append(f"Only the first {MAX_SEGMENTS} segment columns of the link are used.")
            kept = kept[:MAX_SEGMENTS]
        segments = tuple(dict.fromkeys(kept)) or None

    top_k = _whole(first("top"), 1, 500, "top", ignored)
    window_text = first("window")
    no_window = window_text is not None and window_text.lower() == "none"
    window = None if no_window else _whole(window_text, 0, 3650, "window", ignored)

    bands = _bands(first("bands"), first("strong"), first("moderate"), ignored, notices)
    chart = _choice(first("chart"), CHARTS, "chart", ignored)
    share = _choice(first("share"), SHARES, "share", ignored)
    period = _choice(first("period"), PERIODS, "period", ignored)
    return LinkState(
        sample=sample,
        segments=segments,
        top_k=top_k,
        window_days=window,
        no_window=no_window,
        bands=bands,
        chart=chart,
        share=share,
        period=period,
        notices=tuple(notices),
    )


def _whole(text: str | None, low: int, high: int, key: str, ignored) -> int | None:
    if text is None:
        return None
    if text.isascii() and text.isdigit() and low <= int(text) <= high:
        return int(text)
    ignored(key, text, f"a whole number from {low} to {high}")
    return None


def _choice(text: str | None, options: Sequence[str], key: str, ignored) -> str | None:
    if text is None:
        return None
    if text in options:
        return text
    ignored(key, text, "one of " + ", ".join(options))
    return None


def _bands(name, strong, moderate, ignored, notices) -> Bands | None:
    if name is None:
        return None
    if name in BAND_PRESETS:
        return BAND_PRESETS[name]
    if name != "custom":
        ignored("bands", name, "one of " + ", ".join([*BAND_PRESETS, "custom"]))
        return None
    try:
        return Bands.custom(float(strong or ""), float(moderate or ""))
    except ValueError:
        notices.append(
            "Ignored the custom bands in the link: strong and moderate must be percentages with "
            "0 ≤ moderate ≤ strong ≤ 100."
        )
        return None
