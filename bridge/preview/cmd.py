"""`facebridge preview`: the preset designer's studio (see docs/preview.md).

Takes the same --source/--layout/--config/--output as `run`: a live source runs the real pipeline (models,
tracking) on a worker thread; a recording (`run --output recorder:DIR`) opens with a timeline.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the preview's arguments (imports nothing heavy)."""
    parser.add_argument("--preset", metavar="NAME|FILE", help="preset to tune (default: the config's [preset] name, "
                        "else arkit52-perfect-sync); a file is watched and reloaded when it changes")
    parser.add_argument("--config", metavar="FILE", help="TOML config, as for `run` (models, tracking, cameras)")
    parser.add_argument("--source", metavar="SPEC", help="as for `run`: synthetic | device index | video file | "
                        "image folder | URL | serial:PORT | a recording directory (opens with a timeline)")
    parser.add_argument("--layout", metavar="LAYOUT", help="how the --source camera's frame splits into views "
                        "(single | eyes_side_by_side | combined_eyes_mouth | lower_face_external)")
    parser.add_argument("--view", metavar="VIEW", help="with --layout single: the view the camera feeds "
                        "(e.g. lower_face)")
    parser.add_argument("--output", metavar="KIND:HOST:PORT", action="append", default=[],
                        help="as for `run` (repeatable): send the EDITED preset live while tuning; default: none")
    parser.add_argument("--truth", action="store_true", help="with --source synthetic: skip the models and use the "
                        "renderer's ground-truth labels (shows the preset, not model error)")
    parser.add_argument("--reprocess", action="store_true", help="with a recording made with raw frames: run the "
                        "frames through the models and tracker again instead of using the recorded FaceStates")
    parser.add_argument("--fps", type=float, default=30.0, help="UI frame rate (default 30)")
    parser.add_argument("--seed", type=int, default=0, help="--truth: synthetic identity/performance seed")
    parser.add_argument("--screenshot", type=Path, help="render --frames frames, save a PNG of the window and exit")
    parser.add_argument("--frames", type=int, default=60, help="frames before --screenshot (recordings: the frame "
                        "shown; default 60)")


def _config(args: argparse.Namespace):
    """The Config the preview runs: the file with the flags applied as `run` applies them (bridge.app.overrides),
    then the preview's own rules: outputs come only from --output (the config's [[outputs]] are the running
    bridge's, the preview must not send to them behind the designer's back), and --layout (below)."""
    from dataclasses import replace

    from bridge.app.overrides import apply_overrides
    from bridge.config import ConfigError, load_config, parse_output_spec

    outputs = [parse_output_spec(spec) for spec in args.output]
    config = apply_overrides(load_config(args.config), source=args.source, preset=args.preset, outputs=outputs)
    config = replace(config, outputs=tuple(outputs))
    if args.layout:
        config = _with_layout(config, args.layout, args.view)
    elif args.view:
        raise ConfigError("--view goes with --layout single")
    return config


def _with_layout(config, layout: str, view: str | None):
    """--layout: the --source camera becomes the config's single [[cameras]] entry with that layout. (The
    preview's own override until `run` grows the flag in bridge.app.overrides; then this goes.)"""
    from dataclasses import replace

    from bridge.config import ConfigError
    from bridge.sources.base import SourceError
    from bridge.sources.spec import CameraSpec

    spec = config.source.spec
    if config.cameras or not spec or spec.strip().lower() == "synthetic":
        raise ConfigError("--layout needs --source naming a camera, video file, folder or stream to split")
    try:
        camera = CameraSpec(source=spec, layout=layout, views=(view,) if view else ())
    except (SourceError, ValueError) as exc:
        raise ConfigError(f"--layout {layout!r}: {exc}") from None
    return replace(config, cameras=(camera,))


def main(args: argparse.Namespace) -> int:
    """Open the studio (or render a screenshot headless)."""
    try:
        from PySide6 import QtWidgets
    except ImportError:
        print("the preview needs PySide6 and pyqtgraph: pip install 'facebridge[preview]'", file=sys.stderr)
        return 1
    from bridge.app.assemble import StartupError
    from bridge.config import ConfigError
    from bridge.preview.editor import PresetEditor
    from bridge.preview.window import PreviewWindow
    from bridge.recording_format import RecordingError, is_recording
    from retarget import DEFAULT_PRESET, PresetError

    if not 1.0 <= args.fps <= 120.0:
        print(f"error: --fps must be within 1..120, got {args.fps:g}", file=sys.stderr)
        return 2
    try:
        config = _config(args)
        editor = PresetEditor(config.preset.name or DEFAULT_PRESET)
    except (ConfigError, PresetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([sys.argv[0]])
    spec = config.source.spec if not config.cameras else ""
    feed: Any = None
    player: Any = None
    outputs: Any = None
    try:
        if spec and is_recording(spec):
            player, outputs, label = _open_recording(spec, config, args.reprocess)
        elif args.truth:
            if spec.strip().lower() != "synthetic":
                raise ConfigError("--truth needs --source synthetic (ground-truth labels exist only there)")
            from bridge.preview.feed import SyntheticFaceFeed
            from bridge.preview.live import build_outputs

            feed = SyntheticFaceFeed(fps=args.fps, seed=args.seed, realtime=args.screenshot is None)
            outputs = build_outputs(config)
            label = "synthetic ground truth"
        else:
            from bridge.preview.live import start_live

            feed = start_live(config, editor.preset)
            label = feed.description
    except (ConfigError, StartupError, RecordingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    window = PreviewWindow(editor, feed=feed, player=player, fps=args.fps, outputs=outputs, source_label=label)
    if args.screenshot is not None:
        return _screenshot(app, window, args)
    window.show()
    if player is not None and window.timeline_bar is not None:
        player.timeline.playing = True
        window.timeline_bar.sync()
    window.start()
    status = int(app.exec())
    _dispose(app, window)
    return status


def _open_recording(spec: str, config, reprocess: bool):
    from bridge.preview.live import build_outputs
    from bridge.preview.player import RecordingPlayer, reprocess_recording
    from bridge.sources.replay import Recording

    states = None
    if reprocess:
        if not Recording(spec).has_frames:
            from bridge.recording_format import RecordingError

            raise RecordingError(f"{spec}: recorded without raw frames, nothing to reprocess (record with an "
                                 f"[[outputs]] recorder entry with raw_frames = true)")
        print(f"reprocessing {spec} through the models ...", file=sys.stderr)
        states = reprocess_recording(spec, config, progress=lambda n: print(f"\r  {n} frames", end="",
                                                                               file=sys.stderr))
        print(file=sys.stderr)
    player = RecordingPlayer(spec, states)
    label = f"recording {player.path.name} ({player.timeline.count} frames, {player.timeline.duration:.1f} s" + (
        ", reprocessed)" if reprocess else ")")
    return player, build_outputs(config), label


def _screenshot(app, window, args) -> int:
    import time

    window.show()
    if window.player is not None:
        window.player.timeline.seek(max(args.frames, 1) - 1)
        window.show_position()
    else:
        shown, deadline = 0, time.monotonic() + 60.0
        while shown < max(args.frames, 1) and time.monotonic() < deadline:
            if window.step():
                shown = window.frames_shown
            else:
                time.sleep(0.005)
    app.processEvents()
    ok = window.grab().save(str(args.screenshot))
    frames = window.frames_shown
    window.close()
    _dispose(app, window)
    if not ok:
        print(f"{args.screenshot}: could not write the screenshot", file=sys.stderr)
        return 1
    print(f"wrote {args.screenshot} after {frames} frames")
    return 0


def _dispose(app, window) -> None:
    # Delete Qt objects while the interpreter is fully alive: left to interpreter shutdown, PySide6 + pyqtgraph
    # can abort in the garbage collector ("bool_dealloc").
    import gc

    guard = window.bool_guard
    window.deleteLater()
    app.processEvents()
    del window
    gc.collect()
    guard.restore()  # the last emits happened during teardown
