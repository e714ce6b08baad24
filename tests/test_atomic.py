"""``_atomic``: the one atomic writer keeps file modes as ``open()`` would, and output paths are checked first."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from minitorch_bp import io, nn
from minitorch_bp._atomic import atomic_write, check_output_path

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _write(path: Path, data: bytes) -> Path:
    return atomic_write(path, lambda handle: handle.write(data))


def test_a_new_file_gets_the_umask_mode_as_open_would(tmp_path: Path, umask_022: None) -> None:
    # mkstemp creates 0600 files: a saved model other users were meant to read was not.
    _write(tmp_path / "new.bin", b"x")
    with open(tmp_path / "plain.bin", "wb") as handle:
        handle.write(b"x")
    assert _mode(tmp_path / "new.bin") == _mode(tmp_path / "plain.bin") == 0o644


def test_a_new_file_follows_a_stricter_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        _write(tmp_path / "private.bin", b"x")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "private.bin") == 0o600


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o600, 0o664])
def test_a_replaced_file_keeps_its_mode(tmp_path: Path, umask_022: None, mode: int) -> None:
    path = tmp_path / "model.npz"
    path.write_bytes(b"old")
    path.chmod(mode)
    _write(path, b"new")
    assert path.read_bytes() == b"new"
    assert _mode(path) == mode


def test_io_save_replacing_a_readable_checkpoint_keeps_it_readable(
    tmp_path: Path, umask_022: None
) -> None:
    model = nn.Sequential(nn.Linear(2, 1, rng=0))
    path = io.save(model, tmp_path / "m.npz")
    assert _mode(path) == 0o644
    io.save(model, path)
    assert _mode(path) == 0o644


def test_an_empty_path_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"io.save: path='' is empty"):
        io.save(nn.Linear(2, 1, rng=0), "")


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match=r"is a directory, not a file"):
        io.save(nn.Linear(2, 1, rng=0), tmp_path)


def test_a_parent_that_is_a_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    target = tmp_path / "notes.txt" / "sub" / "m.npz"
    with pytest.raises(NotADirectoryError, match=r"notes.txt is a file, not a folder"):
        io.save(nn.Linear(2, 1, rng=0), target)


def test_an_unwritable_folder_is_refused_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests run as root in CI, where chmod cannot make a folder unwritable: ask os.access.
    monkeypatch.setattr("minitorch_bp._atomic.os.access", lambda *args: False)
    with pytest.raises(PermissionError, match=r"train --save: cannot write .*m.npz: the folder"):
        check_output_path(tmp_path / "sub" / "m.npz", "train --save")


def test_check_output_path_creates_nothing(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "m.npz"
    assert check_output_path(target, "train --save") == target
    assert not (tmp_path / "a").exists()


def test_a_missing_parent_is_created_by_save(tmp_path: Path) -> None:
    path = io.save(nn.Linear(2, 1, rng=0), tmp_path / "runs" / "m.npz")
    assert path.exists()
