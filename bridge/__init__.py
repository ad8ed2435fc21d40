"""FaceBridge: headset face cameras -> expression models -> retargeted rigs over OSC."""

__version__ = "0.1.0"
