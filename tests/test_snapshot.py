"""Snapshot links: counts survive the trip, and broken links give a message, never a crash."""

from __future__ import annotations

import base64
import contextlib
import json
import zlib

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversion.definition import Bands
from conversion.errors import InputError
from conversion.sharing import snapshot
from conversion.sharing.links import LinkState

TABLE = pl.DataFrame(
    {
        "source": ["Organic", "Paid", "<b>Referral</b>", "(missing)"],
        "contacts": [800, 500, 120, 12],
        "customers": [120, 45, 30, 0],
    }
)


def pack(document: object) -> str:
    raw = json.dumps(document).encode()
    return "1." + base64.urlsafe_b64encode(zlib.compress(raw)).decode().rstrip("=")


def test_counts_and_view_round_trip():
    view = LinkState(segments=("source",), bands=Bands.custom(30, 15), chart="pie")
    text = snapshot.encode(TABLE, ["source"], name="leads.csv", view=view, window_days=90)
    assert text.startswith("1.")
    shared = snapshot.decode(text)
    assert shared.name == "leads.csv"
    assert shared.segments == ("source",)
    assert shared.table.equals(TABLE)
    assert shared.view.bands == Bands.custom(30, 15)
    assert shared.view.chart == "pie"
    assert shared.window_days == 90


def test_a_snapshot_holds_no_rows_only_counts():
    text = snapshot.encode(TABLE, ["source"], name="leads.csv")
    document = json.loads(zlib.decompress(base64.urlsafe_b64decode(text[2:] + "==")))
    assert set(document) == {"v", "name", "segments", "rows", "view", "window_days", "as_of"}
    assert document["rows"][0] == ["Organic", 800, 120]


def test_two_segment_columns_round_trip():
    table = pl.DataFrame(
        {"a": ["x", "x"], "b": ["p", "q"], "contacts": [10, 20], "customers": [1, 2]}
    )
    assert snapshot.decode(snapshot.encode(table, ["a", "b"], name="t")).table.equals(table)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("abc", "version"),
        ("2.eJwrzs9NVSjPL8pJAQAWtwPq", "another version"),
        ("1.!!!!", "truncated or altered"),
        ("1.eJwrzs9NVSjPL8pJ", "truncated or altered"),
        ("1." + "A" * 70_000, "longer than"),
    ],
)
def test_broken_links_give_a_clear_message(text, words):
    with pytest.raises(InputError, match=words):
        snapshot.decode(text)


def test_a_truncated_real_link_is_refused():
    text = snapshot.encode(TABLE, ["source"], name="leads.csv")
    with pytest.raises(InputError, match="cannot be opened"):
        snapshot.decode(text[: len(text) // 2])


def test_a_tampered_count_is_refused():
    text = snapshot.encode(TABLE, ["source"], name="leads.csv")
    document = json.loads(zlib.decompress(base64.urlsafe_b64decode(text[2:] + "==")))
    document["rows"][0][2] = 9999  # more customers than contacts
    with pytest.raises(InputError, match="more customers than contacts"):
        snapshot.decode(pack(document))


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"v": 1, "name": 5}, "name"),
        ({"segments": []}, "segment columns"),
        ({"segments": ["a", "b", "c"]}, "segment columns"),
        ({"segments": ["contacts"]}, "segment columns"),
        ({"rows": []}, "empty or too large"),
        ({"rows": [["x", 1]]}, "wrong shape"),
        ({"rows": [[1, 1, 0]]}, "not text"),
        ({"rows": [["x", 1.5, 0]]}, "whole number"),
        ({"rows": [["x", True, 0]]}, "whole number"),
        ({"rows": [["x", -1, 0]]}, "whole number"),
        ({"rows": [["x", 2, 1], ["x", 3, 1]]}, "appears twice"),
        ({"v": 7}, "not a snapshot"),
    ],
)
def test_invalid_contents_are_refused(change, words):
    document = {"v": 1, "name": "t", "segments": ["s"], "rows": [["x", 2, 1]], "view": {}}
    with pytest.raises(InputError, match=words):
        snapshot.decode(pack(document | change))


def test_a_decompression_bomb_is_refused():
    bomb = zlib.compress(b"[" + b" " * 5_000_000 + b"]", 9)
    text = "1." + base64.urlsafe_b64encode(bomb).decode().rstrip("=")
    assert len(text) < snapshot.MAX_LINK_CHARS
    with pytest.raises(InputError, match="size limit"):
        snapshot.decode(text)


def test_too_many_segments_cannot_be_shared():
    table = pl.DataFrame(
        {"s": [str(i) for i in range(3000)], "contacts": [1] * 3000, "customers": [0] * 3000}
    )
    with pytest.raises(InputError, match="Top K"):
        snapshot.encode(table, ["s"], name="big")


def test_bad_view_settings_inside_a_snapshot_are_ignored():
    document = {
        "v": 1,
        "name": "t",
        "segments": ["s"],
        "rows": [["x", 2, 1]],
        "view": {"chart": "radar", "top": "7"},
    }
    shared = snapshot.decode(pack(document))
    assert shared.view.chart is None
    assert shared.view.top_k == 7


@given(st.text(max_size=300))
def test_random_text_never_crashes(text):
    with contextlib.suppress(InputError):
        snapshot.decode(text)


@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=40), st.integers(0, 10**6), st.integers(0, 10**6)),
        min_size=1,
        max_size=40,
        unique_by=lambda row: row[0],
    )
)
def test_random_tables_round_trip(rows):
    table = pl.DataFrame(
        {
            "seg": [r[0] for r in rows],
            "contacts": [max(r[1], r[2]) for r in rows],
            "customers": [min(r[1], r[2]) for r in rows],
        }
    )
    assert snapshot.decode(snapshot.encode(table, ["seg"], name="x")).table.equals(table)
