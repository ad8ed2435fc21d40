"""Source spec strings and per-camera configuration.

Spec strings (``--source`` and each camera's ``source`` in the config):

- ``synthetic`` or ``synthetic:fps=60,seed=3,realtime=0`` - the rendered synthetic headset (default)
- ``0``, ``1``, ... or ``/dev/video0`` - a V4L2/UVC device through OpenCV
- ``clip.mp4`` (any video file OpenCV reads), ``frames/`` (an image folder), ``face.png`` (one still image, looped)
- ``http://openiristracker.local/`` - MJPEG over HTTP (our reader; non-multipart answers go to OpenCV)
- ``rtsp://...`` - any other stream URL OpenCV/FFmpeg reads
- ``serial:/dev/ttyUSB0`` or ``serial:/dev/ttyACM0@115200`` - a USB-serial camera (default 3,000,000 baud)
- ``replay:PATH`` - one of our recordings (bridge.sources.replay)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bridge.schema import CAMERAS
from bridge.sources.base import SourceError
from bridge.sources.layouts import EYE_SIDES, LAYOUT_VIEWS, LAYOUTS, base_layout, validate_views
from bridge.sources.transform import FLIPS

SOURCE_KINDS = ("synthetic", "device", "video", "image", "folder", "http", "stream", "serial", "replay")
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mjpeg", ".mjpg", ".wmv", ".mpg", ".mpeg")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".ppm", ".tif", ".tiff", ".webp")
SPEC_HELP = ("expected 'synthetic', a device index (0), /dev/videoN, a video file, an image folder, an image file, "
             "http(s)://... (MJPEG), rtsp://..., serial:PORT[@BAUD] or replay:PATH")


def redact_url(text: str) -> str:
    """The URL without its password (for messages and logs); other strings unchanged."""
    if "://" not in text or "@" not in text:
        return text
    import urllib.parse

    parts = urllib.parse.urlsplit(text)
    if parts.password is None:
        return text
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True, slots=True)
class SourceTarget:
    """A parsed spec string: what kind of transport and where."""

    kind: str
    location: str | int  # device index, path, URL or port
    baud: int | None = None
    options: Mapping[str, str] = field(default_factory=dict)  # synthetic:key=value,...


def _parse_options(text: str, spec: str) -> dict[str, str]:
    options = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise SourceError(f"source {spec!r}: option {item!r} must look like key=value")
        options[key.strip()] = value.strip()
    return options


def parse_source_spec(spec: str) -> SourceTarget:
    """Parse a spec string (see module docstring). Raises SourceError naming the spec and the accepted forms."""
    text = str(spec).strip()
    if not text:
        raise SourceError(f"empty source spec; {SPEC_HELP}")
    lower = text.lower()
    if lower == "synthetic" or lower.startswith("synthetic:"):
        return SourceTarget("synthetic", "synthetic", options=_parse_options(text[len("synthetic:"):], text))
    if re.fullmatch(r"\d+", text):
        return SourceTarget("device", int(text))
    if lower.startswith("serial:"):
        port, _, baud = text[len("serial:"):].partition("@")
        if not port:
            raise SourceError(f"source {spec!r}: serial needs a port, e.g. serial:/dev/ttyUSB0 or "
                              "serial:/dev/ttyACM0@115200")
        if baud and not baud.isdigit():
            raise SourceError(f"source {spec!r}: baud rate {baud!r} must be a number, e.g. @3000000")
        return SourceTarget("serial", port, baud=int(baud) if baud else None)
    if lower.startswith("replay:"):
        path = text[len("replay:"):]
        if not path:
            raise SourceError(f"source {spec!r}: replay needs a path, e.g. replay:recordings/session1")
        return SourceTarget("replay", path)
    scheme = lower.split("://", 1)[0] if "://" in lower else ""
    if scheme in ("http", "https"):
        return SourceTarget("http", text)
    if scheme:
        return SourceTarget("stream", text)  # rtsp, rtmp, udp, ... whatever OpenCV's FFmpeg reads
    if re.fullmatch(r"/dev/video\d+", text):
        return SourceTarget("device", text)
    if re.fullmatch(r"/dev/tty(USB|ACM)\d+|/dev/(cu|tty)\..+", text):
        return SourceTarget("serial", text)
    if os.path.isdir(text):
        return SourceTarget("folder", text)
    if os.path.isfile(text):
        return SourceTarget("image" if lower.endswith(IMAGE_EXTENSIONS) else "video", text)
    raise SourceError(f"source {spec!r}: no such file, folder or device; {SPEC_HELP}")


@dataclass(frozen=True, slots=True)
class CameraSpec:
    """One camera: where frames come from, which views it feeds and its geometry.

    ``views`` defaults to everything the layout produces (``single`` needs one explicit view). ``crop`` is
    (x, y, w, h) in source pixels; ``rotate`` degrees clockwise (90/180/270 exact, others about the centre);
    ``flip`` one of none/horizontal/vertical; ``resize`` (w, h) - all applied before the layout split.
    ``subject_left_on`` says which half of a two-eye frame holds the SUBJECT's left eye ("image_right" for a
    camera facing the subject). ``regions`` overrides layout regions (fractions x, y, w, h). ``fps`` paces files
    and folders (None: the file's own rate, 30 for folders); ``loop`` restarts them; ``lockstep`` makes a file or
    folder wait until each frame was read (offline analysis: no frame is skipped). For devices, ``capture_size``
    (w, h), ``fps`` and ``fourcc`` (e.g. "MJPG") are requested from the driver.
    """

    source: str
    views: tuple[str, ...] = ()
    layout: str = "single"
    crop: tuple[int, int, int, int] | None = None
    rotate: float = 0
    flip: str = "none"
    resize: tuple[int, int] | None = None
    lower_face_region: tuple[int, int, int, int] | None = None
    detect_face: bool = False
    name: str = ""
    subject_left_on: str = "image_right"
    regions: Mapping[str, tuple[float, float, float, float]] | None = None
    fps: float | None = None
    loop: bool = False
    lockstep: bool = False
    face_detector_model: str | None = None
    capture_size: tuple[int, int] | None = None
    fourcc: str | None = None

    def __post_init__(self) -> None:
        label = self.name or self.source
        if self.layout not in LAYOUTS:
            raise SourceError(f"camera {label!r}: layout {self.layout!r} is not one of {', '.join(LAYOUTS)}")
        views = tuple(self.views)
        if not views:
            if self.layout == "single":
                raise SourceError(f"camera {label!r}: layout 'single' needs views=(one of {CAMERAS})")
            views = LAYOUT_VIEWS[self.layout]
        object.__setattr__(self, "views", views)
        if not self.name:
            object.__setattr__(self, "name", "+".join(views))
        checks = [
            (lambda: validate_views(self.layout, views)),
            (lambda: self.flip in FLIPS or _raise(f"flip {self.flip!r} is not one of {FLIPS}")),
            (lambda: self.subject_left_on in EYE_SIDES
             or _raise(f"subject_left_on {self.subject_left_on!r} is not one of {EYE_SIDES}")),
            (lambda: self.fps is None or self.fps > 0 or _raise(f"fps must be > 0, got {self.fps}")),
            (lambda: self.fourcc is None or len(self.fourcc) == 4
             or _raise(f"fourcc must be 4 characters such as MJPG, YUYV or GREY, got {self.fourcc!r}")),
            (lambda: self.capture_size is None or (len(self.capture_size) == 2 and min(self.capture_size) > 0)
             or _raise(f"capture_size must be (w, h) with w, h > 0, got {self.capture_size}")),
            (lambda: not (self.detect_face or self.lower_face_region)
             or base_layout(self.layout) == "lower_face_external"
             or _raise("lower_face_region/detect_face only apply to layout 'lower_face' (= lower_face_external, "
                       "a webcam under the headset); layout 'webcam' always finds the face itself")),
        ]
        for check in checks:
            try:
                check()
            except ValueError as exc:
                raise SourceError(f"camera {label!r}: {exc}") from None

    @property
    def target(self) -> SourceTarget:
        return parse_source_spec(self.source)


def _raise(message: str) -> bool:
    raise ValueError(message)
