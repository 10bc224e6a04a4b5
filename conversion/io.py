"""Load a contacts or orders file into a polars ``LazyFrame``, with messages an analyst can act on.

Formats are recognised from the bytes first and the file name second: Parquet, Excel
(.xlsx and .xls, through calamine), gzip-compressed anything, JSON arrays, NDJSON and
delimited text. CSV, NDJSON and Parquet are scanned lazily; Excel and JSON arrays are read
and then made lazy. Delimited text is read with every column as a string, so ids keep their
leading zeros and the engine parses flags and dates itself.

Header rules for delimited text: whitespace around names is stripped; an empty name becomes
``unnamed_<position>`` (1-based, e.g. the index column of a pandas export); duplicate names
are an :class:`~conversion.errors.InputError`, because a silent rename would let the analyst
count by the wrong column.

Field counts: every record of the first 32 MB is checked exactly at load time (quote-aware,
streaming), so a short or long line there is an ``InputError`` with its line number. Past
that, polars itself fails on a line with too many fields when the frame is collected; pass
that error to :func:`input_error` for the same message. polars pads a line with too *few*
fields with nulls and turns a blank line into a row of nulls; blank lines are filtered out
(rows whose every value is missing are dropped when the file has blank lines).

Temporary files (uploads, decompressed gzip, text transcoded to UTF-8) live in one private
directory per process (mode 0700, files 0600), removed when the process exits.
"""

from __future__ import annotations

import atexit
import codecs
import csv
import gzip
import io
import os
import re
import shutil
import tempfile
import threading
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import polars as pl

from conversion.errors import InputError

__all__ = [
    "MAX_BYTES_DEFAULT",
    "Table",
    "detect_format",
    "input_error",
    "load",
    "save_upload",
    "sheet_names",
]

MAX_BYTES_DEFAULT = 1024 * 1024 * 1024  # 1 GiB

_CHUNK = 4 * 1024 * 1024
_SAMPLE = 64 * 1024
_SNIFF = 8 * 1024
# Field counts are checked exactly up to this many bytes (the whole of most analysts' files);
# past it, polars itself rejects lines with too many fields, which input_error() explains.
_FIELD_CHECK_BYTES = 32 * 1024 * 1024
_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_BOM = codecs.BOM_UTF8
_QUOTED = re.compile(rb'"[^"]*"')
_BLANK_LINE = re.compile(rb"\n\r?(?=\n)")
_FORMATS = ("csv", "excel", "parquet", "json", "ndjson")
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".tab": "csv",
    ".psv": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}


@dataclass(frozen=True)
class Table:
    """A loaded table: the lazy frame plus what the analyst needs to know about the file.

    Examples
    --------
    >>> import polars as pl
    >>> table = Table(pl.LazyFrame({"id": ["007"]}), name="leads.csv", format="csv")
    >>> table.columns
    ['id']
    """

    frame: pl.LazyFrame
    name: str
    format: str
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    path: Path | None = None  # the file actually scanned (a private UTF-8 copy if transcoded)

    @property
    def columns(self) -> list[str]:
        """Column names, from the schema only (no data is read)."""
        return self.frame.collect_schema().names()


# --- private temporary files -------------------------------------------------------------

_temp_lock = threading.Lock()
_temp_dir: Path | None = None


def _private_dir() -> Path:
    """The process's private temporary directory (0700), created on first use."""
    global _temp_dir
    with _temp_lock:
        if _temp_dir is None or not _temp_dir.is_dir():
            _temp_dir = Path(tempfile.mkdtemp(prefix="conversion-"))
            atexit.register(shutil.rmtree, _temp_dir, True)
        return _temp_dir


def _private_file(suffix: str) -> tuple[int, Path]:
    """A new empty file (0600) in the private directory, as an open descriptor and its path."""
    fd, path = tempfile.mkstemp(dir=_private_dir(), suffix=suffix)
    return fd, Path(path)


def _safe_name(name: str) -> str:
    """The base name with anything but letters, digits, ``.``, ``-`` and ``_`` replaced."""
    base = Path(name.replace("\\", "/")).name.strip() or "upload"
    return re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip(".") or "upload"


def save_upload(data: bytes, name: str) -> Path:
    """Write uploaded bytes to a private temporary file and return its path.

    The file (mode 0600) lives in this process's private temporary directory, never under the
    project, and is removed when the process exits. Its name ends with the sanitised original
    name, so the extension is kept.

    Examples
    --------
    >>> path = save_upload(b"id,stage\\n1,customer\\n", "my leads.csv")
    >>> path.name.endswith("my_leads.csv"), oct(path.stat().st_mode & 0o777)
    (True, '0o600')
    """
    fd, path = _private_file("_" + _safe_name(name))
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return path


# --- format detection --------------------------------------------------------------------


def _strip_gz(name: str) -> str:
    return name[:-3] if name.lower().endswith(".gz") else name


def _format_from_head(head: bytes, name: str) -> str | None:
    """The format that the first bytes prove, or None for text that is not JSON."""
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return "excel"
    text = head.removeprefix(_BOM).lstrip()
    if text.startswith(b"["):
        return "json"
    if text.startswith(b"{"):
        return "ndjson"
    return None


def detect_format(path: str | os.PathLike[str], name: str) -> str:
    """The table format of a file: ``csv``, ``excel``, ``parquet``, ``json`` or ``ndjson``.

    The content decides first (Parquet and zip/OLE magic numbers, a leading ``[`` or ``{``),
    the extension of ``name`` second. A gzip file is looked into: the result is the format
    of what it contains.

    Raises
    ------
    InputError
        If the file is missing, or is binary data that is none of the supported formats.

    Examples
    --------
    >>> path = save_upload(b'[{"id": "01"}]', "leads.json")
    >>> detect_format(path, "leads.json")
    'json'
    """
    head = _read_head(Path(path), name)
    if head.startswith(b"\x1f\x8b"):
        try:
            with gzip.open(path, "rb") as inner:
                head = inner.read(_SNIFF)
        except (OSError, EOFError, zlib.error) as error:
            raise InputError(
                f"{name} looks gzip-compressed but cannot be decompressed ({error}). "
                "Compress it again, or upload the uncompressed file."
            ) from None
        name = _strip_gz(name)
    found = _format_from_head(head, name)
    if found is not None:
        return found
    _check_text(head, name)
    return "csv"


def _read_head(path: Path, name: str, size: int = _SNIFF) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except FileNotFoundError:
        raise InputError(
            f"{name} was not found at {path}. Check the file name and folder, then try again."
        ) from None
    except IsADirectoryError:
        raise InputError(f"{name} is a folder, not a file. Choose the table file itself.") from None


def _check_text(head: bytes, name: str) -> None:
    """Raise if the first bytes are not text (a binary file renamed, or UTF-16)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(
            f"{name} is saved as UTF-16 text, which is not supported. Save or export it as "
            "CSV UTF-8 (in Excel: “CSV UTF-8 (Comma delimited)”) and upload that file."
        )
    control = sum(byte < 32 and byte not in b"\t\n\r\f" for byte in head)
    if b"\x00" in head or control > len(head) // 20:
        raise InputError(
            f"{name} is not a text table: it contains binary data (it may be another kind of "
            "file renamed). Upload a CSV, Excel (.xlsx), Parquet or JSON file."
        )


# --- loading -----------------------------------------------------------------------------


def load(
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    sheet: str | None = None,
    delimiter: str | None = None,
    max_bytes: int | None = MAX_BYTES_DEFAULT,
) -> Table:
    """Load a contacts or orders table lazily.

    Parameters
    ----------
    path
        The file on disk (an upload saved with :func:`save_upload`, or any local file).
    name
        The file name as the analyst knows it, used in messages; defaults to the file's name.
    sheet
        Excel only: the sheet to read (default: the first).
    delimiter
        Delimited text only: force the field delimiter instead of detecting it.
    max_bytes
        Refuse files larger than this (None: no limit). Also applies to gzip content.

    Returns
    -------
    Table
        The lazy frame and what was detected (format, delimiter, encoding, sheets).

    Raises
    ------
    InputError
        For a missing, empty, header-only, binary, too large or malformed file, an unknown
        sheet, or ragged lines; the message names the file and says what to do.

    Examples
    --------
    >>> path = save_upload(b"id;region\\n007;Nord\\n", "leads.csv")
    >>> table = load(path, name="leads.csv")
    >>> table.delimiter, table.frame.collect().rows()
    (';', [('007', 'Nord')])
    """
    path = Path(path)
    name = name or path.name
    head = _read_head(path, name)
    size = path.stat().st_size
    _check_size(size, name, max_bytes)
    if head.startswith(b"\x1f\x8b"):
        path = _gunzip(path, name, max_bytes)
        name_inside = _strip_gz(name)
        head = _read_head(path, name)
        size = path.stat().st_size
    else:
        name_inside = name
    if not head.strip() and size <= len(head):
        raise InputError(
            f"{name} is empty. Export the table again with a header row and at least one "
            "row of data, then load it."
        )
    fmt = _format_from_head(head, name_inside)
    if fmt == "parquet":
        table = Table(_scan_parquet(path, name), name=name, format="parquet")
    elif fmt == "excel":
        table = _load_excel(path, name, sheet)
    elif fmt == "json":
        table = Table(_read_json_array(path, name), name=name, format="json")
    elif fmt == "ndjson":
        table = Table(_scan_ndjson(path, name), name=name, format="ndjson")
    else:
        _check_text(head, name)
        table = _load_delimited(path, name, delimiter)
    _check_has_rows(table)
    return table


def _check_size(size: int, name: str, max_bytes: int | None) -> None:
    if max_bytes is not None and size > max_bytes:
        raise InputError(
            f"{name} is {size / 2**20:,.1f} MB, larger than the {max_bytes / 2**20:,.0f} MB "
            "limit. Load a smaller extract (fewer rows or only the columns you need), "
            "or use the command line, where the limit can be raised."
        )


def _gunzip(path: Path, name: str, max_bytes: int | None) -> Path:
    """Decompress to a private file, stopping as soon as the content exceeds ``max_bytes``."""
    fd, target = _private_file("_" + _safe_name(_strip_gz(name)))
    written = 0
    try:
        with os.fdopen(fd, "wb") as out, gzip.open(path, "rb") as source:
            while block := source.read(_CHUNK):
                written += len(block)
                if max_bytes is not None and written > max_bytes:
                    raise InputError(
                        f"{name} decompresses to more than the {max_bytes / 2**20:,.0f} MB "
                        "limit. Load a smaller extract, or use the command line, where the "
                        "limit can be raised."
                    )
                out.write(block)
    except (OSError, EOFError, zlib.error) as error:
        raise InputError(
            f"{name} looks gzip-compressed but cannot be decompressed ({error}). "
            "Compress it again, or upload the uncompressed file."
        ) from None
    return target


def _check_has_rows(table: Table) -> None:
    """Raise if the table has columns but no rows; reads at most the first row."""
    try:
        first = table.frame.head(1).collect()
    except pl.exceptions.PolarsError as error:
        raise InputError(
            f"{table.name} could not be read as {table.format.upper()}: {_first_line(error)}. "
            "Check that the file is complete and exported in that format."
        ) from None
    if first.height == 0:
        what = f"sheet “{table.sheet}” of {table.name}" if table.sheet else table.name
        if first.width == 0:
            raise InputError(f"{what} has no data. Load a file with a header row and data rows.")
        raise InputError(
            f"{what} has a header row but no data rows (columns: "
            f"{', '.join(first.columns)}). Export the table again including its rows."
        )


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _clean_names(names: list[str], name: str) -> list[str]:
    """Strip names, name empty ones by position, and refuse duplicates."""
    cleaned = [column.strip() or f"unnamed_{position}" for position, column in enumerate(names, 1)]
    duplicates = [column for column, count in Counter(cleaned).items() if count > 1]
    if duplicates:
        listed = ", ".join(f"“{c}”" for c in duplicates)
        raise InputError(
            f"{name} has duplicate column names: {listed}. Rename the columns in the header row "
            "so that each name appears once, then load the file again."
        )
    return cleaned


def _renamed(frame: pl.LazyFrame, name: str) -> pl.LazyFrame:
    names = frame.collect_schema().names()
    cleaned = _clean_names(names, name)
    return frame if cleaned == names else frame.rename(dict(zip(names, cleaned, strict=True)))


def _scan_parquet(path: Path, name: str) -> pl.LazyFrame:
    try:
        frame = pl.scan_parquet(path)
        return _renamed(frame, name)
    except pl.exceptions.PolarsError as error:
        raise InputError(
            f"{name} is not a readable Parquet file ({_first_line(error)}). "
            "Write it again, or export the table as CSV."
        ) from None


def _scan_ndjson(path: Path, name: str) -> pl.LazyFrame:
    if _read_head(path, name, len(_BOM)) == _BOM:
        path = _copy_without_bom(path, name)
    frame = pl.scan_ndjson(path)
    try:
        return _renamed(frame, name)
    except pl.exceptions.PolarsError:
        raise _json_lines_error(name) from None


def _json_lines_error(name: str) -> InputError:
    return InputError(
        f"{name} starts with “{{” but is not newline-delimited JSON (one complete object per "
        "line). Save a single JSON document as an array of objects ([{...}, {...}]), or write "
        "one object per line."
    )


def _copy_without_bom(path: Path, name: str) -> Path:
    fd, target = _private_file("_" + _safe_name(name))
    with os.fdopen(fd, "wb") as out, path.open("rb") as source:
        source.seek(len(_BOM))
        shutil.copyfileobj(source, out, _CHUNK)
    return target


def _read_json_array(path: Path, name: str) -> pl.LazyFrame:
    data = path.read_bytes().removeprefix(_BOM)
    try:
        frame = pl.read_json(io.BytesIO(data))
    except pl.exceptions.PolarsError as error:
        raise InputError(
            f"{name} is not a valid JSON array of objects ({_first_line(error)}). Expected "
            '[{"column": value, ...}, ...] — one object per row. Fix or export it again.'
        ) from None
    return _renamed(frame.lazy(), name)


def input_error(error: Exception, table: Table) -> InputError:
    """Translate an error raised while collecting ``table.frame`` into a message for the analyst.

    For delimited text the file is read again (slowly, on this error path only) to find the
    first line whose field count differs from the header's.

    Examples
    --------
    >>> import polars as pl
    >>> table = Table(pl.LazyFrame(), name="leads.csv", format="csv")
    >>> input_error(pl.exceptions.ComputeError("boom"), table).args[0][:46]
    'leads.csv could not be read completely (boom).'
    """
    if isinstance(error, InputError):
        return error
    if table.format == "csv" and table.path is not None and table.delimiter is not None:
        with table.path.open(encoding="utf-8-sig", newline="") as handle:
            columns = len(next(csv.reader(handle, delimiter=table.delimiter), []))
        bad = _first_bad_line(table.path, table.delimiter, columns)
        if bad is not None:
            return _bad_line_error(table.name, table.delimiter, columns, *bad)
    return InputError(
        f"{table.name} could not be read completely ({_first_line(error)}). Check that the "
        f"file is complete and in {table.format.upper()} format, then load it again."
    )


# --- Excel -------------------------------------------------------------------------------


def sheet_names(path: str | os.PathLike[str]) -> list[str]:
    """The sheet names of an Excel workbook (.xlsx or .xls), in workbook order.

    Raises
    ------
    InputError
        If the file is not a readable workbook.
    """
    import fastexcel

    path = Path(path)
    try:
        return list(fastexcel.read_excel(path).sheet_names)
    except FileNotFoundError:
        raise InputError(f"{path.name} was not found. Check the file name and folder.") from None
    except Exception as error:  # fastexcel raises its own hierarchy, not OSError
        raise InputError(
            f"{path.name} is not a readable Excel workbook ({_first_line(error)}). Open it in "
            "Excel and save it again as .xlsx, or export the sheet as CSV."
        ) from None


def _load_excel(path: Path, name: str, sheet: str | None) -> Table:
    try:
        names = sheet_names(path)
    except InputError:
        raise InputError(
            f"{name} is not a readable Excel workbook (.xlsx or .xls). If it is a zip archive, "
            "extract the table first; otherwise open it in Excel and save it again as .xlsx."
        ) from None
    chosen = names[0] if sheet is None and names else sheet
    if chosen not in names:
        listed = ", ".join(f"“{n}”" for n in names)
        raise InputError(
            f"{name} has no sheet named “{sheet}”. Its sheets are: {listed}. Pick one of those."
        )
    try:
        frame = pl.read_excel(path, sheet_name=chosen, engine="calamine", infer_schema_length=None)
    except pl.exceptions.NoDataError:
        raise InputError(
            f"Sheet “{chosen}” of {name} is empty. Pick the sheet that holds the table "
            f"(sheets: {', '.join(names)}), or add a header row and data rows."
        ) from None
    except Exception as error:  # calamine errors are not polars errors
        raise InputError(
            f"Sheet “{chosen}” of {name} could not be read ({_first_line(error)}). Save the "
            "workbook again, or export the sheet as CSV."
        ) from None
    return Table(
        _renamed(frame.lazy(), name),
        name=name,
        format="excel",
        sheet=chosen,
        sheets=tuple(names),
    )


# --- delimited text ----------------------------------------------------------------------


def _load_delimited(path: Path, name: str, delimiter: str | None) -> Table:
    sample = _read_head(path, name, _SAMPLE)
    complete = len(sample) < _SAMPLE
    text = _decode_sample(sample if complete else sample[: sample.rfind(b"\n") + 1] or sample)
    if delimiter is None:
        delimiter = _detect_delimiter(text, complete)
    else:
        delimiter = _check_delimiter(delimiter, name)
    header = _header(text, delimiter, name)
    scan = _scan_text(path, delimiter, len(header), _FIELD_CHECK_BYTES)
    if scan.utf8:
        encoding = "utf-8-sig" if sample.startswith(_BOM) else "utf-8"
        source = path
    else:
        source, encoding = _transcode(path, name)
    if not scan.fields_ok:
        raise _fields_error(source, name, delimiter, len(header), scan.open_quote)
    cleaned = _clean_names(header, name)

    def rename(names: list[str]) -> list[str]:
        return cleaned if len(names) == len(cleaned) else [n.strip() for n in names]

    frame = pl.scan_csv(
        source,
        separator=delimiter,
        infer_schema=False,
        with_column_names=rename,
        raise_if_empty=False,
    )
    if scan.blank_lines:
        frame = frame.filter(~pl.all_horizontal(pl.all().is_null()))
    return Table(
        frame, name=name, format="csv", delimiter=delimiter, encoding=encoding, path=source
    )


def _decode_sample(sample: bytes) -> str:
    try:
        return sample.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if error.start > len(sample) - 4:  # a character cut by the sample's end
            return sample[: error.start].decode("utf-8-sig")
        return sample.decode("latin-1")


def _check_delimiter(delimiter: str, name: str) -> str:
    delimiter = {"tab": "\t", "\\t": "\t"}.get(delimiter.lower(), delimiter)
    if len(delimiter) != 1 or not delimiter.isascii() or delimiter in '"\r\n':
        raise InputError(
            f"The delimiter {delimiter!r} given for {name} is not usable: give a single "
            "character such as , ; | or tab."
        )
    return delimiter


def _detect_delimiter(text: str, complete: bool) -> str:
    """The candidate giving the most consistent field count (> 1) over the sample's records."""
    best, best_score = ",", (0.0, 0)
    for candidate in _DELIMITERS:
        if candidate not in text:
            continue
        counts = [
            len(row)
            for row in csv.reader(io.StringIO(text, newline=""), delimiter=candidate)
            if row
        ]
        if not complete and len(counts) > 1:
            counts = counts[:-1]  # the last record may be cut by the sample's end
        if not counts or counts[0] < 2:
            continue
        score = (sum(c == counts[0] for c in counts) / len(counts), counts[0])
        if score > best_score:
            best, best_score = candidate, score
    return best


def _header(text: str, delimiter: str, name: str) -> list[str]:
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        if row:
            return row
    raise InputError(
        f"{name} has no header row. Export the table again with column names in the first row."
    )


class _TextScan(NamedTuple):
    """What one streaming pass over delimited text found."""

    utf8: bool
    fields_ok: bool  # every record has as many fields as the header
    open_quote: bool  # the file ends inside a quoted value
    blank_lines: bool  # polars turns blank lines into rows of nulls


def _scan_text(path: Path, delimiter: str, columns: int, check_bytes: int) -> _TextScan:
    """Check UTF-8 validity (whole file) and field counts (first ``check_bytes``) in one pass.

    Reads one chunk at a time. The field check is byte-level: quoted values are cut out, blank
    lines are dropped, and what remains is reduced to delimiters and newlines, which must
    repeat one pattern exactly. Pure-ASCII chunks skip the decoder.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = fields_ok = line_start = True
    open_quote = blank_lines = False
    sep = delimiter.encode()
    delete = bytes(b for b in range(256) if b not in (sep[0], ord("\n")))
    unit = sep * (columns - 1) + b"\n"
    carry = b""  # delimiters of the record still open at the end of the previous chunk
    last = b"\n"
    checked = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            last = chunk[-1:]
            if utf8 and (not chunk.isascii() or decoder.getstate()[0]):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            if not fields_ok or checked >= check_bytes:
                if utf8:
                    continue  # the error message needs to know the encoding
                break
            checked += len(chunk)
            text = chunk
            if open_quote or b'"' in text:
                text = _QUOTED.sub(b"", b'"' + text if open_quote else text)
                opened = text.find(b'"')
                open_quote = opened >= 0
                if open_quote:
                    text = text[:opened]
            if line_start:
                text = b"\n" + text  # so that a blank first line is seen as one
            if b"\n\n" in text or b"\n\r\n" in text:
                blank_lines = True
                text = _BLANK_LINE.sub(b"", text)
            if line_start:
                text = text[1:]
            if stripped := text.rstrip(b"\r"):
                line_start = stripped.endswith(b"\n")
            elif open_quote:
                line_start = False
            fields = carry + text.translate(None, delete)
            cut = fields.rfind(b"\n") + 1
            done, carry = fields[:cut], fields[cut:]
            if len(done) % len(unit) or done != unit * (len(done) // len(unit)):
                fields_ok = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    whole_file = checked == path.stat().st_size
    if not whole_file:
        with path.open("rb") as handle:  # a blank line at the very end is the usual case
            handle.seek(max(0, path.stat().st_size - _SNIFF))
            tail = handle.read()
        blank_lines = blank_lines or b"\n\n" in tail or b"\n\r\n" in tail
    if whole_file and (open_quote or (last not in (b"\n", b"\r") and carry + b"\n" != unit)):
        fields_ok = False
    return _TextScan(utf8, fields_ok, open_quote, blank_lines)


def _transcode(path: Path, name: str) -> tuple[Path, str]:
    """Copy non-UTF-8 text to a private UTF-8 file: cp1252 if it decodes, else Latin-1."""
    for encoding in ("cp1252", "latin-1"):
        fd, target = _private_file("_" + _safe_name(name))
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with os.fdopen(fd, "wb") as out, path.open("rb") as source:
                while chunk := source.read(_CHUNK):
                    out.write(decoder.decode(chunk).encode("utf-8"))
                out.write(decoder.decode(b"", final=True).encode("utf-8"))
        except UnicodeDecodeError:
            target.unlink()
            continue
        return target, encoding
    raise AssertionError("Latin-1 decodes every byte")  # pragma: no cover


def _first_bad_line(source: Path, delimiter: str, columns: int) -> tuple[int, int] | None:
    """(line number, field count) of the first record without ``columns`` fields, if any."""
    with source.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        start = 1
        for row in reader:
            if row and len(row) != columns:
                return start, len(row)
            start = reader.line_num + 1
    return None


def _bad_line_error(name: str, delimiter: str, columns: int, line: int, found: int) -> InputError:
    label = _DELIMITER_NAMES.get(delimiter, repr(delimiter))
    fields = f"{found} field" + ("s" if found != 1 else "")
    return InputError(
        f"{name}: line {line} has {fields} but the header has {columns} ({label}-separated). "
        f"Fix that line — a value containing a {label} must be in double quotes — or choose "
        "another delimiter, then load the file again."
    )


def _fields_error(
    source: Path, name: str, delimiter: str, columns: int, open_quote: bool
) -> InputError:
    """The message for a file whose records do not all have the header's field count."""
    bad = _first_bad_line(source, delimiter, columns)
    if bad is not None:
        return _bad_line_error(name, delimiter, columns, *bad)
    problem = (
        'a double quote (") opens a quoted value that is never closed'
        if open_quote
        else 'its double quotes (") do not pair up'
    )
    return InputError(
        f"{name} cannot be split into columns reliably: {problem}. Quote whole values "
        '("like this") and write a quote inside a value as two quotes (""), then load the '
        "file again."
    )


assert set(_EXTENSIONS.values()) <= set(_FORMATS)
