"""Tests for conversion.io: every input built in tmp_path, every result checked by value."""

from __future__ import annotations

import gzip
import json
import stat
from pathlib import Path

import polars as pl
import pytest

from conversion import io
from conversion.errors import InputError

ROWS = [("007", "Nord", "yes"), ("012", "Sud", "no"), ("100", "Île-de-France", "yes")]
HEADER = ("id", "region", "converted")


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def delimited(sep: str, rows: list[tuple[str, ...]] = ROWS) -> str:
    return "".join(sep.join(row) + "\n" for row in [HEADER, *rows])


def rows_of(table: io.Table) -> list[tuple[object, ...]]:
    return table.frame.collect().rows()


def message(excinfo: pytest.ExceptionInfo[InputError]) -> str:
    return str(excinfo.value)


@pytest.mark.parametrize(
    ("sep", "suffix"), [(",", "csv"), (";", "csv"), ("\t", "tsv"), ("|", "txt")]
)
def test_delimiters_are_detected(tmp_path: Path, sep: str, suffix: str) -> None:
    table = io.load(write(tmp_path, f"leads.{suffix}", delimited(sep)))
    assert (table.format, table.delimiter, table.encoding) == ("csv", sep, "utf-8")
    assert table.columns == list(HEADER)
    assert rows_of(table) == ROWS
    assert table.name == f"leads.{suffix}"


def test_delimiter_can_be_forced(tmp_path: Path) -> None:
    path = write(tmp_path, "odd.csv", "a;b,c\n1;2,3\n4;5,6\n")
    assert io.load(path).delimiter == ","
    table = io.load(path, delimiter=";")
    assert (table.delimiter, table.columns) == (";", ["a", "b,c"])
    assert rows_of(table) == [("1", "2,3"), ("4", "5,6")]
    with pytest.raises(InputError, match=r"delimiter 'ab' given for odd\.csv is not usable"):
        io.load(path, delimiter="ab")


def test_quoted_fields_with_delimiters_quotes_and_newlines(tmp_path: Path) -> None:
    text = 'id,comment,region\n1,"big, loud",Nord\n2,"line one\nline two",Sud\n3,"say ""hi""",Est\n'
    table = io.load(write(tmp_path, "q.csv", text))
    assert rows_of(table) == [
        ("1", "big, loud", "Nord"),
        ("2", "line one\nline two", "Sud"),
        ("3", 'say "hi"', "Est"),
    ]


def test_utf8_bom_is_not_in_the_first_column_name(tmp_path: Path) -> None:
    table = io.load(write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + delimited(",").encode()))
    assert table.encoding == "utf-8-sig"
    assert table.columns == ["id", "region", "converted"]
    assert rows_of(table) == ROWS


def test_header_names_are_stripped_and_empty_ones_named(tmp_path: Path) -> None:
    table = io.load(write(tmp_path, "h.csv", ", id , region \n0,007,Nord\n"))
    assert table.columns == ["unnamed_1", "id", "region"]
    assert rows_of(table) == [("0", "007", "Nord")]


def test_leading_zeros_are_kept_and_empty_values_are_missing(tmp_path: Path) -> None:
    table = io.load(write(tmp_path, "z.csv", "id,zip,amount\n0001,01000,\n0002,75001,3.50\n"))
    assert table.frame.collect_schema() == pl.Schema(
        {"id": pl.String, "zip": pl.String, "amount": pl.String}
    )
    assert rows_of(table) == [("0001", "01000", None), ("0002", "75001", "3.50")]


def test_crlf_and_blank_lines_do_not_become_rows(tmp_path: Path) -> None:
    table = io.load(write(tmp_path, "b.csv", "id,region\r\n1,Nord\r\n\r\n2,Sud\r\n\r\n"))
    assert rows_of(table) == [("1", "Nord"), ("2", "Sud")]


def test_latin1_file_with_a_bad_byte_deep_inside(tmp_path: Path) -> None:
    filler = "".join(f"{i:06d},Paris,no\n" for i in range(20_000))  # ~300 KB of ASCII
    text = "id,region,name\n" + filler + "999998,Île-de-France,Müller\n999999,Köln,Ärger\n"
    path = write(tmp_path, "latin.csv", text.encode("latin-1"))
    assert path.read_bytes().index("Î".encode("latin-1")) > 200_000
    table = io.load(path)
    assert table.encoding in {"cp1252", "latin-1"}
    frame = table.frame.collect()
    assert frame.height == 20_002
    assert frame.row(-2) == ("999998", "Île-de-France", "Müller")
    assert frame.row(-1) == ("999999", "Köln", "Ärger")
    assert table.path is not None and table.path != path  # a private UTF-8 copy was scanned
    assert path.read_bytes() == text.encode("latin-1")  # the input is never modified


def test_cp1252_characters_are_decoded(tmp_path: Path) -> None:
    path = write(tmp_path, "euro.csv", "id,price\n1,5 €\n".encode("cp1252"))
    table = io.load(path)
    assert table.encoding == "cp1252"
    assert rows_of(table) == [("1", "5 €")]


def test_gzip_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.csv.gz", gzip.compress(delimited(";").encode()))
    table = io.load(path)
    assert (table.name, table.format, table.delimiter) == ("leads.csv.gz", "csv", ";")
    assert rows_of(table) == ROWS
    assert io.detect_format(path, "leads.csv.gz") == "csv"


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
    assert io.sheet_names(path) == ["Contacts", "Orders", "Blank"]
    first = io.load(path)
    assert (first.format, first.sheet, first.sheets) == (
        "excel",
        "Contacts",
        ("Contacts", "Orders", "Blank"),
    )
    assert rows_of(first) == [("007", "Nord"), ("012", "Sud")]
    orders = io.load(path, sheet="Orders")
    assert (orders.sheet, orders.columns, rows_of(orders)) == (
        "Orders",
        ["order", "id"],
        [("A1", "007")],
    )
    assert io.detect_format(path, "book.xlsx") == "excel"


def test_excel_unknown_sheet_lists_the_sheets(tmp_path: Path) -> None:
    with pytest.raises(InputError) as excinfo:
        io.load(excel_workbook(tmp_path), sheet="Leads")
    text = message(excinfo)
    assert "book.xlsx" in text and "“Leads”" in text
    assert "“Contacts”, “Orders”, “Blank”" in text and "Pick one" in text


def test_excel_empty_sheet(tmp_path: Path) -> None:
    with pytest.raises(InputError) as excinfo:
        io.load(excel_workbook(tmp_path), sheet="Blank")
    text = message(excinfo)
    assert "Sheet “Blank” of book.xlsx is empty" in text and "Pick the sheet" in text


def test_parquet(tmp_path: Path) -> None:
    path = tmp_path / "leads.parquet"
    pl.DataFrame({"id": ["007", "012"], "age": [31, 45]}).write_parquet(path)
    table = io.load(path, name="leads.parquet")
    assert table.format == "parquet"
    assert table.frame.collect_schema() == pl.Schema({"id": pl.String, "age": pl.Int64})
    assert rows_of(table) == [("007", 31), ("012", 45)]


def test_json_array(tmp_path: Path) -> None:
    records = [{"id": "007", "region": "Nord"}, {"id": "012", "region": None}]
    table = io.load(write(tmp_path, "leads.json", json.dumps(records, indent=2)))
    assert table.format == "json"
    assert rows_of(table) == [("007", "Nord"), ("012", None)]


def test_ndjson(tmp_path: Path) -> None:
    text = '{"id": "007", "won": true}\n{"id": "012", "won": false}\n'
    table = io.load(write(tmp_path, "leads.ndjson", text))
    assert table.format == "ndjson"
    assert rows_of(table) == [("007", True), ("012", False)]


def test_detect_format_content_wins_over_extension(tmp_path: Path) -> None:
    path = tmp_path / "really_parquet.csv"
    pl.DataFrame({"id": ["1"]}).write_parquet(path)
    assert io.detect_format(path, "really_parquet.csv") == "parquet"
    assert rows_of(io.load(path)) == [("1",)]
    json_path = write(tmp_path, "export.txt", '[{"id": "1"}]')
    assert io.detect_format(json_path, "export.txt") == "json"


# --- bad input -----------------------------------------------------------------------------


def load_error(path: Path, **kwargs: object) -> str:
    with pytest.raises(InputError) as excinfo:
        io.load(path, **kwargs)  # type: ignore[arg-type]
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


def test_utf16_file_is_explained(tmp_path: Path) -> None:
    text = load_error(write(tmp_path, "u16.csv", delimited(",").encode("utf-16")))
    assert "u16.csv is saved as UTF-16" in text and "CSV UTF-8" in text


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "big.csv", delimited(",") * 1000)
    size_mb = path.stat().st_size / 2**20
    text = load_error(path, max_bytes=2**20 // 100)
    assert f"big.csv is {size_mb:,.1f} MB" in text and "limit" in text and "smaller extract" in text
    assert rows_of(io.load(path, max_bytes=None))[:3] == ROWS


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
    monkeypatch.setattr(io, "_CHUNK", 1024)
    rows = "".join(f'{i},"a\nb",x\n' for i in range(2000))
    text = load_error(write(tmp_path, "deep.csv", "id,note,seg\n" + rows + "9,only two\n"))
    assert "deep.csv: line 4002 has 2 fields but the header has 3" in text


def test_unclosed_quote(tmp_path: Path) -> None:
    text = load_error(write(tmp_path, "quote.csv", 'id,note\n1,"open\n2,x\n'))
    assert "quote.csv cannot be split into columns" in text and "never closed" in text


def test_duplicate_header_names(tmp_path: Path) -> None:
    text = load_error(write(tmp_path, "dup.csv", "id, region,region\n1,a,b\n"))
    assert "dup.csv has duplicate column names: “region”" in text and "Rename" in text


def test_pretty_printed_single_json_object(tmp_path: Path) -> None:
    text = load_error(write(tmp_path, "one.json", '{\n  "id": "007"\n}\n'))
    assert "one.json" in text and "one complete object per line" in text
    assert "array of objects" in text


def test_invalid_json_array(tmp_path: Path) -> None:
    text = load_error(write(tmp_path, "broken.json", '[{"id": "007"}, {"id": '))
    assert "broken.json is not a valid JSON array of objects" in text and "Fix" in text


def test_input_error_translates_a_polars_error_with_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "late.csv", "id,region\n1,Nord\n2,Sud,extra\n")
    table = io.Table(
        pl.scan_csv(path, infer_schema=False), "late.csv", "csv", delimiter=",", path=path
    )
    with pytest.raises(pl.exceptions.ComputeError) as excinfo:
        table.frame.collect()
    translated = io.input_error(excinfo.value, table)
    assert str(translated).startswith("late.csv: line 3 has 3 fields but the header has 2")


# --- uploads -------------------------------------------------------------------------------


def test_save_upload_is_private_outside_the_repo_and_keeps_the_extension() -> None:
    path = io.save_upload(b"id,region\n007,Nord\n", "../My Leads (2024).csv")
    repo = Path(__file__).resolve().parents[1]
    assert path.suffix == ".csv" and path.name.endswith("My_Leads__2024_.csv")
    assert not path.resolve().is_relative_to(repo)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.read_bytes() == b"id,region\n007,Nord\n"
    assert rows_of(io.load(path, name="My Leads (2024).csv")) == [("007", "Nord")]
