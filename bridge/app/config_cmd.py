"""`facebridge config init [--out FILE] [--force]` and `facebridge config check FILE`."""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="config_action", metavar="ACTION", required=True)
    init = sub.add_parser("init", help="write a commented config file with every default")
    init.add_argument("--out", metavar="FILE", help="file to write (default: print to stdout)")
    init.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    check = sub.add_parser("check", help="validate a config file (exit 0 if valid, 2 with the problem if not)")
    check.add_argument("file", metavar="FILE")


def main(args: argparse.Namespace) -> int:
    from bridge.config import ConfigError, default_config_text, load_config

    if args.config_action == "init":
        text = default_config_text()
        if not args.out:
            sys.stdout.write(text)
            return 0
        from pathlib import Path

        out = Path(args.out)
        try:
            with open(out, "w" if args.force else "x", encoding="utf-8") as fh:
                fh.write(text)
        except FileExistsError:
            print(f"error: {out} exists; pass --force to overwrite it", file=sys.stderr)
            return 2
        except OSError as exc:
            print(f"error: cannot write {out}: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {out}")
        return 0
    try:
        config = load_config(args.file)
    except ConfigError as exc:
        for line in str(exc).splitlines():  # one problem per line, each marked
            print(f"error: {line}", file=sys.stderr)
        return 2
    kinds = ", ".join(o.kind for o in config.outputs if o.enabled) or "none"
    cameras = len(config.cameras) or f"[source] {config.source.spec}"
    print(f"{args.file}: OK (cameras: {cameras}; outputs: {kinds})")
    return 0
