"""Command-line flags -> Config: the one place where a flag changes the configuration.

Every stage reads only the Config it is given, so a flag and the matching config key always mean the same thing.
``apply_overrides`` is used by ``facebridge run`` (via ``config_from_args``), by the benchmark and by tests; a new
flag adds one keyword here and one line in ``config_from_args``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import replace

from bridge.config import Config, load_config, parse_output_spec
from bridge.outputs.base import OutputOptions


def apply_overrides(config: Config, *, source: str | None = None, layout: str | None = None,
                    preset: str | None = None,
                    outputs: Sequence[OutputOptions] | None = None, control: bool | None = None,
                    status_json: str | None = None) -> Config:
    """``config`` with each given override applied (None / empty = keep the config's value).

    - ``source``: a source spec; replaces ``[source] spec`` and any ``[[cameras]]``.
    - ``layout``: what that camera shows; replaces ``[source] layout`` (``webcam``, ``left_eye``, ...).
    - ``preset``: replaces ``[preset] name`` (outputs with their own ``preset`` keep it).
    - ``outputs``: replace ``[[outputs]]``.
    - ``control``: enables/disables ``[control]``.
    - ``status_json``: replaces ``[status] json_path``.
    """
    if source:
        config = replace(config, source=replace(config.source, spec=source), cameras=())
    if layout:
        config = replace(config, source=replace(config.source, layout=layout))
    if preset:
        config = replace(config, preset=replace(config.preset, name=preset))
    if outputs:
        config = replace(config, outputs=tuple(outputs))
    if control is not None:
        config = replace(config, control=replace(config.control, enabled=control))
    if status_json:
        config = replace(config, status=replace(config.status, json_path=status_json))
    return config


def config_from_args(args: argparse.Namespace) -> Config:
    """The Config of ``facebridge run``: ``--config`` FILE (or defaults) with every flag applied.
    Raises ConfigError naming the file/flag and what is wrong."""
    return apply_overrides(
        load_config(args.config),
        source=args.source,
        layout=getattr(args, "layout", None),
        preset=args.preset,
        outputs=[parse_output_spec(spec) for spec in args.output],
        control=False if args.no_control else None,
        status_json=args.status_json,
    )
