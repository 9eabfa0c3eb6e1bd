"""Writing output files without ever leaving a half-written or silently replaced one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import IO, Iterator


def check_writable(path: str | os.PathLike, overwrite: bool = False) -> str:
    """Fails before any work if `path` exists (unless `overwrite`) or its folder can't be written."""
    path = os.fspath(path)
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path!r} exists; pass overwrite=True to replace it")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"the folder of {path!r} does not exist")
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"cannot write to the folder of {path!r}")
    return path


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike, mode: str = "w",
                  overwrite: bool = False) -> Iterator[IO]:
    """A file object whose content replaces `path` in one rename when the block succeeds.

    On an error (or a kill) the temporary file is removed and `path` is untouched.
    """
    path = check_writable(path, overwrite)
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)),
                                         prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(handle, mode) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise
