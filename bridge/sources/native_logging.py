"""OpenCV's and FFmpeg's own log lines (``[ WARN:0@0.147] global cap_v4l.cpp ...``, ``[mov,mp4 @ 0x...] moov atom
not found``) are written by C++ straight to the process's stderr, past Python's logging. The bridge reports every
failure they describe in its own words (e.g. "OpenCV cannot read video file ... (corrupt, truncated or an
unsupported codec)"), so their lines are silenced at the normal log levels and let through at ``--log-level DEBUG``
(the raw details help when a device or stream misbehaves).

Both libraries read their level from the environment when they load, so ``configure_native_logging`` runs first
thing in the command line, before anything imports cv2; a cv2 that is already loaded is switched at run time.
"""

from __future__ import annotations

import os
import sys

# FFmpeg's av_log levels (libavutil/log.h): -8 quiet, 16 error, 32 info, 48 debug.
_FFMPEG_QUIET, _FFMPEG_INFO = "-8", "32"


def configure_native_logging(verbose: bool = False) -> None:
    """Silence (``verbose=False``) or let through OpenCV/FFmpeg's native log lines. A level the user set in the
    environment (OPENCV_LOG_LEVEL, OPENCV_FFMPEG_LOGLEVEL) is kept."""
    os.environ.setdefault("OPENCV_LOG_LEVEL", "INFO" if verbose else "SILENT")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", _FFMPEG_INFO if verbose else _FFMPEG_QUIET)
    cv2 = sys.modules.get("cv2")
    if cv2 is not None:  # already loaded (tests, embedding): its log level can still change
        try:
            logging_mod = cv2.utils.logging
            level = logging_mod.LOG_LEVEL_INFO if verbose else logging_mod.LOG_LEVEL_SILENT
            logging_mod.setLogLevel(level)
        except AttributeError:  # a build without the logging bindings: the environment setting is all we have
            pass


def verbose_requested(argv: list[str]) -> bool:
    """Whether a command line asks for debug logging (``--log-level DEBUG`` / ``--log-level=DEBUG``)."""
    for i, arg in enumerate(argv):
        value = arg.split("=", 1)[1] if arg.startswith("--log-level=") else (
            argv[i + 1] if arg == "--log-level" and i + 1 < len(argv) else None)
        if value is not None and value.upper() == "DEBUG":
            return True
    return False
