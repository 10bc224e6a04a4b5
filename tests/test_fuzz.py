"""Fuzzing: random and malformed links, column names, cell values and files, end to end.

Whatever arrives — a query string, a snapshot link, a table with odd column names or cells, a
file of random bytes — the URL decoder, the engine, the loader and the pages either work or
say what is wrong with an ``InputError``; nothing else escapes, and user text shown through a
Markdown-rendering element is escaped (``ui.text.plain``). A last group checks that nothing is
lost: input files are never modified, and a failing export never leaves half a file.

Two sizes, chosen with the ``FUZZ_PROFILE`` environment variable:

- ``ci`` (the default): a small sample per test, so the suite stays quick::

      pytest tests/test_fuzz.py

- ``nightly``: 10,000 examples per fuzz target (500 for the app runs, about a second each)::

      FUZZ_PROFILE=nightly pytest tests/test_fuzz.py -p no:cacheprovider

The profiles are named ``fuzz-ci`` and ``fuzz-nightly`` and applied to these tests only, so
they never change Hypothesis' settings for the rest of the suite (nor its own ``ci`` profile).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import re
import zlib
from datetime import date
from pathlib import Path

import altair as alt
import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conversion import counting, reading, sources
from conversion.analysis import stats
from conversion.definition import Definition
from conversion.errors import InputError
from conversion.presentation import export, output
from conversion.reading.samples import SAMPLES
from conversion.sharing import links, snapshot

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"

_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("fuzz-ci", max_examples=100, deadline=None, suppress_health_check=_SLOW)
settings.register_profile(
    "fuzz-nightly", max_examples=10_000, deadline=None, suppress_health_check=_SLOW
)
PROFILE = os.environ.get("FUZZ_PROFILE", "ci").strip() or "ci"
if PROFILE not in ("ci", "nightly"):
    raise RuntimeError(f"FUZZ_PROFILE must be 'ci' or 'nightly', not {PROFILE!r}")
FUZZ = settings.get_profile(f"fuzz-{PROFILE}")
# Each app run takes about a second: fewer of them.
APP_FUZZ = settings(FUZZ, max_examples=20 if PROFILE == "ci" else 500)

# --- text that tends to break things ---------------------------------------------------------

# A token planted in markup, so escaping can be checked wherever the text ends up.
TOKEN = "ZQX"
MARKUP = [
    f"<b>{TOKEN}</b>",
    f"**{TOKEN}**",
    f"*{TOKEN}*",
    f"[{TOKEN}](javascript:alert(1))",
    f"![{TOKEN}](http://127.0.0.1/x.png)",
    f"<script>{TOKEN}</script>",
    f"<img src=x onerror={TOKEN}>",
]
AWKWARD = [
    "",
    " ",
    "\t",
    "\x00",
    "a\x00b",
    "line\nbreak",
    "cr\rreturn",
    "\x1b[31mred",
    "\u202eevil",  # right-to-left override
    "\ufeffbom",
    "é",
    "Ａ",  # full-width A
    "²",  # a digit to str.isdigit, not to int()
    "٣",  # Arabic-Indic three
    "-1",
    "1e309",
    "NaN",
    "inf",
    "%00",
    "../../etc/passwd",
    "null",
    "(missing)",
    "Other",
]
# Names the engine uses for its own output columns: a file may well have a column so named.
# Result columns: a segment of that name is refused with a message (see the test below).
RESULT_NAMES = ["contacts", "customers"]
RESERVED = [
    "rows",
    "status",
    "as_of",
    "segment_conflicts",
    "flag_conflicts",
    "empty_flags",
    "negative_lags",
    "outside_window",
]

any_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
control_text = st.text(alphabet=st.characters(max_codepoint=0x9F), max_size=30)
long_text = st.tuples(st.text(min_size=1, max_size=4), st.integers(50, 1_500)).map(
    lambda pair: (pair[0] * pair[1])[: pair[1]]
)
nasty_text = st.one_of(
    st.sampled_from(MARKUP), st.sampled_from(AWKWARD), any_text, control_text, long_text
)

# --- (a) the URL decoder ---------------------------------------------------------------------

query_values = st.one_of(
    nasty_text,
    st.sampled_from(["5", "90", "none", "custom", "ecommerce", "donut", "pie", "month", "12.5"]),
)
queries = st.dictionaries(
    st.one_of(st.sampled_from([*links.KEYS, "snapshot"]), any_text),
    st.lists(query_values, max_size=4),
    max_size=12,
)


@FUZZ
@given(queries)
@example({"top": ["²"]})
@example({"window": ["²"]})
@example({"bands": ["custom"], "strong": ["nan"], "moderate": ["inf"]})
def test_from_query_never_raises_and_reads_back_what_it_writes(params):
    state = links.from_query(params, samples=list(SAMPLES))
    assert isinstance(state, links.LinkState)
    assert all(isinstance(notice, str) for notice in state.notices)
    if state.segments is not None:
        assert 1 <= len(state.segments) <= links.MAX_SEGMENTS
        assert all(len(s) <= links.MAX_TEXT for s in state.segments)
    assert state.top_k is None or 1 <= state.top_k <= 500
    assert state.window_days is None or 0 <= state.window_days <= 3650
    assert state.sample is None or state.sample in SAMPLES
    # Whatever the decoder kept, the encoder writes in a form the decoder reads without notice.
    again = links.from_query(
        {k: v if isinstance(v, list) else [v] for k, v in links.to_query(state).items()}
    )
    assert again.notices == ()


# --- (b) snapshot links ----------------------------------------------------------------------


def _pack(document: object) -> str:
    raw = json.dumps(document, ensure_ascii=False).encode("utf-8")
    return snapshot.PREFIX + base64.urlsafe_b64encode(zlib.compress(raw)).decode().rstrip("=")


VALID_TABLE = pl.DataFrame(
    {
        f"**{TOKEN}** source": [f"<b>{TOKEN}</b>", f"[{TOKEN}](javascript:x)", "Web"],
        "contacts": [40, 30, 20],
        "customers": [12, 3, 5],
    }
)
VALID_LINK = snapshot.encode(
    VALID_TABLE,
    [f"**{TOKEN}** source"],
    name=f"<i>{TOKEN}</i>.csv",
    view=links.LinkState(segments=(f"**{TOKEN}** source",), chart="pie"),
    window_days=90,
)
VALID_DOCUMENT = json.loads(
    zlib.decompress(base64.urlsafe_b64decode(VALID_LINK[2:] + "=" * (-len(VALID_LINK) % 4)))
)

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), nasty_text),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=12,
)


@st.composite
def mutated_links(draw) -> str:
    """A valid snapshot link with bits flipped, cut short, extended, or one field replaced."""
    how = draw(st.sampled_from(["flip", "truncate", "extend", "field", "row", "nest"]))
    if how == "flip":
        text = list(VALID_LINK)
        for _ in range(draw(st.integers(1, 4))):
            position = draw(st.integers(0, len(text) - 1))
            text[position] = draw(st.characters(codec="utf-8", exclude_categories=("Cs",)))
        return "".join(text)
    if how == "truncate":
        return VALID_LINK[: draw(st.integers(0, len(VALID_LINK) - 1))]
    if how == "extend":
        return VALID_LINK + draw(nasty_text)
    document = json.loads(json.dumps(VALID_DOCUMENT))
    if how == "field":
        key = draw(st.sampled_from([*document, "extra"]))
        document[key] = draw(json_values)
    elif how == "row":
        row = draw(st.integers(0, len(document["rows"]) - 1))
        column = draw(st.integers(0, 2))
        document["rows"][row][column] = draw(json_values)
    else:  # deeply nested JSON: a short link that parses into a very deep structure
        depth = draw(st.integers(100, 200_000))
        packed = base64.urlsafe_b64encode(zlib.compress(b"[" * depth, 9)).decode().rstrip("=")
        return snapshot.PREFIX + packed
    return _pack(document)


snapshot_texts = st.one_of(nasty_text, mutated_links())


@FUZZ
@given(snapshot_texts)
@example("².abc")
@example(snapshot.PREFIX + base64.urlsafe_b64encode(zlib.compress(b"[" * 100_000, 9)).decode())
@example(VALID_LINK)
def test_snapshot_decode_raises_only_input_error(text):
    try:
        shared = snapshot.decode(text)
    except InputError as error:
        assert str(error)
        return
    assert isinstance(shared, snapshot.Snapshot)
    table = shared.table
    assert table.columns == [*shared.segments, "contacts", "customers"]
    assert (table["customers"] <= table["contacts"]).all()
    assert (table["customers"] >= 0).all()


def test_a_valid_snapshot_survives_the_fuzzer_s_round_trip():
    shared = snapshot.decode(VALID_LINK)
    assert shared.table.equals(VALID_TABLE)
    assert shared.name == f"<i>{TOKEN}</i>.csv"


# --- (c) the engine --------------------------------------------------------------------------

column_names = st.one_of(
    st.sampled_from(MARKUP + RESERVED + RESULT_NAMES + ["id", "source", "won", "signup", "bought"]),
    nasty_text.filter(lambda name: len(name) <= 200),
    st.integers(190, 200).map(lambda n: ("long name " * 30)[:n]),
)


@st.composite
def name_lists(draw) -> list[str]:
    """2–5 distinct names, sometimes differing only by case or surrounding whitespace.

    Never the empty name: the loader names an empty header ``column <position>``.
    """
    names = draw(st.lists(column_names.filter(bool), min_size=2, max_size=5, unique=True))
    if draw(st.booleans()):
        base = names[0]
        names += [base.upper(), base.lower(), f" {base}", f"{base} ", base.swapcase()]
    return list(dict.fromkeys(names))[:6]


CELLS = [
    "",
    " ",
    "yes",
    "no",
    "Y",
    "N",
    "TRUE",
    "false",
    "1",
    "0",
    "won",
    "lost",
    "customer",
    "2024-01-31",
    "31/01/2024",
    "01-31-2024",
    "2024-13-45",
    "26-02-2018 19:58",
    "2024-02-30",
    "20240131",
    "12.5",
    "-3",
    "1e309",
    "NaN",
    "0x1F",
]
cell_values = st.one_of(st.none(), st.sampled_from(CELLS + MARKUP + AWKWARD), any_text)


@st.composite
def tables(draw) -> pl.DataFrame:
    names = draw(name_lists())
    height = draw(st.integers(0, 12))
    columns = {
        name: draw(st.lists(cell_values, min_size=height, max_size=height)) for name in names
    }
    frame = pl.DataFrame(columns, schema={name: pl.String for name in names})
    if draw(st.booleans()):  # a typed column too, as Parquet or Excel would give
        typed = draw(st.sampled_from(names))
        numbers = draw(st.lists(st.integers(-5, 50) | st.none(), min_size=height, max_size=height))
        frame = frame.with_columns(pl.Series(typed, numbers, dtype=pl.Int64))
    return frame


@st.composite
def definitions(draw, names: list[str]) -> Definition:
    """A definition over ``names`` (now and then naming a column that is not there)."""
    column = st.sampled_from(names) | st.just("no such column")
    maybe = st.none() | st.sampled_from(names)
    segments = tuple(draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True)))
    if draw(st.integers(0, 9)) == 0:
        segments = (*segments[:1], "no such column")
    kind = draw(st.sampled_from(["flag", "date", "aggregated"]))
    fields: dict = {"segments": segments}
    if kind == "aggregated":
        fields |= {"contacts_column": draw(column), "customers_column": draw(column)}
    else:
        if kind == "flag":
            fields["converted"] = draw(column)
            fields["customer_values"] = tuple(
                draw(st.lists(st.sampled_from(CELLS + MARKUP), max_size=2))
            )
        fields["converted_date"] = draw(maybe) if kind == "flag" else draw(column)
        fields["id"] = draw(maybe)
        fields["contact_date"] = draw(maybe)
        fields["window_days"] = draw(st.none() | st.integers(0, 400))
        fields["as_of"] = draw(st.none() | st.dates(date(1990, 1, 1), date(2100, 1, 1)))
        fields["date_format"] = draw(st.none() | st.sampled_from(["%d/%m/%Y", "%Y-%m-%d", "%Q"]))
        bucketed = draw(st.none() | st.sampled_from(segments))
        if bucketed:
            bucket = draw(st.sampled_from(["week", "month", "quarter", "year"]))
            fields["date_buckets"] = ((bucketed, bucket),)
        binned = draw(st.none() | st.sampled_from(segments))
        if binned and binned != bucketed:
            fields["bins"] = ((binned, draw(st.integers(2, 5))),)
    fields["top_k"] = draw(st.none() | st.integers(1, 3))
    return Definition(**fields)


def check_counts(counts: counting.Counts, frame: pl.DataFrame, d: Definition) -> None:
    table = counts.table
    q = counts.quality
    assert table.columns == [*d.segments, "contacts", "customers"]
    assert (table["customers"] >= 0).all()
    assert (table["customers"] <= table["contacts"]).all()
    assert not table.select(d.segments).is_duplicated().any()
    assert counts.customers <= counts.contacts
    assert counts.contacts == q.counted
    assert q.rows == frame.height
    if d.pre_aggregated:
        # Each row already counts many contacts: the total is not bounded by the rows.
        assert q.counted == q.contacts
    else:
        assert q.counted <= q.contacts <= q.rows
        left_out = counts.excluded.filter(pl.col(counting.EXCLUSION) != counting.MISSING_ID)[
            "contacts"
        ].sum()
        assert q.counted + left_out == q.contacts
        if d.id is None:
            assert q.contacts == frame.height
    assert all(isinstance(w, str) and w for w in counts.warnings)


@FUZZ
@given(st.data())
def test_engine_raises_only_input_error_and_its_totals_add_up(data):
    frame = data.draw(tables())
    try:
        definition = data.draw(definitions(frame.columns))
    except InputError:
        return  # the definition itself was refused, with a message
    try:
        counts = counting.count(sources.of(frame, "fuzz.csv"), definition)
    except InputError as error:
        assert str(error)
        return
    check_counts(counts, frame, definition)
    described = stats.describe(counts.table, definition.bands)
    assert export.table_csv(described, list(definition.segments))


@pytest.mark.parametrize("name", RESERVED)
def test_a_segment_column_may_have_the_name_of_an_output_column(name):
    """``status`` or ``customers`` are ordinary CRM column names; the engine must count them."""
    frame = pl.DataFrame(
        {name: ["a", "b", "a"], "won": ["yes", "no", "yes"], "record": ["1", "2", "3"]}
    )
    counts = counting.count(
        frame.lazy(), Definition(segments=(name,), converted="won", id="record")
    )
    assert counts.table.rows() == [("a", 2, 2), ("b", 1, 0)]


@pytest.mark.parametrize("name", RESULT_NAMES)
def test_a_segment_column_named_like_a_result_column_is_refused_with_advice(name):
    frame = pl.DataFrame({name: ["a", "b"], "won": ["yes", "no"]})
    with pytest.raises(InputError, match=f"'{name}'.*Rename"):
        counting.count(frame.lazy(), Definition(segments=(name,), converted="won"))


# --- (d) the loader --------------------------------------------------------------------------

EXTENSIONS = [
    ".csv", ".tsv", ".txt", ".xlsx", ".xls", ".parquet", ".json", ".ndjson", ".jsonl", ".gz",
    ".csv.gz", "", ".bin", ".CSV",
]  # fmt: skip


@st.composite
def delimited_text(draw) -> bytes:
    """Text that looks like a table: random (duplicate, odd) header names and cells."""
    names = draw(st.lists(column_names, min_size=1, max_size=4))
    if draw(st.booleans()):
        names.append(names[0])  # a duplicate header
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    rows = draw(
        st.lists(st.lists(cell_values.map(lambda v: v or ""), min_size=1, max_size=5), max_size=6)
    )
    lines = [delimiter.join(names), *(delimiter.join(row) for row in rows)]
    text = draw(st.sampled_from(["\n", "\r\n"])).join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    return text.encode(encoding, errors="replace")


file_contents = st.one_of(
    st.binary(max_size=2_000),
    delimited_text(),
    delimited_text().map(gzip.compress),
    st.sampled_from([b"PAR1garbage", b"PK\x03\x04" + bytes(64), b'[{"a": 1}, 2]', b'{"a": [}']),
    json_values.map(lambda value: json.dumps(value).encode()),
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@FUZZ
@given(content=file_contents, extension=st.sampled_from(EXTENSIONS))
def test_load_raises_only_input_error_and_leaves_the_file_alone(
    tmp_path_factory, content, extension
):
    path = tmp_path_factory.mktemp("fuzz") / f"upload{extension}"
    path.write_bytes(content)
    before = sha256(path)
    try:
        table = reading.load(path, name=path.name)
        # What the Data page does next: list the columns and preview the first rows.
        assert all(isinstance(c, str) for c in table.columns)
        assert len(set(table.columns)) == len(table.columns)
        table.frame.head(20).collect()
    except InputError as error:
        assert str(error)
    assert sha256(path) == before


# --- (e) the pages ---------------------------------------------------------------------------

page_values = st.one_of(
    nasty_text,
    st.sampled_from([*SAMPLES, "source", "age", "company_size", "month", "5", "none", "custom"]),
)
page_queries = st.dictionaries(
    st.sampled_from([*links.KEYS, "snapshot", "junk"]),
    st.one_of(page_values.map(lambda v: [v]), st.lists(page_values, min_size=2, max_size=3)),
    max_size=6,
)


@st.composite
def app_queries(draw) -> dict[str, list[str]]:
    query = draw(page_queries)
    choice = draw(st.sampled_from(["none", "valid", "mutated"]))
    if choice == "valid":
        query["snapshot"] = [VALID_LINK]
    elif choice == "mutated":
        query["snapshot"] = [draw(mutated_links())]
    return query


MARKDOWN_ELEMENTS = (
    "markdown", "caption", "title", "header", "subheader", "warning", "error", "info", "success",
    "toast",
)  # fmt: skip
# A planted token right after markup that was not escaped: "<b>ZQX", "[ZQX", "**ZQX".
UNESCAPED = re.compile(rf"(?<!\\)[>\[*_`]{TOKEN}")


def rendered_texts(at) -> list[tuple[str, str, bool]]:
    """(kind, text, allows HTML) for everything Streamlit renders as Markdown."""
    found = []
    for kind in MARKDOWN_ELEMENTS:
        for element in at.get(kind):
            found.append((kind, str(element.value), bool(getattr(element, "allow_html", False))))
    for metric in at.metric:
        found.append(("metric label", metric.label, False))
        found.append(("metric value", str(metric.value), False))
    return found


def assert_escaped(at) -> None:
    for kind, text, allow_html in rendered_texts(at):
        if TOKEN in text:
            assert not allow_html, f"{kind} with user text allows HTML: {text[:200]!r}"
            assert not UNESCAPED.search(text), f"{kind} shows user markup: {text[:200]!r}"


@APP_FUZZ
@given(query=app_queries(), page=st.sampled_from([None, "data", "trends", "compare", "guide"]))
@example(query={"top": ["²"]}, page=None)
@example(query={"snapshot": ["².x"]}, page=None)
@example(query={"snapshot": [VALID_LINK]}, page=None)
@example(query={"seg": MARKUP[:2], "sample": ["web"]}, page="data")
def test_the_app_survives_any_query_string_and_escapes_what_it_shows(query, page):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update({k: v[0] if len(v) == 1 else v for k, v in query.items()})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert_escaped(at)
    if page is not None:
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, [e.value for e in at.exception]
        assert_escaped(at)


# --- (f) nothing lost ------------------------------------------------------------------------


def test_samples_and_inputs_are_never_modified_by_counting_or_exporting(tmp_path):
    files = sorted(p for p in SAMPLE_DATA.iterdir() if p.is_file())
    before = {p.name: sha256(p) for p in files}
    upload = tmp_path / "leads.csv"
    upload.write_bytes(b"\xef\xbb\xbfid,source,won\r\n1,Ads,Y\r\n2,Web,N\r\n3,Ads,N\r\n")
    upload_hash = sha256(upload)
    for sample in SAMPLES.values():
        contacts = reading.load(sample.contacts_path)
        orders = reading.load(sample.orders_path) if sample.orders_path else None
        counts = counting.count(contacts, sample.definition, orders)
        exported_files(counts, sample.definition, sample.title, tmp_path / sample.key)
    table = reading.load(upload)
    definition = Definition(segments=("source",), converted="won", id="id")
    exported_files(counting.count(table, definition), definition, "leads", tmp_path / "up")
    assert {p.name: sha256(p) for p in sorted(SAMPLE_DATA.iterdir()) if p.is_file()} == before
    assert sha256(upload) == upload_hash


def exported_files(
    counts: counting.Counts, definition: Definition, name: str, folder: Path
) -> None:
    """Every export of ``counts``, written the way a caller should: atomically."""
    folder.mkdir()
    segments = list(definition.segments)
    described = stats.describe(counts.table, definition.bands)
    output.write_atomically(folder / "table.csv", export.table_csv(described, segments))
    xlsx = export.table_xlsx(described, segments, title=name, counts=counts)
    output.write_atomically(folder / "table.xlsx", xlsx)
    assert sorted(p.name for p in folder.iterdir()) == ["table.csv", "table.xlsx"]


def test_a_failing_export_leaves_the_old_file_and_no_partial_one(tmp_path, monkeypatch):
    target = tmp_path / "table.csv"
    target.write_bytes(b"the previous, complete export\n")

    def leftovers() -> list[str]:
        return sorted(p.name for p in tmp_path.iterdir())

    # 1. The content cannot be made: a chart that would need the network.
    remote = alt.Chart("https://example.invalid/data.csv").mark_bar().encode(x="a:N", y="b:Q")
    with pytest.raises(export.ExportError):
        output.write_atomically(target, export.chart_svg(remote))
    # 2. The content is not bytes or text: the write itself fails.
    with pytest.raises(TypeError):
        output.write_atomically(target, 12345)  # type: ignore[arg-type]
    # 3. The disk fills up halfway through the write.
    real_fdopen = os.fdopen

    class HalfWritten:
        def __init__(self, stream):
            self.stream = stream

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.stream.close()

        def write(self, data):
            self.stream.write(data[: len(data) // 2])
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "fdopen", lambda fd, mode: HalfWritten(real_fdopen(fd, mode)))
    with pytest.raises(OSError, match="No space"):
        output.write_atomically(target, b"x" * 10_000)
    monkeypatch.undo()
    # 4. The rename fails (another process holds the file).
    monkeypatch.setattr(output.os, "replace", _refuse_rename)
    with pytest.raises(PermissionError):
        output.write_atomically(target, b"new content\n")
    monkeypatch.undo()

    assert target.read_bytes() == b"the previous, complete export\n"
    assert leftovers() == ["table.csv"]
    # And a write that succeeds replaces the file whole.
    output.write_atomically(target, "new, complete export\n")
    assert target.read_text(encoding="utf-8") == "new, complete export\n"
    assert leftovers() == ["table.csv"]


def _refuse_rename(source, target):
    raise PermissionError(13, "Permission denied", str(target))
