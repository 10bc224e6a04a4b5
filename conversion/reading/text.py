"""A file's bytes, read in chunks: decompressed, re-encoded to UTF-8, copied, and checked.

Encodings: UTF-8 with or without a BOM; UTF-16 with a BOM (Excel's "Unicode text", tab
separated, also gzip-compressed), decoded to a private UTF-8 copy first; other text is read as
cp1252 if it decodes, else Latin-1, through a private UTF-8 copy too.

Field counts: :func:`scan_text` checks every record of the first bytes exactly (quote-aware,
streaming, one pass that also checks UTF-8 validity), so a short or long line there can be
reported with its line number.

Every pass reads ``_CHUNK`` bytes at a time (looked up at each read, so a test can make chunks
small); the copies are private temporary files (:mod:`conversion.reading.temporary`).
"""

from __future__ import annotations

import codecs
import gzip
import os
import re
import zlib
from pathlib import Path
from typing import NamedTuple

from conversion.errors import InputError
from conversion.reading.temporary import private_file

_CHUNK = 4 * 1024 * 1024
_SNIFF = 8 * 1024
UTF8_BOM = codecs.BOM_UTF8
GZIP_MAGIC = b"\x1f\x8b"
_UTF16_BOMS = {codecs.BOM_UTF16_LE: "utf-16-le", codecs.BOM_UTF16_BE: "utf-16-be"}
_QUOTED = re.compile(rb'"[^"]*"')
_BLANK_LINE = re.compile(rb"\n\r?(?=\n)")


def read_head(path: Path, name: str, size: int = _SNIFF) -> bytes:
    """The first ``size`` bytes of the file, or an error naming it as the analyst knows it."""
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except FileNotFoundError:
        raise InputError(
            f"{name} was not found at {path}. Check the file name and folder, then try again."
        ) from None
    except IsADirectoryError:
        raise InputError(f"{name} is a folder, not a file. Choose the table file itself.") from None


def strip_gz(name: str) -> str:
    """The name without a final ``.gz``."""
    return name[:-3] if name.lower().endswith(".gz") else name


def utf16(head: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when the bytes start with that byte order mark."""
    return next((codec for bom, codec in _UTF16_BOMS.items() if head.startswith(bom)), None)


def _gzip_error(name: str, error: BaseException) -> InputError:
    return InputError(
        f"{name} looks gzip-compressed but cannot be decompressed ({error}). "
        "Compress it again, or upload the uncompressed file."
    )


def gunzipped_head(path: str | os.PathLike[str], name: str) -> bytes:
    """The first bytes of what a gzip file contains."""
    try:
        with gzip.open(path, "rb") as inner:
            return inner.read(_SNIFF)
    except (OSError, EOFError, zlib.error) as error:
        raise _gzip_error(name, error) from None


def readable_copy(path: Path, name: str, max_bytes: int | None) -> tuple[Path, str, str | None]:
    """The file to read: ``path`` itself, or a private copy decompressed and decoded to UTF-8.

    Returns
    -------
    tuple
        The file, the name of what is inside (``.gz`` removed), and the UTF-16 encoding the
        text was decoded from (None if it was not UTF-16).
    """
    head = read_head(path, name)
    _check_size(path.stat().st_size, name, max_bytes)
    name_inside = name
    gunzipped = head.startswith(GZIP_MAGIC)
    if gunzipped:
        path = _gunzip(path, name, max_bytes)
        name_inside = strip_gz(name)
        head = read_head(path, name)
    encoding = utf16(head)
    if encoding is None:
        return path, name_inside, None
    decoded = _decode_utf16(path, name, encoding)
    if gunzipped:
        path.unlink()  # the decompressed copy is ours; the UTF-8 one replaces it
    return decoded, name_inside, encoding


def _decode_utf16(path: Path, name: str, encoding: str) -> Path:
    """Copy UTF-16 text (after its byte order mark) to a private UTF-8 file, chunk by chunk."""
    try:
        return _to_utf8(path, name, encoding, skip=len(codecs.BOM_UTF16_LE))
    except UnicodeDecodeError as error:
        raise InputError(
            f"{name} starts like UTF-16 text (Excel “Unicode text”) but is not valid UTF-16 "
            f"({error.reason}). Export it again, preferably as CSV UTF-8, and load that file."
        ) from None


def _to_utf8(path: Path, name: str, encoding: str, *, skip: int = 0) -> Path:
    """Copy text in ``encoding`` (from byte ``skip``) to a private UTF-8 file, chunk by chunk.

    Raises UnicodeDecodeError, with no file left behind, when the text is not in ``encoding``.
    """
    fd, target = private_file(strip_gz(name))
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with os.fdopen(fd, "wb") as out, path.open("rb") as source:
            source.seek(skip)
            while chunk := source.read(_CHUNK):
                out.write(decoder.decode(chunk).encode("utf-8"))
            out.write(decoder.decode(b"", final=True).encode("utf-8"))
    except UnicodeDecodeError:
        target.unlink()
        raise
    return target


def transcode(path: Path, name: str) -> tuple[Path, str]:
    """Copy non-UTF-8 text to a private UTF-8 file: cp1252 if it decodes, else Latin-1."""
    for encoding in ("cp1252", "latin-1"):
        try:
            return _to_utf8(path, name, encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("Latin-1 decodes every byte")  # pragma: no cover


def _check_size(size: int, name: str, max_bytes: int | None) -> None:
    if max_bytes is not None and size > max_bytes:
        raise InputError(
            f"{name} is {size / 2**20:,.1f} MB, larger than the {max_bytes / 2**20:,.0f} MB "
            "limit. Load a smaller extract (fewer rows or only the columns you need), "
            "or use the command line, where the limit can be raised."
        )


def _gunzip(path: Path, name: str, max_bytes: int | None) -> Path:
    """Decompress to a private file, stopping as soon as the content exceeds ``max_bytes``."""
    fd, target = private_file(strip_gz(name))
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
        raise _gzip_error(name, error) from None
    return target


def copy_range(path: Path, name: str, start: int, end: int) -> Path:
    """Copy bytes ``start`` to ``end`` of the file to a private file, chunk by chunk."""
    fd, target = private_file(strip_gz(name))
    with os.fdopen(fd, "wb") as out, path.open("rb") as source:
        source.seek(start)
        remaining = end - start
        while remaining > 0 and (block := source.read(min(_CHUNK, remaining))):
            out.write(block)
            remaining -= len(block)
    return target


class TextScan(NamedTuple):
    """What one streaming pass over delimited text found."""

    utf8: bool
    fields_ok: bool  # every record has as many fields as the header
    open_quote: bool  # the file ends inside a quoted value
    blank_lines: bool  # polars turns blank lines into rows of nulls


def scan_text(path: Path, delimiter: str, columns: int, check_bytes: int) -> TextScan:
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
    return TextScan(utf8, fields_ok, open_quote, blank_lines)
