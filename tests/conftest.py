"""Suite-wide settings: mDNS (OSCQuery discovery) stays on loopback, in this process and in the bridges tests start."""

import os

os.environ.setdefault("FACEBRIDGE_MDNS_INTERFACES", "127.0.0.1")
