"""Atomic file writes (a crash mid-write leaves the previous file whole), and output paths checked first."""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def check_output_path(path: str | os.PathLike[str], who: str) -> Path:
    """Return ``path`` as a ``Path`` if a file can be written there; raise a clear error if not.

    Run it before long work (training, exporting) so a mistyped output path fails in a
    second, not after the work is done. It creates nothing: missing folders are made by
    the writer.

    Raises:
        ValueError: an empty path.
        IsADirectoryError: ``path`` is a folder.
        NotADirectoryError: a part of the path above the file is a file.
        PermissionError: the nearest existing folder above it is not writable.
    """
    if str(path) == "":
        raise ValueError(f"{who}: path='' is empty; give a file name such as 'model.npz'")
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(f"{who}: {target} is a directory, not a file; add a file name")
    folder = target.parent
    while not folder.exists():
        if folder.parent == folder:
            break
        folder = folder.parent
    for above in (folder, *folder.parents):
        if above.exists() and not above.is_dir():
            raise NotADirectoryError(
                f"{who}: cannot write {target}: {above} is a file, not a folder"
            )
    if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"{who}: cannot write {target}: the folder {folder} is not writable")
    return target


def _temporary(folder: Path, name: str) -> tuple[int, Path]:
    # os.open with 0o666 lets the umask decide the mode, as open() does; mkstemp would
    # make every new file 0600.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = folder / f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file next to {folder / name}")


def atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> Path:
    """Write ``path`` through ``write(handle)`` so that readers see the old or the new file.

    The bytes go to a temporary file in the same folder (``.NAME.XXXX.tmp``), which is
    flushed and fsynced, then renamed over ``path`` with ``os.replace`` (atomic on POSIX
    and Windows); the folder is fsynced too so the rename itself survives a power cut.
    On an exception the temporary file is removed; after a SIGKILL it can stay behind,
    harmless, since nothing reads ``.*.tmp`` files.

    File modes: a new file gets the mode ``open()`` would give it (``0o666`` less the
    umask); a replaced file keeps its mode, so replacing a checkpoint others can read
    leaves it readable.

    Args:
        path: the file to create or replace; its folder must exist.
        write: writes the whole content to the binary handle it is given.
    """
    folder = path.parent
    fd, tmp = _temporary(folder, path.name)
    try:
        if path.exists() and hasattr(os, "fchmod"):
            os.fchmod(fd, stat.S_IMODE(path.stat().st_mode))
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):  # POSIX: make the rename durable
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return path
