"""`facebridge` command line: one entry point, one module per subcommand.

Each command module exposes ``configure(parser)`` (adds its arguments; must import nothing heavy)
and ``main(args) -> int``. Heavy imports (torch, Qt, onnxruntime) happen inside ``main``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from bridge import __version__

# name -> (module, one-line help). Order is the order shown in --help.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("bridge.app.run_cmd", "run the bridge (default: synthetic headset -> Unity package)"),
    "cameras": ("bridge.sources.cameras_cmd", "list the cameras and streams this machine can open"),
    "config": ("bridge.app.config_cmd", "write or check a config file"),
    "presets": ("retarget.cli", "list, show, validate and create retarget presets"),
    "synth": ("bridge.synth.cli", "render synthetic headset frames: contact sheet, datasets"),
    "data": ("bridge.data.cli", "import an approved real data set into shards (see docs/data.md)"),
    "train": ("bridge.training.cli", "train every model from scratch and export ONNX (needs the 'train' extra)"),
    "eval": ("bridge.evaluation.cli", "evaluate the shipped models on held-out synthetic identities"),
    "infer": ("bridge.inference.infer_cmd", "run the models on image files and write a CSV"),
    "bench": ("bridge.app.bench_cmd", "benchmark the full pipeline on the synthetic source"),
    "preview": ("bridge.preview.cmd", "preset studio (Qt): tune a preset on a recording or camera, A/B face, save"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="facebridge",
        description="Face-tracking bridge: headset cameras -> expression models -> rigs over OSC.",
    )
    parser.add_argument("--version", action="version", version=f"facebridge {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        module.configure(cmd)
        cmd.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    from bridge.sources.native_logging import configure_native_logging, verbose_requested

    # Before any command imports cv2: OpenCV/FFmpeg's own stderr lines only at --log-level DEBUG.
    configure_native_logging(verbose_requested(sys.argv[1:] if argv is None else list(argv)))
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args._module.main(args) or 0)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
