"""CameraSpec -> a running-ready CameraSource (transport + transform + layout)."""

from __future__ import annotations

import logging

from bridge.sources.base import Backoff, CameraSource, SourceError
from bridge.sources.layouts import FrameProcessor, LayoutSplitter, base_layout, default_regions
from bridge.sources.spec import CameraSpec
from bridge.sources.transform import ViewTransform

log = logging.getLogger(__name__)


def build_processor(spec: CameraSpec, face_detector=None) -> FrameProcessor:
    """The per-frame processing of one camera: transform, then layout split or lower-face crop.

    ``face_detector`` overrides the detector picked by ``detect_face`` (tests, custom detectors).
    """
    try:
        transform = ViewTransform(crop=spec.crop, rotate=float(spec.rotate), flip=spec.flip, resize=spec.resize)
    except ValueError as exc:
        raise SourceError(f"camera {spec.name!r}: {exc}") from None
    if spec.layout == "webcam":
        from bridge.sources.face_detector import FaceDetectorUnavailable, FaceTracker, open_face_detector
        from bridge.sources.webcam import WebcamFaceCrops

        try:
            detector = face_detector if face_detector is not None else open_face_detector()
        except FaceDetectorUnavailable as exc:
            raise SourceError(f"camera {spec.name!r} (layout webcam): {exc}") from None
        return FrameProcessor(transform.apply, face=WebcamFaceCrops(FaceTracker(detector), spec.views))
    if base_layout(spec.layout) == "lower_face_external":
        from bridge.sources.lower_face import (
            LowerFaceLocator,
            TemplateRegionTracker,
            default_face_detector,
            face_finder,
        )

        finder = None if face_detector is None else face_finder(face_detector)
        if finder is None and spec.detect_face:
            detector, description = default_face_detector(spec.face_detector_model)
            if detector is not None:
                finder = face_finder(detector)
            elif spec.lower_face_region is not None:
                log.info("camera %r: no face detector (%s); following lower_face_region by template tracking",
                         spec.name, description)
                finder = TemplateRegionTracker(spec.lower_face_region)
            else:
                log.warning("camera %r: detect_face is on but there is no face detector (%s) and no "
                            "lower_face_region to track; using the whole frame. Set lower_face_region, or "
                            "face_detector_model = a YuNet .onnx file.", spec.name, description)
        try:
            locator = LowerFaceLocator(spec.lower_face_region, finder)
        except ValueError as exc:
            raise SourceError(f"camera {spec.name!r}: {exc}") from None
        return FrameProcessor(transform.apply, lower_face=locator)
    regions = dict(default_regions(spec.layout, spec.views, spec.subject_left_on))
    if spec.regions:
        unknown = set(spec.regions) - set(spec.views)
        if unknown:
            raise SourceError(f"camera {spec.name!r}: regions given for {sorted(unknown)} which are not in "
                              f"views {spec.views}")
        regions.update({k: (float(r[0]), float(r[1]), float(r[2]), float(r[3])) for k, r in spec.regions.items()})
    try:
        splitter = LayoutSplitter(regions)
    except ValueError as exc:
        raise SourceError(f"camera {spec.name!r}: {exc}") from None
    return FrameProcessor(transform.apply, splitter=splitter)


def open_camera(spec: CameraSpec, backoff: Backoff | None = None, face_detector=None) -> CameraSource:
    """The CameraSource for a spec (not started). Raises SourceError for synthetic/replay (whole-set sources)."""
    target = spec.target
    processor = build_processor(spec, face_detector)
    paced = not spec.lockstep
    if target.kind in ("device", "stream"):
        from bridge.sources.opencv_capture import VideoCaptureSource

        return VideoCaptureSource(spec.name, target.location, processor, fps=spec.fps, capture_size=spec.capture_size,
                                  fourcc=spec.fourcc, backoff=backoff)
    if target.kind == "video":
        from bridge.sources.opencv_capture import VideoCaptureSource

        return VideoCaptureSource(spec.name, target.location, processor, is_file=True, fps=spec.fps,
                                  loop=spec.loop, paced=paced, backoff=backoff)
    if target.kind == "folder":
        from bridge.sources.folder import ImageFolderSource

        return ImageFolderSource(spec.name, str(target.location), processor, fps=spec.fps or 30.0, loop=spec.loop,
                                 paced=paced, backoff=backoff)
    if target.kind == "image":
        from bridge.sources.still_image import StillImageSource

        return StillImageSource(spec.name, str(target.location), processor, fps=spec.fps or 30.0, loop=spec.loop,
                                paced=paced, backoff=backoff)
    if target.kind == "http":
        from bridge.sources.mjpeg_http import MjpegHttpSource

        return MjpegHttpSource(spec.name, str(target.location), processor, backoff=backoff)
    if target.kind == "serial":
        try:
            from bridge.sources.serial_camera import SerialCameraSource
        except ImportError as exc:  # no termios/fcntl: Windows
            raise SourceError(f"camera {spec.name!r}: serial cameras need a POSIX system (termios), not available "
                              f"here ({exc}); switch the camera's firmware to MJPEG over HTTP/Wi-Fi instead") from None

        return SerialCameraSource(spec.name, str(target.location), processor, baud=target.baud, backoff=backoff)
    raise SourceError(f"camera {spec.name!r}: {target.kind!r} sources deliver whole frame sets and cannot be one "
                      "camera among several; use them alone (open_frameset_source)")
