"""Camera sources: transports (OpenCV, MJPEG over HTTP, USB serial, files, folders, synthetic, replay), camera
layouts and per-camera geometry, and the assembler that turns the newest frames into FrameSets.

Public names are imported lazily so ``facebridge cameras --help`` does not load OpenCV.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_EXPORTS = {
    "CameraSpec": "bridge.sources.spec",
    "SourceTarget": "bridge.sources.spec",
    "parse_source_spec": "bridge.sources.spec",
    "FrameSetSource": "bridge.sources.frameset_source",
    "CameraFrameSetSource": "bridge.sources.frameset_source",
    "SyntheticFrameSetSource": "bridge.sources.synthetic",
    "open_frameset_source": "bridge.sources.frameset_source",
    "SourceError": "bridge.sources.base",
    "SourceStats": "bridge.sources.base",
    "CameraSource": "bridge.sources.base",
    "CapturedFrame": "bridge.sources.base",
    "FrameSetAssembler": "bridge.sources.assembler",
    "open_camera": "bridge.sources.factory",
}
__all__ = [
    "CameraFrameSetSource",
    "CameraSource",
    "CameraSpec",
    "CapturedFrame",
    "FrameSetAssembler",
    "FrameSetSource",
    "SourceError",
    "SourceStats",
    "SourceTarget",
    "SyntheticFrameSetSource",
    "open_camera",
    "open_frameset_source",
    "parse_source_spec",
]

if TYPE_CHECKING:
    from bridge.sources.assembler import FrameSetAssembler
    from bridge.sources.base import CameraSource, CapturedFrame, SourceError, SourceStats
    from bridge.sources.factory import open_camera
    from bridge.sources.frameset_source import (
        CameraFrameSetSource,
        FrameSetSource,
        open_frameset_source,
    )
    from bridge.sources.spec import CameraSpec, SourceTarget, parse_source_spec
    from bridge.sources.synthetic import SyntheticFrameSetSource


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bridge.sources' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
