"""argparse types and output-path checks shared by the commands: a bad flag is one line naming it, never a
traceback (argparse prints ``facebridge CMD: error: argument --x: ...``)."""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path


def port_number(text: str) -> int:
    """A TCP/UDP port 0..65535 (0: let the system pick a free one)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number: use 1-65535 (e.g. 8080; 0 picks a free one)")
    return value


def positive_number(text: str) -> float:
    """A finite number > 0 (seconds, fps): rejects nan, inf, 0 and negatives."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text}: give a finite number > 0")
    return value


def output_file_problem(path: str | os.PathLike, what: str = "output file") -> str | None:
    """Why ``path`` cannot be written as a file (None when it can): it is a directory, its folder cannot be
    created, or the folder is not writable. Creates missing parent folders, like the writers do."""
    p = Path(path)
    if p.is_dir():
        return f"{what} {str(p)!r} is a directory; give a file name inside it, e.g. {str(p / 'out')!r}"
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"{what} {str(p)!r}: cannot create its folder ({exc.strerror or exc}); pick a writable location"
    if not os.access(p.parent, os.W_OK):
        return f"{what} {str(p)!r}: folder {str(p.parent)!r} is not writable; pick a writable location"
    if p.exists() and not os.access(p, os.W_OK):
        return f"{what} {str(p)!r} is not writable; pick another file"
    return None
