"""`facebridge run`: the live bridge with a status line; stops cleanly on --duration, Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time

from bridge.argtypes import output_file_problem, positive_number


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="TOML config (default: built-in defaults; "
                        "`facebridge config init` writes a commented one)")
    parser.add_argument("--source", metavar="SPEC", help="synthetic | device index | video file | image folder | "
                        "http(s)/rtsp URL | serial:PORT | a recording directory (overrides the config)")
    parser.add_argument("--layout", choices=("webcam", "lower_face", "eyes", "left_eye", "right_eye", "mouth",
                                             "headset"),
                        help="what the --source camera shows: webcam = your whole face (face detector), lower_face = "
                             "a webcam under the headset, eyes = both eyes in one frame, left_eye/right_eye = one eye "
                             "camera (drives both eyes), mouth = headset mouth camera, headset = eyes on top + mouth "
                             "below (default; overrides [source] layout)")
    parser.add_argument("--preset", metavar="NAME|FILE", help="retarget preset (overrides [preset] name)")
    parser.add_argument("--output", metavar="KIND:HOST:PORT", action="append", default=[],
                        help="facebridge|vmc|vrchat[:HOST[:PORT]] or recorder[:DIR]; repeatable; replaces the "
                             "config's [[outputs]] (default: facebridge to the Unity package's port)")
    parser.add_argument("--duration", metavar="S", type=positive_number, help="stop after S seconds")
    parser.add_argument("--status-json", metavar="FILE", help="rewrite the status as JSON in FILE periodically")
    parser.add_argument("--no-control", action="store_true", help="do not listen for OSC control commands")
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))


def main(args: argparse.Namespace) -> int:
    import logging

    from bridge.app.assemble import StartupError, assemble
    from bridge.app.overrides import config_from_args
    from bridge.app.status import StatusReporter, build_snapshot, format_line
    from bridge.config import ConfigError

    logging.basicConfig(level=args.log_level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.raiseExceptions = False  # a full disk or closed stderr must not turn each log line into a traceback
    log = logging.getLogger("facebridge.run")
    try:
        config = config_from_args(args)  # every flag is a Config override; from here on only the Config is read
        problem = config.status.json_path and output_file_problem(config.status.json_path, "status JSON file")
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return 2
        bridge = assemble(config)
    except (ConfigError, StartupError) as exc:
        lines = str(exc).splitlines()
        for i, line in enumerate(lines):  # config: one problem per line, each marked; startup: the error + its hint
            marked = i == 0 or isinstance(exc, ConfigError)
            print(f"error: {line}" if marked else f"  {line}", file=sys.stderr)
        return 2

    pipeline = bridge.pipeline
    status = config.status
    reporter = StatusReporter(interval_s=status.interval_s, plain_interval_s=status.plain_interval_s,
                              json_path=status.json_path or None,
                              json_interval_s=status.json_interval_s)
    started = time.monotonic()
    next_poll = started + 1.0

    def snapshot():
        counters = bridge.control.counters if bridge.control else None
        return build_snapshot(pipeline, bridge.source.stats(), started, counters)

    def on_step(_result) -> None:
        nonlocal next_poll
        now = time.monotonic()
        if reporter.due(now):
            reporter.report(snapshot(), now)
        if now >= next_poll:  # hot reload of preset files, ~1 Hz, on the pipeline thread
            next_poll = now + 1.0
            for event in bridge.retarget.poll():
                # A broken preset is the user's to fix: shown even with --log-level WARNING.
                log.log(logging.INFO if event.endswith(": reloaded") else logging.WARNING, "%s", event)

    # Ctrl-C / SIGTERM only set the stop flag: the current frame finishes, then everything closes in order.
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: pipeline.stop())
    log.info("running: %s", bridge.description)
    reason = "error"
    try:
        reason = pipeline.run(duration_s=args.duration, on_step=on_step)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        final = snapshot()
        bridge.close()
        try:  # the learned range of motion belongs to the user profile (only when RoM calibration is enabled)
            saved = bridge.tracker.save_calibration()
            if saved is not None:
                log.info("range-of-motion profile saved to %s", saved)
        except (OSError, ValueError) as exc:
            log.warning("could not save the range-of-motion profile: %s", exc)
        reporter.report(final, force=True)
        reporter.finish()
    log.info("stopped (%s) after %.1f s: %d frame sets; %s", reason, time.monotonic() - started, pipeline.frames,
             format_line(final))
    return 0
