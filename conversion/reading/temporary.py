"""The process's private temporary directory and the files in it: uploads and the reader's copies.

Temporary files (uploads, decompressed gzip, text transcoded to UTF-8, the lines of a table
without its title and footer) live in one private directory per process (mode 0700, files
0600), removed when the process exits.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

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


def private_file(name: str) -> tuple[int, Path]:
    """A new empty file (0600) in the private directory, as an open descriptor and its path.

    The file's name ends with ``_`` and the sanitised ``name``, so the extension is kept.
    """
    fd, path = tempfile.mkstemp(dir=_private_dir(), suffix="_" + _safe_name(name))
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
    fd, path = private_file(name)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return path
