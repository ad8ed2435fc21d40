import numpy as np
import pytest

from bridge import schema
from bridge.schema import BLENDSHAPE_NAMES, FaceState, TrackingFlags, mirror_shapes


def test_52_arkit_names_in_apple_order():
    assert len(BLENDSHAPE_NAMES) == 52 == len(set(BLENDSHAPE_NAMES))
    assert BLENDSHAPE_NAMES[0] == "eyeBlinkLeft"
    assert BLENDSHAPE_NAMES[17] == "jawOpen"
    assert BLENDSHAPE_NAMES[41] == "browDownLeft"
    assert BLENDSHAPE_NAMES[51] == "tongueOut"


def test_label_sets():
    assert schema.EMOTIVE5 == ("neutral", "anger", "surprise", "happiness", "eyes_closed")
    assert len(schema.AU10) == 10 and schema.AU10[0] == "AU0"
    assert schema.FER8[0] == "neutral" and len(schema.FER8) == 8


def test_mirror_is_an_involution_and_swaps_sides():
    v = np.arange(52, dtype=np.float32)
    assert np.array_equal(mirror_shapes(mirror_shapes(v)), v)
    m = mirror_shapes(v)
    assert m[schema.shape_index("eyeBlinkLeft")] == schema.shape_index("eyeBlinkRight")
    assert m[schema.shape_index("jawOpen")] == schema.shape_index("jawOpen")
    assert m[schema.shape_index("mouthLeft")] == schema.shape_index("mouthRight")


def test_facestate_is_immutable_and_validated():
    s = FaceState(timestamp=1.0, sequence=3, blendshapes=np.full(52, 1.5))
    assert s.blendshapes.max() == 1.0  # clamped to 0..1
    with pytest.raises(ValueError):
        s.blendshapes[0] = 0.2
    with pytest.raises(AttributeError):
        s.sequence = 4  # type: ignore[misc]
    with pytest.raises(ValueError, match="blendshapes"):
        FaceState(timestamp=0, sequence=0, blendshapes=np.zeros(51))
    with pytest.raises(ValueError, match="finite"):
        FaceState(timestamp=0, sequence=0, blendshapes=np.full(52, np.nan))
    with pytest.raises(ValueError, match="emotion_label"):
        FaceState(timestamp=0, sequence=0, emotion_label="joy")


def test_facestate_accessors_and_changes():
    s = FaceState.neutral(2.0, 7)
    assert s.emotion_dict()["neutral"] == 1.0
    t = s.with_changes(flags=TrackingFlags.CAMERA_LOST | TrackingFlags.TOO_DARK, valence=3.0)
    assert t.valence == 1.0 and TrackingFlags.TOO_DARK in t.flags
    assert s.flags == TrackingFlags.OK
    assert t.shape("jawOpen") == 0.0
    with pytest.raises(KeyError, match="jawOpn"):
        t.shape("jawOpn")
