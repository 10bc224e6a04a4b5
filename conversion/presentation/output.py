"""Writing a finished export to a file, all at once.

Kept apart from ``conversion.presentation.export`` so the command line can save a CSV or JSON
table without loading the chart stack.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomically(path: str | Path, content: bytes | str) -> None:
    """Write ``content`` to ``path`` all at once: the old file stays until the new one is whole.

    Text is written as UTF-8. The bytes go to a temporary file beside ``path`` that is renamed
    over it only after a complete write; on any error the temporary file is removed.
    """
    target = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        # mkstemp makes the file private; give it the mode a plain write would have had.
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
