"""Reading files and their values: every format an analyst exports, into a typed lazy table.

``load`` opens CSV, TSV, Excel, Parquet, JSON and NDJSON files (gzipped too, any common text
encoding), skips report titles and footers, makes repeated header names distinct and returns a
``Table``: a polars ``LazyFrame`` with the file's name and what the reader did to it.
"""

from conversion.reading.excel import sheet_names
from conversion.reading.files import PREVIEW_ROWS, detect_format, load
from conversion.reading.frames import from_data
from conversion.reading.messages import input_error
from conversion.reading.names import check_unambiguous
from conversion.reading.table import Table
from conversion.reading.temporary import save_upload

__all__ = [
    "PREVIEW_ROWS",
    "Table",
    "check_unambiguous",
    "detect_format",
    "from_data",
    "input_error",
    "load",
    "save_upload",
    "sheet_names",
]
