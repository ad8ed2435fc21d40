"""The tracking stage: model outputs -> one FaceState per frame.

Personalization (NeutralReference), range-of-motion calibration (RangeOfMotion), One Euro / exponential-decay
filters, failure detection (assess_frames + FailureDetector) and the emotion output, composed by Tracker.
See docs/tracking.md.
"""

from bridge.tracking.config import TrackingConfig
from bridge.tracking.emotion import EmotionConfig, LabelHysteresis
from bridge.tracking.failure import FailureConfig, FailureDetector, FailureStatus
from bridge.tracking.filters import ExponentialDecay, FilterConfig, OneEuroFilter, OneEuroParams
from bridge.tracking.neutral import NeutralConfig, NeutralReference
from bridge.tracking.quality import FrameQuality, ViewQuality, assess_frames, assess_view
from bridge.tracking.rom import RangeOfMotion, RomConfig
from bridge.tracking.tracker import Tracker
from bridge.tracking.types import FaceTracker

__all__ = [
    "EmotionConfig",
    "ExponentialDecay",
    "FaceTracker",
    "FailureConfig",
    "FailureDetector",
    "FailureStatus",
    "FilterConfig",
    "FrameQuality",
    "LabelHysteresis",
    "NeutralConfig",
    "NeutralReference",
    "OneEuroFilter",
    "OneEuroParams",
    "RangeOfMotion",
    "RomConfig",
    "Tracker",
    "TrackingConfig",
    "ViewQuality",
    "assess_frames",
    "assess_view",
]
