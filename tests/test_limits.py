"""Limits that keep a shared server healthy: segment cap, bounded caches, upload files cleaned."""

from __future__ import annotations

import gc
from pathlib import Path

import polars as pl
from streamlit.testing.v1 import AppTest

from conversion import reading
from conversion.presentation import report
from ui import caches, uploads

ROOT = Path(__file__).resolve().parent.parent


def test_too_many_segments_are_cut_to_the_largest_with_a_note():
    table = pl.DataFrame(
        {
            "s": [f"v{i:04d}" for i in range(500)],
            "contacts": list(range(1, 501)),
            "customers": [1] * 500,
        }
    )
    shown, note = report.limit_segments(table, ["s"])
    assert shown.height == report.TOP_WHEN_TOO_MANY + 1  # the largest, plus Other
    assert "Other" in shown["s"].to_list()
    assert shown["contacts"].sum() == table["contacts"].sum()
    assert "500 segments" in note
    small, none = report.limit_segments(table.head(10), ["s"])
    assert small.equals(table.head(10)) and none is None


def test_session_files_are_deleted_when_the_session_state_goes(tmp_path):
    path = reading.save_upload(b"a,b\n1,2\n", "leads.csv")
    files = uploads.SessionFiles()
    files.add(path, None)
    assert path.exists()
    del files
    gc.collect()
    assert not path.exists()


def test_caches_are_bounded_by_count_and_age(monkeypatch):
    from collections import OrderedDict

    cache: OrderedDict = OrderedDict()
    for i in range(10):
        caches.remember(cache, i, f"value {i}", limit=4)
    assert list(cache) == [6, 7, 8, 9]
    found, value = caches.recall(cache, 9)
    assert found and value == "value 9"
    monkeypatch.setattr(caches, "MAX_CACHE_AGE_SECONDS", -1)
    found, _ = caches.recall(cache, 8)
    assert not found and 8 not in cache


def test_an_upload_is_written_outside_the_repository_and_private():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/data.py").run()
    at.radio(key="source_kind").set_value("Upload a file").run()
    at.file_uploader(key="upload").set_value(("l.csv", b"id,s,won\n1,a,yes\n2,b,no\n", "text/csv"))
    at.run()
    paths = at.session_state["_files"].paths
    assert paths
    for path in paths:
        assert ROOT not in path.parents
        assert oct(path.stat().st_mode & 0o777) == "0o600"
