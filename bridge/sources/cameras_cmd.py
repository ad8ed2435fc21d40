"""`facebridge cameras`: list the V4L2 devices and USB serial ports this machine has, or test one source."""

from __future__ import annotations

import argparse
import sys

from bridge.argtypes import port_number, positive_number


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


# What to suggest per kind of camera found (the user says what it shows with --layout).
DEVICE_LAYOUT_HINT = "--layout webcam   (or lower_face, left_eye, right_eye, eyes, mouth, headset)"
TRACKER_LAYOUT_HINT = "--layout left_eye   (or right_eye, eyes, mouth, headset)"


def run_command(source: str, hint: str) -> str:
    """The `facebridge run` line to print for a camera that was found."""
    return f"facebridge run --source {source} {hint}"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-probe", action="store_true",
                        help="do not open video devices with OpenCV (faster; no resolution/fps shown)")
    parser.add_argument("--no-network", action="store_true",
                        help="skip the mDNS lookup of known network trackers (openiristracker.local)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON instead of text")
    parser.add_argument("--test", metavar="SPEC",
                        help="open a source spec (device index, URL, serial:PORT, file, folder) and show its frame "
                             "rate, drops and errors")
    parser.add_argument("--seconds", type=positive_number, default=None,
                        help="how long --test reads (default 3) or --simulate serves (default: until Ctrl-C)")
    parser.add_argument("--simulate", choices=("mjpeg", "serial"),
                        help="serve the synthetic headset as an MJPEG/HTTP camera or a USB-serial camera on a pty, "
                             "to try the bridge end to end without hardware")
    parser.add_argument("--port", type=port_number, default=8080,
                        help="--simulate mjpeg: HTTP port on 127.0.0.1 (8080)")
    parser.add_argument("--fps", type=positive_number, default=30.0, help="--simulate: frame rate (30)")
    parser.add_argument("--size", type=int, nargs=2, default=(400, 400), metavar=("W", "H"),
                        help="--simulate: camera frame size (400 400)")
    parser.add_argument("--layout", default=None,
                        help="what the camera shows, for --test (default mouth) and --simulate (default headset): "
                             "webcam, lower_face, eyes, left_eye, right_eye, mouth, headset")


def _list(args: argparse.Namespace) -> int:
    import dataclasses
    import json

    from bridge.sources.discovery import list_serial_ports, list_video_devices, resolve_hosts

    videos = list_video_devices(probe=not args.no_probe)
    ports = list_serial_ports()
    hosts = {} if args.no_network else resolve_hosts()
    if args.json:
        print(json.dumps({"video_devices": [dataclasses.asdict(v) | {"command": run_command(str(v.index),
                                                                                           DEVICE_LAYOUT_HINT)}
                                            for v in videos],
                          "serial_ports": [dataclasses.asdict(p) | {"command": run_command(f"serial:{p.path}",
                                                                                          TRACKER_LAYOUT_HINT)}
                                           for p in ports],
                          "network_trackers": [{"host": h, "address": a, "source": f"http://{h}/",
                                                "command": run_command(f"http://{h}/", TRACKER_LAYOUT_HINT)}
                                               for h, a in hosts.items()]}, indent=2))
        return 0
    print("Video devices (V4L2, use the number or path as --source):")
    if not videos:
        print("  none found (no /dev/video* nodes; is the camera plugged in and the uvcvideo driver loaded?)")
    for v in videos:
        line = f"  {v.index:<3} {v.path:<13} {v.name or '(no name)'}"
        if v.opened:
            line += f"  OpenCV: {v.width}x{v.height} @ {v.fps:.0f} fps via {v.backend or '?'}"
        elif v.opened is False:
            line += "  OpenCV: cannot open"
        if v.error:
            line += f"  ({v.error})"
        print(line)
        print(f"      run: {run_command(str(v.index), DEVICE_LAYOUT_HINT)}")
    print("Serial ports (use serial:PORT as --source, e.g. serial:/dev/ttyACM0):")
    if not ports:
        print("  none found (no /dev/ttyUSB* or /dev/ttyACM*; on some systems you must be in the 'dialout' group)")
    for p in ports:
        print(f"  {p.path:<16} {p.description}")
        print(f"      run: {run_command(f'serial:{p.path}', TRACKER_LAYOUT_HINT)}")
    if hosts:
        print("Network trackers (mDNS):")
        for host, address in hosts.items():
            print(f"  http://{host}/  ({address})")
            print(f"      run: {run_command(f'http://{host}/', TRACKER_LAYOUT_HINT)}")
    elif not args.no_network:
        print("Network trackers (mDNS): none answered (looked for openiristracker.local)")
    print("Other network cameras: pass http://HOST/ (MJPEG) or rtsp://... ; 'synthetic' always works.")
    print("--layout says what a camera shows: webcam (your whole face), lower_face (a webcam under the headset), "
          "left_eye/right_eye (one eye camera), eyes (both in one frame), mouth, headset (eyes on top, mouth below).")
    return 0


def _test(args: argparse.Namespace) -> int:
    import time

    from bridge.sources import SourceError, open_frameset_source
    from bridge.sources.layouts import LAYOUT_VIEWS, LAYOUTS

    layout = args.layout or "mouth"
    if layout not in LAYOUTS:
        return _error(f"--layout {layout!r} is not one of {', '.join(LAYOUTS)}")
    seconds = 3.0 if args.seconds is None else args.seconds
    views = ("mouth",) if layout == "single" else LAYOUT_VIEWS.get(layout, ())
    try:
        source = open_frameset_source(args.test, layout=layout, views=views)
        source.start()
    except SourceError as exc:
        return _error(str(exc))
    sets = 0
    shapes: dict[str, tuple[int, ...]] = {}
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end and not source.finished:
            frames = source.read(timeout=0.2)
            if frames is not None:
                sets += 1
                shapes = {k: v.shape for k, v in frames.images.items()}
        stats = source.stats()
    finally:
        source.close()
    print(f"{args.test}: {sets} frame sets in {seconds:.1f} s; views {shapes or 'none'}")
    for name, s in stats.items():
        print(f"  {name}: {s.fps:.1f} fps, {s.frames} frames, {s.dropped} dropped ({s.corrupt} corrupt), "
              f"{s.errors} errors, connected={s.connected}" + (f", last error: {s.last_error}" if s.last_error else "")
              + ("" if s.face_found is None else f", face found={s.face_found}"))
    return 0 if sets else 1


def _simulate(args: argparse.Namespace) -> int:
    from bridge.sources.layouts import base_layout
    from bridge.sources.simulator import MjpegHttpServer, SerialPtyCamera, jpeg_provider
    from bridge.synth.source import SyntheticSource

    layout = args.layout or "headset"
    if base_layout(layout) not in ("single", "eyes_side_by_side", "combined_eyes_mouth"):
        return _error(f"--layout for --simulate must be one of headset, eyes, left_eye, right_eye, mouth, got "
                      f"{args.layout!r}")
    if args.size[0] < 16 or args.size[1] < 16:
        return _error(f"--size must be at least 16 16, got {args.size[0]} {args.size[1]}")
    try:
        synthetic = SyntheticSource(fps=args.fps, realtime=True)
    except ValueError as exc:
        return _error(str(exc))
    provider = jpeg_provider(lambda: synthetic.read(1.0), layout, tuple(args.size))
    try:
        camera: MjpegHttpServer | SerialPtyCamera
        if args.simulate == "mjpeg":
            camera = MjpegHttpServer(provider, port=args.port, fps=args.fps).start()
            where = camera.url
        else:
            camera = SerialPtyCamera(provider, fps=args.fps).start()
            where = f"serial:{camera.port}"
    except OSError as exc:
        return _error(f"cannot start the {args.simulate} simulator: {exc}"
                      + (f" (is port {args.port} in use? pick another with --port)"
                         if args.simulate == "mjpeg" else ""))
    print(f"Simulated {args.simulate} camera ({layout}, {args.size[0]}x{args.size[1]} @ {args.fps:g} fps): {where}")
    kind = {"combined_eyes_mouth": "headset", "eyes_side_by_side": "eyes", "single": "left_eye"}.get(layout, layout)
    hint = "" if kind == "headset" else f" --layout {kind}"
    print(f"Try: facebridge run --source {where}{hint}   (Ctrl-C stops)", flush=True)
    try:
        camera.wait(args.seconds)
    finally:
        camera.close()
        synthetic.close()
    print(f"sent {camera.frames_sent} frames")
    return 0


def main(args: argparse.Namespace) -> int:
    """List cameras, test one source with --test, or serve a simulated camera with --simulate."""
    if args.simulate:
        return _simulate(args)
    return _test(args) if args.test else _list(args)
