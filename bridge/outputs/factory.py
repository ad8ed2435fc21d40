"""Build output sinks from config entries."""

from __future__ import annotations

from bridge.config import OutputSection
from bridge.outputs.base import OutputSink


def build_sink(entry: OutputSection, rig_key: str | None) -> OutputSink:
    """One sink for one ``[[outputs]]`` entry; ``rig_key`` is the preset it reads (ignored by the recorder)."""
    port = entry.resolved_port()
    if entry.kind == "facebridge":
        from bridge.outputs.facebridge_sink import FacebridgeSink

        return FacebridgeSink(entry.host, port, rig_key=rig_key, names_interval_s=entry.names_interval_s)
    if entry.kind == "vmc":
        from bridge.outputs.vmc import VmcSink

        return VmcSink(entry.host, port, rig_key=rig_key, send_aliases=entry.vrm0_aliases)
    if entry.kind == "vrchat":
        from bridge.outputs.vrchat import VrchatSink

        return VrchatSink(entry.host, port, rig_key=rig_key, prefix=entry.prefix, binary=entry.binary,
                          min_delta=entry.min_delta, resend_s=entry.resend_s,
                          listen_host=entry.listen_host, listen_port=entry.listen_port or None)
    if entry.kind == "recorder":
        from bridge.outputs.recorder import RecorderSink

        return RecorderSink(entry.path, raw_frames=entry.raw_frames)
    raise ValueError(f"unknown output kind {entry.kind!r}")
