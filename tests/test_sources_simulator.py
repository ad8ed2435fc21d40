"""Camera simulators feeding the real readers: compose -> MJPEG/HTTP or framed serial on a pty -> split."""

import time

import numpy as np

from bridge.frames import FrameSet
from bridge.sources import CameraSpec, open_frameset_source
from bridge.sources.factory import build_processor
from bridge.sources.simulator import MjpegHttpServer, SerialPtyCamera, compose_frame, jpeg_provider


def _frames(seq: int) -> FrameSet:
    return FrameSet(images={"left_eye": np.full((60, 60), 200, np.uint8), "right_eye": np.full((60, 60), 40, np.uint8),
                            "mouth": np.full((50, 100), 120 + seq % 2, np.uint8)}, capture_time=time.time(),
                    sequence=seq)


def _counting_reader(limit: int):
    count = [0]

    def read():
        count[0] += 1
        return _frames(count[0]) if count[0] <= limit else None

    return read


def test_compose_is_the_inverse_of_the_layout_split():
    frame = compose_frame(_frames(0), "combined_eyes_mouth", (200, 160))
    assert frame.shape == (160, 200)
    views = build_processor(CameraSpec("x.avi", layout="combined_eyes_mouth"))(frame)
    assert views["left_eye"].mean() == 200 and views["right_eye"].mean() == 40 and views["mouth"].mean() == 120
    side = compose_frame(_frames(0), "eyes_side_by_side", (120, 60), subject_left_on="image_right")
    assert side[:, 60:].mean() == 200 and side[:, :60].mean() == 40  # subject's left eye on the image right
    assert compose_frame(FrameSet(images={}, capture_time=0.0, sequence=0)).max() == 0


def _read_some(source, n: int, timeout: float = 10.0) -> list[FrameSet]:
    got, end = [], time.monotonic() + timeout
    while len(got) < n and time.monotonic() < end:
        fs = source.read(timeout=0.2)
        if fs is not None:
            got.append(fs)
    return got


def test_simulated_mjpeg_camera_through_our_reader():
    server = MjpegHttpServer(jpeg_provider(_counting_reader(1000), "combined_eyes_mouth", (200, 200)), port=0,
                             fps=100).start()
    source = open_frameset_source(server.url)  # a bare URL: combined_eyes_mouth
    try:
        source.start()
        got = _read_some(source, 3)
    finally:
        source.close()
        server.close()
    assert len(got) == 3
    for fs in got:
        assert abs(fs.images["left_eye"].mean() - 200) < 4 and abs(fs.images["right_eye"].mean() - 40) < 4
        assert fs.images["mouth"].shape == (100, 200)


def test_simulated_serial_camera_through_our_reader_and_end_of_provider():
    camera = SerialPtyCamera(jpeg_provider(_counting_reader(40), "eyes_side_by_side", (160, 80)), fps=100)
    source = open_frameset_source([CameraSpec(f"serial:{camera.port}", layout="eyes_side_by_side")])
    try:
        source.start()
        camera.start()  # after the reader is open: on a slow machine 40 frames must not all pile up unread first
        got = _read_some(source, 3)
        assert camera.wait(10)  # the provider ran out after 40 frames: the simulator stops by itself
    finally:
        source.close()
        camera.close()
    assert len(got) == 3 and all(abs(f.images["left_eye"].mean() - 200) < 4 for f in got)
    assert camera.frames_sent == 40


def test_cameras_simulate_command_serves_the_synthetic_headset(capsys):
    from bridge.cli import main

    assert main(["cameras", "--simulate", "mjpeg", "--port", "0", "--seconds", "0.5", "--fps", "10"]) == 0
    out = capsys.readouterr().out
    assert "Simulated mjpeg camera (headset, 400x400 @ 10 fps): http://127.0.0.1:" in out
    assert "sent 0 frames" in out  # nobody connected
