"""Names shared by training (which writes the ONNX files) and the runtime (which reads them).

One place for file names, tensor names and output layouts so the exporter and the loader cannot drift apart.
The input resolution is NOT fixed here: the runtime reads it from each ONNX file's input shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.schema import AU10, BLENDSHAPE_NAMES, EMOTIVE5, EYE_SHAPES_LEFT, EYE_SHAPES_RIGHT, FER8, NUM_BLENDSHAPES

# Shapes predicted by the "rest of the face" branch of the blendshape model (everything but the 14 per-eye shapes).
REST_SHAPES: tuple[int, ...] = tuple(i for i in range(NUM_BLENDSHAPES) if i not in EYE_SHAPES_LEFT + EYE_SHAPES_RIGHT)
# Per-eye head outputs: the 7 per-eye shapes (schema order), then gaze yaw, gaze pitch (degrees / GAZE_SCALE), openness.
EYE_HEAD_SIZE = len(EYE_SHAPES_LEFT) + 3
# Shapes the external lower-face camera drives (everything a face crop's lower half shows: jaw, mouth, cheeks, nose
# wrinkles, tongue), in canonical index order: lower_face8.onnx's "shapes" output.
LOWER_FACE_SHAPES: tuple[int, ...] = tuple(i for i, n in enumerate(BLENDSHAPE_NAMES)
                                           if n.startswith(("jaw", "mouth", "cheek", "nose", "tongue")))
GAZE_SCALE_DEG = 30.0  # the eye head regresses gaze / 30 deg so every output has a similar range for the L1 loss


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One shipped ONNX model: its file, which camera views it needs and its tensor names."""

    key: str
    file: str
    views: tuple[str, ...]  # camera views it consumes (all must be present to run it)
    inputs: tuple[str, ...]  # ONNX input names, in order
    outputs: tuple[str, ...]  # ONNX output names, in order
    summary: str


BLENDSHAPES = ModelSpec(
    key="blendshapes", file="blendshapes.onnx", views=("left_eye", "right_eye", "mouth"),
    inputs=("left_eye", "right_eye", "mouth"), outputs=("shapes", "gaze", "openness"),
    summary="REFA-style multi-branch regressor: shared eye encoder (left mirrored) + mouth encoder; "
            "per-eye MLP -> each eye's 7 shapes, gaze, openness; concatenated features -> the other 38 shapes",
)
EYEMOTION = ModelSpec(
    key="eyemotion", file="eyemotion.onnx", views=("left_eye", "right_eye"),
    inputs=("eye_pair",), outputs=("emotive5", "au10", "emotion8", "valence_arousal"),
    summary="Eyemotion CNN on the two eye crops concatenated side by side; channel 0 raw, channel 1 frame minus "
            "the session's neutral mean (zeros when no neutral reference). Heads: 5 emotive classes (softmax), "
            "10 AUs (sigmoids), 8 FER+ emotions (softmax, fusion source 'eyes') and the eyes-only affect regressor "
            "(valence, arousal in [-1, 1], tanh, MSE loss) sharing the VGG-like encoder",
)
MOUTH8 = ModelSpec(
    key="mouth8", file="mouth8.onnx", views=("mouth",), inputs=("image",), outputs=("emotion8",),
    summary="8-class FER+ expression classifier on the headset mouth camera",
)
LOWER_FACE8 = ModelSpec(
    key="lower_face8", file="lower_face8.onnx", views=("lower_face",), inputs=("image",),
    outputs=("emotion8", "shapes"),
    summary="external camera's face crop with the upper half blacked out -> 8 FER+ emotions (softmax) and the "
            "jaw/mouth/cheek/nose/tongue blendshapes (LOWER_FACE_SHAPES order, sigmoids); the encoder reads the "
            "bottom half only, the crop and its mirror image are averaged inside the graph; two-stage training (full "
            "face, then upper half hidden, as in the occluded-lower-face paper) on renders + FER+ + smile/yawn faces",
)
EXPRESSION_VECTOR8 = ModelSpec(
    key="expression_vector8", file="expression_vector8.onnx", views=(), inputs=("shapes",), outputs=("emotion8",),
    summary="DeepExp3D-style light classifier: the 52 predicted blendshapes -> 8 FER+ emotions (identity-free input)",
)
ALL_SPECS: tuple[ModelSpec, ...] = (BLENDSHAPES, EYEMOTION, MOUTH8, LOWER_FACE8, EXPRESSION_VECTOR8)
SPEC_BY_KEY: dict[str, ModelSpec] = {s.key: s for s in ALL_SPECS}

FUSION_FILE = "fusion.json"  # calibrated log-linear pooling weights per emotion source
CARD_FILE = "README.md"
METADATA_FILE = "models.json"  # per-file SHA-256, shapes and training settings (machine-readable model card)

# Emotion sources in the fusion, and the label names each output uses.
EMOTION_SOURCES: tuple[str, ...] = ("eyes", "mouth", "lower_face", "shapes")
LABELS = {"emotive5": EMOTIVE5, "au10": AU10, "emotion8": FER8}
