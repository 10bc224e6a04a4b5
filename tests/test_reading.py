"""Tests for conversion.reading: every input built in tmp_path, every result checked by value."""

from __future__ import annotations

import gzip
import json
import stat
from pathlib import Path

import polars as pl
import pytest

from conversion import reading
from conversion.errors import InputError

ROWS = [("007", "Nord", "yes"), ("012", "Sud", "no"), ("100", "Île-de-France", "yes")]
HEADER = ("id", "region", "converted")


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def delimited(sep: str, rows: list[tuple[str, ...]] = ROWS) -> str:
    return "".join(sep.join(row) + "\n" for row in [HEADER, *rows])


def rows_of(table: reading.Table) -> list[tuple[object, ...]]:
    return table.frame.collect().rows()


def message(excinfo: pytest.ExceptionInfo[InputError]) -> str:
    return str(excinfo.value)


@pytest.mark.parametrize(
    ("sep", "suffix"), [(",", "csv"), (";", "csv"), ("\t", "tsv"), ("|", "txt")]
)
def test_delimiters_are_detected(tmp_path: Path, sep: str, suffix: str) -> None:
    table = reading.load(write(tmp_path, f"leads.{suffix}", delimited(sep)))
    assert (table.format, table.delimiter, table.encoding) == ("csv", sep, "utf-8")
    assert table.columns == list(HEADER)
    assert rows_of(table) == ROWS
    assert table.name == f"leads.{suffix}"


def test_delimiter_can_be_forced(tmp_path: Path) -> None:
    path = write(tmp_path, "odd.csv", "a;b,c\n1;2,3\n4;5,6\n")
    assert reading.load(path).delimiter == ","
    table = reading.load(path, delimiter=";")
    assert (table.delimiter, table.columns) == (";", ["a", "b,c"])
    assert rows_of(table) == [("1", "2,3"), ("4", "5,6")]
    with pytest.raises(InputError, match=r"delimiter 'ab' given for odd\.csv is not usable"):
        reading.load(path, delimiter="ab")


def test_quoted_fields_with_delimiters_quotes_and_newlines(tmp_path: Path) -> None:
    text = 'id,comment,region\n1,"big, loud",Nord\n2,"line one\nline two",Sud\n3,"say ""hi""",Est\n'
    table = reading.load(write(tmp_path, "q.csv", text))
    assert rows_of(table) == [
        ("1", "big, loud", "Nord"),
        ("2", "line one\nline two", "Sud"),
        ("3", 'say "hi"', "Est"),
    ]


def test_utf8_bom_is_not_in_the_first_column_name(tmp_path: Path) -> None:
    table = reading.load(write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + delimited(",").encode()))
    assert table.encoding == "utf-8-sig"
    assert table.columns == ["id", "region", "converted"]
    assert rows_of(table) == ROWS


def test_header_names_are_stripped_and_empty_ones_named(tmp_path: Path) -> None:
    table = reading.load(write(tmp_path, "h.csv", ", id , region \n0,007,Nord\n"))
    assert table.columns == ["column 1", "id", "region"]
    assert rows_of(table) == [("0", "007", "Nord")]
    assert table.notes == ("Column 1 has no name in the header; it is called “column 1”.",)
    assert table.duplicates == ()


def test_several_empty_header_names(tmp_path: Path) -> None:
    table = reading.load(write(tmp_path, "h.csv", "id,,region,\n1,a,Nord,b\n"))
    assert table.columns == ["id", "column 2", "region", "column 4"]
    assert table.notes == (
        "Columns 2 and 4 have no name in the header; they are called “column 2” and “column 4”.",
    )
    wide = reading.load(
        write(tmp_path, "w.csv", "id,name" + "," * 6 + "\n" + "1,a" + ",x" * 6 + "\n")
    )
    assert wide.columns == ["id", "name", *(f"column {n}" for n in range(3, 9))]
    assert wide.notes == (
        "6 columns have no name in the header (columns 3, 4, 5, …); each is called "
        "“column N” after its position.",
    )


def test_leading_zeros_are_kept_and_empty_values_are_missing(tmp_path: Path) -> None:
    table = reading.load(write(tmp_path, "z.csv", "id,zip,amount\n0001,01000,\n0002,75001,3.50\n"))
    assert table.frame.collect_schema() == pl.Schema(
        {"id": pl.String, "zip": pl.String, "amount": pl.String}
    )
    assert rows_of(table) == [("0001", "01000", None), ("0002", "75001", "3.50")]


def test_crlf_and_blank_lines_do_not_become_rows(tmp_path: Path) -> None:
    table = reading.load(write(tmp_path, "b.csv", "id,region\r\n1,Nord\r\n\r\n2,Sud\r\n\r\n"))
    assert rows_of(table) == [("1", "Nord"), ("2", "Sud")]


def test_latin1_file_with_a_bad_byte_deep_inside(tmp_path: Path) -> None:
    filler = "".join(f"{i:06d},Paris,no\n" for i in range(20_000))  # ~300 KB of ASCII
    text = "id,region,name\n" + filler + "999998,Île-de-France,Müller\n999999,Köln,Ärger\n"
    path = write(tmp_path, "latin.csv", text.encode("latin-1"))
    assert path.read_bytes().index("Î".encode("latin-1")) > 200_000
    table = reading.load(path)
    assert table.encoding in {"cp1252", "latin-1"}
    frame = table.frame.collect()
    assert frame.height == 20_002
    assert frame.row(-2) == ("999998", "Île-de-France", "Müller")
    assert frame.row(-1) == ("999999", "Köln", "Ärger")
    assert table.path is not None and table.path != path  # a private UTF-8 copy was scanned
    assert path.read_bytes() == text.encode("latin-1")  # the input is never modified


def test_cp1252_characters_are_decoded(tmp_path: Path) -> None:
    path = write(tmp_path, "euro.csv", "id,price\n1,5 €\n".encode("cp1252"))
    table = reading.load(path)
    assert table.encoding == "cp1252"
    assert rows_of(table) == [("1", "5 €")]


def test_gzip_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.csv.gz", gzip.compress(delimited(";").encode()))
    table = reading.load(path)
    assert (table.name, table.format, table.delimiter) == ("leads.csv.gz", "csv", ";")
    assert rows_of(table) == ROWS
    assert reading.detect_format(path, "leads.csv.gz") == "csv"


def excel_workbook(tmp_path: Path) -> Path:
    path = tmp_path / "book.xlsx"
    contacts = pl.DataFrame({"id": ["007", "012"], "region": ["Nord", "Sud"]})
    orders = pl.DataFrame({"order": ["A1"], "id": ["007"]})
    import xlsxwriter

    with xlsxwriter.Workbook(path) as workbook:
        contacts.write_excel(workbook, worksheet="Contacts")
        orders.write_excel(workbook, worksheet="Orders")
        workbook.add_worksheet("Blank")
    return path


def test_excel_first_sheet_by_default_and_sheet_selection(tmp_path: Path) -> None:
    path = excel_workbook(tmp_path)
    assert reading.sheet_names(path) == ["Contacts", "Orders", "Blank"]
    first = reading.load(path)
    assert (first.format, first.sheet, first.sheets) == (
        "excel",
        "Contacts",
        ("Contacts", "Orders", "Blank"),
    )
    assert rows_of(first) == [("007", "Nord"), ("012", "Sud")]
    orders = reading.load(path, sheet="Orders")
    assert (orders.sheet, orders.columns, rows_of(orders)) == (
        "Orders",
        ["order", "id"],
        [("A1", "007")],
    )
    assert reading.detect_format(path, "book.xlsx") == "excel"


def test_excel_unknown_sheet_lists_the_sheets(tmp_path: Path) -> None:
    with pytest.raises(InputError) as excinfo:
        reading.load(excel_workbook(tmp_path), sheet="Leads")
    text = message(excinfo)
    assert "book.xlsx" in text and "“Leads”" in text
    assert "“Contacts”, “Orders”, “Blank”" in text and "Pick one" in text


def test_excel_empty_sheet(tmp_path: Path) -> None:
    with pytest.raises(InputError) as excinfo:
        reading.load(excel_workbook(tmp_path), sheet="Blank")
    text = message(excinfo)
    assert "Sheet “Blank” of book.xlsx is empty" in text and "Pick the sheet" in text


def test_parquet(tmp_path: Path) -> None:
    path = tmp_path / "leads.parquet"
    pl.DataFrame({"id": ["007", "012"], "age": [31, 45]}).write_parquet(path)
    table = reading.load(path, name="leads.parquet")
    assert table.format == "parquet"
    assert table.frame.collect_schema() == pl.Schema({"id": pl.String, "age": pl.Int64})
    assert rows_of(table) == [("007", 31), ("012", 45)]


def test_json_array(tmp_path: Path) -> None:
    records = [{"id": "007", "region": "Nord"}, {"id": "012", "region": None}]
    table = reading.load(write(tmp_path, "leads.json", json.dumps(records, indent=2)))
    assert table.format == "json"
    assert rows_of(table) == [("007", "Nord"), ("012", None)]


def test_ndjson(tmp_path: Path) -> None:
    text = '{"id": "007", "won": true}\n{"id": "012", "won": false}\n'
    table = reading.load(write(tmp_path, "leads.ndjson", text))
    assert table.format == "ndjson"
    assert rows_of(table) == [("007", True), ("012", False)]


def test_detect_format_content_wins_over_extension(tmp_path: Path) -> None:
    path = tmp_path / "really_parquet.csv"
    pl.DataFrame({"id": ["1"]}).write_parquet(path)
    assert reading.detect_format(path, "really_parquet.csv") == "parquet"
    assert rows_of(reading.load(path)) == [("1",)]
    json_path = write(tmp_path, "export.txt", '[{"id": "1"}]')
    assert reading.detect_format(json_path, "export.txt") == "json"


# --- bad input -----------------------------------------------------------------------------


def load_error(path: Path, **kwargs: object) -> str:
    with pytest.raises(InputError) as excinfo:
        reading.load(path, **kwargs)  # type: ignore[arg-type]
    return message(excinfo)


def test_missing_file(tmp_path: Path) -> None:
    text = load_error(tmp_path / "nope.csv", name="nope.csv")
    assert "nope.csv was not found" in text and "Check the file name" in text


@pytest.mark.parametrize("data", [b"", b"  \n\r\n\t \n"])
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    text = load_error(write(tmp_path, "up123.tmp", data), name="leads.csv")
    assert "leads.csv is empty" in text and "header row" in text and "up123" not in text


def test_header_only(tmp_path: Path) -> None:
    text = load_error(write(tmp_path, "h.csv", "id,region\n"))
    assert "h.csv has a header row but no data rows" in text
    assert "id, region" in text and "Export the table again" in text


def test_binary_file_renamed_csv(tmp_path: Path) -> None:
    data = bytes(range(256)) * 40
    text = load_error(write(tmp_path, "photo.csv", data))
    assert "photo.csv is not a text table" in text and "binary" in text
    assert "Upload a CSV, Excel (.xlsx), Parquet or JSON file" in text


def test_invalid_utf16_is_explained(tmp_path: Path) -> None:
    data = "id\tname\n1\tZoë\n".encode("utf-16") + b"x"  # an odd number of bytes
    text = load_error(write(tmp_path, "u16.txt", data))
    assert "u16.txt starts like UTF-16 text" in text and "not valid UTF-16" in text
    assert "CSV UTF-8" in text


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "big.csv", delimited(",") * 1000)
    size_mb = path.stat().st_size / 2**20
    text = load_error(path, max_bytes=2**20 // 100)
    assert f"big.csv is {size_mb:,.1f} MB" in text and "limit" in text and "smaller extract" in text
    assert rows_of(reading.load(path, max_bytes=None))[:3] == ROWS


def test_gzip_over_the_limit_once_decompressed(tmp_path: Path) -> None:
    data = gzip.compress(delimited(",").encode() + b"1,Nord,yes\n" * 200_000)
    path = write(tmp_path, "bomb.csv.gz", data)
    text = load_error(path, max_bytes=1_000_000)
    assert "bomb.csv.gz decompresses to more than" in text and "smaller extract" in text


@pytest.mark.parametrize(
    ("text", "line", "found"),
    [
        ("id,region\n1,Nord\n2,Sud,extra\n3,Est\n", 3, "3 fields"),
        ("id,region,won\n1,Nord,yes\n2,Sud\n3,Est,no\n", 3, "2 fields"),
        ('id,note\n1,"two\nlines"\n2\n', 4, "1 field "),
    ],
)
def test_wrong_number_of_fields_names_the_line(
    tmp_path: Path, text: str, line: int, found: str
) -> None:
    message_text = load_error(write(tmp_path, "ragged.csv", text))
    assert f"ragged.csv: line {line} has {found}" in message_text
    assert "double quotes" in message_text


def test_wrong_number_of_fields_past_a_chunk_boundary(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("conversion.reading.text._CHUNK", 1024)
    rows = "".join(f'{i},"a\nb",x\n' for i in range(2000))
    text = load_error(write(tmp_path, "deep.csv", "id,note,seg\n" + rows + "9,only two\n"))
    assert "deep.csv: line 4002 has 2 fields but the header has 3" in text


def test_unclosed_quote(tmp_path: Path) -> None:
    text = load_error(write(tmp_path, "quote.csv", 'id,note\n1,"open\n2,x\n'))
    assert "quote.csv cannot be split into columns" in text and "never closed" in text


def test_pretty_printed_single_json_object(tmp_path: Path) -> None:
    text = load_error(write(tmp_path, "one.json", '{\n  "id": "007"\n}\n'))
    assert "one.json" in text and "one complete object per line" in text
    assert "array of objects" in text


def test_invalid_json_array(tmp_path: Path) -> None:
    text = load_error(write(tmp_path, "broken.json", '[{"id": "007"}, {"id": '))
    assert "broken.json is not a valid JSON array of objects" in text and "Fix" in text


def test_input_error_translates_a_polars_error_with_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "late.csv", "id,region\n1,Nord\n2,Sud,extra\n")
    table = reading.Table(
        pl.scan_csv(path, infer_schema=False), "late.csv", "csv", delimiter=",", path=path
    )
    with pytest.raises(pl.exceptions.ComputeError) as excinfo:
        table.frame.collect()
    translated = reading.input_error(excinfo.value, table)
    assert str(translated).startswith("late.csv: line 3 has 3 fields but the header has 2")


# --- uploads -------------------------------------------------------------------------------


def test_save_upload_is_private_outside_the_repo_and_keeps_the_extension() -> None:
    path = reading.save_upload(b"id,region\n007,Nord\n", "../My Leads (2024).csv")
    repo = Path(__file__).resolve().parents[1]
    assert path.suffix == ".csv" and path.name.endswith("My_Leads__2024_.csv")
    assert not path.resolve().is_relative_to(repo)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.read_bytes() == b"id,region\n007,Nord\n"
    assert rows_of(reading.load(path, name="My Leads (2024).csv")) == [("007", "Nord")]


# --- encodings -----------------------------------------------------------------------------

UNICODE_TEXT = "id\tname\tcity\r\n1\tMüller\tKöln\r\n2\tZoë\tParis\r\n"  # Excel "Unicode text"
UNICODE_ROWS = [("1", "Müller", "Köln"), ("2", "Zoë", "Paris")]


def unchanged(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (b"\xff\xfe" + UNICODE_TEXT.encode("utf-16-le"), "utf-16-le"),
        (b"\xfe\xff" + UNICODE_TEXT.encode("utf-16-be"), "utf-16-be"),
    ],
)
def test_utf16_with_bom_is_read(tmp_path: Path, data: bytes, encoding: str) -> None:
    path = write(tmp_path, "unicode.txt", data)
    before = unchanged(path)
    table = reading.load(path)
    assert (table.format, table.delimiter, table.encoding) == ("csv", "\t", encoding)
    assert table.columns == ["id", "name", "city"]
    assert rows_of(table) == UNICODE_ROWS
    assert table.path is not None and table.path != path  # a private UTF-8 copy
    assert table.path.read_bytes() == UNICODE_TEXT.encode("utf-8")
    assert unchanged(path) == before
    assert reading.detect_format(path, "unicode.txt") == "csv"


def test_gzipped_utf16(tmp_path: Path) -> None:
    path = write(tmp_path, "unicode.txt.gz", gzip.compress(UNICODE_TEXT.encode("utf-16")))
    table = reading.load(path)
    assert (table.name, table.delimiter, table.encoding) == ("unicode.txt.gz", "\t", "utf-16-le")
    assert rows_of(table) == UNICODE_ROWS
    assert reading.detect_format(path, "unicode.txt.gz") == "csv"


def test_utf16_over_many_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An odd chunk size: characters are cut between chunks.
    monkeypatch.setattr("conversion.reading.text._CHUNK", 7)
    table = reading.load(write(tmp_path, "u.txt", UNICODE_TEXT.encode("utf-16")))
    assert rows_of(table) == UNICODE_ROWS


def test_utf16_json_is_json(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.json", '[{"id": "007", "name": "Zoë"}]'.encode("utf-16"))
    assert reading.detect_format(path, "leads.json") == "json"
    table = reading.load(path)
    assert (table.format, table.encoding, rows_of(table)) == ("json", "utf-16-le", [("007", "Zoë")])


def test_cp1252_with_a_title_and_a_footer(tmp_path: Path) -> None:
    data = "Export Umsätze\nid;price\n1;5 €\n2;3 €\n\nErstellt von Jürgen\n".encode("cp1252")
    path = write(tmp_path, "euro.csv", data)
    table = reading.load(path)
    assert (table.encoding, table.delimiter, table.columns) == ("cp1252", ";", ["id", "price"])
    assert rows_of(table) == [("1", "5 €"), ("2", "3 €")]
    assert table.notes == (
        "Line 1 of euro.csv is a title above the table (“Export Umsätze”); the header is line 2.",
        "The last 2 lines of euro.csv are a footer, not data (“Erstellt von Jürgen”); they "
        "were left out.",
    )
    assert path.read_bytes() == data


# --- repeated header names -------------------------------------------------------------------


def test_repeated_names_are_made_distinct(tmp_path: Path) -> None:
    text = "id,Objective,Objective,stage,Objective\n1,Leads,Sales,won,Leads\n"
    table = reading.load(write(tmp_path, "ads.csv", text))
    assert table.columns == ["id", "Objective", "Objective (2)", "stage", "Objective (3)"]
    assert rows_of(table) == [("1", "Leads", "Sales", "won", "Leads")]
    assert table.duplicates == (("Objective", ("Objective", "Objective (2)", "Objective (3)")),)
    assert table.notes == (
        "Column “Objective” appears 3 times in the header; the copies are named “Objective”, "
        "“Objective (2)” and “Objective (3)”.",
    )


def test_a_suffix_taken_by_a_real_column_is_skipped(tmp_path: Path) -> None:
    table = reading.load(write(tmp_path, "d.csv", "region,region (2), region\na,b,c\n"))
    assert table.columns == ["region", "region (2)", "region (3)"]
    assert table.duplicates == (("region", ("region", "region (3)")),)
    assert table.notes == (
        "Column “region” appears twice in the header; the copies are named “region” and "
        "“region (3)”.",
    )


def test_check_unambiguous(tmp_path: Path) -> None:
    text = "id,Objective,stage,Objective,stage\n1,Leads,won,Sales,won\n2,Leads,,Leads,\n"
    table = reading.load(write(tmp_path, "campaigns.csv", text))
    assert table.columns == ["id", "Objective", "stage", "Objective (2)", "stage (2)"]
    reading.check_unambiguous(table, ["id", "stage", "Objective (2)", "unknown"])  # no error
    with pytest.raises(InputError) as excinfo:
        reading.check_unambiguous(table, ["stage", "Objective"])
    assert message(excinfo) == (
        "“Objective” appears twice in the header of campaigns.csv, and those columns hold "
        "different values, so “Objective” does not say which one to use. Choose “Objective” "
        "or “Objective (2)”."
    )


def test_check_unambiguous_without_duplicates_reads_nothing() -> None:
    table = reading.Table(pl.LazyFrame({"id": ["1"]}), name="x.csv", format="csv")
    reading.check_unambiguous(table, ["id", "anything"])


def test_repeated_and_empty_names_in_json(tmp_path: Path) -> None:
    records = [{"id": "1", " id": "2", "": "x"}]
    table = reading.load(write(tmp_path, "r.json", json.dumps(records)))
    assert table.columns == ["id", "id (2)", "column 3"]
    assert table.duplicates == (("id", ("id", "id (2)")),)
    assert table.notes == (
        "Column 3 has no name in the header; it is called “column 3”.",
        "Column “id” appears twice in the header; the copies are named “id” and “id (2)”.",
    )


# --- lines above the header ----------------------------------------------------------------

GOOGLE_ADS = (
    "Campaign report\n"
    '"September 1, 2024 - September 30, 2024"\n'
    "Campaign,Clicks,Impr.,Cost\n"
    'Brand,10,"1,000",5.00\n'
    "Generic,3,200,1.50\n"
)


def test_google_ads_title_lines_are_left_out(tmp_path: Path) -> None:
    path = write(tmp_path, "ads.csv", GOOGLE_ADS)
    before = unchanged(path)
    table = reading.load(path)
    assert (table.delimiter, table.columns) == (",", ["Campaign", "Clicks", "Impr.", "Cost"])
    assert rows_of(table) == [("Brand", "10", "1,000", "5.00"), ("Generic", "3", "200", "1.50")]
    assert table.notes == (
        "Lines 1–2 of ads.csv are a title above the table (“Campaign report”, …); the header "
        "is line 3.",
    )
    assert table.line_offset == 2
    assert table.path != path and unchanged(path) == before


def test_google_analytics_comment_lines_are_left_out(tmp_path: Path) -> None:
    text = (
        "# ----------------------------------------\n"
        "# Sessions by source\n"
        "# 20240901-20240930\n"
        "# ----------------------------------------\n"
        "\n"
        "Source,Sessions,Users\n"
        "google,100,80\n"
        "bing,5,4\n"
    )
    table = reading.load(write(tmp_path, "ga.csv", text))
    assert table.columns == ["Source", "Sessions", "Users"]
    assert rows_of(table) == [("google", "100", "80"), ("bing", "5", "4")]
    assert table.notes == (
        "Lines 1–5 of ga.csv are a title above the table (“# Sessions by source”, …); the "
        "header is line 6.",
    )


def test_a_title_with_a_comma_does_not_fool_delimiter_detection(tmp_path: Path) -> None:
    table = reading.load(
        write(tmp_path, "s.csv", "Leads, September\nid;name;stage\n1;A;won\n2;B;\n")
    )
    assert (table.delimiter, table.columns) == (";", ["id", "name", "stage"])
    assert rows_of(table) == [("1", "A", "won"), ("2", "B", None)]
    assert table.notes == (
        "Line 1 of s.csv is a title above the table (“Leads, September”); the header is line 2.",
    )


def test_linkedin_like_title_with_label_and_value_lines(tmp_path: Path) -> None:
    text = (
        "Campaign Performance Report (in UTC)\n"
        "Report Start:\t9/1/2024\n"
        "Report End:\t9/30/2024\n"
        "Date\tAccount\tCampaign\tClicks\tImpressions\n"
        "9/1/2024\tAcme\tBrand\t10\t100\n"
        "9/2/2024\tAcme\tBrand\t12\t120\n"
    )
    table = reading.load(write(tmp_path, "li.csv", text.encode("utf-16")))
    assert (table.delimiter, table.encoding) == ("\t", "utf-16-le")
    assert table.columns == ["Date", "Account", "Campaign", "Clicks", "Impressions"]
    assert rows_of(table)[1] == ("9/2/2024", "Acme", "Brand", "12", "120")
    assert table.notes[0].startswith("Lines 1–3 of li.csv are a title above the table")


def test_an_excel_padded_title_line(tmp_path: Path) -> None:
    table = reading.load(write(tmp_path, "p.csv", "Leads report,,\n,,\nid,name,stage\n1,a,won\n"))
    assert (table.columns, rows_of(table)) == (["id", "name", "stage"], [("1", "a", "won")])
    assert table.notes == (
        "Lines 1–2 of p.csv are a title above the table (“Leads report”); the header is line 3.",
    )


@pytest.mark.parametrize(
    "text",
    [
        "id,region\n1,Nord\n",  # nothing above
        "\n\nid,region\n1,Nord\n",  # only blank lines above, which polars skips
        "#,region\n1,Nord\n",  # a column named "#" is not a comment
    ],
)
def test_no_title_no_note_and_no_copy(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "plain.csv", text)
    table = reading.load(path)
    assert table.notes == () and table.path == path and table.line_offset == 0
    assert len(rows_of(table)) == 1


def test_a_title_above_a_header_without_rows(tmp_path: Path) -> None:
    text = load_error(write(tmp_path, "t.csv", "Leads report\nid,region\n"))
    assert "t.csv has a header row but no data rows (columns: id, region)" in text


def test_header_row_can_be_given(tmp_path: Path) -> None:
    path = write(tmp_path, "odd.csv", "exported by: crm, v2\nid,region\n1,Nord\n")
    table = reading.load(path, header_row=2)
    assert (table.columns, rows_of(table)) == (["id", "region"], [("1", "Nord")])
    assert table.notes == (
        "Line 1 of odd.csv is a title above the table (“exported by: crm v2”); the header is "
        "line 2.",
    )
    first = load_error(write(tmp_path, "first.csv", GOOGLE_ADS), header_row=1)
    assert "first.csv: line 3 has 4 fields but the header has 1" in first


@pytest.mark.parametrize(
    ("header_row", "expected"),
    [
        (9, "ads.csv has 5 lines, so line 9 cannot be the header"),
        (0, "The header row given for ads.csv (0) is not a line number"),
    ],
)
def test_header_row_is_checked(tmp_path: Path, header_row: int, expected: str) -> None:
    text = load_error(write(tmp_path, "ads.csv", GOOGLE_ADS), header_row=header_row)
    assert expected in text


def test_header_row_on_a_blank_line_or_inside_a_quoted_value(tmp_path: Path) -> None:
    blank = load_error(write(tmp_path, "b.csv", "Title\n\nid,x\n1,2\n"), header_row=2)
    assert "Line 2 of b.csv is blank, so it cannot be the header" in blank
    inside = load_error(write(tmp_path, "q.csv", 'id,note\n1,"a\nb"\n'), header_row=3)
    assert "Line 3 of q.csv is inside a quoted value that starts on line 2" in inside


# --- lines below the table -------------------------------------------------------------------

SALESFORCE = (
    '"Opportunity Name","Stage","Amount"\r\n'
    '"Acme","Closed Won","100"\r\n'
    '"Beta, Inc.","Prospecting","50"\r\n'
    "\r\n"
    '"Confidential Information - Do Not Distribute"\r\n'
    '"Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved."\r\n'
    '"Generated By: Jane Doe  12/2/2024 10:15 AM"\r\n'
    '"Acme Corp"\r\n'
)


def test_salesforce_footer_is_left_out(tmp_path: Path) -> None:
    path = write(tmp_path, "report.csv", SALESFORCE)
    before = unchanged(path)
    table = reading.load(path)
    assert table.columns == ["Opportunity Name", "Stage", "Amount"]
    assert rows_of(table) == [("Acme", "Closed Won", "100"), ("Beta, Inc.", "Prospecting", "50")]
    assert table.notes == (
        "The last 5 lines of report.csv are a footer, not data (“Confidential Information - "
        "Do Not Distribute”, …); they were left out.",
    )
    assert table.line_offset == 0 and unchanged(path) == before


def test_footer_found_in_the_last_64_kb_of_a_long_file(tmp_path: Path) -> None:
    rows = "".join(f'"{i:06d}","Closed Won","{i}"\r\n' for i in range(10_000))  # ~250 KB
    text = SALESFORCE.split("\r\n", 1)[0] + "\r\n" + rows + SALESFORCE.split("\r\n", 3)[3]
    frame = reading.load(write(tmp_path, "long.csv", text)).frame.collect()
    assert frame.height == 10_000
    assert frame.row(-1) == ("009999", "Closed Won", "9999")


@pytest.mark.parametrize(
    "text",
    [
        'id,note\n1,x\n2,"a value\n\nover three lines"\n',  # a quoted value at the end
        "id,region\n1,Nord\n\n2,Sud\n\n",  # blank lines between rows and at the end
    ],
)
def test_no_footer_in_ordinary_endings(tmp_path: Path, text: str) -> None:
    table = reading.load(write(tmp_path, "end.csv", text))
    assert table.notes == () and len(rows_of(table)) == 2


def test_a_short_last_line_without_a_blank_line_above_is_still_an_error(tmp_path: Path) -> None:
    text = load_error(write(tmp_path, "cut.csv", "id,region,won\n1,Nord,yes\n2,Sud\n"))
    assert "cut.csv: line 3 has 2 fields but the header has 3" in text


def test_ragged_line_between_title_and_footer_has_its_line_in_the_file(tmp_path: Path) -> None:
    lines = GOOGLE_ADS.splitlines(keepends=True)
    text = "".join([*lines[:4], "Display,7\n", *lines[4:], "\n", "Generated 2024-10-01\n"])
    message_text = load_error(write(tmp_path, "ads.csv", text))
    assert "ads.csv: line 5 has 2 fields but the header has 4 (comma-separated)" in message_text


def test_lines_past_the_field_check_are_counted_in_the_original_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Leave the check to polars.
    monkeypatch.setattr("conversion.reading.files._FIELD_CHECK_BYTES", 0)
    rows = "".join(f"row{i},1,2,3\n" for i in range(20))
    text = load_error(write(tmp_path, "late.csv", GOOGLE_ADS + rows + "x,1,2,3,4,5\n"))
    assert text.startswith("late.csv: line 26 has 6 fields but the header has 4")
    rows = "".join(f"row{i},1,2,3\n" for i in range(300_000))  # polars reads the top only
    table = reading.load(write(tmp_path, "later.csv", GOOGLE_ADS + rows + "x,1,2,3,4,5\n"))
    assert table.line_offset == 2
    with pytest.raises(pl.exceptions.PolarsError) as excinfo:
        table.frame.collect()
    translated = reading.input_error(excinfo.value, table)
    assert str(translated).startswith("later.csv: line 300006 has 6 fields but the header has 4")


# --- Excel: title rows, footer rows, repeated names ------------------------------------------


def excel_report(tmp_path: Path) -> Path:
    import xlsxwriter

    path = tmp_path / "report.xlsx"
    with xlsxwriter.Workbook(path) as workbook:
        sheet = workbook.add_worksheet("Report")
        sheet.write(0, 0, "Campaign report")
        sheet.write(1, 0, "September 1, 2024 - September 30, 2024")
        sheet.write_row(3, 0, ["Campaign", "Clicks", "", "Clicks", "Cost"])
        sheet.write_row(4, 0, ["Brand", 10, "x", 10, 5.5])
        sheet.write_row(5, 0, ["Generic", 3, "y", 3, 1.25])
        sheet.write(7, 0, "Confidential Information - Do Not Distribute")
        sheet.write(8, 0, "Generated By: Jane Doe")
    return path


def test_excel_title_footer_and_repeated_names(tmp_path: Path) -> None:
    table = reading.load(excel_report(tmp_path))
    assert table.columns == ["Campaign", "Clicks", "column 3", "Clicks (2)", "Cost"]
    assert rows_of(table) == [("Brand", 10, "x", 10, 5.5), ("Generic", 3, "y", 3, 1.25)]
    assert table.duplicates == (("Clicks", ("Clicks", "Clicks (2)")),)
    assert table.notes == (
        "Rows 1–3 of sheet “Report” of report.xlsx are a title above the table (“Campaign "
        "report”, …); the header is row 4.",
        "The last 3 rows of sheet “Report” of report.xlsx are a footer, not data "
        "(“Confidential Information - Do Not Distribute”, …); they were left out.",
        "Column 3 has no name in the header; it is called “column 3”.",
        "Column “Clicks” appears twice in the header; the copies are named “Clicks” and "
        "“Clicks (2)”.",
    )
    reading.check_unambiguous(table, ["Clicks"])  # the copies agree


def test_excel_header_row_can_be_given(tmp_path: Path) -> None:
    path = excel_report(tmp_path)
    table = reading.load(path, header_row=4)
    assert table.columns == ["Campaign", "Clicks", "column 3", "Clicks (2)", "Cost"]
    assert len(rows_of(table)) == 2
    text = load_error(path, header_row=30)
    assert "Sheet “Report” of report.xlsx has nothing from row 30 on" in text


def test_excel_names_that_look_like_calamine_renames(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "names.xlsx"
    with xlsxwriter.Workbook(path) as workbook:
        sheet = workbook.add_worksheet("S")
        sheet.write_row(0, 0, ["stage", "stage_1", "stage"])
        sheet.write_row(1, 0, ["won", "lead", "lost"])
    table = reading.load(path)
    assert table.columns == ["stage", "stage_1", "stage (2)"]
    assert rows_of(table) == [("won", "lead", "lost")]
    with pytest.raises(InputError, match=r"Choose “stage” or “stage \(2\)”"):
        reading.check_unambiguous(table, ["stage"])
