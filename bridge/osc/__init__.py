"""OSC over UDP, shared by every sender and listener in FaceBridge.

``codec``: the one encoder (messages, bundles split to ``MAX_DATAGRAM_BYTES``, NTP timetags);
``udp``: a non-blocking sender that counts failures instead of raising; ``listener``: a thread that hands every
received message to a callback. Nothing here knows about frames, rigs or sinks.
"""

from bridge.osc.codec import MAX_DATAGRAM_BYTES

__all__ = ["MAX_DATAGRAM_BYTES"]
