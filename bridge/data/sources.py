"""The approved real sets (shared/reference/real-data.md): where each comes from, its commit and licence.

Only these sets (and our own renders) may be used for training; the importer refuses anything else.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Provenance of one importable set (written into every manifest)."""

    kind: str
    name: str
    repo: str
    commit: str
    path: str
    licence: str
    view: str  # "eye" (eye crops, centre-square policy) or "face" (face-aligned crops, FER-like framing)
    use: str  # what the set is used for
    train: bool = True  # False: too small / evaluation only


SOURCES: dict[str, SourceInfo] = {s.kind: s for s in (
    SourceInfo("mrl", "MRL Eye Dataset", "sbettid/Driver-Drowsiness-Detection",
               "814c51fabf8b8ffa88a25440a97239c339376a1e", "mrlEyes_2018_01/{train,val}/{0,1}/",
               "research use (MRL, VSB Ostrava); none in repo", "eye",
               "near-IR eye crops, open/closed -> eyeBlink / openness"),
    SourceInfo("mrl-pupil", "MRL pupil centres (pupil_finder)", "nahueespinosa/pupil_finder",
               "0a988c880d5816812389d4b73b1144627f301d49", "dataset/pupil.txt", "MIT", "eye",
               "pupil centres on MRL images -> pupil position (auxiliary)"),
    SourceInfo("itmo", "ITMO eye-tracking dataset (PupilEye, IrisEye)", "itmo-cv-lab/eye-tracking-dataset",
               "6fdcdee5868ffb978ca20ad9398a7794ca22dadf", "PupilEye/, IrisEye/", "none in repo", "eye",
               "close-up IR eyes with glints, pupil/iris masks -> pupil position, visible iris fraction, open"),
    SourceInfo("mmu", "MMU iris database + hand-drawn iris masks", "Felixned/BiometricSystems + "
               "jkozlova/Masks-for-MMU-Iris-dataset",
               "91d2c7d8955e89fda6a3431dbc151919b0e9bf80 / 3f776d972073cc7c10119dc1150b95fe53462089",
               "MMU-Iris-Database/ + Dataset/mask/", "none in repo", "eye",
               "NIR eyes with iris masks -> visible iris fraction, pupil position, open"),
    SourceInfo("ferplus", "FER+ (FER2013Train / FER2013Valid)", "tessav/crowd-emotion",
               "95c07555f685e8b776d03c66406b49faa402a349", "data/FER2013Train/, data/FER2013Valid/",
               "FER+ labels MIT; FER2013 images research use", "face",
               "48x48 faces, 10 crowd votes -> soft FER8 labels on lower halves (Valid: model selection only)"),
    SourceInfo("nir", "NIR faces with AffectNet labels (custom_nir)",
               "kalabto2/Facial-expression-analysis-from-NIR-image",
               "7e46ca17cc2b630cbee8ea69dc9726fc99dbd76e", "src/Custom_DB/custom_nir/", "MIT", "face",
               "real NIR webcam-distance face check (lower-face expression; eye crops: openness, eyes-only "
               "valence/arousal); too small to train on", train=False),
    SourceInfo("smile", "smile-detection face crops", "fantopop/smile-detection",
               "f8489421ca1616bfd079c55e9383eba3a2dcc783", "data/images/, data/annotations.csv", "MIT", "face",
               "real faces, smile / mouth open -> mouthSmile*, jawOpen"),
    SourceInfo("smile-eyes", "smile-detection eyes (landmark eyelid contours)", "fantopop/smile-detection",
               "f8489421ca1616bfd079c55e9383eba3a2dcc783", "data/images/, data/annotations.csv", "MIT", "eye",
               "real eyes (visible light) cut at headset framing around their 68-landmark eyelid contour -> eye "
               "aperture (visible eye area) -> how open the eye reads, ranked"),
    SourceInfo("yawn", "yawn_v5 (aps360)", "sehyunlee217/aps360_project",
               "0d099c51fe70cf7c47571858e6dcc2dd0964bc35", "dataset/yawn_v5/", "CC BY 4.0", "face",
               "real wide-open mouths (YOLO mouth box -> face-aligned crop) -> jawOpen high; scenes without a "
               "yawn (face detector -> face-aligned crop) -> jawOpen not yawn-wide"),
)}

# FER+ vote columns after file and box: the 8 FER8 emotions (same order as bridge.schema.FER8), unknown, not-a-face.
FERPLUS_VOTES = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt", "unknown",
                 "not_a_face")
# AffectNet expression index (0..7) -> FER8 index.
AFFECTNET_TO_FER8 = {0: 0, 1: 1, 2: 3, 3: 2, 4: 6, 5: 5, 6: 4, 7: 7}
