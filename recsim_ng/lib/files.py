"""Writing output files without ever leaving a half-written or silently replaced one."""

from __future__ import annotations

import contextlib
import os
import uuid
from typing import IO, Iterator


def check_writable(path: str | os.PathLike, overwrite: bool = False) -> str:
    """Fails before any work if `path` exists (unless `overwrite`), is a folder, or its folder
    can't be written."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path!r} is a folder, not a file")
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
    """A file object (text in UTF-8) whose content replaces `path` in one rename when the block
    succeeds.

    On an error the temporary file is removed (after a kill it may remain, as `.name.*.tmp`);
    either way `path` is untouched.
    """
    path = check_writable(path, overwrite)
    temporary = os.path.join(os.path.dirname(os.path.abspath(path)),
                             f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
    # Made as open() makes files (0o666 less the umask), not owner-only as mkstemp does.
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    try:
        with os.fdopen(handle, mode, encoding=None if "b" in mode else "utf-8") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise
