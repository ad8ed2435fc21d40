"""Recorder sink: every FaceState to JSONL (and optionally the raw frames); never overwrites a recording."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from bridge.fields import doc
from bridge.outputs.base import OutputFrame, OutputOptions
from bridge.recording_format import (
    FACES_FILE,
    FORMAT_NAME,
    FORMAT_VERSION,
    FRAMES_FILE,
    META_FILE,
    state_to_record,
)
from bridge.schema import AU10, BLENDSHAPE_NAMES, EMOTIVE5, FER8, REGIONS

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RecorderOptions(OutputOptions):
    """``[[outputs]] kind = "recorder"``: every FaceState (and optionally the camera frames) to disk."""

    kind: ClassVar[str] = "recorder"
    uses_rig: ClassVar[bool] = False

    path: str = field(default="recordings", metadata=doc(
        "folder for recordings; each run makes a new rec-<time> subfolder (never overwrites)"))
    raw_frames: bool = field(default=False, metadata=doc(
        "also store the camera frames (needed to replay through the models)"))

    @classmethod
    def from_cli(cls, rest: str) -> RecorderOptions:
        """Options from the ``DIR`` part of ``--output recorder:DIR``."""
        return cls(path=rest or "recordings")


def new_recording_dir(root: Path, stamp: str | None = None) -> Path:
    """Create (atomically, with mkdir) a fresh directory under ``root``; a name already taken gets -2, -3, ..."""
    root.mkdir(parents=True, exist_ok=True)
    stamp = stamp or dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    for n in range(1, 10_000):
        candidate = root / (f"rec-{stamp}" if n == 1 else f"rec-{stamp}-{n}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise RuntimeError(f"recorder: no free recording name under {root}")


class RecorderSink:
    """Writes ``root/rec-<time>/`` (see bridge.recording_format). Flushes at most every ``flush_s`` seconds."""

    rig_key = None

    def __init__(self, root: str | Path, raw_frames: bool = False, flush_s: float = 1.0) -> None:
        self.path = new_recording_dir(Path(root))
        self.name = f"recorder:{self.path}"
        self.raw_frames = bool(raw_frames)
        meta = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "created": dt.datetime.now(dt.UTC).isoformat(),
            "raw_frames": self.raw_frames,
            "blendshapes": list(BLENDSHAPE_NAMES),
            "emotive5": list(EMOTIVE5),
            "au10": list(AU10),
            "fer8": list(FER8),
            "regions": list(REGIONS),
        }
        (self.path / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        # "x" mode: refuse to open a file that exists (defence in depth after the exclusive mkdir).
        self._faces = open(self.path / FACES_FILE, "x", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._frames = open(self.path / FRAMES_FILE, "xb") if self.raw_frames else None  # noqa: SIM115
        self._offset = 0
        self._count = 0
        self._flush_s = flush_s
        self._last_flush = time.monotonic()
        log.info("recording to %s", self.path)

    @classmethod
    def from_options(cls, options: RecorderOptions, rig_key: str | None = None) -> RecorderSink:
        """The sink for one validated ``[[outputs]]`` entry (``rig_key`` is ignored: it records the FaceState)."""
        return cls(options.path, raw_frames=options.raw_frames)

    def send(self, frame: OutputFrame) -> None:
        record = state_to_record(frame.state)
        if self._frames is not None and frame.frames is not None:
            views = {}
            for view, image in frame.frames.images.items():
                data = image.tobytes()  # C order, uint8 (FrameSet guarantees 2-D uint8)
                self._frames.write(data)
                views[view] = [self._offset, int(image.shape[0]), int(image.shape[1])]
                self._offset += len(data)
            record["frames"] = {"capture_time": frame.frames.capture_time, "sequence": frame.frames.sequence,
                                "views": views}
        self._faces.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._count += 1
        now = time.monotonic()
        if now - self._last_flush >= self._flush_s:
            self._flush()
            self._last_flush = now

    def _flush(self) -> None:
        # Pixels first, so a reader never sees a face line pointing past the end of frames.bin. No fsync:
        # durability is not worth stalling the pipeline.
        if self._frames is not None:
            self._frames.flush()
        self._faces.flush()

    def stats(self) -> dict[str, int]:
        return {"frames": self._count, "raw_bytes": self._offset}

    def close(self) -> None:
        if self._faces.closed:
            return
        self._flush()
        if self._frames is not None:
            self._frames.close()
        self._faces.close()
