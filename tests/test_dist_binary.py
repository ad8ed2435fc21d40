"""The one-file download (`make dist` -> dist/facebridge), when it has been built: it starts, lists cameras as JSON
and runs the synthetic headset for 3 s. Skipped when there is no binary (`make test` does not build it: PyInstaller
takes minutes); run `make dist` first to check a release."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

BINARY = Path(__file__).resolve().parent.parent / "dist" / ("facebridge.exe" if os.name == "nt" else "facebridge")

pytestmark = pytest.mark.skipif(not BINARY.is_file(), reason="no dist/facebridge (build it with `make dist`)")


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(BINARY), *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def test_binary_version():
    from bridge import __version__

    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"facebridge {__version__}", proc.stderr


def test_binary_cameras_json():
    proc = run("cameras", "--json", "--no-network")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == {"video_devices", "serial_ports", "network_trackers"}


def test_binary_runs_the_synthetic_headset(tmp_path):
    status = tmp_path / "status.json"
    proc = run("run", "--duration", "3", "--no-control", "--status-json", str(status), "--output", "vmc:127.0.0.1:9")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    data = json.loads(status.read_text())
    assert data["frames"] > 0 and data["cameras"]
