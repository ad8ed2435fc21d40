"""OpenCV VideoCapture sources: a device index or path (/dev/video0), a video file, an RTSP/HTTP stream."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from bridge.sources.base import Backoff, CameraSource, ConnectionLost, EndOfStream, Pacer, SourceError
from bridge.sources.spec import redact_url

STREAM_OPEN_TIMEOUT_MS = 5000
STREAM_READ_TIMEOUT_MS = 2000


class VideoCaptureSource(CameraSource):
    """Frames from ``cv2.VideoCapture``. ``is_file`` switches to file behaviour: pacing at the file's frame rate
    (or ``fps``), stopping at the end (or looping) instead of reconnecting."""

    def __init__(self, name: str, target: int | str, processor: Callable[[np.ndarray], dict[str, np.ndarray]], *,
                 is_file: bool = False, fps: float | None = None, loop: bool = False, paced: bool = True,
                 capture_size: tuple[int, int] | None = None, fourcc: str | None = None,
                 backoff: Backoff | None = None) -> None:
        super().__init__(name, processor, backoff)
        self.target = target
        self.is_file = is_file
        is_device = isinstance(target, int) or str(target).startswith("/dev/video")
        self.kind = "video file" if is_file else ("device" if is_device else "stream")
        self.loop = loop
        self._fps = fps
        self._paced = paced
        self._pacer = Pacer(None)
        self._cap: cv2.VideoCapture | None = None
        self.capture_size = capture_size
        if fourcc is not None and len(fourcc) != 4:
            raise SourceError(f"camera {name!r}: fourcc must be 4 characters such as MJPG, YUYV or GREY, "
                              f"got {fourcc!r}")
        self.fourcc = fourcc

    def describe(self) -> str:
        return f"{self.kind} camera {self.name!r} ({redact_url(str(self.target))})"

    def availability_hint(self) -> str:
        return "" if self.is_file else super().availability_hint()

    def _connect(self) -> None:
        if self.kind == "stream":
            # Network streams: bounded open/read waits (FFmpeg's own default is ~30 s) so a stalled stream becomes
            # a reconnect and close() stays quick.
            params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, STREAM_OPEN_TIMEOUT_MS,
                      cv2.CAP_PROP_READ_TIMEOUT_MSEC, STREAM_READ_TIMEOUT_MS]
            cap = cv2.VideoCapture(self.target, cv2.CAP_ANY, params)
        else:
            cap = cv2.VideoCapture(self.target)
        if not cap.isOpened():
            cap.release()
            if self.is_file:
                raise SourceError(f"OpenCV cannot read video file {str(self.target)!r} (corrupt, truncated or an "
                                  "unsupported codec); check that it plays, or convert it to H.264 MP4 or MJPEG AVI")
            raise SourceError(f"OpenCV could not open device/stream {redact_url(str(self.target))!r}")
        if not self.is_file:
            # Requests to the driver; a camera that cannot do them keeps its own mode (OpenCV reports the result).
            if self.fourcc:
                # MJPG: high fps over USB 2 (VideoWriter_fourcc exists at run time; the cv2 stubs lack it)
                cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*self.fourcc))  # type: ignore[attr-defined]
            if self.capture_size:
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.capture_size[0])
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.capture_size[1])
            if self._fps:
                cap.set(cv2.CAP_PROP_FPS, self._fps)
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # keep the driver queue short: newest frame wins
        native = cap.get(cv2.CAP_PROP_FPS)
        fps = self._fps or (native if 0 < native < 1000 else 30.0)
        self._pacer = Pacer(fps if (self.is_file and self._paced) else None)
        self._cap = cap

    def _grab(self) -> np.ndarray | None:
        cap = self._cap
        assert cap is not None
        self._pacer.wait(self._stop)
        ok, frame = cap.read()
        if ok and frame is not None:
            return frame
        if not self.is_file:
            raise ConnectionLost(f"no frame from {redact_url(str(self.target))!r} (unplugged or stream ended)")
        if self.loop and cap.get(cv2.CAP_PROP_FRAME_COUNT) > 0:
            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = cap.read()
            if ok and frame is not None:
                return frame
        raise EndOfStream

    def _disconnect(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
