"""Output sinks: every FaceState (and its retargeted rigs) goes to any number of independent destinations.

Sinks: ``facebridge`` (our Unity package), ``vmc`` (VSeeFace/VNyan/Warudo), ``vrchat`` (native eye tracking +
VRCFaceTracking-style parameters) and ``recorder`` (JSONL + raw frames). ``build_sink`` makes one from an
``OutputConfig``; ``SinkFanout`` isolates them so a failing sink never stops the others.
"""
