"""Atomic file writes: a crash mid-write leaves the previous file whole."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> Path:
    """Write ``path`` through ``write(handle)`` so that readers see the old or the new file.

    The bytes go to a temporary file in the same folder (``.NAME.XXXX.tmp``), which is
    flushed and fsynced, then renamed over ``path`` with ``os.replace`` (atomic on POSIX
    and Windows); the folder is fsynced too so the rename itself survives a power cut.
    On an exception the temporary file is removed; after a SIGKILL it can stay behind,
    harmless, since nothing reads ``.*.tmp`` files.

    Args:
        path: the file to create or replace; its folder must exist.
        write: writes the whole content to the binary handle it is given.
    """
    folder = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):  # POSIX: make the rename durable
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return path
