"""Pure parts of bridge.sources: geometry, layouts, stream parsers, the assembler and spec parsing."""

import threading

import cv2
import numpy as np
import pytest

from bridge.sources import CameraSpec, FrameSetAssembler, SourceError, parse_source_spec
from bridge.sources.base import Backoff, CapturedFrame, FrameCounters, Pacer
from bridge.sources.factory import build_processor
from bridge.sources.jpeg import JpegStreamSplitter, decode_jpeg_gray, encode_jpeg
from bridge.sources.layouts import LayoutSplitter, default_regions
from bridge.sources.lower_face import LowerFaceLocator, TemplateRegionTracker, face_finder
from bridge.sources.serial_camera import FRAME_MAGIC, SerialFrameParser
from bridge.sources.transform import ViewTransform, to_gray


def _frame(value: int, shape=(24, 32)) -> np.ndarray:
    return np.full(shape, value, np.uint8)


def _serial_frame(jpeg: bytes) -> bytes:
    return FRAME_MAGIC + len(jpeg).to_bytes(2, "little") + jpeg


# --- geometry ---------------------------------------------------------------------------------------------------

def test_transform_order_crop_rotate_flip_resize():
    img = np.arange(6 * 8, dtype=np.uint8).reshape(6, 8)
    out = ViewTransform(crop=(2, 1, 4, 3)).apply(img)
    assert np.array_equal(out, img[1:4, 2:6])
    # 90 degrees clockwise: the first row becomes the last column.
    rot = ViewTransform(rotate=90).apply(img)
    assert rot.shape == (8, 6) and np.array_equal(rot[:, -1], img[0])
    assert np.array_equal(ViewTransform(rotate=270).apply(img)[:, 0], img[0][::-1])
    assert np.array_equal(ViewTransform(rotate=180).apply(img), img[::-1, ::-1])
    assert np.array_equal(ViewTransform(flip="horizontal").apply(img), img[:, ::-1])
    assert np.array_equal(ViewTransform(flip="vertical").apply(img), img[::-1])
    assert ViewTransform(resize=(16, 12)).apply(img).shape == (12, 16)
    both = ViewTransform(crop=(0, 0, 4, 6), rotate=90, flip="horizontal", resize=(12, 8)).apply(img)
    assert both.shape == (8, 12) and both.flags["C_CONTIGUOUS"]


def test_small_angle_rotation_is_clockwise_and_keeps_size():
    img = np.zeros((41, 41), np.uint8)
    img[20, 30:] = 255  # a bright bar pointing right (3 o'clock)
    out = ViewTransform(rotate=30).apply(img)
    assert out.shape == img.shape
    ys, xs = np.nonzero(out > 128)
    # Clockwise on screen (y down) moves the bar below the centre row.
    assert ys.mean() > 20 and xs.mean() > 20


def test_transform_rejects_bad_config_and_clips_crop():
    with pytest.raises(ValueError, match="flip"):
        ViewTransform(flip="sideways")
    with pytest.raises(ValueError, match="crop"):
        ViewTransform(crop=(0, 0, 0, 5))
    img = _frame(7, (10, 10))
    assert ViewTransform(crop=(5, 5, 100, 100)).apply(img).shape == (5, 5)
    with pytest.raises(ValueError, match="outside"):
        ViewTransform(crop=(50, 50, 5, 5)).apply(img)


def test_to_gray_handles_color_alpha_and_16_bit():
    bgr = np.zeros((4, 4, 3), np.uint8)
    bgr[..., 2] = 255  # pure red
    assert to_gray(bgr).shape == (4, 4) and 70 < to_gray(bgr)[0, 0] < 80  # 0.299 * 255
    assert to_gray(np.zeros((4, 4, 4), np.uint8)).shape == (4, 4)
    assert to_gray(np.full((4, 4), 65535, np.uint16))[0, 0] == 255


# --- layouts ----------------------------------------------------------------------------------------------------

def _two_eye_image() -> np.ndarray:
    img = np.zeros((20, 40), np.uint8)
    img[:, :20] = 50  # image LEFT half
    img[:, 20:] = 200  # image RIGHT half
    return img


def test_eyes_side_by_side_puts_subjects_left_eye_on_image_right_by_default():
    views = LayoutSplitter(default_regions("eyes_side_by_side", ("left_eye", "right_eye"))).split(_two_eye_image())
    assert views["left_eye"].shape == (20, 20)
    assert views["left_eye"].mean() == 200 and views["right_eye"].mean() == 50
    mirrored = LayoutSplitter(default_regions("eyes_side_by_side", ("left_eye", "right_eye"), "image_left"))
    out = mirrored.split(_two_eye_image())
    assert out["left_eye"].mean() == 50 and out["right_eye"].mean() == 200


def test_combined_frame_splits_eyes_top_and_mouth_bottom():
    img = np.zeros((40, 40), np.uint8)
    img[:20, :20], img[:20, 20:], img[20:] = 10, 20, 30
    spec = CameraSpec("synthetic-unused.mp4", layout="combined_eyes_mouth")
    views = build_processor(spec)(img)
    assert set(views) == {"left_eye", "right_eye", "mouth"}
    assert views["left_eye"].mean() == 20 and views["right_eye"].mean() == 10 and views["mouth"].mean() == 30
    assert views["mouth"].shape == (20, 40)
    # A horizontal flip in the camera's transform happens before the split, so the sides swap.
    flipped = build_processor(CameraSpec("x.mp4", layout="combined_eyes_mouth", flip="horizontal"))(img)
    assert flipped["left_eye"].mean() == 10


def test_regions_override_and_views_subset():
    spec = CameraSpec("x.mp4", layout="combined_eyes_mouth", views=("mouth",), regions={"mouth": (0.25, 0.5, 0.5, 0.5)})
    views = build_processor(spec)(np.zeros((40, 40), np.uint8))
    assert list(views) == ["mouth"] and views["mouth"].shape == (20, 20)


def test_camera_spec_errors_name_the_camera_and_allowed_values():
    with pytest.raises(SourceError, match="layout 'single' needs views"):
        CameraSpec("0")
    with pytest.raises(SourceError, match=r"cam1.*layout 'diagonal'"):
        CameraSpec("0", views=("mouth",), layout="diagonal", name="cam1")
    with pytest.raises(SourceError, match="not produced by layout"):
        CameraSpec("0", views=("mouth",), layout="eyes_side_by_side")
    with pytest.raises(SourceError, match="flip"):
        CameraSpec("0", views=("mouth",), flip="diagonal")
    with pytest.raises(SourceError, match="lower_face_external"):
        CameraSpec("0", views=("mouth",), detect_face=True)
    assert CameraSpec("0", layout="eyes_side_by_side").name == "left_eye+right_eye"


def test_lower_face_region_and_detector_recentring():
    frame = np.zeros((240, 320), np.uint8)
    fixed = LowerFaceLocator(region=(100, 120, 80, 60))
    assert fixed(frame) == (100, 120, 80, 60)
    assert LowerFaceLocator()(frame) == (0, 0, 320, 240)
    boxes = [[(60, 40, 100, 100)]]  # detector sees a 100x100 face at (60, 40) in the (downscaled) image

    locator = LowerFaceLocator(region=(0, 0, 80, 60), finder=face_finder(lambda img: boxes[0]), detect_every=1,
                               smoothing=1.0)
    x, y, w, h = locator(frame)
    # The lower face is the bottom part of the face box: centre x = 110, centre y = 40 + 0.45*100 + 0.35*100 = 120.
    assert (w, h) == (80, 60) and abs(x + w / 2 - 110) <= 1 and abs(y + h / 2 - 120) <= 1
    boxes[0] = []  # face lost: keep the last box
    assert locator(frame) == (x, y, w, h)
    boxes[0] = [(300, 200, 100, 100)]  # near the corner: the box is shifted to stay inside
    x2, y2, w2, h2 = locator(frame)
    assert x2 + w2 <= 320 and y2 + h2 <= 240 and (w2, h2) == (80, 60)


def _textured_scene(dx: int, dy: int) -> np.ndarray:
    # A fixed random texture (a "face") pasted at an offset into a plain background frame.
    rng = np.random.default_rng(5)
    face = cv2.GaussianBlur(rng.integers(0, 255, (120, 140), dtype=np.uint8), (5, 5), 1.5)
    frame = np.full((240, 320), 90, np.uint8)
    frame[60 + dy : 180 + dy, 90 + dx : 230 + dx] = face
    return frame


def test_template_tracker_follows_the_region_without_a_model():
    region = (110, 100, 100, 60)  # inside the textured patch
    tracker = TemplateRegionTracker(region)
    assert tracker(_textured_scene(0, 0)) is None  # first frame: learns the template
    assert tracker(_textured_scene(0, 0)) == region
    assert tracker(_textured_scene(18, -12)) == (128, 88, 100, 60)  # the user moved right and up
    assert tracker.last_score > 0.9
    assert tracker(np.full((240, 320), 90, np.uint8)) is None  # nothing to match: keep the last box
    locator = LowerFaceLocator(region, finder=TemplateRegionTracker(region), detect_every=1, smoothing=1.0)
    locator(_textured_scene(0, 0))
    assert locator(_textured_scene(-20, 10)) == (90, 110, 100, 60)


def test_detect_face_without_a_detector_falls_back_to_template_tracking(monkeypatch):
    import bridge.sources.lower_face as lower_face

    # As on OpenCV 5 without a YuNet file (also forced here so OpenCV 4's Haar cascades don't change the test).
    monkeypatch.setattr(lower_face, "default_face_detector", lambda model_path=None: (None, "no detector"))
    spec = CameraSpec("0", layout="lower_face_external", lower_face_region=(110, 100, 100, 60), detect_face=True)
    process = build_processor(spec)
    first = process(_textured_scene(0, 0))["lower_face"]
    moved = None
    for _ in range(10):  # the finder runs every 5th frame and moves half way each time
        moved = process(_textured_scene(24, 0))["lower_face"]
    assert first.shape == moved.shape == (60, 100)
    assert np.abs(moved.astype(int) - first.astype(int)).mean() < 12  # the crop followed the texture


def test_lower_face_external_spec_builds_processor():
    spec = CameraSpec("0", layout="lower_face_external", lower_face_region=(10, 20, 30, 40), resize=(160, 120))
    views = build_processor(spec)(np.zeros((240, 320), np.uint8))
    assert list(views) == ["lower_face"] and views["lower_face"].shape == (40, 30)


# --- stream parsers ---------------------------------------------------------------------------------------------

def test_jpeg_decode_rejects_truncated_and_garbage():
    jpeg = encode_jpeg(_frame(120))
    assert decode_jpeg_gray(jpeg).shape == (24, 32)
    assert decode_jpeg_gray(jpeg[: len(jpeg) // 2]) is None
    assert decode_jpeg_gray(b"\xff\xd8" + b"\x00" * 50 + b"\xff\xd9") is None
    assert decode_jpeg_gray(b"") is None


def test_mjpeg_splitter_across_chunks_with_headers_and_a_cut_frame():
    a, b = encode_jpeg(_frame(10)), encode_jpeg(_frame(200))
    part = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n"
    stream = part % len(a) + a + b"\r\n" + part % 99 + a[:40] + b"\r\n" + part % len(b) + b + b"\r\n"
    splitter = JpegStreamSplitter()
    frames = []
    for i in range(0, len(stream), 7):  # tiny chunks: markers split across reads
        frames += splitter.feed(stream[i : i + 7])
    assert frames == [a, b]
    assert splitter.truncated == 1


def test_serial_parser_resyncs_on_garbage_and_detects_truncation():
    a, b = encode_jpeg(_frame(10)), encode_jpeg(_frame(200))
    truncated = _serial_frame(b)[: 6 + 30]  # header promises len(b) bytes, only 30 follow
    stream = b"\x00garbage\xff\xa0" + _serial_frame(a) + truncated + b"\xff\xff" + _serial_frame(b)
    parser = SerialFrameParser()
    out = []
    for i in range(0, len(stream), 5):
        out += parser.feed(stream[i : i + 5])
    assert out == [a, b]
    assert parser.truncated == 1
    assert parser.garbage_bytes >= len(b"\x00garbage\xff\xa0")


def test_serial_parser_handles_many_frames_in_one_chunk():
    frames = [encode_jpeg(_frame(v)) for v in (10, 60, 110, 160)]
    parser = SerialFrameParser()
    assert parser.feed(b"".join(_serial_frame(f) for f in frames)) == frames
    assert parser.pending == 0


def test_serial_reader_drops_a_stale_backlog_and_resyncs():
    # A pipe stands in for a driver with a big input buffer (FIONREAD reports the whole backlog).
    import os

    from bridge.sources.serial_camera import STALE_BACKLOG, SerialCameraSource

    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    source = SerialCameraSource("eye", "pipe", lambda img: {"left_eye": img})
    source._fd = read_fd
    try:
        old = _serial_frame(encode_jpeg(np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8)))
        backlog = old * (STALE_BACKLOG // len(old) + 2)
        os.write(write_fd, backlog[:-10])  # ends in a partial frame
        assert source._grab() is None
        assert source.stale_flushes == 1 and source.stats().dropped >= 1 and source.parser.pending == 0
        os.write(write_fd, backlog[-10:][:3] + _serial_frame(encode_jpeg(_frame(77))))  # leftovers, then a live frame
        image = source._grab()
        assert image is not None and abs(float(image.mean()) - 77) < 3
    finally:
        os.close(read_fd)
        os.close(write_fd)


# --- assembler --------------------------------------------------------------------------------------------------

def _cap(views: dict, t: float, i: int = 1) -> CapturedFrame:
    return CapturedFrame(views=views, capture_time=t, index=i)


def test_assembler_waits_for_all_cameras_then_uses_oldest_capture_time():
    asm = FrameSetAssembler(["eyes", "mouth"], max_wait=0.05, stale_after=0.5)
    eyes = {"left_eye": _frame(1), "right_eye": _frame(2)}
    assert not asm.offer("eyes", _cap(eyes, 100.0), now=10.0)
    assert asm.assemble(now=10.01) is None  # mouth has not spoken yet, max_wait not over
    asm.offer("mouth", _cap({"mouth": _frame(3)}, 99.9), now=10.02)
    fs = asm.assemble(now=10.02)
    assert fs is not None and set(fs.images) == {"left_eye", "right_eye", "mouth"}
    assert fs.capture_time == 99.9 and fs.sequence == 1
    assert asm.assemble(now=10.03) is None  # nothing fresh


def test_assembler_newest_frame_wins_and_counts_overwrites():
    asm = FrameSetAssembler(["cam"], max_wait=0.0)
    assert not asm.offer("cam", _cap({"mouth": _frame(1)}, 1.0), now=0.0)
    assert asm.offer("cam", _cap({"mouth": _frame(2)}, 2.0), now=0.1)  # unread frame replaced: a drop
    assert asm.offer("cam", _cap({"mouth": _frame(3)}, 3.0), now=0.2)
    fs = asm.assemble(now=0.2)
    assert fs.images["mouth"][0, 0] == 3 and fs.capture_time == 3.0
    assert asm.assemble(now=0.3) is None


def test_assembler_releases_after_max_wait_reuses_recent_and_omits_dead_cameras():
    asm = FrameSetAssembler(["eyes", "mouth"], max_wait=0.05, stale_after=0.5)
    mouth_img = _frame(3)
    asm.offer("eyes", _cap({"left_eye": _frame(1)}, 1.0), now=0.0)
    asm.offer("mouth", _cap({"mouth": mouth_img}, 1.0), now=0.0)
    assert asm.assemble(now=0.0) is not None
    asm.offer("eyes", _cap({"left_eye": _frame(5)}, 1.1), now=0.1)
    assert asm.assemble(now=0.12) is None  # waiting for a fresh mouth frame
    assert asm.next_deadline() == pytest.approx(0.15)
    fs = asm.assemble(now=0.16)  # mouth is slow: release with its recent frame (the same object)
    assert fs.images["mouth"] is mouth_img and fs.capture_time == 1.0
    asm.offer("eyes", _cap({"left_eye": _frame(6)}, 2.0), now=1.0)
    fs = asm.assemble(now=1.0)  # mouth silent for > stale_after: left out, no waiting for it
    assert set(fs.images) == {"left_eye"}


# --- specs ------------------------------------------------------------------------------------------------------

def test_parse_source_spec_forms(tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    video = tmp_path / "clip.avi"
    video.write_bytes(b"x")
    still = tmp_path / "face.png"
    still.write_bytes(b"x")
    assert parse_source_spec("synthetic").kind == "synthetic"
    assert dict(parse_source_spec("synthetic:fps=60,seed=3").options) == {"fps": "60", "seed": "3"}
    assert parse_source_spec(" 2 ").location == 2
    assert parse_source_spec("/dev/video3").kind == "device"
    s = parse_source_spec("serial:/dev/ttyACM0@115200")
    assert (s.kind, s.location, s.baud) == ("serial", "/dev/ttyACM0", 115200)
    assert parse_source_spec("serial:/dev/ttyUSB1").baud is None
    assert parse_source_spec("/dev/ttyUSB0").kind == "serial"
    assert parse_source_spec("http://openiristracker.local/").kind == "http"
    assert parse_source_spec("rtsp://cam/stream").kind == "stream"
    assert parse_source_spec("replay:rec/one").location == "rec/one"
    assert parse_source_spec(str(folder)).kind == "folder"
    assert parse_source_spec(str(video)).kind == "video"
    assert parse_source_spec(str(still)).kind == "image"
    for bad, msg in [("", "empty"), ("serial:", "needs a port"), ("serial:/dev/x@fast", "baud"),
                     (str(tmp_path / "missing.mp4"), "no such file"), ("synthetic:fps", "key=value")]:
        with pytest.raises(SourceError, match=msg):
            parse_source_spec(bad)


def test_open_frameset_source_rejects_two_cameras_on_one_view():
    from bridge.sources import open_frameset_source

    with pytest.raises(SourceError, match="fed by two cameras"):
        open_frameset_source([CameraSpec("0", views=("mouth",), name="a"), CameraSpec("1", views=("mouth",), name="b")])
    with pytest.raises(SourceError, match="unknown synthetic option"):
        open_frameset_source("synthetic:speed=3")


def test_backoff_and_counters():
    b = Backoff(0.1, 2.0, 0.5)
    assert [b.next_delay() for _ in range(5)] == [0.1, 0.2, 0.4, 0.5, 0.5]
    b.reset()
    assert b.next_delay() == 0.1
    c = FrameCounters()
    for i in range(20):
        c.frame(100.0 + i / 30, fingerprint=7)  # identical content every frame
    s = c.snapshot(now=100.0 + 19 / 30)
    assert s.frames == 20 and abs(s.fps - 30) < 0.5 and s.frozen_hint
    assert c.snapshot(now=110.0).fps == 0.0  # idle camera reports 0 fps


# --- never dies on bad input ------------------------------------------------------------------------------------

def test_bad_frames_and_processing_errors_are_counted_not_fatal():
    from bridge.sources.base import CameraSource

    received = []
    camera = CameraSource("cam", build_processor(CameraSpec("x.avi", views=("mouth",), crop=(100, 100, 10, 10))))
    camera._sink = lambda name, frame: received.append(frame)
    assert not camera.deliver(b"\xff\xd8 not a jpeg \xff\xd9", 1.0)  # corrupt JPEG
    assert not camera.deliver(np.zeros((20, 20), np.uint8), 2.0)  # crop lies outside this small frame
    assert camera.deliver(np.zeros((200, 200, 3), np.uint8), 3.0)  # colour frame: converted to gray, cropped
    stats = camera.stats()
    assert stats.corrupt == 1 and stats.dropped == 2 and stats.errors == 1 and "outside" in stats.last_error
    assert len(received) == 1 and received[0].views["mouth"].shape == (10, 10) and received[0].index == 1


def test_face_detector_is_available_or_says_why():
    from bridge.sources.lower_face import default_face_detector

    detector, description = default_face_detector()
    assert description
    if detector is not None:
        assert list(detector(np.zeros((120, 160), np.uint8))) == []  # nothing to find in a blank frame
    missing, why = default_face_detector("/nonexistent/yunet.onnx")
    assert missing is None and ("not found" in why or "FaceDetectorYN" in why)


def test_empty_folder_fails_at_start_with_a_clear_error(tmp_path):
    from bridge.sources import open_frameset_source

    (tmp_path / "readme.txt").write_text("no images here")
    source = open_frameset_source(CameraSpec(str(tmp_path), views=("mouth",)))
    with pytest.raises(SourceError, match="holds no images"):
        source.start()
    source.close()


def test_pacer_honours_timeout_and_stop():
    stop = threading.Event()
    pacer = Pacer(0.01)  # one frame per 100 s: the second frame is never due within this test
    assert pacer.wait(stop, timeout=0.01) is True  # the first frame is due at once
    assert pacer.wait(stop, timeout=0.01) is False  # not due within the timeout: nothing consumed
    stop.set()
    assert pacer.wait(stop) is False  # stopped: returns at once instead of waiting 100 s
    unpaced = Pacer(None)
    assert unpaced.wait(threading.Event()) is True and unpaced.wait(stop) is False
