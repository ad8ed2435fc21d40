"""Output sinks: every FaceState (and its retargeted rigs) goes to any number of independent destinations.

Sinks: ``facebridge`` (our Unity package), ``vmc`` (VSeeFace/VNyan/Warudo), ``vrchat`` (native eye tracking +
VRCFaceTracking-style parameters) and ``recorder`` (JSONL + raw frames). Each kind's Options dataclass lives beside
its sink; ``registry`` maps kind -> (Options, Sink) and ``registry.build_sink`` makes a sink from validated Options.
``SinkFanout`` isolates sinks so a failing one never stops the others. Outputs never import the app or the config.
"""
