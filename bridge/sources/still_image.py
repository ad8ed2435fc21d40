"""One still image file served as a camera (setup checks, demos): paced, repeated when ``loop``."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from bridge.sources.base import Backoff, SourceError
from bridge.sources.folder import ImageFolderSource


class StillImageSource(ImageFolderSource):
    """An image folder with exactly one file."""

    kind = "image file"

    def __init__(self, name: str, path: str, processor: Callable[[np.ndarray], dict[str, np.ndarray]], *,
                 fps: float | None = 30.0, loop: bool = False, paced: bool = True,
                 backoff: Backoff | None = None) -> None:
        super().__init__(name, os.path.dirname(path) or ".", processor, fps=fps, loop=loop, paced=paced,
                         backoff=backoff)
        self.path = path

    def describe(self) -> str:
        return f"image file camera {self.name!r} ({self.path})"

    def _connect(self) -> None:
        if not os.path.isfile(self.path):
            raise SourceError(f"image file {self.path!r} not found")
        self._files = [self.path]
