"""Benchmark of the camera-source layer: `python -m bridge.sources.benchmark [--seconds S] [--json FILE]`.

Measures (medians, milliseconds) the per-frame work a capture thread does - JPEG decode, transform + layout
split - the byte-stream parsers' throughput, and the hand-off latency of a real MJPEG stream served on loopback
and of framed JPEGs through a pty pair, both at 60 fps: from the moment a frame's last byte arrived
(FrameSet.capture_time) to ``read()`` returning it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import cv2
import numpy as np

from bridge.sources.factory import build_processor
from bridge.sources.frameset_source import open_frameset_source
from bridge.sources.jpeg import JpegStreamSplitter, decode_jpeg_gray, encode_jpeg
from bridge.sources.serial_camera import FRAME_MAGIC, SerialFrameParser
from bridge.sources.simulator import MjpegHttpServer, SerialPtyCamera
from bridge.sources.spec import CameraSpec

PART_HEADER = b"--frame\r\nContent-Type: image/jpeg\r\n\r\n"


def _median_ms(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def _test_image(size: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    return cv2.GaussianBlur(rng.integers(0, 255, (size, size), dtype=np.uint8), (7, 7), 2)


def _read_for(source, seconds: float) -> list[float]:
    """Read from a started source for ``seconds``; capture -> read() latency (ms) of every frame set."""
    latencies = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        frames = source.read(0.5)
        if frames is not None:
            latencies.append((time.time() - frames.capture_time) * 1e3)
    return latencies


def _latency_summary(latencies: list[float], stats, where: str) -> dict[str, float]:
    """Median/p99 after the connection warm-up (first 10 %) and the camera's own counters."""
    settled = latencies[len(latencies) // 10:]
    if not settled:
        raise RuntimeError(f"no frame sets arrived {where}")
    return {"sets": len(settled), "p50_ms": float(np.percentile(settled, 50)),
            "p99_ms": float(np.percentile(settled, 99)), "camera_fps": stats.fps, "dropped": stats.dropped,
            "corrupt": stats.corrupt}


def mjpeg_handoff_latency(jpeg: bytes, seconds: float, fps: float = 60.0) -> dict[str, float]:
    """Serve ``jpeg`` at ``fps`` on loopback and time capture -> read() through the real reader and assembler."""
    server = MjpegHttpServer(lambda: jpeg, port=0, fps=fps).start()
    source = open_frameset_source([CameraSpec(server.url, layout="eyes_side_by_side", name="bench")])
    try:
        source.start()
        latencies = _read_for(source, seconds)
        stats = source.stats()["bench"]
    finally:
        source.close()
        server.close()
    return _latency_summary(latencies, stats, "from the loopback MJPEG server")


def serial_pty_handoff_latency(jpeg: bytes, seconds: float, fps: float = 60.0) -> dict[str, float]:
    """Feed framed JPEGs at ``fps`` into a pty pair (a stand-in USB serial port) and time capture -> read()."""
    camera = SerialPtyCamera(lambda: jpeg, fps=fps)
    source = open_frameset_source([CameraSpec(f"serial:{camera.port}", views=("left_eye",), name="bench")])
    try:
        source.start()
        camera.start()
        latencies = _read_for(source, seconds)
        stats = source.stats()["bench"]
    finally:
        camera.close()
        source.close()
    return _latency_summary(latencies, stats, "through the pty")


def run(seconds: float = 4.0) -> dict[str, object]:
    """All measurements as a JSON-ready dict."""
    image = _test_image(240)
    jpeg = encode_jpeg(image, 80)
    processor = build_processor(CameraSpec("bench.avi", layout="combined_eyes_mouth", rotate=90, resize=(400, 400)))
    frame400 = cv2.resize(image, (400, 400))
    serial_stream = (FRAME_MAGIC + len(jpeg).to_bytes(2, "little") + jpeg) * 100
    mjpeg_stream = (PART_HEADER + jpeg + b"\r\n") * 100

    def parse_serial() -> None:
        parser = SerialFrameParser()
        for i in range(0, len(serial_stream), 4096):  # Linux ttys hand out <= 4 KiB per read
            parser.feed(serial_stream[i : i + 4096])

    def split_mjpeg() -> None:
        splitter = JpegStreamSplitter()
        for i in range(0, len(mjpeg_stream), 65536):
            splitter.feed(mjpeg_stream[i : i + 65536])

    serial_ms = _median_ms(parse_serial, 20)
    mjpeg_ms = _median_ms(split_mjpeg, 20)
    return {
        "jpeg_bytes_240": len(jpeg),
        "decode_jpeg_240_ms": _median_ms(lambda: decode_jpeg_gray(jpeg), 300),
        "process_combined_400_rot90_ms": _median_ms(lambda: processor(frame400), 300),
        "serial_parser_mb_s": len(serial_stream) / 1e6 / (serial_ms / 1e3),
        "mjpeg_splitter_mb_s": len(mjpeg_stream) / 1e6 / (mjpeg_ms / 1e3),
        "mjpeg_loopback_60fps": mjpeg_handoff_latency(jpeg, seconds),
        "serial_pty_60fps": serial_pty_handoff_latency(jpeg, seconds),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bridge.sources.benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="duration of the loopback MJPEG run")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    results = run(args.seconds)
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
