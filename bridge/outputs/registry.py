"""The one list of output kinds: ``kind`` -> (Options dataclass, sink class).

Config parsing, ``--output KIND:...`` and ``build_sink`` all look kinds up here, so a new output protocol is one
module (Options + Sink, copy vmc.py) plus one line below. Every sink class provides
``from_options(options, rig_key)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bridge.outputs.base import OutputOptions, OutputSink
from bridge.outputs.facebridge_sink import FacebridgeOptions, FacebridgeSink
from bridge.outputs.recorder import RecorderOptions, RecorderSink
from bridge.outputs.vmc import VmcOptions, VmcSink
from bridge.outputs.vrchat import VrchatOptions, VrchatSink


@dataclass(frozen=True, slots=True)
class OutputKind:
    """One output kind: its validated options and the sink that takes them."""

    options: type[OutputOptions]
    sink: Any  # a sink class with ``from_options(options, rig_key) -> OutputSink``


OUTPUT_KINDS: dict[str, OutputKind] = {
    options.kind: OutputKind(options, sink)
    for options, sink in (
        (FacebridgeOptions, FacebridgeSink),
        (VmcOptions, VmcSink),
        (VrchatOptions, VrchatSink),
        (RecorderOptions, RecorderSink),
    )
}


def output_kind(kind: str) -> OutputKind:
    """The registry entry for ``kind``; ValueError listing the known kinds otherwise."""
    try:
        return OUTPUT_KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown output kind {kind!r}; known: {', '.join(OUTPUT_KINDS)}") from None


def output_options(kind: str = "facebridge", **fields: Any) -> OutputOptions:
    """The Options of ``kind`` with ``fields`` set (e.g. ``output_options("vmc", port=39540)``)."""
    return output_kind(kind).options(**fields)


def build_sink(options: OutputOptions, rig_key: str | None) -> OutputSink:
    """One sink for one ``[[outputs]]`` entry; ``rig_key`` is the preset it reads (None for the recorder)."""
    sink: OutputSink = output_kind(options.kind).sink.from_options(options, rig_key)
    return sink
