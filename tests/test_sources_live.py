"""bridge.sources with real parts: an HTTP MJPEG server on loopback, a pty pair as a serial port, video files written
by OpenCV, image folders, closing sources mid-run. No timing assertions: tests wait for content, with generous
timeouts."""

import http.server
import os
import threading
import time

import cv2
import numpy as np
import pytest

from bridge.sources import CameraSpec, SourceError, open_frameset_source
from bridge.sources.base import Backoff
from bridge.sources.jpeg import encode_jpeg
from bridge.sources.serial_camera import FRAME_MAGIC

FAST_BACKOFF = Backoff(0.05, 2.0, 0.2)


def _uniform(value: int, shape=(48, 64)) -> np.ndarray:
    return np.full(shape, value, np.uint8)


def _read_until(source, predicate, timeout: float = 10.0):
    """Read frame sets until one satisfies predicate; fail after timeout seconds."""
    end = time.monotonic() + timeout
    seen = []
    while time.monotonic() < end:
        fs = source.read(timeout=0.2)
        if fs is not None:
            seen.append(fs)
            if predicate(fs):
                return fs, seen
    raise AssertionError(f"condition not met within {timeout}s; saw {len(seen)} sets; stats {source.stats()}")


def _mean(fs, view="mouth") -> float:
    return float(fs.images[view].mean())


# --- MJPEG over HTTP --------------------------------------------------------------------------------------------

class _MjpegState:
    def __init__(self):
        self.connections = 0
        self.stop = threading.Event()
        self.first_connection_frames = 3  # then the server drops the connection mid-frame


def _mjpeg_server(state: _MjpegState):
    jpeg_a, jpeg_b = encode_jpeg(_uniform(40)), encode_jpeg(_uniform(210))
    corrupt = b"\xff\xd8\xff\xe0" + b"\x13" * 300 + b"\xff\xd9"

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output clean
            pass

        def do_GET(self):
            state.connections += 1
            first = state.connections == 1
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.send_header("X-Framerate", "50")
            self.end_headers()
            sent = 0
            try:
                while not state.stop.is_set():
                    jpeg = jpeg_a if first else (corrupt if sent == 2 else jpeg_b)
                    part = (b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\nX-Timestamp: %d\r\n\r\n"
                            % (len(jpeg), sent))
                    if first and sent == state.first_connection_frames:
                        self.wfile.write(part + jpeg[: len(jpeg) // 2])  # unplugged mid-frame
                        self.wfile.flush()
                        return
                    self.wfile.write(part + jpeg + b"\r\n")
                    self.wfile.flush()
                    sent += 1
                    time.sleep(0.02)
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_mjpeg_http_stream_reconnects_after_disconnect_and_drops_corrupt_frames():
    state = _MjpegState()
    server = _mjpeg_server(state)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    source = open_frameset_source([CameraSpec(url, views=("mouth",), name="esp32")], backoff=FAST_BACKOFF)
    try:
        source.start()
        fs, _ = _read_until(source, lambda f: abs(_mean(f) - 40) < 3)
        assert fs.images["mouth"].shape == (48, 64) and fs.images["mouth"].dtype == np.uint8
        _read_until(source, lambda f: abs(_mean(f) - 210) < 3)  # second connection's frames arrive
        stats = source.stats()["esp32"]
        assert state.connections >= 2
        assert stats.reconnects >= 1 and stats.errors >= 1 and stats.connected
        assert stats.corrupt >= 1  # the half frame at the disconnect and/or the corrupt JPEG
        assert stats.frames >= 2
    finally:
        source.close()
        state.stop.set()
        server.shutdown()
        server.server_close()
    assert not source.stats()["esp32"].connected
    source.close()  # idempotent


def test_mjpeg_burst_only_newest_frame_is_decoded():
    values = (20, 60, 100, 140, 180)
    part = b"--frame\r\nContent-Type: image/jpeg\r\n\r\n"
    burst = b"".join(part + encode_jpeg(_uniform(v)) + b"\r\n" for v in values)
    stop = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace;boundary=frame")
            self.end_headers()
            self.wfile.write(burst)  # five frames at once: a reader that fell behind
            self.wfile.flush()
            stop.wait(10)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    source = open_frameset_source([CameraSpec(f"http://127.0.0.1:{server.server_address[1]}", views=("mouth",))])
    try:
        source.start()
        _, seen = _read_until(source, lambda f: abs(_mean(f) - 180) < 3)
        means = [_mean(f) for f in seen]
        assert means == sorted(means)  # never an older frame after a newer one
        stats = source.stats()["mouth"]
        # Every frame of the burst was either read or dropped (stale in its chunk, or overwritten unread).
        assert stats.dropped == len(values) - len(seen) and stats.corrupt == 0
    finally:
        stop.set()
        source.close()
        server.shutdown()
        server.server_close()


def test_mjpeg_basic_auth_and_no_password_in_messages():
    import base64

    jpeg = encode_jpeg(_uniform(150))
    expected = "Basic " + base64.b64encode(b"cam:s3cret").decode()
    stop = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="cam"')
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=b")
            self.end_headers()
            while not stop.is_set():
                self.wfile.write(b"--b\r\nContent-Type: image/jpeg\r\n\r\n" + jpeg + b"\r\n")
                self.wfile.flush()
                stop.wait(0.02)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        wrong = open_frameset_source([CameraSpec(f"http://cam:wrong@127.0.0.1:{port}/video", views=("mouth",))])
        with pytest.raises(SourceError) as err:
            wrong.start()
        assert "401" in str(err.value) and "USER:PASSWORD" in str(err.value) and "wrong" not in str(err.value)
        source = open_frameset_source([CameraSpec(f"http://cam:s3cret@127.0.0.1:{port}/video", views=("mouth",))])
        try:
            source.start()
            _read_until(source, lambda f: abs(_mean(f) - 150) < 3)
            assert "s3cret" not in source.cameras[0].describe()
        finally:
            source.close()
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def test_http_url_that_is_not_multipart_falls_back_to_videocapture(tmp_path):
    video = tmp_path / "clip.avi"
    _write_video(video, [60, 60, 60, 60, 60])
    body = video.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "video/x-msvideo")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/clip.avi"
    source = open_frameset_source([CameraSpec(url, views=("mouth",), name="web")], backoff=FAST_BACKOFF)
    try:
        try:
            source.start()
        except SourceError as exc:  # this OpenCV build cannot read HTTP at all: the error must say so
            assert "OpenCV could not open" in str(exc)
            pytest.skip(f"OpenCV build without HTTP video support: {exc}")
        fs, _ = _read_until(source, lambda f: abs(_mean(f) - 60) < 6)
        assert fs.images["mouth"].shape == (48, 64)
        assert source.cameras[0].kind == "http stream"
    finally:
        source.close()
        server.shutdown()
        server.server_close()


# --- USB serial via a pty pair ----------------------------------------------------------------------------------

def _framed(jpeg: bytes) -> bytes:
    return FRAME_MAGIC + len(jpeg).to_bytes(2, "little") + jpeg


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view[:1024])
        view = view[n:]


def test_serial_camera_over_pty_with_garbage_truncation_and_unplug():
    master, slave = os.openpty()
    port = os.ttyname(slave)
    source = open_frameset_source([CameraSpec(f"serial:{port}", views=("left_eye",), name="eye")],
                                  backoff=FAST_BACKOFF)
    try:
        source.start()  # 3,000,000 baud on a pty: accepted (ptys ignore the speed)
        _write_all(master, b"\x00\x17garbage-after-connect\xff\xa0\xff" + _framed(encode_jpeg(_uniform(30))))
        fs, _ = _read_until(source, lambda f: abs(_mean(f, "left_eye") - 30) < 3)
        assert fs.images["left_eye"].shape == (48, 64)
        b = encode_jpeg(_uniform(220))
        truncated = _framed(b)[: 6 + 100]  # header promises the whole JPEG, the cable delivers 100 bytes
        bad_payload = _framed(b"\xff\xd8" + b"\x42" * 200 + b"\xff\xd9")  # framed, but not a JPEG
        _write_all(master, truncated + bad_payload)
        end = time.monotonic() + 10
        while source.stats()["eye"].corrupt < 2 and time.monotonic() < end:
            assert source.read(timeout=0.05) is None  # nothing decodable arrived
        _write_all(master, b"\xff\xff\xfe" + _framed(b))
        _read_until(source, lambda f: abs(_mean(f, "left_eye") - 220) < 3)
        stats = source.stats()["eye"]
        assert stats.corrupt >= 2 and stats.connected and stats.errors == 0
        # Unplug: the device side goes away. The source must survive, report it and keep trying.
        os.close(master)
        master = None
        end = time.monotonic() + 10
        while source.stats()["eye"].connected and time.monotonic() < end:
            source.read(timeout=0.1)
        stats = source.stats()["eye"]
        assert not stats.connected and stats.errors >= 1 and stats.last_error
    finally:
        source.close()
        if master is not None:
            os.close(master)
        os.close(slave)


def test_missing_camera_at_start_lists_available_ones():
    source = open_frameset_source([CameraSpec("serial:/dev/ttyUSB97", views=("mouth",), name="gone")])
    with pytest.raises(SourceError) as err:
        source.start()
    message = str(err.value)
    assert "gone" in message and "/dev/ttyUSB97" in message and "Available cameras" in message
    assert "facebridge cameras" in message
    dev = open_frameset_source("97", layout="single", views=("mouth",))
    with pytest.raises(SourceError, match=r"(?s)cannot open.*Available cameras"):
        dev.start()


# --- video files and image folders -------------------------------------------------------------------------------

def _write_video(path, values, size=(64, 48), fps=25.0):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    assert writer.isOpened(), "OpenCV cannot write MJPG/AVI here"
    for v in values:
        frame = np.full((size[1], size[0], 3), v, np.uint8)
        writer.write(frame)
    writer.release()


def test_video_file_is_read_back_in_order_then_finishes(tmp_path):
    values = list(range(20, 240, 20))
    video = tmp_path / "clip.avi"
    _write_video(video, values)
    spec = CameraSpec(str(video), views=("mouth",), name="file", lockstep=True, rotate=90)
    source = open_frameset_source(spec)
    means = []
    with source:
        end = time.monotonic() + 20
        while not source.finished and time.monotonic() < end:
            fs = source.read(timeout=0.2)
            if fs is not None:
                assert fs.images["mouth"].shape == (64, 48)  # rotated 90 degrees
                means.append(_mean(fs))
    assert len(means) == len(values)
    assert np.allclose(means, values, atol=4)
    stats = source.stats()["file"]
    assert stats.finished and stats.frames == len(values) and stats.dropped == 0


def test_image_folder_natural_order_skips_corrupt_file(tmp_path):
    values = {"frame_1.png": 10, "frame_2.png": 50, "frame_10.png": 90, "frame_11.jpg": 130}
    for name, v in values.items():
        cv2.imwrite(str(tmp_path / name), _uniform(v))
    (tmp_path / "frame_3.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not really a png")
    (tmp_path / "notes.txt").write_text("ignored")
    eyes = np.zeros((48, 128), np.uint8)
    eyes[:, 64:] = 255
    spec = CameraSpec(str(tmp_path), views=("mouth",), name="folder", lockstep=True)
    source = open_frameset_source(spec)
    means = []
    with source:
        end = time.monotonic() + 20
        while not source.finished and time.monotonic() < end:
            fs = source.read(timeout=0.2)
            if fs is not None:
                means.append(round(_mean(fs)))
    assert means == [10, 50, 90, 130]  # 1, 2, (3 corrupt), 10, 11
    stats = source.stats()["folder"]
    assert stats.corrupt == 1 and stats.dropped == 1 and "frame_3.png" in stats.last_error


def test_two_cameras_feed_one_frame_set(tmp_path):
    eyes_dir, mouth_dir = tmp_path / "eyes", tmp_path / "mouth"
    eyes_dir.mkdir()
    mouth_dir.mkdir()
    both_eyes = np.zeros((40, 80), np.uint8)
    both_eyes[:, 40:] = 200  # image right half = the subject's LEFT eye for a camera facing them
    for i in range(3):
        cv2.imwrite(str(eyes_dir / f"{i}.png"), both_eyes)
        cv2.imwrite(str(mouth_dir / f"{i}.png"), _uniform(100, (30, 60)))
    source = open_frameset_source([
        CameraSpec(str(eyes_dir), layout="eyes_side_by_side", name="eyes", lockstep=True),
        CameraSpec(str(mouth_dir), views=("mouth",), name="mouth", lockstep=True, resize=(32, 16)),
    ], max_wait=5.0)  # lockstep files: wait for both rather than releasing early
    with source:
        fs, _ = _read_until(source, lambda f: True)
    assert set(fs.images) == {"left_eye", "right_eye", "mouth"}
    assert fs.images["left_eye"].mean() == 200 and fs.images["right_eye"].mean() == 0
    assert fs.images["mouth"].shape == (16, 32)


def test_slow_reader_never_sees_a_backlog_and_close_mid_run_stops_threads(tmp_path):
    for i in range(8):
        cv2.imwrite(str(tmp_path / f"{i}.png"), _uniform(20 + 25 * i, (24, 32)))
    spec = CameraSpec(str(tmp_path), views=("mouth",), name="fast", loop=True, fps=400)
    source = open_frameset_source(spec)
    source.start()
    sets = []
    for _ in range(5):
        time.sleep(0.15)  # a slow pipeline: many frames arrive between reads
        fs = source.read(timeout=1.0)
        assert fs is not None
        sets.append(fs)
    stats = source.stats()["fast"]
    # Newest frame wins: every delivered frame was either read or dropped; at most one is waiting (two while the
    # capture thread is between counting a new frame and replacing the waiting one). A queue would hold hundreds.
    assert stats.frames - stats.dropped - len(sets) in (0, 1, 2)
    assert stats.dropped > len(sets)  # the camera outran the reader and nothing queued up
    assert [f.sequence for f in sets] == list(range(1, 6))

    # Unplug mid-run: close from another thread while the pipeline is blocked in read().
    results = []
    reader = threading.Thread(target=lambda: results.extend(source.read(timeout=0.05) for _ in range(200)))
    reader.start()
    time.sleep(0.05)
    source.close()
    reader.join(10)
    assert not reader.is_alive() and results and results[-1] is None
    assert not any(t.name == "capture-fast" and t.is_alive() for t in threading.enumerate())
    assert not source.stats()["fast"].connected
    source.close()


# --- facebridge cameras -----------------------------------------------------------------------------------------

def test_discovery_reads_dev_and_sysfs(tmp_path):
    from bridge.sources.discovery import list_serial_ports, list_video_devices

    dev, sysfs = tmp_path / "dev", tmp_path / "sys"
    dev.mkdir()
    for name in ("video10", "video2", "ttyUSB0", "ttyACM1", "tty0"):
        (dev / name).write_text("")
    (sysfs / "video2").mkdir(parents=True)
    (sysfs / "video2" / "name").write_text("HD Webcam\n")
    (sysfs / "video2" / "index").write_text("0\n")
    (sysfs / "video10").mkdir(parents=True)
    (sysfs / "video10" / "index").write_text("1\n")
    videos = list_video_devices(dev_root=str(dev), sys_root=str(sysfs))
    assert [(v.index, v.name) for v in videos] == [(2, "HD Webcam"), (10, "")]
    assert videos[0].error == "" and "metadata" in videos[1].error
    ports = list_serial_ports(dev_root=str(dev), sys_root=str(sysfs))
    assert [os.path.basename(p.path) for p in ports] == ["ttyACM1", "ttyUSB0"]


def test_resolve_hosts_finds_localhost_and_skips_unknown_names():
    from bridge.sources.discovery import resolve_hosts

    found = resolve_hosts(("localhost", "no-such-host.invalid"), timeout=5.0)
    assert found.get("localhost") in ("127.0.0.1", "::1") and "no-such-host.invalid" not in found


def test_cameras_command_lists_and_tests_a_source(tmp_path, capsys):
    import json

    from bridge.cli import main

    assert main(["cameras", "--no-probe", "--no-network", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert set(listing) == {"video_devices", "serial_ports", "network_trackers"}
    assert main(["cameras", "--no-probe", "--no-network"]) == 0
    out = capsys.readouterr().out
    assert "Video devices" in out and "Serial ports" in out
    if not any(n.startswith("video") for n in os.listdir("/dev")):
        assert "none found (no /dev/video*" in out
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"{i}.png"), _uniform(90, (24, 32)))
    assert main(["cameras", "--test", str(tmp_path), "--seconds", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "frame sets" in out and "fps" in out and "0 errors" in out
    assert main(["cameras", "--test", "serial:/dev/ttyUSB97", "--seconds", "0.1"]) == 2
    assert "Available cameras" in capsys.readouterr().err  # errors go to stderr


def test_synthetic_source_through_the_contract():
    source = open_frameset_source("synthetic:fps=60,seed=1,realtime=0")
    try:
        source.start()
        fs, _ = _read_until(source, lambda f: True)
        assert fs.images and all(img.dtype == np.uint8 and img.ndim == 2 for img in fs.images.values())
        stats = source.stats()["synthetic"]
        assert stats.frames >= 1 and stats.connected
    finally:
        source.close()
    source.close()


def test_realtime_synthetic_renders_in_its_own_capture_thread():
    source = open_frameset_source("synthetic:fps=30,seed=2")
    source.start()
    try:
        assert any(t.name == "capture-synthetic" for t in threading.enumerate())
        first, _ = _read_until(source, lambda f: True)
        second, _ = _read_until(source, lambda f: True)
        assert second.sequence > first.sequence and second.labels  # ground truth travels with the frames
    finally:
        source.close()
    assert not any(t.name == "capture-synthetic" and t.is_alive() for t in threading.enumerate())
    assert source.read(timeout=0.1) is None and not source.stats()["synthetic"].connected


def test_replay_spec_delegates_to_the_recording_reader(tmp_path):
    from bridge.frames import FrameSet
    from bridge.outputs.base import OutputFrame
    from bridge.outputs.recorder import RecorderSink
    from bridge.schema import FaceState

    rng = np.random.default_rng(3)
    sink = RecorderSink(tmp_path, raw_frames=True)
    recorded = []
    for i in range(4):
        fs = FrameSet(images={"mouth": rng.integers(0, 256, (30, 40), dtype=np.uint8)}, capture_time=1000.0 + i / 60,
                      sequence=i)
        sink.send(OutputFrame(state=FaceState.neutral(fs.capture_time, i), frames=fs))
        recorded.append(fs)
    sink.close()
    source = open_frameset_source(f"replay:{sink.path}")
    replayed = []
    try:
        source.start()
        end = time.monotonic() + 10
        while len(replayed) < len(recorded) and time.monotonic() < end:
            fs = source.read(timeout=0.2)
            if fs is not None:
                replayed.append(fs)
    finally:
        source.close()
    assert [f.sequence for f in replayed] == [f.sequence for f in recorded]
    assert all(np.array_equal(a.images["mouth"], b.images["mouth"]) for a, b in zip(replayed, recorded, strict=True))
    with pytest.raises(SourceError):
        open_frameset_source(f"replay:{tmp_path / 'not-a-recording'}")
