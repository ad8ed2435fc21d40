"""`facebridge preview`: the Qt preview for preset designers (see docs/preview.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the preview's arguments (imports nothing heavy)."""
    parser.add_argument("--preset", default="arkit52-perfect-sync", help="shipped preset name or .toml file")
    parser.add_argument("--source", choices=["synthetic"], default="synthetic",
                        help="where FaceStates come from (synthetic: the rendered headset's ground-truth labels)")
    parser.add_argument("--fps", type=float, default=30.0, help="preview frame rate (default 30)")
    parser.add_argument("--seed", type=int, default=0, help="synthetic identity/performance seed")
    parser.add_argument("--screenshot", type=Path, help="render --frames frames, save a PNG of the window and exit")
    parser.add_argument("--frames", type=int, default=60, help="frames to render before --screenshot (default 60)")


def main(args: argparse.Namespace) -> int:
    """Open the preview window (or render a screenshot headless)."""
    try:
        from PySide6 import QtWidgets
    except ImportError:
        print("the preview needs PySide6 and pyqtgraph: pip install 'facebridge[preview]'", file=sys.stderr)
        return 1
    from bridge.preview.editor import PresetEditor
    from bridge.preview.feed import SyntheticFaceFeed
    from bridge.preview.window import PreviewWindow
    from retarget import PresetError

    try:
        editor = PresetEditor(args.preset)
    except PresetError as exc:
        print(exc, file=sys.stderr)
        return 1
    if not 1.0 <= args.fps <= 120.0:
        print(f"--fps must be within 1..120, got {args.fps:g}", file=sys.stderr)
        return 2
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([sys.argv[0]])
    feed = SyntheticFaceFeed(fps=args.fps, seed=args.seed, realtime=args.screenshot is None)
    window = PreviewWindow(editor, feed, fps=args.fps)
    if args.screenshot is not None:
        window.show()
        for _ in range(max(args.frames, 1)):
            window.step()
        app.processEvents()
        ok = window.grab().save(str(args.screenshot))
        window.close()
        _dispose(app, window)
        if not ok:
            print(f"{args.screenshot}: could not write the screenshot", file=sys.stderr)
            return 1
        print(f"wrote {args.screenshot} after {window.frames_shown} frames")
        return 0
    window.show()
    window.start()
    status = int(app.exec())
    _dispose(app, window)
    return status


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
