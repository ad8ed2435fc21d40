"""Reading small user files (configs, presets, profiles, recording metadata) without trusting them.

A path can name a FIFO (the read would block forever), a device such as /dev/zero (it never ends), or a huge
file: only regular files up to a size cap are read, the FIFO is opened non-blocking so even the open cannot hang,
and a UTF-8 byte-order mark (Windows Notepad writes one) is dropped. Standard library only, so retarget (which
depends on bridge.schema alone) may use it too.
"""

from __future__ import annotations

import contextlib
import glob
import os
import stat
import time
from pathlib import Path

MAX_TEXT_BYTES = 4 * 1024 * 1024  # far above any real config/preset/profile; a cap, not a budget
STALE_TMP_S = 60.0  # an atomic save's temp file older than this belongs to a save that was killed


class TextFileError(ValueError):
    """The file cannot be used as a text file; the message names it and says why (one line)."""


def read_limited(path: str | Path, limit: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes. Raises TextFileError (not a regular file, too
    large) or OSError (missing, no permission)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = ("a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode)
                    else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a regular file")
            raise TextFileError(f"{path}: is {kind}, not a regular file")
        if st.st_size > limit:
            raise TextFileError(f"{path}: {st.st_size} bytes is too large (limit {limit}); is it the right file?")
        chunks: list[bytes] = []
        total = 0
        while True:  # read to EOF but never past the cap (the file may grow while we read)
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise TextFileError(f"{path}: more than {limit} bytes (it grew while being read); is it the right "
                                    "file?")
        return b"".join(chunks)
    finally:
        os.close(fd)


def decode_text(data: bytes, path: str | Path) -> str:
    """UTF-8 text without a leading byte-order mark; TextFileError naming the file when it is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TextFileError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def read_text_limited(path: str | Path, limit: int = MAX_TEXT_BYTES) -> str:
    """``decode_text(read_limited(path, limit))``."""
    return decode_text(read_limited(path, limit), path)


def remove_stale_temp_files(path: Path, older_than_s: float = STALE_TMP_S, pattern: str | None = None) -> int:
    """Delete temp files that saves of ``path`` left behind when the process was killed mid-save (a save's temp
    file is renamed or removed within milliseconds, so an old one is an orphan). ``pattern`` (a glob in
    ``path``'s directory) defaults to the names ``save`` uses. Returns how many were removed."""
    removed = 0
    now = time.time()
    with contextlib.suppress(OSError):
        for tmp in path.parent.glob(pattern or f".{glob.escape(path.name)}.*.tmp"):
            with contextlib.suppress(OSError):
                if now - tmp.lstat().st_mtime > older_than_s:
                    tmp.unlink()
                    removed += 1
    return removed

