"""What cameras this machine has: V4L2 devices (/dev/video*) and USB serial ports (/dev/ttyUSB*, /dev/ttyACM*)."""

from __future__ import annotations

import glob
import os
import re
import sys
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class VideoDeviceInfo:
    """A /dev/videoN node, the kernel's name for it and what OpenCV reports when probed."""

    path: str
    index: int
    name: str  # from /sys/class/video4linux/videoN/name ("" when unknown)
    opened: bool | None = None  # None: not probed
    width: int = 0
    height: int = 0
    fps: float = 0.0
    backend: str = ""
    error: str = ""


@dataclass(frozen=True, slots=True)
class SerialPortInfo:
    """A USB serial port and the USB product/manufacturer strings when sysfs has them."""

    path: str
    description: str


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def _natural(path: str) -> tuple[str, int]:
    match = re.search(r"(\d+)$", path)
    return (path[: match.start()] if match else path, int(match.group(1)) if match else -1)


def probe_video_device(index: int, path: str, name: str) -> VideoDeviceInfo:
    """Open one device with OpenCV briefly and report its default mode."""
    import cv2

    cap = cv2.VideoCapture(index)
    try:
        if not cap.isOpened():
            return VideoDeviceInfo(path, index, name, opened=False, error="OpenCV could not open it (busy or "
                                   "not a capture node)")
        ok, frame = cap.read()
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        backend = cap.getBackendName() if hasattr(cap, "getBackendName") else ""
        return VideoDeviceInfo(path, index, name, opened=True, width=width, height=height, fps=fps,
                               backend=backend, error="" if ok else "opened but delivered no frame")
    finally:
        cap.release()


def list_video_devices(probe: bool = False, dev_root: str = "/dev", sys_root: str = "/sys/class/video4linux",
                       max_probe_index: int = 4) -> list[VideoDeviceInfo]:
    """V4L2 device nodes, optionally probed with OpenCV (slow: opens each device).

    Without V4L2 (Windows, macOS) there are no device nodes to list; with ``probe`` OpenCV indices
    0..max_probe_index-1 are tried instead and the ones that open are reported.
    """
    if sys.platform != "linux" and dev_root == "/dev":
        if not probe:
            return []
        found = [probe_video_device(i, f"index {i}", "") for i in range(max_probe_index)]
        return [v for v in found if v.opened]
    out = []
    for path in sorted(glob.glob(os.path.join(dev_root, "video*")), key=_natural):
        match = re.fullmatch(r"video(\d+)", os.path.basename(path))
        if not match:
            continue
        index = int(match.group(1))
        node = os.path.join(sys_root, os.path.basename(path))
        name = _read_text(os.path.join(node, "name"))
        # UVC cameras create a second node per camera for metadata (sysfs index 1): not a picture source.
        if _read_text(os.path.join(node, "index")) not in ("", "0"):
            out.append(VideoDeviceInfo(path, index, name, error="metadata node, not a capture device"))
            continue
        out.append(probe_video_device(index, path, name) if probe else VideoDeviceInfo(path, index, name))
    return out


def list_serial_ports(dev_root: str = "/dev", sys_root: str = "/sys/class/tty") -> list[SerialPortInfo]:
    """USB serial ports (ESP32 boards show up as ttyUSB* with a USB-UART bridge or ttyACM* with native USB)."""
    out = []
    paths = glob.glob(os.path.join(dev_root, "ttyUSB*")) + glob.glob(os.path.join(dev_root, "ttyACM*"))
    for path in sorted(paths, key=_natural):
        device = os.path.join(sys_root, os.path.basename(path), "device")
        # ttyACM: device -> the USB interface; its parent holds product/manufacturer. ttyUSB: one level further.
        parts = []
        for up in ("..", "../.."):
            product = _read_text(os.path.join(device, up, "product"))
            if product:
                parts = [_read_text(os.path.join(device, up, "manufacturer")), product]
                break
        out.append(SerialPortInfo(path, " ".join(p for p in parts if p)))
    return out


def available_summary() -> str:
    """One paragraph listing what could be opened instead (for missing-camera errors)."""
    videos = list_video_devices()
    ports = list_serial_ports()
    lines = ["Available cameras:"]
    if videos:
        lines += [f"  {v.index}  ({v.path}{', ' + v.name if v.name else ''})" for v in videos]
    else:
        lines.append("  no V4L2 video devices (/dev/video*) found")
    if ports:
        lines += [f"  serial:{p.path}{'  (' + p.description + ')' if p.description else ''}" for p in ports]
    else:
        lines.append("  no USB serial ports (/dev/ttyUSB*, /dev/ttyACM*) found")
    lines.append("  network cameras: http://HOST/ (MJPEG) or rtsp://... ; 'synthetic' always works")
    lines.append("Run `facebridge cameras` for details.")
    return "\n".join(lines)


# mDNS names ESP32 eye/face-tracker firmware announces by default (shared/reference/cameras.md).
KNOWN_MDNS_NAMES: tuple[str, ...] = ("openiristracker.local",)


def resolve_hosts(names: tuple[str, ...] = KNOWN_MDNS_NAMES, timeout: float = 1.5) -> dict[str, str]:
    """Resolve host names in parallel, giving up after ``timeout`` seconds (mDNS lookups can hang when nothing
    answers). Returns name -> first IPv4/IPv6 address for the names that resolved."""
    import socket
    import threading

    found: dict[str, str] = {}
    lock = threading.Lock()

    def lookup(name: str) -> None:
        try:
            infos = socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)
        except OSError:
            return
        if infos:
            with lock:
                found[name] = str(infos[0][4][0])

    threads = [threading.Thread(target=lookup, args=(n,), daemon=True) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)  # threads still blocked in getaddrinfo are daemons and simply left behind
    with lock:
        return dict(found)
