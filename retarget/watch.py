"""Hot reload: watch one preset file; a valid edit yields a new Preset, a broken one keeps the last good preset."""

from __future__ import annotations

import hashlib
from pathlib import Path

from retarget.library import preset_path
from retarget.parse import parse_preset
from retarget.spec import Preset, PresetError


class PresetWatcher:
    """Poll a preset file (cheap: one stat per poll; the file is read only when its size or mtime changes).

    ``preset`` is the last good preset (None if the file was never valid); ``last_error`` is the PresetError
    of the newest content if it is invalid, else None."""

    def __init__(self, name_or_path: str | Path) -> None:
        self.path = preset_path(name_or_path)
        self.preset: Preset | None = None
        self.last_error: PresetError | None = None
        self._stat: tuple[int, int] | None = None
        self._digest: bytes | None = None
        self._load()

    def poll(self) -> Preset | None:
        """The new Preset if the file changed and is valid; otherwise None (keep using the last good one)."""
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
        return self._load()

    def _load(self) -> Preset | None:
        try:
            data = self.path.read_bytes()
            st = self.path.stat()
        except OSError as exc:
            self.last_error = PresetError([f"{self.path}: cannot read preset ({exc.strerror})"])
            return None
        self._stat = (st.st_mtime_ns, st.st_size)
        digest = hashlib.blake2b(data, digest_size=16).digest()
        if digest == self._digest:  # touched but unchanged
            return None
        self._digest = digest
        try:
            preset = parse_preset(data.decode("utf-8"), self.path)  # parse the bytes we hashed: no read race
        except UnicodeDecodeError as exc:
            self.last_error = PresetError([f"{self.path}: not UTF-8 text ({exc.reason}); keeping the last good preset"])
            return None
        except PresetError as exc:
            self.last_error = exc
            return None
        self.preset, self.last_error = preset, None
        return preset
