"""Image folders: files in natural sorted order (frame2 before frame10), paced, optionally looping."""

from __future__ import annotations

import os
import re
from collections.abc import Callable

import cv2
import numpy as np

from bridge.sources.base import Backoff, CameraSource, EndOfStream, Pacer, SourceError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".ppm", ".tif", ".tiff", ".webp")


def natural_key(name: str) -> list[object]:
    """Sort key treating digit runs as numbers."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def list_images(folder: str) -> list[str]:
    """Image files directly inside ``folder`` in natural order."""
    names = [n for n in os.listdir(folder) if n.lower().endswith(IMAGE_EXTENSIONS)]
    return [os.path.join(folder, n) for n in sorted(names, key=natural_key)]


class ImageFolderSource(CameraSource):
    """One image per frame; unreadable files are dropped and counted as corrupt, never fatal."""

    kind = "image folder"

    def __init__(self, name: str, folder: str, processor: Callable[[np.ndarray], dict[str, np.ndarray]], *,
                 fps: float | None = 30.0, loop: bool = False, paced: bool = True,
                 backoff: Backoff | None = None) -> None:
        super().__init__(name, processor, backoff)
        self.folder = folder
        self.loop = loop
        self._pacer = Pacer(fps if paced else None)
        self._files: list[str] = []
        self._next = 0

    def describe(self) -> str:
        return f"image folder camera {self.name!r} ({self.folder})"

    def availability_hint(self) -> str:
        return ""

    def _connect(self) -> None:
        if not os.path.isdir(self.folder):
            raise SourceError(f"{self.folder!r} is not a folder")
        files = list_images(self.folder)
        if not files:
            raise SourceError(f"folder {self.folder!r} holds no images ({', '.join(IMAGE_EXTENSIONS)})")
        self._files = files

    def _grab(self) -> np.ndarray | None:
        if self._next >= len(self._files):
            if not self.loop:
                raise EndOfStream
            self._next = 0
        path = self._files[self._next]
        self._next += 1
        self._pacer.wait(self._stop)
        # np.fromfile + imdecode also handles non-ASCII paths on Windows, unlike cv2.imread.
        try:
            image = cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
        except (OSError, cv2.error):
            image = None
        if image is None:
            self.counters.drop(corrupt=True)
            self.counters.note(f"unreadable image {path} (dropped)")
            return None
        return image

    def _disconnect(self) -> None:
        self._files = []
