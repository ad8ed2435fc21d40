"""Hot reload: watch one preset file; a valid edit yields a new Preset, a broken one keeps the last good preset.

Whatever lands in the file (a FIFO, /dev/zero, 1,000 levels of nesting, 16,000 errors, binary junk) only ever
produces a PresetError: reading and parsing happen on a worker thread, and a caller that must not stall (the
pipeline) waits at most ``wait_s`` for it, picking the result up on a later poll otherwise.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from bridge.textfile import TextFileError, decode_text, read_limited
from retarget.library import MAX_PRESET_BYTES, preset_path
from retarget.parse import parse_preset
from retarget.spec import Preset, PresetError

MAX_REPORTED_PROBLEMS = 50  # a file with thousands of errors is reported by its first ones (the log stays readable)

# (stat the content was read under, digest of the content or None, preset or None, error or None)
_Outcome = tuple[tuple[int, int] | None, bytes | None, Preset | None, PresetError | None]


def _summarised(exc: PresetError) -> PresetError:
    if len(exc.problems) <= MAX_REPORTED_PROBLEMS:
        return exc
    more = len(exc.problems) - MAX_REPORTED_PROBLEMS
    return PresetError([*exc.problems[:MAX_REPORTED_PROBLEMS], f"... and {more} more problems"])


def read_and_parse(path: Path, known_digest: bytes | None = None) -> tuple[bytes | None, Preset | None,
                                                                             PresetError | None]:
    """(digest, preset, error) for the file's current content; never raises. ``preset`` and ``error`` are both
    None when the digest equals ``known_digest`` (touched but unchanged)."""
    try:
        data = read_limited(path, MAX_PRESET_BYTES)
    except OSError as exc:
        return None, None, PresetError([f"{path}: cannot read preset ({exc.strerror or exc})"])
    except TextFileError as exc:
        return None, None, PresetError([str(exc)])
    digest = hashlib.blake2b(data, digest_size=16).digest()
    if digest == known_digest:
        return digest, None, None
    try:
        return digest, parse_preset(decode_text(data, path), path), None  # the bytes we hashed: no read race
    except PresetError as exc:
        return digest, None, _summarised(exc)
    except TextFileError as exc:
        return digest, None, PresetError([str(exc)])
    except RecursionError:
        return digest, None, PresetError([f"{path}: tables or arrays nested too deeply to be a preset"])
    except MemoryError:
        return digest, None, PresetError([f"{path}: too large to parse"])
    except Exception as exc:  # noqa: BLE001 - a parser bug on hostile input must not end the bridge
        return digest, None, PresetError([f"{path}: cannot be parsed ({type(exc).__name__}: {exc})"])


class PresetWatcher:
    """Poll a preset file (cheap: one stat per poll; the file is read only when its size or mtime changes).

    ``preset`` is the last good preset (None if the file was never valid); ``last_error`` is the PresetError
    of the newest content if it is invalid, else None. ``wait_s`` bounds how long ``poll`` waits for a changed
    file to be read and parsed (None: until done); a slower parse is picked up by a later poll."""

    def __init__(self, name_or_path: str | Path, wait_s: float | None = None) -> None:
        self.path = preset_path(name_or_path)
        self.wait_s = wait_s
        self.preset: Preset | None = None
        self.last_error: PresetError | None = None
        self._stat: tuple[int, int] | None = None
        self._digest: bytes | None = None
        self._job: threading.Thread | None = None
        self._outcome: _Outcome | None = None
        stat = self._current_stat()
        self._apply((stat, *read_and_parse(self.path)))

    @property
    def busy(self) -> bool:
        """True while a changed file is still being read/parsed."""
        return self._job is not None and self._job.is_alive()

    def _current_stat(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def poll(self) -> Preset | None:
        """The new Preset if the file changed and is valid; otherwise None (keep using the last good one)."""
        if self._job is None:
            try:
                st = self.path.stat()
                stat = (st.st_mtime_ns, st.st_size)
            except OSError as exc:
                if self._stat is not None:
                    self.last_error = PresetError([f"{self.path}: cannot read preset ({exc.strerror}); "
                                                   "keeping the last good preset"])
                    self._stat = self._digest = None
                return None
            if stat == self._stat:
                return None
            # Remember the stat before reading: an edit landing during the read changes it again and is re-read.
            self._stat = stat
            self._job = threading.Thread(target=self._work, args=(stat, self._digest), daemon=True,
                                         name=f"preset-reload {self.path.name}")
            self._job.start()
        self._job.join(self.wait_s)
        if self._job.is_alive():
            return None
        self._job = None
        outcome, self._outcome = self._outcome, None
        return self._apply(outcome) if outcome is not None else None

    def _work(self, stat: tuple[int, int], known: bytes | None) -> None:
        self._outcome = (stat, *read_and_parse(self.path, known))

    def _apply(self, outcome: _Outcome) -> Preset | None:
        stat, digest, preset, error = outcome
        self._stat = stat
        if preset is None and error is None:  # touched but unchanged
            return None
        self._digest = digest
        if preset is None:
            self.last_error = error
            return None
        self.preset, self.last_error = preset, None
        return preset
