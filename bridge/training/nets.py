"""The network architectures (torch). Small on purpose: all models together must run in < 1 ms on one core.

Every network ends in the activation the runtime wants (softmax / sigmoid / clip / tanh) only in ``export_forward``
mode, so training can use numerically stable losses on logits while the ONNX files emit ready probabilities.
"""

from __future__ import annotations

import torch
from torch import nn

from bridge.inference.spec import EYE_HEAD_SIZE, GAZE_SCALE_DEG, LOWER_FACE_SHAPES, REST_SHAPES
from bridge.schema import MIRROR_INDEX


def conv_bn(cin: int, cout: int, stride: int) -> nn.Sequential:
    """3x3 conv + batch norm + ReLU (the BN folds into the conv at ONNX export)."""
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Encoder(nn.Module):
    """VGG-like image encoder: 4 stride-2 stages (two convs in the middle ones), flattened -> ``feat`` features.

    Flatten instead of global pooling keeps *where* things are (lid height, pupil position), which gaze,
    openness and winks depend on.
    """

    def __init__(self, in_ch: int, height: int, width_px: int, width: int = 12, feat: int = 128,
                 stem_stride: int = 2) -> None:
        super().__init__()
        w = width
        self.body = nn.Sequential(
            conv_bn(in_ch, w, stem_stride),
            conv_bn(w, 2 * w, 2), conv_bn(2 * w, 2 * w, 1),
            conv_bn(2 * w, 4 * w, 2), conv_bn(4 * w, 4 * w, 1),
            conv_bn(4 * w, 6 * w, 2),
        )
        downs = 3 + (stem_stride == 2)
        fh, fw = _down(height, downs), _down(width_px, downs)
        # LeakyReLU after the linear layers: with L1 losses and mostly-zero targets, plain ReLUs here die and the
        # shapes that are rarely active get stuck at exactly 0 (seen in training: every non-blink shape flat).
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(6 * w * fh * fw, feat),
                                  nn.LeakyReLU(0.1, inplace=True))
        self.out_features = feat

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def _down(n: int, times: int) -> int:
    for _ in range(times):
        n = (n + 1) // 2  # conv 3x3, stride 2, pad 1
    return n


def mlp(cin: int, hidden: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(cin, hidden), nn.LeakyReLU(0.1, inplace=True), nn.Linear(hidden, cout))


class BlendshapeNet(nn.Module):
    """REFA sec. 7.1 multi-branch regressor.

    One eye encoder shared by both eyes (the left crop is mirrored so it looks like a right eye), one mouth encoder.
    A shared per-eye MLP maps each eye's features to that eye's 7 shapes + gaze + openness (so a wink in one eye
    cannot leak into the other), and the concatenated features drive the other 38 shapes.
    Outputs: (B, 52) shapes (sigmoid, 0..1), (B, 2, 2) gaze in degrees [left, right] x [yaw, pitch], (B, 2)
    openness; ``export`` mode clips openness to 0..1, training mode adds the auxiliary logits and the shape logits.
    """

    def __init__(self, size: int, width: int = 12, feat: int = 128) -> None:
        super().__init__()
        self.eye_encoder = Encoder(1, size, size, width, feat)
        self.mouth_encoder = Encoder(1, size, size, width, feat)
        self.eye_head = mlp(feat, 96, EYE_HEAD_SIZE)
        self.rest_head = mlp(3 * feat, 192, len(REST_SHAPES))
        # Training-only auxiliary classifiers (not exported): cross-entropy gradients teach the encoders the subtle
        # expression cues that the shape regression alone picks up far too slowly (FER8 from the mouth features,
        # emotive5 + AU10 from both eyes' features).
        self.aux_mouth = nn.Linear(feat, 8)
        self.aux_eyes = nn.Linear(2 * feat, 5 + 10)
        # Training-only pupil-centre head per eye (real pupil/iris masks teach the encoder where the pupil is).
        self.aux_pupil = nn.Linear(feat, 2)
        self.export = False

    def forward(self, left_eye: torch.Tensor, right_eye: torch.Tensor, mouth: torch.Tensor):
        lf = self.eye_encoder(torch.flip(left_eye, dims=[3]))  # mirror: the left eye now looks like a right eye
        rf = self.eye_encoder(right_eye)
        mf = self.mouth_encoder(mouth)
        le, re = self.eye_head(lf), self.eye_head(rf)
        rest = self.rest_head(torch.cat([lf, rf, mf], dim=1))
        # Canonical order is [7 left-eye shapes, 7 right-eye shapes, 38 others] (schema), so a concat suffices.
        logits = torch.cat([le[:, :7], re[:, :7], rest], dim=1)
        shapes = torch.sigmoid(logits)
        # A mirrored left eye looking toward its nose reads as a right eye looking to the subject's left: negate yaw.
        gaze = torch.stack([torch.stack([-le[:, 7], le[:, 8]], 1), torch.stack([re[:, 7], re[:, 8]], 1)], 1)
        gaze = gaze * GAZE_SCALE_DEG
        openness = torch.stack([le[:, 9], re[:, 9]], 1)
        if self.export:
            return shapes, gaze, openness.clamp(0.0, 1.0)
        pupil = torch.stack([self.aux_pupil(lf), self.aux_pupil(rf)], 1)  # (B, 2 eyes, xy) in the mirrored frame
        return (shapes, gaze, openness, self.aux_mouth(mf), self.aux_eyes(torch.cat([lf, rf], dim=1)), logits,
                pupil)


class EyemotionNet(nn.Module):
    """Eyemotion: both eye crops concatenated side by side into one image, one CNN.

    Channel 0 = raw pair, channel 1 = pair minus the session's neutral mean (zeros without a reference). Heads:
    5 emotive classes (softmax), 10 AUs (independent sigmoids, multi-label), 8 FER+ emotions (for the fusion), and
    the eyes-only affect regressor (valence, arousal; tanh) on the same VGG-like encoder.
    """

    def __init__(self, size: int, width: int = 12, feat: int = 128) -> None:
        super().__init__()
        self.encoder = Encoder(2, size, 2 * size, width, feat)
        self.emotive5 = nn.Linear(feat, 5)
        self.au10 = nn.Linear(feat, 10)
        self.emotion8 = nn.Linear(feat, 8)
        self.affect = mlp(feat, 64, 2)
        self.export = False

    def forward(self, eye_pair: torch.Tensor):
        f = self.encoder(eye_pair)
        e5, au, e8, va = self.emotive5(f), self.au10(f), self.emotion8(f), torch.tanh(self.affect(f))
        if self.export:
            return torch.softmax(e5, 1), torch.sigmoid(au), torch.softmax(e8, 1), va
        return e5, au, e8, va


class Emotion8Net(nn.Module):
    """8-class FER+ classifier on one square crop (mouth camera or lower-face crop)."""

    def __init__(self, size: int, width: int = 12, feat: int = 128) -> None:
        super().__init__()
        self.encoder = Encoder(1, size, size, width, feat)
        self.out = nn.Linear(feat, 8)
        self.export = False

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        logits = self.out(self.encoder(image))
        return torch.softmax(logits, 1) if self.export else logits


class LowerFaceNet(nn.Module):
    """External lower-face camera: FER8 (softmax) AND the jaw/mouth/cheek/nose/tongue blendshapes (sigmoids, in
    ``LOWER_FACE_SHAPES`` order) from one face crop whose upper half is hidden, so a webcam under a headset drives
    the avatar's mouth, not only its emotion.

    ``lower_half``: the network reads only the bottom half of the square crop (the top half is black by contract),
    so its compute goes to the mouth instead of to zeros; ``stem_stride`` 1 keeps the first stage at full
    resolution. The ONNX input stays the square crop."""

    def __init__(self, size: int, width: int = 12, feat: int = 128, lower_half: bool = False,
                 stem_stride: int = 2) -> None:
        super().__init__()
        self.top = size // 2 if lower_half else 0
        self.encoder = Encoder(1, size - self.top, size, width, feat, stem_stride)
        self.out = nn.Linear(feat, 8)
        self.shapes = mlp(feat, 96, len(LOWER_FACE_SHAPES))
        self.export = False

    def forward(self, image: torch.Tensor):
        f = self.encoder(image[:, :, self.top:] if self.top else image)
        logits, shape_logits = self.out(f), self.shapes(f)
        if self.export:
            return torch.softmax(logits, 1), torch.sigmoid(shape_logits)
        return logits, shape_logits


class ExpressionVectorNet(nn.Module):
    """DeepExp3D's light classifier on the identity-free expression vector (here: the 52 blendshapes)."""

    def __init__(self, hidden: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(52, hidden), nn.ReLU(inplace=True), nn.Dropout(0.1),
                                 nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, 8))
        self.export = False

    def forward(self, shapes: torch.Tensor) -> torch.Tensor:
        logits = self.net(shapes)
        return torch.softmax(logits, 1) if self.export else logits


def lower_face_mirror_permutation() -> list[int]:
    """Column j of the lower-face shapes -> the column of its left/right mirror (e.g. mouthSmileLeft <-> Right)."""
    pos = {idx: j for j, idx in enumerate(LOWER_FACE_SHAPES)}
    return [pos[int(MIRROR_INDEX[idx])] for idx in LOWER_FACE_SHAPES]


class MirrorAveragedLowerFaceNet(nn.Module):
    """Runtime form of one or more trained LowerFaceNets: the crop and its mirror image go through each net in one
    batch and all outputs are averaged (the mirrored view's shapes swapped back left <-> right). Emotion labels do not
    depend on the side, so the mirror cancels a net's side bias (+1.2 points FER2013Valid accuracy on lower halves,
    measured on the width-12 model); several nets trained with different seeds average out each other's errors.

    Export mode returns (probabilities, shapes) like LowerFaceNet; training mode returns their log / logit, so
    softmax / sigmoid of it gives exactly what the ONNX file emits (fusion fitting uses that path).

    ``class_offsets`` (8, zeros until fitted): added to the log of the averaged emotion probabilities before they are
    renormalised (bridge/training/class_offsets.py: the rare FER+ classes)."""

    def __init__(self, *members: LowerFaceNet) -> None:
        super().__init__()
        if not members:
            raise ValueError("MirrorAveragedLowerFaceNet needs at least one LowerFaceNet")
        self.members = nn.ModuleList(members)
        self.register_buffer("mirror", torch.tensor(lower_face_mirror_permutation(), dtype=torch.long))
        self.register_buffer("class_offsets", torch.zeros(members[0].out.out_features))
        self.export = False

    def forward(self, image: torch.Tensor):
        both_views = torch.cat([image, image.flip(-1)])
        probs, shapes = [], []
        for net in self.members:
            net.export = False
            logits, shape_logits = net(both_views)
            probs.append(torch.softmax(logits, 1).reshape(2, -1, logits.shape[1]).mean(0))
            both = torch.sigmoid(shape_logits).reshape(2, -1, shape_logits.shape[1])
            shapes.append(0.5 * (both[0] + both[1][:, self.mirror]))
        log_p = torch.log_softmax(torch.log(torch.stack(probs).mean(0).clamp_min(1e-7)) + self.class_offsets, 1)
        s = torch.stack(shapes).mean(0)
        if self.export:
            return torch.exp(log_p), s
        return log_p, torch.logit(s.clamp(1e-6, 1 - 1e-6))


class CalibratedBlendshapeNet(nn.Module):
    """Export wrapper: a trained BlendshapeNet followed by the per-shape calibration clip((s - dead) * gain, 0, 1)
    (bridge.training.calibrate.fit_shape_calibration), so the shipped ONNX file already outputs calibrated shapes."""

    def __init__(self, net: BlendshapeNet, dead, gain) -> None:
        super().__init__()
        self.net = net
        self.register_buffer("dead", torch.as_tensor(dead, dtype=torch.float32).view(1, -1))
        self.register_buffer("gain", torch.as_tensor(gain, dtype=torch.float32).view(1, -1))
        self.export = True

    def forward(self, left_eye: torch.Tensor, right_eye: torch.Tensor, mouth: torch.Tensor):
        self.net.export = True
        shapes, gaze, openness = self.net(left_eye, right_eye, mouth)
        return ((shapes - self.dead) * self.gain).clamp(0.0, 1.0), gaze, openness


class CalibratedEyemotionNet(nn.Module):
    """A trained EyemotionNet with validation-fitted output calibration (bridge.training.calibrate): AU logits +
    per-AU bias, valence/arousal = clip(scale * va + shift, -1, 1). Same outputs and modes as EyemotionNet."""

    def __init__(self, net: EyemotionNet, au_bias, va_scale, va_shift) -> None:
        super().__init__()
        self.net = net
        self.register_buffer("au_bias", torch.as_tensor(au_bias, dtype=torch.float32).view(1, -1))
        self.register_buffer("va_scale", torch.as_tensor(va_scale, dtype=torch.float32).view(1, -1))
        self.register_buffer("va_shift", torch.as_tensor(va_shift, dtype=torch.float32).view(1, -1))
        self.export = False

    def forward(self, eye_pair: torch.Tensor):
        self.net.export = False
        e5, au, e8, va = self.net(eye_pair)
        au = au + self.au_bias
        va = (va * self.va_scale + self.va_shift).clamp(-1.0, 1.0)
        if self.export:
            return torch.softmax(e5, 1), torch.sigmoid(au), torch.softmax(e8, 1), va
        return e5, au, e8, va
